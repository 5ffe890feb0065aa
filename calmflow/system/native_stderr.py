"""Keeping C libraries' chatter off the terminal.

libsndfile, mpg123, ALSA and PortAudio print notes straight to file
descriptor 2 ("Note: Illegal Audio-MPEG-Header ..."), bypassing Python. Where
calmflow calls into them from a process whose fd 2 may be a terminal, it
silences fd 2 for the call; the person gets calmflow's one clear line instead.

fd 2 belongs to the whole process: while it is silenced, nothing else there
reaches the terminal either. So work that reads sound files while a Textual
screen is drawn on fd 2 runs in a child process whose stderr is a log file
(audio/worker.py, audio/wav_process.py; PITFALLS.md), and this is for short
calls, or for processes without a screen (`calmflow render`, `check`). In
those child processes `keep_in_log()` turns it off: the notes are worth
keeping there, and no thread swaps fd 2 under another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
"""Blocks inside `silenced()` now, in any thread (under `_lock`)."""
_saved: int | None = None
"""A duplicate of fd 2 as it was before the first of them (under `_lock`)."""
_into_log = False
"""fd 2 is a log file in this process: nothing to silence."""


def keep_in_log() -> None:
    """Say that this process's fd 2 is a log file, never a terminal: from now
    on `silenced()` leaves it alone, and what C libraries print is kept there."""
    global _into_log
    _into_log = True


@contextmanager
def silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block.

    Nested or in several threads at once, fd 2 is silenced by the first block
    to start and given back by the last to end: two threads each saving and
    restoring it could leave it pointing at /dev/null for good."""
    global _depth, _saved
    if _into_log:
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                os.dup2(_saved, 2)
                os.close(_saved)
                _saved = None
