"""The session's sound, watched: what the player does when it goes wrong.

If the sound output stops, the session goes on silently on the monotonic clock
from the frame it reached; if it was lost (not missing from the start), it is
opened again every few seconds in the background (audio/reopen.py) and plays
on from the session's frame when it can. A sound file that cannot be played,
or fails while playing, silences only the cues using it. Each of these is told
to the person once and logged as a session event (`audio_lost`, `audio_back`;
`media_failed` with the file), through the player's `tell` and `log`.
Everything here runs on the player's thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from calmflow.audio.output import NullOutput, Output, OutputUnavailable, Reopenable
from calmflow.audio.reopen import Reopener
from calmflow.core.timeline import Timeline

Tell = Callable[[str, str], None]
"""Say something to the person once: (text, 'info' or 'warning')."""
Log = Callable[[str, str, float], None]
"""Log a session event: (kind, detail, seconds into the session)."""


class SoundWatch:
    """The output a session plays through, replaced by silence when it fails
    and by a new one when the sound comes back."""

    def __init__(
        self,
        output: Output,
        rate: int,
        *,
        tell: Tell,
        log: Log,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output = output
        self.no_sound: str | None = None
        """Why there is no sound now (the session goes on silently); None once it is back."""
        self.sound_lost: str | None = None
        """Why the sound last stopped in this session, kept after it came back."""
        self._rate = rate
        self._tell = tell
        self._log = log
        self._clock = clock
        self._reopener: Reopener | None = None
        self._underruns_before = 0
        """Underruns counted by outputs that have since failed."""
        self._bad_files: set[str] = set()
        """Sound files told as bad: each once a session, whichever output finds it."""

    @property
    def underruns(self) -> int:
        return self._underruns_before + self.output.underruns()

    @property
    def retrying(self) -> bool:
        """A try to open the lost sound again is under way."""
        return self._reopener is not None and self._reopener.busy

    def open(self, timeline: Timeline) -> None:
        """Start the output, or fall back to silence: told once, and not tried
        again (there was never a sound card to wait for)."""
        try:
            self.output.start(timeline)
        except OutputUnavailable as exc:
            self._fall_back(str(exc), 0, timeline, paused=False, retry=False)

    def frames(self, timeline: Timeline, *, paused: bool, gain: float) -> int:
        """Frames of the session the sound has consumed. On the way, an output
        that failed gives way to silence, and one opened again takes over."""
        frames = self.output.frames()
        self._bad_media(frames)  # before a lost output is let go
        problem = self.output.problem()
        if problem is not None:
            self._fall_back(problem, frames, timeline, paused=paused)
        elif self._reopener is not None:
            opened = self._reopener.poll(timeline)
            if opened is not None:
                self._sound_back(opened, frames, timeline, paused=paused, gain=gain)
                self._bad_media(frames)  # found while it was opened
        return frames

    def close(self, timeline: Timeline, frame: int) -> None:
        """The session is over, at `frame`: no more tries to open the sound; the
        output closes (a WAV output renders now, and finds bad files now)."""
        if self._reopener is not None:
            self._reopener.stop(timeline)
            self._reopener = None
        try:
            self.output.close(timeline)
        except Exception as exc:  # e.g. the WAV file could not be written
            self._tell(f"Could not close the sound output: {exc}", "warning")
        self._bad_media(frame)

    def _bad_media(self, frame: int) -> None:
        """Tell and log each sound file the output found bad, once."""
        for problem in self.output.media_problems():
            if problem.file in self._bad_files:
                continue
            self._bad_files.add(problem.file)
            at = frame if problem.at_frame is None else problem.at_frame
            self._log("media_failed", problem.file, at / self._rate)
            self._tell(problem.notice, "warning")

    def _fall_back(
        self, why: str, frames: int, timeline: Timeline, *, paused: bool, retry: bool = True
    ) -> None:
        lost = self.output
        if not isinstance(lost, NullOutput):
            with contextlib.suppress(Exception):
                self._underruns_before += lost.underruns()
                lost.close(timeline)
        self.no_sound = self.sound_lost = why
        self.output = NullOutput(self._rate, clock=self._clock, start_frame=frames, name="null")
        self.output.start(timeline)
        if paused:
            self.output.pause()
        self._log("audio_lost", why, frames / self._rate)
        if retry and isinstance(lost, Reopenable):
            self._reopener = Reopener(lost, clock=self._clock)
        self._tell(
            f"No sound: {why}. The routine goes on silently; let-downs are logged as usual.",
            "warning",
        )

    def _sound_back(
        self, output: Reopenable, frames: int, timeline: Timeline, *, paused: bool, gain: float
    ) -> None:
        """The lost sound opened again: it plays on from `frames`, where the
        silent clock is, with the session's course, volume and pause."""
        self._reopener = None
        output.set_gain(gain)
        output.update(timeline)
        output.go_at(frames, paused=paused)
        self.output = output
        self.no_sound = None
        device = getattr(output, "device_name", None) or output.name
        self._log("audio_back", device, frames / self._rate)
        self._tell("Sound is back.", "info")
