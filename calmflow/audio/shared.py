"""What the player and its audio process share: counters in a mapped file.

Each counter is one aligned int64, written by the audio callback only and read
by the player; on x86-64 and arm64 such reads and writes do not tear.
"""

from __future__ import annotations

import mmap
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
