"""Decoders' notes on file descriptor 2 are kept off the terminal.

libsndfile's decoders (mpg123, FLAC) print from C to fd 2, where the player's
screen is drawn; calmflow silences fd 2 around the calls that decode in a
process with a terminal, and in its child processes keeps them in the log.
"""

from __future__ import annotations

import os
import threading

from calmflow.system import native_stderr


def _fd2() -> tuple[int, int]:
    st = os.fstat(2)
    return st.st_dev, st.st_ino


def _null() -> tuple[int, int]:
    st = os.stat(os.devnull)
    return st.st_dev, st.st_ino


def test_two_threads_silencing_at_once_give_fd_2_back() -> None:
    """Reader threads of two long files decode at once: one starts, the other
    starts, the first ends, then the second. Each saving and restoring fd 2
    for itself, the second put back the /dev/null it found: the screen was
    gone for the rest of the session."""
    before = _fd2()
    assert before != _null()
    steps = [threading.Event() for _ in range(4)]

    def first() -> None:
        with native_stderr.silenced():
            steps[0].set()
            steps[1].wait(5)
        steps[2].set()

    def second() -> None:
        steps[0].wait(5)
        with native_stderr.silenced():
            steps[1].set()
            steps[2].wait(5)
            assert _fd2() == _null(), "still silenced while one block is open"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert _fd2() == before


def test_nested_silencing_gives_fd_2_back() -> None:
    before = _fd2()
    with native_stderr.silenced():
        with native_stderr.silenced():
            assert _fd2() == _null()
        assert _fd2() == _null()
    assert _fd2() == before
