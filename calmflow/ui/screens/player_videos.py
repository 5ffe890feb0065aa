"""The videos of the session on the player's screen: which are ready, which
picture of each shows now, and the others prepared while the session plays.

Decided: the session never waits for a video that was never prepared
(`calmflow check` and `calmflow new --video` prepare it, once). Its sound
plays on its planned sample all the same, read from the video itself
(engine/video_proxy.sound_of); its pictures show from when they are ready,
the photo (if any) until then, and the person is told so once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from textual.app import App

from calmflow.core.plan import CueSpec
from calmflow.engine.video_proxy import Proxy
from calmflow.services.player import Player


class VideoNow(NamedTuple):
    """The video to show now."""

    proxy: Proxy
    picture: int
    """Which of its pictures."""
    name: str
    """Its cue's name."""
    playing: bool
    """False once a video that does not loop has played through."""


class SessionVideos:
    """The videos a session's routine shows, by file (the plan's)."""

    def __init__(self, player: Player) -> None:
        self.player = player
        self.clips: dict[str, Proxy] = {}
        """Each video whose proxy is ready (engine/video_proxy.py)."""
        self.waiting: list[str] = []
        """Videos whose proxy is not made yet: `prepare` makes them."""

    def find(self) -> None:
        """Look for each video's proxy (a small file read each: quick)."""
        from calmflow.services import videos

        plan = self.player.plan
        for file in sorted({c.file for c in plan.cues if c.kind == "video" and c.file}):
            proxy = videos.ready(Path(file))
            if proxy is not None:
                self.clips[file] = proxy
            elif file not in self.waiting:
                self.waiting.append(file)

    def prepare(
        self,
        app: App[object],
        ready: Callable[[str, Proxy], None],
        failed: Callable[[str, str], None],
    ) -> None:
        """Prepare the videos waiting, one after another, in a thread of their
        own that the app does not wait for when it closes (a Textual worker's
        would hold `q` up to a minute); each is made by a child process in a
        session of its own (engine/video_making.py: FFmpeg's notes in the log,
        never on the screen), which finishes its proxy after the player has
        gone, ready for the next session. `ready` or `failed` is called on the
        app's thread for each."""
        waiting, self.waiting = self.waiting, []
        threading.Thread(
            target=self._preparing, args=(app, waiting, ready, failed), name="videos", daemon=True
        ).start()

    def _preparing(
        self,
        app: App[object],
        files: list[str],
        ready: Callable[[str, Proxy], None],
        failed: Callable[[str, str], None],
    ) -> None:
        from calmflow.services import videos

        for file in files:
            try:
                try:
                    proxy = videos.prepare(Path(file))
                except videos.NotPrepared as exc:
                    app.call_from_thread(failed, file, str(exc))
                else:
                    app.call_from_thread(self._ready, file, proxy, ready)
            except RuntimeError:  # the app has closed meanwhile
                return

    def _ready(self, file: str, proxy: Proxy, then: Callable[[str, Proxy], None]) -> None:
        self.clips[file] = proxy
        then(file, proxy)

    def now(self, cues: list[tuple[str, CueSpec]], *, still: bool) -> VideoNow | None:
        """The first of `cues` (those on now) that is a video whose pictures are
        ready, with the picture at its place in the cue's occurrence, going
        round with its sound if it loops; `still` (reduced motion): its first."""
        session = self.player.session
        for name, cue in cues:
            proxy = self.clips.get(cue.file or "") if cue.kind == "video" else None
            if proxy is None:
                continue
            if still:
                return VideoNow(proxy, 0, name, True)
            now = session.now_frame
            start = next(
                (
                    o.start_frame
                    for o in session.timeline.cue_occurrences
                    if o.cue == name and o.start_frame <= now < o.end_frame
                ),
                now,
            )
            index = proxy.index_at(now - start, self.player.plan.rate, loop=cue.loop)
            if index is None:  # played through: its last picture
                return VideoNow(proxy, proxy.frames - 1, name, False)
            return VideoNow(proxy, index, name, True)
        return None
