"""Routines from the command line: check, render to WAV, list, copy to edit."""

from __future__ import annotations

import contextlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from calmflow.cli.errors import Failure, RoutineProblems
from calmflow.cli.options import file_to_write, json_option, load_routine
from calmflow.cli.output import data, say
from calmflow.text.numbers import clock_text, length_text

if TYPE_CHECKING:
    from calmflow.core.routine_loading import LoadedRoutine


@click.command()
@click.argument("routines", nargs=-1, required=True)
def check(routines: tuple[str, ...]) -> None:
    """Validate routines: exit 0 if all are valid, else list every problem as file:line:col.

    A video is prepared for the player here, once (said on stderr)."""
    problems: list[object] = []
    for name in routines:
        try:
            loaded = load_routine(name, prepare_videos=True)
        except RoutineProblems as exc:
            exc.show()
            problems.append(exc)
            continue
        r = loaded.routine
        phases = len(r.flat_phases)
        say(
            f"{loaded.path}: ok ({r.name}, {phases} phase{'' if phases == 1 else 's'},"
            f" {length_text(r)})"
        )
        from calmflow.services.sound_levels import quiet_sounds

        for note in quiet_sounds(r):
            say(note)
    if problems:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("routine")
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(path_type=Path), metavar="FILE"
)
@click.option(
    "--letdown-at",
    "letdowns",
    multiple=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help=(
        "Mark a let-down this many seconds in (repeat for several), to hear the rules act;"
        " its change is heard where a key pressed then is heard live (about 80 ms later)."
    ),
)
@click.option("--rate", default=48_000, show_default=True, type=click.IntRange(8000, 192_000))
@click.option("--float", "as_float", is_flag=True, help="32-bit float samples instead of 16-bit.")
@click.option(
    "--arm", default=None, help="The cue for the routine's experiment slot (default: its first)."
)
def render(
    routine: str, out: Path, letdowns: tuple[float, ...], rate: int, as_float: bool, arm: str | None
) -> None:
    """Write ROUTINE's sound to a WAV file, as long as the routine (an open-ended
    last phase for its duration)."""
    loaded = load_routine(routine)
    experiment = loaded.routine.experiment
    if arm is not None and (experiment is None or arm not in experiment.arms):
        arms = ", ".join(experiment.arms) if experiment else "none: the routine has no experiment"
        raise Failure(f"--arm {arm}: not one of the routine's experiment arms ({arms})")
    if not out.parent.is_dir():
        raise Failure(f"{out.parent} does not exist; create the folder or choose another path")
    if out.suffix.lower() != ".wav":
        raise Failure(f"{out}: the file name must end in .wav")
    file_to_write(out, f"-o {out}")
    from calmflow.audio.device import heard_after_frames
    from calmflow.core.plan import compile_plan
    from calmflow.core.session import Session
    from calmflow.engine.levels import default_cache
    from calmflow.engine.media import MediaError
    from calmflow.engine.render import render_wav

    plan = compile_plan(loaded.routine, rate, arm=arm)
    session = Session(plan)
    session.start()
    for seconds in sorted(letdowns):
        # Marked at X; its change of course where a press at X is heard live.
        session.advance_to(round(seconds * rate))
        session.letdown(session.now_frame + heard_after_frames(rate))
    # As planned: an open-ended last phase for its `duration` (live, it goes on).
    while not session.ended and session.now_frame < session.planned_end:
        session.advance_to(session.planned_end)
    session.finish()
    try:
        frames = render_wav(
            session.timeline,
            out,
            subtype="FLOAT" if as_float else "PCM_16",
            levels_cache=default_cache(),
        )
    except MediaError as exc:
        raise Failure(str(exc)) from None
    except (OSError, RuntimeError) as exc:  # soundfile's errors, a full disk
        raise Failure(f"could not write {out}: {getattr(exc, 'strerror', None) or exc}") from None
    say(f"wrote {out} ({clock_text(frames / rate)} at {rate} Hz)")


@click.command("routines")
@json_option()
def routines_cmd(as_json: bool) -> None:
    """List bundled and user routines."""
    from calmflow.core.routine_loading import load_routine as read_routine
    from calmflow.core.yamlsource import SourceError
    from calmflow.services import catalog

    rows: list[dict[str, Any]] = []
    lengths: list[str] = []
    for entry in catalog.entries():
        try:
            routine = read_routine(entry.path).routine
            lengths.append(length_text(routine))
            rows.append(
                {
                    "name": entry.name,
                    "source": entry.source,
                    "path": str(entry.path),
                    "duration_s": routine.duration_s,
                    "open_ended": routine.open_ended,
                    "description": routine.description,
                    "valid": True,
                }
            )
        except SourceError as exc:
            lengths.append("  —")
            rows.append(
                {
                    "name": entry.name,
                    "source": entry.source,
                    "path": str(entry.path),
                    "duration_s": None,
                    "open_ended": False,
                    "description": f"invalid: {exc.problems[0]}",
                    "valid": False,
                }
            )
    if as_json:
        data(json.dumps(rows, indent=2))
        return
    for row, length in zip(rows, lengths, strict=True):
        say(f"{row['name']:<20} {length:>6}  {row['source']:<8} {row['description']}")


@click.command()
@click.argument("name")
@click.option("--from", "source", default="standard", show_default=True, help="Routine to copy.")
@click.option(
    "--photo",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your baby's photo (JPEG, PNG, HEIC, WebP...): shown wherever the routine shows its picture.",
)
@click.option(
    "--sound",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your baby's sounds (a voice memo, M4A, WAV, FLAC...): 30 s or more every 5 minutes.",
)
@click.option(
    "--video",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your baby's video (MP4 or MOV, as a phone films it): seen and heard every 5 minutes.",
)
def new(name: str, source: str, photo: Path | None, sound: Path | None, video: Path | None) -> None:
    """Copy a routine into your folder as NAME, to edit; with --photo, --sound or
    --video, make your own routine from it with your baby's photo, sounds, video."""
    from calmflow.core.routine import MAX_NAME, name_problem
    from calmflow.core.yamlsource import SourceError
    from calmflow.services.catalog import copy_routine

    problem = name_problem(name, file_name=True)  # the rule `check` reads `name:` by
    if problem:
        raise Failure(f"'{name if len(name) <= MAX_NAME else name[:20] + '…'}': {problem}")
    loaded = load_routine(source)
    if photo is not None or sound is not None or video is not None:
        _make_own(loaded, name, photo, sound, video)
        return
    try:
        with _writing("copied", taken="choose another name or edit that file", verb="copy to"):
            target = copy_routine(loaded, name)
    except SourceError as exc:  # a media path that would lead out of the folder
        raise RoutineProblems(exc.problems) from None
    say(f"created {target}; edit it, then `calmflow check {name}`")


@contextlib.contextmanager
def _writing(done: str, *, taken: str, verb: str = "write") -> Iterator[None]:
    """A routine written into the person's folder: a name taken, a full disk or
    a folder that cannot be written, each in one line (nothing was `done`)."""
    from calmflow.system.exits import EXIT_STORE
    from calmflow.system.paths import DataFolderError

    try:
        yield
    except FileExistsError as exc:
        raise Failure(f"{exc.filename} exists already; {taken}") from None
    except DataFolderError:
        raise  # names the folder and what to do (exit 3)
    except OSError as exc:  # a full disk, a folder inside it read-only
        raise Failure(
            f"could not {verb} {exc.filename or 'your routines folder'}"
            f" ({exc.strerror or exc}); nothing was {done}",
            EXIT_STORE,
        ) from None


def _make_own(
    loaded: LoadedRoutine,
    name: str,
    photo: Path | None,
    sound: Path | None,
    video: Path | None,
) -> None:
    """`new NAME --photo --sound --video`: the routine made, copied in and
    checked, or nothing."""
    from calmflow.cli.options import tell_on_stderr
    from calmflow.services.own_routine import make_own_routine, remove
    from calmflow.services.videos import NotPrepared

    for option, path in (("--photo", photo), ("--sound", sound), ("--video", video)):
        if path is None:
            continue
        try:
            regular = stat.S_ISREG(path.stat().st_mode)
        except OSError as exc:
            raise Failure(f"{option} {path}: {exc.strerror or exc}") from None
        if not regular:
            raise Failure(f"{option} {path}: not a plain file; give the file itself")
    try:
        with _writing("made", taken="choose another name (or remove that file)"):
            target, made = make_own_routine(loaded, name, photo, sound, video, tell=tell_on_stderr)
    except NotPrepared as exc:
        raise Failure(f"--video {video}: {exc}; nothing was made") from None
    try:
        load_routine(str(target))  # as `calmflow check` reads it, media and all
    except RoutineProblems as exc:
        remove(made)
        exc.show()
        raise Failure(
            f"nothing was made: calmflow could not use {_what(photo, sound, video)} as given"
        ) from None
    say(
        f"created {target} with your baby's {_what(photo, sound, video)};"
        f" `calmflow play {name}` plays it"
    )


def _what(photo: Path | None, sound: Path | None, video: Path | None = None) -> str:
    named = [w for w, given in (("photo", photo), ("sounds", sound), ("video", video)) if given]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


COMMANDS = (check, render, routines_cmd, new)
