"""What the player and its audio process share: counters in a mapped file; and
how a sound process (output or microphone) says it is ready.

Each counter is one aligned int64, written by the audio callback only and read
by the player; on x86-64 and arm64 such reads and writes do not tear.
"""

from __future__ import annotations

import mmap
import subprocess
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

FRAMES, UNDERRUNS, FAULTS, CALLBACKS, LATE_READS = range(5)
"""Frames played, underruns reported by PortAudio, callbacks that failed,
callbacks, and blocks where a long file's reader had not brought its samples in
time (they played as silence)."""
COUNTERS = 5
COUNTERS_BYTES = 8 * COUNTERS


def counters_view(fd: int) -> Any:
    """The shared int64 counters, mapped from the file `fd` (COUNTERS_BYTES long)."""
    return memoryview(mmap.mmap(fd, COUNTERS_BYTES)).cast("q")


Answer = tuple[str, Any, list[Any]]
"""(kind, detail, more) as a sound process sends it: ("ready", {...}) or
("error", why[, what it is about])."""


def first_answer(
    conn: Connection,
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    aside: Callable[[Answer], bool] = lambda answer: False,
) -> Answer | None:
    """The sound process's first answer once it has opened its device (messages
    `aside` takes, e.g. a bad sound file said while preparing, are handled and
    passed over); None if it ended or did not answer within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if conn.poll(0.05):
            try:
                kind, detail, *more = conn.recv()
            except (EOFError, OSError):
                return None
            if not aside((kind, detail, more)):
                return kind, detail, more
        elif proc.poll() is not None:
            return None
    return None
