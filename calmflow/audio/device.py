"""A sound card as an Output: the parent's side of the audio process."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

from calmflow.audio import worker
from calmflow.audio.output import OutputUnavailable
from calmflow.core.plan import Plan
from calmflow.core.timeline import Timeline

LATENCY_S = 0.15
"""Latency does not matter here and safety does (DESIGN.md): a large buffer."""
BLOCK_FRAMES = 1024
START_TIMEOUT_S = 20.0
STALL_S = 4.0


class DeviceOutput:
    """Plays through PortAudio in a child process; frames counted by its callback."""

    def __init__(self, plan: Plan, *, device: str | int | None = None, log_path: Path) -> None:
        self.name = "device"
        self.rate = plan.rate
        self.plan = plan
        self.device = device
        self.log_path = log_path
        self.guard_frames = int(0.1 * plan.rate)
        self.device_name: str | None = None
        self._ctx = mp.get_context("spawn")
        self._counters: Any = self._ctx.RawArray("q", worker.COUNTERS)
        self._conn: Any = None
        self._proc: Any = None
        self._problem: str | None = None
        self._paused = False
        self._last_frames = 0
        self._last_change = 0.0

    def start(self, timeline: Timeline) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=worker.main,
            args=(
                child,
                self._counters,
                self.plan,
                self.device,
                str(self.log_path),
                LATENCY_S,
                BLOCK_FRAMES,
            ),
            name="calmflow-audio",
            daemon=True,
        )
        self._proc.start()
        child.close()
        self._conn = parent
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if parent.poll(0.05):
                try:
                    kind, detail = parent.recv()
                except EOFError:
                    break
                if kind == "ready":
                    self.device_name = detail["device"]
                    self._last_change = time.monotonic()
                    if timeline.segments != Timeline.initial(self.plan).segments:
                        self.update(timeline)
                    return
                self._stop_process()
                raise OutputUnavailable(detail)
            if not self._proc.is_alive():
                break
        self._stop_process()
        raise OutputUnavailable(f"the audio process did not start; see {self.log_path}")

    def frames(self) -> int:
        frames = int(self._counters[worker.FRAMES])
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
                kind, detail = self._conn.recv()
                if kind in ("lost", "error"):
                    self._fail(detail)
                    return
        except (EOFError, OSError):
            self._fail("the audio process ended")
            return
        if self._proc is not None and not self._proc.is_alive():
            self._fail("the audio process ended")
        elif now - self._last_change > STALL_S:
            self._fail("the sound output stopped consuming audio")

    def _fail(self, why: str) -> None:
        self._problem = why
        self._stop_process(wait_s=0.0)

    def _send(self, *message: Any) -> None:
        if self._problem is None and self._conn is not None:
            try:
                self._conn.send(message)
            except (BrokenPipeError, OSError):
                self._fail("the audio process ended")

    def update(self, timeline: Timeline) -> None:
        self._send("timeline", timeline)

    def pause(self) -> None:
        self._paused = True
        self._send("pause")

    def resume(self) -> None:
        self._paused = False
        self._last_change = time.monotonic()
        self._send("resume")

    def problem(self) -> str | None:
        return self._problem

    def underruns(self) -> int:
        return int(self._counters[worker.UNDERRUNS])

    def faults(self) -> int:
        return int(self._counters[worker.FAULTS])

    def close(self, timeline: Timeline) -> None:
        self._send("stop")
        self._stop_process()

    def _stop_process(self, wait_s: float = 2.0) -> None:
        if self._proc is not None:
            self._proc.join(timeout=wait_s)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=2.0)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
