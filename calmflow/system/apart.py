"""Work done in a child process, apart from a screen drawn on fd 2.

C libraries (libsndfile, FFmpeg) write to file descriptor 2, where Textual draws
(native_stderr.py; PITFALLS.md). So a render to a WAV file (audio/wav_process.py)
and a video's preparation (engine/video_making.py) run as `python -m MODULE`:
the request goes in pickled on stdin, the child's stderr is calmflow's log, and
one pickled answer, `(kind, detail)`, comes back on what was its stdout.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from calmflow.system.native_stderr import keep_in_log


class EndedEarly(Exception):
    """The child ended without an answer; `str()` says how, in a person's words
    ("with SIGKILL; see …/logs/video.log")."""


def run_apart(
    module: str, request: object, log_path: Path | None, *, kill_if_interrupted: bool = False
) -> tuple[str, Any]:
    """Run `python -m module` with `request` and return its answer. A ctrl-c in
    the terminal is the caller's: the child is in its own session, so it goes on
    (a WAV of what was played is still written), unless `kill_if_interrupted`."""
    with log_file(log_path) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    try:
        answer, _ = proc.communicate(pickle.dumps(request))
    except BaseException:
        if kill_if_interrupted:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
        raise
    try:
        kind, detail = pickle.loads(answer)
    except Exception:
        how = f"with {signal.Signals(-proc.returncode).name}" if proc.returncode < 0 else "early"
        where = f"; see {log_path}" if log_path is not None else ""
        raise EndedEarly(f"{how}{where}") from None
    return str(kind), detail


def log_file(log_path: Path | None) -> IO[bytes]:
    """`log_path` opened to append (made 0600), or nowhere if it cannot be."""
    if log_path is not None:
        with contextlib.suppress(OSError):
            return open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
    return open(os.devnull, "ab")


def serve_apart() -> tuple[Any, IO[bytes]]:
    """In the child: the request, and where its answer goes (what was stdout);
    anything a library prints from now on goes to the log, stdout included."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    keep_in_log()
    return pickle.load(sys.stdin.buffer), answer


def answer_with(answer: IO[bytes], kind: str, detail: object) -> None:
    """Send the one answer; the parent may be gone (the proxy is made all the
    same, for next time)."""
    with contextlib.suppress(OSError):
        answer.write(pickle.dumps((kind, detail)))
        answer.close()
