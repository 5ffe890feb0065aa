"""Videos made ready for the player: each prepared once into a small proxy
(engine/video_proxy.py) in a child process (engine/video_making.py), when it
is added (`calmflow new --video`), when `calmflow check` checks a routine that
names it, or, failing those, when a session that shows it starts.

Preparing takes a while (a 10-minute 1080p video: benchmarks/video_cpu.py),
so it is said before it starts and how long it took after, through `tell`.
The engine's modules (numpy, FFmpeg) are imported only when a video is met:
the routine catalog imports this module on the way to the first screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from calmflow.engine.video_proxy import Proxy, default_root, find

LOG_FILE = "video.log"
"""Where what FFmpeg says while preparing goes (calmflow's log folder), never the terminal."""

Tell = Callable[[str], None]


class NotPrepared(Exception):
    """A video that could not be prepared; the message says why, in a person's
    words, without the file's name."""


def ready(path: Path) -> Proxy | None:
    """The proxy of `path` if it has been made for the file as it is now."""
    return find(path)


def prepare(path: Path, tell: Tell | None = None) -> Proxy:
    """The proxy of `path`, made now if it is not there yet (said through `tell`
    before and after); raises NotPrepared saying why it cannot be."""
    found = find(path)
    if found is not None:
        return found
    from calmflow.engine.media import MediaError
    from calmflow.engine.video_making import make_apart, refuse_what_is_no_video
    from calmflow.system import paths

    try:
        refuse_what_is_no_video(path)  # said at once, with no process to start
    except MediaError as exc:
        raise NotPrepared(exc.reason) from None
    except OSError as exc:
        raise NotPrepared(f"it cannot be read ({exc.strerror or exc})") from None
    root = default_root()
    if root is None:
        raise NotPrepared(
            "it cannot be prepared for the player: calmflow's data folder cannot be used"
        )
    try:
        log_path: Path | None = paths.log_dir() / LOG_FILE
    except OSError:
        log_path = None
    if tell is not None:
        tell(f"preparing {path.name} for the player (once)…")
    started = time.monotonic()
    try:
        proxy = make_apart(path, root, log_path)
    except MediaError as exc:
        raise NotPrepared(exc.reason) from None
    except OSError as exc:
        raise NotPrepared(str(exc.strerror or exc)) from None
    if tell is not None:
        tell(f"{path.name} is ready for the player ({time.monotonic() - started:.1f} s)")
    return proxy


def problem(path: Path, tell: Tell | None = None) -> str | None:
    """Why the video in `path` cannot be used, having prepared it (said through
    `tell`), or None: the whole of it is decoded once, so what is damaged
    anywhere in it is found."""
    try:
        prepare(path, tell)
    except NotPrepared as exc:
        return str(exc)
    return None


def first_look(path: Path) -> str | None:
    """Why the video in `path` cannot be used, from a look at its start only
    (a video opens, and has pictures), or None; one prepared already is not
    looked at again. For a session about to start: it prepares the rest."""
    if find(path) is not None:
        return None
    from calmflow.engine.media import MediaError
    from calmflow.engine.video_making import first_look as look

    try:
        look(path)
    except MediaError as exc:
        return exc.reason
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    return None
