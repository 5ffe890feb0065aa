"""A sound card as an Output: the player's side of the audio process.

The engine runs in a child process (`python -m calmflow.audio.worker`) whose
stdout and stderr go to a log file, so PortAudio's and ALSA's messages never
reach the terminal, and the UI's Python work never competes with the audio
callback for the GIL. Commands and replies go over a socket pair; the frames
played are read from a shared mapped file without any round trip. Sound files
that the audio process finds bad come back as messages, each once
(`media_problems`); an output opened again leaves them out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from calmflow.audio.output import OutputUnavailable
from calmflow.audio.shared import (
    COUNTERS_BYTES,
    FAULTS,
    FRAMES,
    LATE_READS,
    UNDERRUNS,
    Answer,
    counters_view,
    first_answer,
)
from calmflow.core.plan import Plan
from calmflow.core.timeline import Timeline
from calmflow.engine.problems import SoundProblem

LATENCY_S = 0.05
"""The device's buffer asked of PortAudio. With BLOCK_FRAMES and the guard, a key
is heard in 86 ms (median; 97 at most) through the PulseAudio null sink with a
core busy, and 10 minutes so lost nothing (benchmarks/letdown_latency.py,
benchmarks/underruns_under_load.py; docs/sound.md). 0.03 s with 512-frame
blocks lost audio under load; 0.15 s with 2048 frames took 388 ms."""
BLOCK_FRAMES = 256
"""5.3 ms at 48 kHz: the guard is two blocks, so small blocks bring the change of
course near; the audio process then takes about 3 % of a core (it was 2 % at
2048 frames), in its own process, away from the UI's GIL."""
GUARD_MARGIN_S = 0.02
"""Beyond two blocks, what a change of course needs to reach the callback: the
command crossing to the audio process and its main thread handing it over
(measured: every change landed on its frame with a core busy, live sample for
sample the offline render; 0.01 s did too, with less to spare)."""


def guard_frames(block_frames: int, rate: int) -> int:
    """How far past the frames already rendered a change is placed, so that the
    callback has it before it renders that frame: the block being rendered and
    the next, and GUARD_MARGIN_S more."""
    return 2 * block_frames + int(GUARD_MARGIN_S * rate)


def heard_after_frames(rate: int) -> int:
    """How long after a key press its change of course is heard, in frames at
    `rate`: the guard, then the device's buffer. `calmflow render --letdown-at X`
    places a let-down's change there, as a press at X sounds live."""
    return guard_frames(BLOCK_FRAMES, rate) + round(LATENCY_S * rate)


START_TIMEOUT_S = 20.0
STALL_S = 4.0
"""No frames consumed for this long while playing means the sound is gone."""
EXIT_WAIT_S = 0.5
"""How long an audio process that went away is given to report how it ended."""


class DeviceOutput:
    """Plays through PortAudio in a child process; frames counted by its callback.

    A held output (`again()`, to open the sound again after it was lost) opens
    its stream and plays silence, counting nothing, until `go_at(frame)` lets
    it play the session from there.
    """

    def __init__(
        self,
        plan: Plan,
        *,
        device: str | int | None = None,
        log_path: Path,
        held: bool = False,
        leave_out: Collection[str] = (),
        block_frames: int = BLOCK_FRAMES,
        latency_s: float = LATENCY_S,
    ) -> None:
        """`block_frames` and `latency_s`: the stream's settings (measured for
        the defaults; benchmarks try others)."""
        self.name = "device"
        self.rate = plan.rate
        self.plan = plan
        self.device = device
        self.log_path = log_path
        self.block_frames = block_frames
        self.latency_s = latency_s
        self.guard_frames = guard_frames(block_frames, plan.rate)
        """How far past the frames rendered a change is placed (see `guard_frames`)."""
        self.device_name: str | None = None
        self._counters_file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the output)
        self._counters_file.truncate(COUNTERS_BYTES)
        self._counters: Any = counters_view(self._counters_file.fileno())
        self._conn: Connection | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._problem: str | None = None
        self._held = held
        self._paused = held  # no frames are expected while held
        self._leave_out = frozenset(leave_out)
        """Sound files found bad earlier in the session: the audio process does not open them."""
        self._bad_files: set[str] = set()
        self._media: list[SoundProblem] = []
        """Bad sound files reported and not yet taken by `media_problems`."""
        self._last_frames = 0
        self._last_change = 0.0

    def start(self, timeline: Timeline) -> None:
        ours, theirs = socket.socketpair()
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with open(log_fd, "ab") as log:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "calmflow.audio.worker",
                    str(theirs.fileno()),
                    str(self._counters_file.fileno()),
                ],
                pass_fds=(theirs.fileno(), self._counters_file.fileno()),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # a ctrl-c in the terminal is the player's to handle
            )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(
            (
                self.plan,
                self.device,
                self.latency_s,
                self.block_frames,
                self._held,
                self._leave_out,
            )
        )
        answer = first_answer(self._conn, self._proc, START_TIMEOUT_S, aside=self._said_aside)
        if answer is not None:
            kind, detail, more = answer
            if kind == "ready":
                self.device_name = detail["device"]
                self._last_change = time.monotonic()
                if timeline.segments != Timeline.initial(self.plan).segments:
                    self.update(timeline)
                return
            self._stop_process(wait_s=0.0)
            # ("error", why, "sounds"): the routine's sounds, not the sound card
            raise OutputUnavailable(detail, device=more != ["sounds"])
        why = self._why_it_ended("did not start", "opening the sound output")
        self._stop_process(wait_s=0.0)  # a process that hung is killed after it is described
        raise OutputUnavailable(why)

    def _said_aside(self, answer: Answer) -> bool:
        """A bad sound file said while the sounds are prepared: noted, not the answer."""
        kind, detail, _ = answer
        if kind == "media":
            self._bad_file(detail)
            return True
        return False

    def _why_it_ended(self, what: str, when: str = "while playing") -> str:
        code = None
        if self._proc is not None:
            # Its end of the socket closes a moment before its exit status is known.
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._proc.wait(timeout=EXIT_WAIT_S)
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the audio process crashed ({name}) {when}; see {self.log_path}"
        return f"the audio process {what}; see {self.log_path}"

    def frames(self) -> int:
        frames = int(self._counters[FRAMES])
        self._watch(frames)
        return frames

    def _watch(self, frames: int) -> None:
        if self._problem is not None:
            return
        now = time.monotonic()
        if frames != self._last_frames or self._paused:
            self._last_frames, self._last_change = frames, now
        try:
            while self._conn is not None and self._conn.poll(0):
                kind, detail, *_ = self._conn.recv()
                if kind == "media":
                    self._bad_file(detail)
                elif kind in ("lost", "error"):
                    self._fail(detail)
                    return
        except (EOFError, OSError):
            self._fail(self._why_it_ended("ended"))
            return
        if self._proc is not None and self._proc.poll() is not None:
            self._fail(self._why_it_ended("ended"))
        elif now - self._last_change > STALL_S:
            self._fail("the sound output stopped consuming audio")

    def _bad_file(self, problem: SoundProblem) -> None:
        self._bad_files.add(problem.file)
        self._media.append(problem)

    def _fail(self, why: str) -> None:
        self._problem = why
        self._stop_process(wait_s=0.0)

    def _send(self, *message: Any) -> None:
        if self._problem is None and self._conn is not None:
            try:
                self._conn.send(message)
            except OSError:
                self._fail("the audio process ended")

    def again(self) -> DeviceOutput:
        """A new output on the same device, held: to open the sound again after
        this one was lost. Start it (off the UI thread), then `go_at` a frame."""
        return DeviceOutput(
            self.plan,
            device=self.device,
            log_path=self.log_path,
            held=True,
            leave_out=self._leave_out | self._bad_files,  # not decoded again at every try
            block_frames=self.block_frames,
            latency_s=self.latency_s,
        )

    def go_at(self, frame: int, *, paused: bool = False) -> None:
        """Play the session from `frame` on, or hold there if `paused`: a held
        output's frames() go on from `frame`, as the session's clock does."""
        if not self._held:
            return
        self._held = False
        # The callback writes no frames while held: this is its count from now on.
        self._counters[FRAMES] = frame
        self._paused = paused
        self._last_frames, self._last_change = frame, time.monotonic()
        self._send("go", frame, paused)

    def update(self, timeline: Timeline) -> None:
        self._send("timeline", timeline)

    def pause(self) -> None:
        self._paused = True
        self._send("pause")

    def set_gain(self, gain: float) -> None:
        self._send("gain", float(gain))

    def resume(self) -> None:
        self._paused = False
        self._last_change = time.monotonic()
        self._send("resume")

    def problem(self) -> str | None:
        return self._problem

    def media_problems(self) -> list[SoundProblem]:
        taken, self._media = self._media, []
        return taken

    def underruns(self) -> int:
        """Times the sound skipped: the device ran dry, or a long file was read too late."""
        return int(self._counters[UNDERRUNS]) + int(self._counters[LATE_READS])

    def faults(self) -> int:
        return int(self._counters[FAULTS])

    def close(self, timeline: Timeline) -> None:
        self._send("stop")
        self._stop_process()

    def _stop_process(self, wait_s: float = 2.0) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=2.0)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
