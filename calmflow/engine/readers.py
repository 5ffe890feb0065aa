"""Opening a sound file for reading, whichever library decodes it.

Two readers sit behind one interface (`SoundReader`, soundfile's own): libsndfile
(through soundfile) for WAV, FLAC, OGG and MP3, and FFmpeg (through PyAV,
engine/containers.py) for the sound track of what a phone makes: M4A voice
memos, MP4 and MOV videos, raw AAC. Which one is chosen by what the file
starts with, not by its name: a WAV named `.m4a` still plays, and a text named
`.m4a` is refused as any other text is.

PyAV takes a fifth of a second to import: it is imported only when a file needs it.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np
import soundfile as sf

MP4_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2"
"""FFmpeg's demuxer for the ISO media file family (MP4, M4A, MOV, 3GP)."""
ADTS_FORMAT = "aac"
"""FFmpeg's demuxer for raw AAC (ADTS), as some recorders save it."""
ISO_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})
"""What the first box of an ISO media file (MP4, M4A, MOV) is called: its second
four bytes. A QuickTime file may start with any of them; the others with `ftyp`."""


class SoundReader(Protocol):
    """A sound file open for reading, as soundfile's SoundFile reads one."""

    @property
    def samplerate(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def frames(self) -> int:
        """Its length in frames at `samplerate`: exactly what reading it through gives."""

    def seek(self, frames: int) -> int:
        """Read from frame `frames` next."""

    def tell(self) -> int: ...

    def read(self, frames: int = -1, dtype: str = "float32", always_2d: bool = False) -> np.ndarray:
        """Up to `frames` frames from where it is (all the rest if -1), as
        (frames, channels) float32 when `always_2d`; fewer only at its end."""

    def close(self) -> None: ...

    def __enter__(self) -> SoundReader: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def container_format(path: Path) -> str | None:
    """FFmpeg's name for the format of `path` if it is one PyAV reads for calmflow
    (MP4_FORMATS or ADTS_FORMAT), from its first bytes; None for anything else
    (libsndfile's formats, and what is no sound at all)."""
    with path.open("rb") as f:
        head = f.read(12)
    if len(head) >= 8 and head[4:8] in ISO_BOXES:
        return MP4_FORMATS
    # ADTS: 12 bits of sync, then MPEG-4 or -2 and layer 0 (an MP3 frame has layer 1 to 3).
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return ADTS_FORMAT
    return None


def open_reader(path: Path) -> SoundReader:
    """`path` open for reading; raises soundfile's errors, OSError, or (for a
    file PyAV reads) MediaError saying what is wrong with it."""
    fmt = container_format(path)
    if fmt is None:
        reader: SoundReader = sf.SoundFile(str(path))
        return reader
    from calmflow.engine.containers import TrackReader

    return TrackReader(path, fmt)


def sound_info(path: Path) -> tuple[int, int, int]:
    """Frames, sample rate and channels of the sound in `path`: from its header
    for libsndfile's formats; from its sound decoded through for a phone's file,
    whose header does not say exactly (engine/containers.py). Raises as
    `open_reader` does."""
    fmt = container_format(path)
    if fmt is None:
        info = sf.info(str(path))
        return int(info.frames), int(info.samplerate), int(info.channels)
    from calmflow.engine.containers import scan

    track = scan(path, fmt)
    return track.frames, track.rate, track.channels
