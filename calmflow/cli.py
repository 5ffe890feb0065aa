"""The `calmflow` command. Bare `calmflow` opens the TUI home.

Exit codes: 0 all well; 1 bad input (a routine, a media file, an argument's
value); 2 usage (click); 3 the database cannot be used; 70 an unexpected error
(its details go to the log folder, never a traceback on the screen); 130 ctrl-c;
128 + N ended by signal N (SIGHUP, SIGTERM: the session is ended in the log).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from calmflow import paths
from calmflow.crash import record_crash
from calmflow.format import clock_text, skips_text
from calmflow.store.db import StoreError

EXIT_INPUT = 1
EXIT_STORE = 3
EXIT_INTERNAL = 70


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    click.echo(f"calmflow: {message}", err=True)
    sys.exit(code)


def _open_store(*, read_only: bool = False) -> Any:
    """The log; `read_only` for commands that only read it (they work in a read-only folder)."""
    from calmflow.store.store import Store

    try:
        return Store(paths.database_path(), read_only=read_only)
    except StoreError as exc:
        fail(str(exc), EXIT_STORE)


def _load(routine: str) -> Any:
    from calmflow import catalog
    from calmflow.core.yamlsource import SourceError

    try:
        return catalog.load(routine)
    except SourceError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_INPUT)


class _Group(click.Group):
    """Turns anything unexpected into one line, with the details in a log file."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except StoreError as exc:
            fail(str(exc), EXIT_STORE)
        except KeyboardInterrupt:
            fail("stopped", 130)
        except BrokenPipeError:
            # `calmflow log | head`: the reader has all it wanted. Python would
            # complain while flushing stdout on the way out; point it elsewhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception:
            log = record_crash()
            fail(
                f"unexpected error; details are in {log}. Your logged sessions are safe.",
                EXIT_INTERNAL,
            )


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(package_name="calmflow")
@click.pass_context
def main(ctx: click.Context) -> None:
    """calmflow: guided relaxation for the let-down while pumping.

    Run with no command to open the home screen.
    """
    if ctx.invoked_subcommand is None:
        _require_terminal()
        from calmflow.ui.app import make_app

        app = make_app(store=_open_store())
        app.run()
        if app.unsaved_message:
            fail(app.unsaved_message, EXIT_STORE)
        sys.exit(app.return_code or 0)


def _require_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("the player needs a terminal; run it in a terminal window")


@main.command()
@click.argument("routine")
@click.option(
    "--output",
    "output_spec",
    default="device",
    show_default=True,
    help="device (the sound card), null (no sound), or wav:PATH (record to a file).",
)
@click.option(
    "--device", default=None, help="Output device, by number or name (see `calmflow devices`)."
)
@click.option("--silent", is_flag=True, help="No sound at all: the same as --output null.")
@click.option(
    "--reduced-motion",
    is_flag=True,
    envvar="CALMFLOW_REDUCED_MOTION",
    help="A plain count instead of the growing and shrinking shape.",
)
@click.option(
    "--light",
    is_flag=True,
    envvar="CALMFLOW_LIGHT",
    help="Dark text on a light background (for daylight; dark is the default).",
)
def play(
    routine: str,
    output_spec: str,
    device: str | None,
    silent: bool,
    reduced_motion: bool,
    light: bool,
) -> None:
    """Play ROUTINE (a name, or a path to a YAML file) in the terminal.

    NO_COLOR=1 in the environment turns colours off.
    """
    loaded = _load(routine)
    output_factory = _output_factory("null" if silent else output_spec, device)
    _require_terminal()
    store = _open_store()
    from calmflow.ui.app import make_app

    app = make_app(store=store, loaded=loaded, output_factory=output_factory)
    app.reduced_motion = reduced_motion  # type: ignore[attr-defined]
    if light:
        app.theme = "textual-light"
    app.run()
    if app.return_code:
        sys.exit(app.return_code)
    _print_session_summary(store, app.session_id)
    if app.unsaved_message:
        fail(app.unsaved_message, EXIT_STORE)


def _output_factory(spec: str, device: str | None) -> Callable[[Any], Any]:
    """What makes the sound output for a session's plan, from --output and --device."""
    from calmflow.audio.output import NullOutput, WavOutput

    if spec == "null":
        return lambda plan: NullOutput(plan.rate)
    if spec.startswith("wav:"):
        target = Path(spec[4:]).expanduser()
        if target.suffix.lower() != ".wav" or not target.parent.is_dir() or target.is_dir():
            fail(f"--output {spec}: give a .wav file in an existing folder, e.g. wav:session.wav")
        return lambda plan: WavOutput(target, plan.rate)
    if spec != "device":
        fail(f"--output {spec!r}: expected device, null or wav:PATH")

    def make_device(plan: Any) -> Any:
        from calmflow.audio.device import DeviceOutput

        chosen: str | int | None = int(device) if device and device.isdigit() else device
        return DeviceOutput(plan, device=chosen, log_path=paths.log_dir() / "audio.log")

    return make_device


def _print_session_summary(store: Any, session_id: int | None) -> None:
    if session_id is None:
        return
    record = store.session(session_id)
    count = len(record.letdowns)
    first = record.first_letdown_s
    words = f"{count} let-down{'s' if count != 1 else ''}"
    if first is not None:
        words += f", the first at {clock_text(first)}"
    click.echo(f"Session saved ({clock_text(record.played_s)} played, {words}).")
    click.echo("`calmflow review` shows how your routines compare over time.")
    from calmflow.care_commands import care_summary_line

    care = care_summary_line(store)
    if care:
        click.echo(care)


@main.command()
@click.argument("routines", nargs=-1, required=True)
def check(routines: tuple[str, ...]) -> None:
    """Validate routines: exit 0 if all are valid, else list every problem as file:line:col."""
    from calmflow import catalog
    from calmflow.core.yamlsource import SourceError

    bad = 0
    for name in routines:
        try:
            loaded = catalog.load(name)
        except SourceError as exc:
            bad += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        r = loaded.routine
        click.echo(
            f"{loaded.path}: ok ({r.name}, {len(r.flat_phases)} phases, {clock_text(r.duration_s)})"
        )
    if bad:
        sys.exit(EXIT_INPUT)


@main.command()
@click.argument("routine")
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--letdown-at",
    "letdowns",
    multiple=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Mark a let-down this many seconds in (repeat for several), to hear the rules act.",
)
@click.option("--rate", default=48_000, show_default=True, type=click.IntRange(8000, 192_000))
@click.option("--float", "as_float", is_flag=True, help="32-bit float samples instead of 16-bit.")
@click.option(
    "--arm", default=None, help="The cue for the routine's experiment slot (default: its first)."
)
def render(
    routine: str, out: Path, letdowns: tuple[float, ...], rate: int, as_float: bool, arm: str | None
) -> None:
    """Write ROUTINE's sound to a WAV file, as long as the routine."""
    loaded = _load(routine)
    experiment = loaded.routine.experiment
    if arm is not None and (experiment is None or arm not in experiment.arms):
        arms = ", ".join(experiment.arms) if experiment else "none: the routine has no experiment"
        fail(f"--arm {arm}: not one of the routine's experiment arms ({arms})")
    if not out.parent.is_dir():
        fail(f"{out.parent} does not exist; create the folder or choose another path")
    if out.suffix.lower() != ".wav":
        fail(f"{out}: the file name must end in .wav")
    from calmflow.core.plan import compile_plan
    from calmflow.core.session import Session
    from calmflow.engine.media import MediaError
    from calmflow.engine.render import render_wav

    plan = compile_plan(loaded.routine, rate, arm=arm)
    session = Session(plan)
    session.start()
    for seconds in sorted(letdowns):
        session.advance_to(round(seconds * rate))
        session.letdown()
    session.advance_to(session.end_frame)
    try:
        frames = render_wav(session.timeline, out, subtype="FLOAT" if as_float else "PCM_16")
    except MediaError as exc:
        fail(str(exc))
    except (OSError, RuntimeError) as exc:  # soundfile's errors, a full disk
        fail(f"could not write {out}: {getattr(exc, 'strerror', None) or exc}")
    click.echo(f"wrote {out} ({clock_text(frames / rate)} at {rate} Hz)")


@main.command("routines")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def routines_cmd(as_json: bool) -> None:
    """List bundled and user routines."""
    from calmflow import catalog
    from calmflow.core.routine import load_routine
    from calmflow.core.yamlsource import SourceError

    rows: list[dict[str, Any]] = []
    for entry in catalog.entries():
        try:
            routine = load_routine(entry.path).routine
            rows.append(
                {
                    "name": entry.name,
                    "source": entry.source,
                    "path": str(entry.path),
                    "duration_s": routine.duration_s,
                    "description": routine.description,
                    "valid": True,
                }
            )
        except SourceError as exc:
            rows.append(
                {
                    "name": entry.name,
                    "source": entry.source,
                    "path": str(entry.path),
                    "duration_s": None,
                    "description": f"invalid: {exc.problems[0]}",
                    "valid": False,
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        length = clock_text(row["duration_s"]) if row["valid"] else "  —"
        click.echo(f"{row['name']:<20} {length:>6}  {row['source']:<8} {row['description']}")


@main.command()
@click.argument("name")
@click.option("--from", "source", default="standard", show_default=True, help="Routine to copy.")
def new(name: str, source: str) -> None:
    """Copy a routine into your folder as NAME, to edit."""
    if not name.replace("-", "").replace("_", "").isalnum():
        fail(f"'{name}': use letters, digits, - and _ only")
    loaded = _load(source)
    folder = paths.user_routines_dir()
    paths.make_private_dir(folder)  # a routine can hold the baby's name, photo and voice
    target = folder / f"{name}.yaml"
    if target.exists():
        fail(f"{target} exists already; choose another name or edit that file")
    text = loaded.path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("name:"):
            lines[i] = f"name: {json.dumps(name)}\n"  # quoted: '2024' stays a name
            break
    _write_private(target, "".join(lines))
    if loaded.path.parent != folder:
        _copy_relative_media(loaded, folder)
    click.echo(f"created {target}; edit it, then `calmflow check {name}`")


def _copy_relative_media(loaded: Any, folder: Path) -> None:
    # A routine's own relative media paths must still work from the new folder.
    for cue in loaded.routine.cues.values():
        if cue.file is None:
            continue
        source = Path(cue.file)
        try:
            relative = source.relative_to(loaded.path.parent)
        except ValueError:
            continue
        dest = folder / relative
        if not dest.exists():
            paths.make_private_dir(dest.parent)
            fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as out, source.open("rb") as data:
                shutil.copyfileobj(data, out)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def log(ctx: click.Context, as_json: bool) -> None:
    """List past sessions; `calmflow log add` logs one pumped without calmflow."""
    if ctx.invoked_subcommand is not None:
        return
    store = _open_store(read_only=True)
    records = store.sessions()
    if as_json:
        click.echo(json.dumps([_record_dict(r) for r in records], indent=2))
        return
    if not records:
        click.echo("No sessions yet. `calmflow play standard` starts one.")
        return
    for r in records:
        local = r.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        first = clock_text(r.first_letdown_s)
        volume = f"{r.volume_total_ml:g} ml" if r.volume_total_ml is not None else ""
        line = (
            f"{r.id:>4}  {local}  {r.routine:<14} {clock_text(r.played_s):>6}  "
            f"{r.letdown_count} let-down(s), first {first:>5}  {r.status:<14} {volume}"
        )
        click.echo("  ".join([line.rstrip(), *_sound_notes(r)]))


def _sound_notes(r: Any) -> list[str]:
    """What went wrong with the sound in a session, as the player said it."""
    notes = []
    if r.audio_problem:
        notes.append("no sound for part or all of it")
    if r.underruns:
        notes.append(skips_text(r.underruns))
    return notes


def _record_dict(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "routine": r.routine,
        "started_at": r.started_at.isoformat(),
        "ended_at": r.ended_at.isoformat() if r.ended_at else None,
        "status": r.status,
        "planned_s": r.planned_s,
        "played_s": r.played_s,
        "output": r.output,
        "underruns": r.underruns,
        "audio_problem": r.audio_problem,
        "volume_left_ml": r.volume_left_ml,
        "volume_right_ml": r.volume_right_ml,
        "volume_total_ml": r.volume_total_ml,
        "volume_unit": r.volume_unit,
        "notes": r.notes,
        "experiment": r.experiment,
        "experiment_arm": r.experiment_arm,
        "comfort": r.comfort,
        "relaxation": r.relaxation,
        "dmer": r.dmer,
        "counted_letdowns": r.counted_letdowns,
        "letdowns": [
            {
                "number": ld.number,
                "t_s": ld.t_s,
                "phase": ld.phase,
                "phase_kind": ld.phase_kind,
                "cues": list(ld.cues),
                "marked_at": ld.marked_at.isoformat(),
            }
            for ld in r.letdowns
        ],
    }


@log.command("add")
@click.option(
    "--at",
    "at_text",
    metavar="WHEN",
    help="When it started: 2026-11-23 14:05 (local time), or 14:05 for the last one. "
    "Default: it has just ended.",
)
@click.option(
    "--minutes", type=click.FloatRange(min=0, min_open=True, max=600), help="How long it lasted."
)
@click.option("--left", type=click.FloatRange(min=0), help="Volume from the left side.")
@click.option("--right", type=click.FloatRange(min=0), help="Volume from the right side.")
@click.option("--total", type=click.FloatRange(min=0), help="Total volume (default: left + right).")
@click.option(
    "--unit",
    type=click.Choice(["ml", "oz"]),
    default=None,
    help="The unit of the volumes (default: the one you used last, else ml).",
)
@click.option(
    "--letdowns",
    type=click.IntRange(min=0, max=99),
    help="How many let-downs you felt (a count only: there are no times for them).",
)
@click.option("--notes", default="", help="Anything to remember about it.")
def log_add(
    at_text: str | None,
    minutes: float | None,
    left: float | None,
    right: float | None,
    total: float | None,
    unit: str | None,
    letdowns: int | None,
    notes: str,
) -> None:
    """Log a session pumped without calmflow (routine "manual" in the log)."""
    from calmflow.exchange import manual_session, parse_when

    store = _open_store()
    now = store.now()
    unit = unit or store.last_volume_unit() or "ml"
    try:
        at = parse_when(at_text, now=now) if at_text is not None else None
    except ValueError as exc:
        fail(f"--at {exc}")
    try:
        session = manual_session(
            now=now,
            at=at,
            minutes=minutes,
            left=left,
            right=right,
            total=total,
            unit=unit,
            letdowns=letdowns,
            notes=notes,
        )
    except ValueError as exc:
        fail(str(exc))
    store.add_sessions([session])
    started = datetime.fromisoformat(session["started_at"].replace("Z", "+00:00"))
    said = [started.astimezone().strftime("%Y-%m-%d %H:%M")]
    if minutes:
        said.append(f"{minutes:g} min")
    if session["volume_total_ml"] is not None:
        said.append(f"{total if total is not None else _typed_total(left, right):g} {unit}")
    if letdowns is not None:
        said.append(f"{letdowns} let-down{'s' if letdowns != 1 else ''}")
    click.echo(f"Logged a session pumped without calmflow: {', '.join(said)}.")


def _typed_total(left: float | None, right: float | None) -> float:
    return (left or 0.0) + (right or 0.0)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json keeps everything; csv has a row per session and fits Baby Buddy's pumping import.",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE, readable by you only (0600), instead of printing.",
)
@click.option(
    "--child-id",
    type=click.IntRange(min=1),
    help="CSV: the child's id in Baby Buddy, for its child_id column (its import needs it).",
)
def export(fmt: str, out: Path | None, child_id: int | None) -> None:
    """Write every session, its let-downs and events out, to keep or to move.

    CSV columns: start, end (local time), amount (the total in the unit you logged
    it in: see the unit column), notes and child_id as Baby Buddy's pumping import
    reads them; then routine, status, let-downs, first_letdown_s, volumes in ml,
    unit, how it felt, the experiment, output and uuid. CSV leaves out each
    let-down's time, phase and cues and the session's events; JSON keeps them.
    """
    from calmflow.exchange import to_csv, to_json

    if child_id is not None and fmt != "csv":
        fail("--child-id is for --format csv")
    sessions = _open_store(read_only=True).dump_sessions()
    text = to_json(sessions) if fmt == "json" else to_csv(sessions, child_id=child_id)
    if out is None:
        click.echo(text, nl=False)
        return
    if not out.parent.is_dir():
        fail(f"{out.parent} does not exist; create the folder or choose another path")
    try:
        _write_private(out, text)
    except OSError as exc:
        fail(f"could not write {out}: {exc.strerror or exc}")
    count = len(sessions)
    click.echo(
        f"exported {count} session{'s' if count != 1 else ''} to {out} (readable by you only)"
    )


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` as a new file only its owner can read (0600), whole or
    not at all: it is a health record."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Add the sessions in FILE, a `calmflow export` (JSON, or CSV).

    Sessions are matched by their uuid: those already in your log are left as they
    are, so importing a file twice adds nothing twice. A file with anything wrong
    in it is refused whole, naming the place (JSON path, or CSV line and column).
    A CSV cannot carry each let-down's time, phase and cues, nor the session's
    events: a session imported from one keeps only how many let-downs it had.
    """
    from calmflow.exchange import ImportProblem, read_export

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")
    try:
        sessions = read_export(data.decode("utf-8"), name=file.name)
    except UnicodeDecodeError:
        fail(f"{file}: not a calmflow export (not UTF-8 text); nothing was imported")
    except ImportProblem as exc:
        fail(f"{file}: {exc}; nothing was imported")
    added, already = _open_store().add_sessions(sessions)
    click.echo(f"added {added}, already there {already}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option(
    "--since", type=click.IntRange(min=1), metavar="DAYS", help="Only the last DAYS days."
)
@click.option("--routine", metavar="NAME", help="Only the sessions of this routine.")
@click.option("--cue", metavar="NAME", help="Only this cue's figures and comparison.")
def review(as_json: bool, since: int | None, routine: str | None, cue: str | None) -> None:
    """Which routines and cues came with sooner and more let-downs, for you."""
    from calmflow.core.review import review_rows
    from calmflow.review_text import review_lines

    store = _open_store(read_only=True)
    cutoff = store.now() - timedelta(days=since) if since else None
    result = review_rows(store.review_rows(since=cutoff), routine=routine, cue=cue)
    if as_json:
        filters = {"since_days": since, "routine": routine, "cue": cue}
        click.echo(json.dumps({"filters": filters, **result.as_dict()}, indent=2))
        return
    if not result.sessions:
        click.echo("No finished sessions yet. `calmflow play standard` starts one.")
        return
    for line in review_lines(result):
        click.echo(line)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def devices(as_json: bool) -> None:
    """List sound outputs."""
    from calmflow.audio.devices import list_outputs

    try:
        outputs = list_outputs()
    except OSError as exc:
        fail(f"{exc}. `calmflow play --silent` plays without sound.", 4)
    if as_json:
        click.echo(json.dumps(outputs, indent=2))
        return
    if not outputs:
        click.echo("No sound outputs found. `calmflow play --silent` plays without sound.")
        return
    for d in outputs:
        mark = "*" if d["default"] else " "
        click.echo(f"{mark} {d['index']:>3}  {d['name']}  ({d['channels']} ch, {d['rate']:g} Hz)")


def _register_schedule_commands() -> None:
    from calmflow.schedule_commands import next_cmd, schedule_cmd

    main.add_command(schedule_cmd)
    main.add_command(next_cmd)


_register_schedule_commands()


def _register_care_commands() -> None:
    from calmflow.care_commands import fit_cmd, parts_cmd

    main.add_command(fit_cmd)
    main.add_command(parts_cmd)


_register_care_commands()
