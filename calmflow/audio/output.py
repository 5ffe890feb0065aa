"""Outputs: where a session's sound goes, and the clock that drives it.

The Session advances by the frames an Output has consumed; an Output is the
only clock. Three kinds:
- `NullOutput`: no sound; consumes frames at the real rate by the monotonic
  clock (the player's fallback when there is no sound card).
- `WavOutput`: like null, then writes everything the session played to a WAV
  (in a child process: audio/wav_process.py).
- `DeviceOutput` (audio/device.py): a sound card, through PortAudio, in a
  child process; `Reopenable`, so the player can open it again after a loss.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from calmflow.core.timeline import Timeline
from calmflow.engine.problems import SoundProblem


class OutputUnavailable(Exception):
    """Sound cannot be played; the message says why in a person's words."""

    def __init__(self, why: str, *, device: bool = True) -> None:
        super().__init__(why)
        self.device = device
        """The sound card is the trouble, so a later try may find it back;
        False when it is the routine's sounds, which a try would only prepare
        again in vain."""


class Output(Protocol):
    name: str
    rate: int
    guard_frames: int
    """How far ahead of `frames()` a change must be placed for it to be heard exactly."""

    def start(self, timeline: Timeline) -> None: ...

    def frames(self) -> int:
        """Frames of the session consumed so far (pauses excluded)."""
        ...

    def update(self, timeline: Timeline) -> None:
        """The session changed course: play this timeline from now on."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_gain(self, gain: float) -> None:
        """Play everything at `gain` (0 mutes, 1 as mixed) from now on, ramped so
        that it does not click; the frames go on being consumed as before."""
        ...

    def problem(self) -> str | None:
        """Why sound stopped working, once it has; None while all is well."""
        ...

    def media_problems(self) -> list[SoundProblem]:
        """Sound files found bad since the last call, each once per output: the
        cues using them are silent and the rest plays on."""
        ...

    def underruns(self) -> int: ...

    def close(self, timeline: Timeline) -> None:
        """Stop; `timeline` is the session's final one (a record of what played)."""
        ...


@runtime_checkable
class Reopenable(Output, Protocol):
    """An output that can be opened again after it was lost (a sound card that
    went away may come back): `again()` is a new one, held silent once started
    until `go_at` says where the session is."""

    def again(self) -> Reopenable: ...

    def go_at(self, frame: int, *, paused: bool = False) -> None:
        """Play from `frame` (or hold there, paused): frames() goes on from it."""
        ...


class NullOutput:
    """Silence, consumed at the real rate: the monotonic clock stands in for a sound card."""

    guard_frames = 0

    def __init__(
        self,
        rate: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        start_frame: int = 0,
        name: str = "null",
    ) -> None:
        self.name = name
        self.rate = rate
        self._clock = clock
        self._base_frames = start_frame
        self._started_at: float | None = None
        self._paused_at: float | None = None

    def start(self, timeline: Timeline) -> None:
        self._started_at = self._clock()

    def frames(self) -> int:
        if self._started_at is None:
            return self._base_frames
        now = self._paused_at if self._paused_at is not None else self._clock()
        return self._base_frames + round((now - self._started_at) * self.rate)

    def update(self, timeline: Timeline) -> None:
        pass

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused_at is not None and self._started_at is not None:
            self._started_at += self._clock() - self._paused_at
            self._paused_at = None

    def set_gain(self, gain: float) -> None:
        pass  # nothing is heard

    def problem(self) -> str | None:
        return None

    def media_problems(self) -> list[SoundProblem]:
        return []

    def underruns(self) -> int:
        return 0

    def close(self, timeline: Timeline) -> None:
        pass


class WavOutput(NullOutput):
    """Plays in real time like `NullOutput`, then writes what was played to a WAV file.

    The file is the routine's sound as the session's timeline played it, the
    same as `calmflow render` gives; the listener's volume and mute are not in
    it, as a recording does not hold the position of the volume knob.
    """

    def __init__(
        self,
        path: Path,
        rate: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        log_path: Path | None = None,
    ):
        super().__init__(rate, clock=clock, name=f"wav:{path}")
        self.path = path
        self.log_path = log_path
        """Where the writing process's stderr goes (the decoders' notes); the
        audio log of the data folder if None."""
        self._media: list[SoundProblem] = []

    def close(self, timeline: Timeline) -> None:
        """Write the WAV, in a child process: decoders print on fd 2, where the
        player's screen is. A sound file that fails is left out from where it
        fails, as a session would have played it (`media_problems`). Raises
        RuntimeError, in a person's words, if the WAV could not be written."""
        from calmflow.audio.wav_process import render_apart

        self._media = render_apart(timeline, self.path, self.log_path or _audio_log())

    def media_problems(self) -> list[SoundProblem]:
        taken, self._media = self._media, []
        return taken


def _audio_log() -> Path | None:
    from calmflow.system import paths

    try:
        return paths.log_dir() / "audio.log"
    except OSError:  # a read-only data folder: the notes are not worth failing for
        return None
