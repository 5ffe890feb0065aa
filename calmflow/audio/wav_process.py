"""A session's WAV (`play --output wav:`), written by a child process.

Rendering reads the routine's sound files, and their decoders print notes on
file descriptor 2 ("Note: Illegal Audio-MPEG-Header ..."), where Textual draws
the player (PITFALLS.md). As for the sound card (audio/worker.py), the work
is done in a process whose stderr goes to a log file: silencing fd 2 in the
player's own process would swallow whatever the screen drew meanwhile.

`python -m calmflow.audio.wav_process` reads (timeline, path) pickled on its
stdin, writes the WAV, and answers on its stdout ("done", [SoundProblem]) or
("error", why). A sound file that fails is left out from where it fails, as a
session would have played it, and said in the problems.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from calmflow.core.timeline import Timeline
from calmflow.engine.problems import SoundProblem
from calmflow.system.native_stderr import keep_in_log


def render_apart(timeline: Timeline, path: Path, log_path: Path | None) -> list[SoundProblem]:
    """Write `timeline`'s sound to `path` in a child process; return the sound
    files that failed. Raises RuntimeError, in a person's words, if the WAV
    could not be written."""
    with _log(log_path) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "calmflow.audio.wav_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # a ctrl-c in the terminal is the player's to handle
        )
    answer, _ = proc.communicate(pickle.dumps((timeline, str(path))))
    try:
        kind, detail = pickle.loads(answer)
    except Exception:
        how = f"with {signal.Signals(-proc.returncode).name}" if proc.returncode < 0 else "early"
        where = f"; see {log_path}" if log_path is not None else ""
        raise RuntimeError(f"{path} was not written: its process ended {how}{where}") from None
    if kind == "error":
        raise RuntimeError(detail)
    problems: list[SoundProblem] = detail
    return problems


def _log(log_path: Path | None) -> Any:
    if log_path is not None:
        try:
            return open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        except OSError:
            pass
    return open(os.devnull, "ab")


def main() -> None:
    # The answer goes where stdout was; anything a library prints goes to the log.
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    keep_in_log()
    timeline, path = pickle.load(sys.stdin.buffer)
    from calmflow.engine.levels import default_cache
    from calmflow.engine.mixer import Engine
    from calmflow.engine.render import BLOCK_FRAMES, render_wav

    reply: tuple[str, Any]
    engine = Engine(
        timeline.plan, max_block=BLOCK_FRAMES, skip_bad=True, levels_cache=default_cache()
    )
    try:
        render_wav(timeline, Path(path), engine=engine)
    except OSError as exc:  # a full disk, a folder gone
        reply = ("error", f"could not write {path}: {exc.strerror or exc}")
    except RuntimeError as exc:  # soundfile's errors
        reply = ("error", f"could not write {path}: {exc}")
    else:
        reply = ("done", engine.problems())
    finally:
        engine.close()
    answer.write(pickle.dumps(reply))
    answer.close()


if __name__ == "__main__":
    main()
