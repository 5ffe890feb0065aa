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

from pathlib import Path
from typing import Any

from calmflow.core.timeline import Timeline
from calmflow.engine.problems import SoundProblem
from calmflow.system.apart import EndedEarly, answer_with, run_apart, serve_apart


def render_apart(timeline: Timeline, path: Path, log_path: Path | None) -> list[SoundProblem]:
    """Write `timeline`'s sound to `path` in a child process; return the sound
    files that failed. Raises RuntimeError, in a person's words, if the WAV
    could not be written."""
    try:
        kind, detail = run_apart("calmflow.audio.wav_process", (timeline, str(path)), log_path)
    except EndedEarly as exc:
        raise RuntimeError(f"{path} was not written: its process ended {exc}") from None
    if kind == "error":
        raise RuntimeError(detail)
    problems: list[SoundProblem] = detail
    return problems


def main() -> None:
    (timeline, path), answer = serve_apart()
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
    answer_with(answer, *reply)


if __name__ == "__main__":
    main()
