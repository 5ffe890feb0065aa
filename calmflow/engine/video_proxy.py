"""A video cue's pictures and sound, prepared once into a small proxy the player reads.

A phone's video is large (1080p or 4K, H.264 or HEVC): decoding it as it plays
took about 68% of a core here. So each video is decoded ONCE, in a child
process (engine/video_making.py), into a folder in calmflow's cache:

- `frames.jpg`: its pictures FPS times a second, each fitted into BOX pixels
  (the largest picture the player draws: 200 × 60 cells of half blocks) with
  its proportions, upright as the phone filmed it, each a small JPEG (about
  10 KB: 60 MB for 10 minutes, where raw RGB took 420 MB), one after another;
  `frames.idx` says where each starts. The player reads one picture
  (`Proxy.frame`) with two `pread`s and decodes it (a fifth of a millisecond),
  never the rest: a memory map would keep every picture it had touched in the
  player's memory.
- `sound.flac`: its sound track, decoded once (24-bit), which the engine
  plays as any sound file (engine/mixer.py), sample-exact and loudness-matched.
  Its first and last SEAM_S are faded, so a loop's passes meet without a click
  and without the crossfade that would shorten each (engine/media.py): the
  pictures, which loop on the sound's length (`loop_frames`), stay in step
  with it pass after pass.
- `proxy.json`: what the player needs (size, fps, frame count, the sound's
  length) and what it was made from (path, size, time of change, VERSION).

Found by the video's path, size and time of change: a changed file is made
again, an unchanged one never. Made under a temporary name and renamed whole,
so a proxy half-written (a full disk, a killed process) is never found.
Private (0700 and 0600) as the video is: it is the person's baby.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

VERSION = 1
"""Raised when what a proxy holds changes, so older ones are made again."""
FPS = 10.0
"""Pictures a second: a terminal's half-block picture shows no more detail of
motion than this, and the player ticks at 12 a second."""
BOX = (200, 120)
"""The largest picture in pixels: 200 × 60 cells of two pixels each."""
SEAM_S = 0.01
"""Faded at each end of the sound: as a sound that ends on its own is (mixer.SOUND_END_S)."""
FOLDER = "videos"
"""Proxies, in calmflow's cache folder."""
HEADER = "proxy.json"
FRAMES = "frames.jpg"
INDEX = "frames.idx"
"""Where each picture starts in FRAMES, and where the last ends: little-endian uint64."""
SOUND = "sound.flac"
OFFSET_BYTES = 8


@dataclass(frozen=True)
class Proxy:
    """A video prepared for the player: see the module docstring."""

    folder: Path
    width: int
    """Of each picture, in pixels, upright."""
    height: int
    fps: float
    frames: int
    """Pictures in FRAMES."""
    seconds: float
    """The pictures' length (the last one shown until then)."""
    sound_frames: int = 0
    """Of `sound.flac` at `sound_rate`; 0: the video has no sound."""
    sound_rate: int = 0
    source_size: tuple[int, int] = (0, 0)
    """The video's own picture size, upright."""

    @property
    def sound(self) -> Path | None:
        """The video's sound, decoded; None if it has none."""
        return self.folder / SOUND if self.sound_frames else None

    def frame(self, index: int) -> np.ndarray:
        """Picture `index` (clamped to those there are) as (height, width, 3) uint8
        RGB; OSError if the proxy is gone or damaged."""
        import io

        import numpy as np
        from PIL import Image

        index = min(max(0, index), self.frames - 1)
        with open(self.folder / INDEX, "rb") as offsets:
            span = os.pread(offsets.fileno(), 2 * OFFSET_BYTES, index * OFFSET_BYTES)
        if len(span) != 2 * OFFSET_BYTES:
            raise OSError(f"{self.folder / INDEX} is shorter than its header says")
        start, end = int.from_bytes(span[:8], "little"), int.from_bytes(span[8:], "little")
        with open(self.folder / FRAMES, "rb") as frames:
            data = os.pread(frames.fileno(), end - start, start)
        try:
            with Image.open(io.BytesIO(data), formats=("JPEG",)) as picture:
                pixels = np.asarray(picture.convert("RGB"))
        except (OSError, ValueError) as exc:  # Pillow's own for a damaged picture
            raise OSError(f"picture {index} of {self.folder} cannot be read ({exc})") from None
        if pixels.shape != (self.height, self.width, 3):
            raise OSError(f"picture {index} of {self.folder} is not the size its header says")
        return pixels

    def loop_frames(self, rate: int) -> int:
        """One pass of the video at `rate`, in frames, as the engine plays it: its
        sound's length resampled (engine/stream.resampled_length), or, with no
        sound, its pictures' length. What the pictures loop on."""
        if self.sound_frames:
            return math.floor(self.sound_frames * rate / self.sound_rate + 0.5)
        return max(1, round(self.seconds * rate))

    def index_at(self, elapsed_frames: int, rate: int, *, loop: bool) -> int | None:
        """The picture to show `elapsed_frames` (at `rate`) after the video
        started; None once it has ended (a video that does not loop: when its
        pictures and its sound have both ended)."""
        period = self.loop_frames(rate)
        if loop:
            elapsed_frames %= period
        elif elapsed_frames >= max(period, round(self.seconds * rate)):
            return None
        return min(self.frames - 1, int(elapsed_frames * self.fps / rate + 1e-9))


def stamp(path: Path) -> tuple[int, int]:
    """A video's size and time of change, which its proxy is made for."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def place(path: Path, root: Path, made_for: tuple[int, int]) -> Path:
    """Where the proxy of `path` at `made_for` goes in `root`: a name from its
    path (shared by every version of the file, so older ones can be found and
    removed) and one from its version."""
    by_path = hashlib.sha256(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    version = hashlib.sha256(f"{made_for[0]}:{made_for[1]}:{VERSION}".encode()).hexdigest()[:12]
    return root / f"{by_path}-{version}"


def default_root() -> Path | None:
    """The proxies' folder in calmflow's cache, or None if there is none to use."""
    from calmflow.system import paths

    try:
        return paths.cache_dir() / FOLDER
    except OSError:
        return None


def find(path: Path, root: Path | None = None) -> Proxy | None:
    """The proxy of `path` as it is now, if it has been made (in `root`, by
    default calmflow's cache); None if not, or if the file is gone."""
    root = root or default_root()
    if root is None:
        return None
    try:
        path = path.resolve()  # one proxy, by whichever way the file is named
        made_for = stamp(path)
    except OSError:
        return None
    folder = place(path, root, made_for)
    try:
        header = json.loads((folder / HEADER).read_text(encoding="utf-8"))
        source = header["source"]
        if (
            header["version"] != VERSION
            or source["path"] != str(path)
            or (source["size"], source["mtime_ns"]) != made_for
        ):
            return None
        sound = header.get("sound") or {}
        return Proxy(
            folder,
            int(header["width"]),
            int(header["height"]),
            float(header["fps"]),
            int(header["frames"]),
            float(header["seconds"]),
            int(sound.get("frames", 0)),
            int(sound.get("rate", 0)),
            (int(header["source_width"]), int(header["source_height"])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def sound_of(path: Path, root: Path | None = None) -> Path | None:
    """The file whose sound a video cue of `path` plays: its proxy's, once made;
    until then the video itself, read as a phone's sound is
    (engine/containers.py), so the sound comes on its planned sample whether
    or not the pictures are ready. None if the video has no sound."""
    proxy = find(path, root)
    if proxy is not None:
        return proxy.sound
    from calmflow.engine.containers import open_container
    from calmflow.engine.media import MediaError

    try:
        with open_container(path) as container:
            if not container.streams.audio:
                return None
    except (MediaError, OSError):
        pass  # the engine opens it, and says what is wrong with it
    return path
