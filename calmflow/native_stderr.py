"""Keeping C libraries' chatter off the terminal.

libsndfile, mpg123, ALSA and PortAudio print notes straight to file
descriptor 2 ("Note: Illegal Audio-MPEG-Header ..."), bypassing Python. Where
calmflow calls into them from the player's own process, it silences fd 2 for
the call; the person gets calmflow's one clear line instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
