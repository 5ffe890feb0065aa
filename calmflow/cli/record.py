"""`calmflow record NAME`: your baby's sounds from the microphone, ready for a routine.

It records (a level meter on the terminal meanwhile) until Enter, space or q,
`--seconds`, or ctrl-c (which keeps what was recorded); trims the silence at
both ends, sets the loudness of a baby's sound, saves `media/NAME.flac` in your
routines folder, and prints the line that plays it in a routine of yours.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

import click

from calmflow.cli.errors import Failure
from calmflow.cli.output import end_redraw, redraw, redraws_in_place, say
from calmflow.system.exits import EXIT_INPUT, EXIT_NO_SOUND, EXIT_STORE
from calmflow.text.numbers import clock_text

if TYPE_CHECKING:
    import numpy as np

    from calmflow.audio.devices import Input
    from calmflow.audio.microphone import Microphone
    from calmflow.services.recordings import Saved

MAX_S = 300.0
"""The longest recording: a baby's sound plays for 30 s at a time; five minutes
is plenty to choose from, and a forgotten recording stops by itself."""
STOP_KEYS = frozenset(b"\r\n q")
METER_EVERY_S = 0.1
"""How often the meter is drawn over itself on a terminal..."""
LINE_EVERY_S = 1.0
"""...and how often it prints a line into a file or a pipe."""
METER_CELLS = 24
METER_FLOOR_DB = -60.0


@click.command()
@click.argument("name")
@click.option(
    "--device",
    default=None,
    help="Input to record from, by number or name (`calmflow devices` lists them).",
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=0.5, max=MAX_S),
    default=None,
    help="Stop after this many seconds (else Enter, space or q stops; at most 5 minutes).",
)
@click.option("--replace", is_flag=True, help="Replace the recording NAME made before.")
def record(name: str, device: str | None, seconds: float | None, replace: bool) -> None:
    """Record your baby's sounds as NAME, trimmed and at a baby sound's loudness."""
    from calmflow.audio.microphone import InputUnavailable, Microphone
    from calmflow.engine.recording import NothingHeard
    from calmflow.services import recordings
    from calmflow.system import paths
    from calmflow.system.private_files import NotAFile, refuse_unless_file

    problem = recordings.recording_name_problem(name)
    if problem:
        raise Failure(f"'{name[:40]}': {problem}")
    target = recordings.recording_path(name)
    paths.writable(target.parent)  # a data folder that cannot be written: said now, not after
    try:
        refuse_unless_file(target)
    except NotAFile as exc:
        what = (exc.strerror or "").split(";")[0]  # "it is a folder, not a file"
        raise Failure(f"{target}: {what}; move it away, or choose another name") from None
    if not replace and (target.exists() or target.is_symlink()):
        raise Failure(
            f"{target} exists already; `calmflow record {name} --replace` records it"
            " again, or choose another name"
        )
    chosen = _input(device)
    mic = Microphone(chosen, log_path=paths.log_dir() / "record.log")
    try:
        try:
            mic.start()
        except InputUnavailable as exc:
            where = f"from {chosen.name}" if chosen is not None else "from the microphone"
            raise Failure(
                f"cannot record {where}: {exc}", EXIT_NO_SOUND if exc.portaudio else EXIT_INPUT
            ) from None
        samples = _record(mic, chosen.name if chosen else mic.device_name or "?", seconds)
    finally:
        mic.close()  # also when ctrl-c or a shutdown ends the command before it records
    try:
        saved = recordings.save(samples, mic.rate, name, replace=replace)
    except NothingHeard:
        raise Failure(
            f"nothing was heard in {samples.size / mic.rate:.1f} s of recording: is the"
            " microphone on, unmuted and the one chosen (`calmflow devices` lists the"
            " inputs)? Nothing was saved"
        ) from None
    except FileExistsError:
        raise Failure(
            f"{target} was made while recording; `calmflow record {name} --replace`"
            " replaces it. Nothing was saved"
        ) from None
    except paths.DataFolderError:
        raise
    except (OSError, RuntimeError) as exc:  # a full disk; soundfile's own errors
        why = getattr(exc, "strerror", None) or str(exc)
        raise Failure(f"could not save {target} ({why}); nothing was saved", EXIT_STORE) from None
    _tell(saved, name)


def _input(device: str | None) -> Input | None:
    """The input `--device` names (None: the default one); Failure if there is none."""
    from calmflow.audio.devices import NoSuchInput, find_input, list_inputs

    try:
        inputs = list_inputs()
    except OSError as exc:
        raise Failure(f"{exc}; calmflow cannot record without it", EXIT_NO_SOUND) from None
    if not inputs:
        raise Failure(
            "no microphone or other sound input was found; connect one, then"
            " `calmflow devices` lists it"
        )
    if device is None:
        return None
    try:
        return find_input(device, inputs)
    except NoSuchInput as exc:
        raise Failure(f"--device {device}: {exc}; `calmflow devices` lists the inputs") from None


def _record(mic: Microphone, device: str, seconds: float | None) -> np.ndarray:
    """Record until a key, `seconds` of sound (counted in samples), ctrl-c or MAX_S."""
    import numpy as np

    rate = mic.rate
    limit = round((seconds if seconds is not None else MAX_S) * rate)
    how = f"for {seconds:g} s" if seconds is not None else "until Enter, space or q"
    say(f"Recording from {device} {how}.")
    chunks: list[np.ndarray] = []
    frames = 0
    loudest = 0.0
    every = METER_EVERY_S if redraws_in_place() else LINE_EVERY_S
    drawn_at = 0
    stopped = ""
    with _ctrl_c() as interrupted, _keys() as pressed:
        try:
            while frames < limit:
                if pressed(0.05):
                    stopped = "key"
                    break
                if interrupted():
                    stopped = "ctrl-c"
                    break
                got = mic.take(0.0)
                if got.size:
                    chunks.append(got)
                    frames += got.size
                    loudest = max(loudest, float(np.abs(got).max()))
                why = mic.problem()
                if why is not None:
                    raise Failure(
                        f"the input stopped after {frames / rate:.1f} s of recording: {why}."
                        " Nothing was saved"
                    )
                if frames - drawn_at >= every * rate:
                    redraw(meter_line(loudest, frames / rate))
                    drawn_at, loudest = frames, 0.0
            chunks.append(mic.stop())
        finally:
            end_redraw()  # what comes next (an error too) on a line of its own
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    samples = samples[:limit]
    if stopped == "ctrl-c":
        say(f"Stopped with ctrl-c: keeping the {samples.size / rate:.1f} s recorded.")
    elif not stopped and seconds is None:
        say(f"Stopped at {clock_text(MAX_S)}, the longest a recording can be.")
    if mic.lost_frames:
        say(
            f"The computer was busy: {mic.lost_frames / rate:.1f} s of sound was lost while recording."
        )
    return samples


def meter_line(peak: float, elapsed_s: float) -> str:
    """The level meter: a bar from METER_FLOOR_DB to 0 dBFS, the peak in dBFS, the time."""
    import math

    db = 20 * math.log10(peak) if peak > 0 else -math.inf
    filled = 0 if db <= METER_FLOOR_DB else round(METER_CELLS * (1 - db / METER_FLOOR_DB))
    filled = min(METER_CELLS, filled)
    bar = "█" * filled + "·" * (METER_CELLS - filled)
    level = f"{db:5.0f} dBFS" if math.isfinite(db) else " -inf dBFS"
    return f"● {bar} {level}  {elapsed_s // 60:.0f}:{elapsed_s % 60:04.1f}"


@contextlib.contextmanager
def _ctrl_c() -> Iterator[Callable[[], bool]]:
    """While recording, ctrl-c stops it (and what was recorded is kept), rather
    than ending the command wherever it lands."""
    pressed = False

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal pressed
        pressed = True

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield lambda: pressed
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _keys() -> Iterator[Callable[[float], bool]]:
    """A wait for a stop key on stdin (Enter, space, q) with a timeout. On a
    terminal the keys are read one by one, unechoed; from a pipe as they come;
    once stdin ends, only the time passes."""
    try:
        fd = sys.stdin.fileno()
        tty = os.isatty(fd)
    except (AttributeError, ValueError, OSError):
        fd, tty = -1, False
    saved = None
    if tty:
        import termios
        import tty as tty_mode

        try:
            saved = termios.tcgetattr(fd)
            tty_mode.setcbreak(fd)
        except termios.error:
            saved = None
    open_ = [fd >= 0]

    def wait(timeout_s: float) -> bool:
        if not open_[0]:
            time.sleep(timeout_s)
            return False
        try:
            ready, _, _ = select.select([fd], [], [], timeout_s)
            if not ready:
                return False
            got = os.read(fd, 64)
        except (OSError, ValueError):
            got = b""
        if not got:
            open_[0] = False  # stdin ended: --seconds or ctrl-c stop it
            return False
        return any(byte in STOP_KEYS for byte in got)

    try:
        yield wait
    finally:
        if saved is not None:
            import termios

            with contextlib.suppress(termios.error):
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _tell(saved: Saved, name: str) -> None:
    prepared = saved.prepared
    length = prepared.samples.size / prepared.rate
    level = (
        f"at {prepared.level.lufs:.1f} LUFS, a baby sound's level"
        if prepared.matched
        else f"as recorded: too quiet to bring to a baby sound's level ({prepared.needed_db:+.0f} dB"
        " would be mostly noise); record closer to the sound for a clearer one"
    )
    say(f"Saved {saved.path}")
    say(f"{length:.1f} s ({prepared.trimmed_s:.1f} s of silence trimmed), {level}.")
    say("Add this line under `cues:` in a routine of yours (`calmflow new mine` makes one):")
    say(f"  {saved.cue}")
    say(f"then put {name} in the `cues:` of the phases it should play in.")


COMMANDS = (record,)
