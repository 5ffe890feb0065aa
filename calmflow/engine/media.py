"""Sound files: checked, decoded and resampled to the output rate.

soundfile's wheels bundle libsndfile, so WAV, FLAC, OGG and MP3 decode with no
system package; soxr resamples with high quality. `open_sound` keeps a short
file in memory and streams a long one from disk (engine/stream.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf
import soxr

from calmflow.native_stderr import silenced

MAX_SECONDS = 4 * 3600
STREAM_ABOVE_S = 60.0
"""Files longer than this are streamed from disk instead of loaded whole (at
48 kHz stereo, 60 s is 23 MB of samples; an hour would be 1.4 GB)."""


class MediaError(Exception):
    """A media file that cannot be used; the message says which and why."""


def probe(path: Path) -> float:
    """Seconds of sound in `path`; raise MediaError if it is not a usable sound file."""
    if not path.exists():
        raise MediaError(f"{path}: sound file not found")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, not a sound file")
    try:
        with silenced():
            info = sf.info(str(path))
    except FileNotFoundError:
        raise MediaError(f"{path}: sound file not found") from None
    except (sf.LibsndfileError, RuntimeError, OSError):
        raise MediaError(
            f"{path}: not a sound file calmflow can read (WAV, FLAC, OGG or MP3)"
        ) from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise MediaError(f"{path}: the file holds no sound")
    seconds = info.frames / info.samplerate
    if seconds > MAX_SECONDS:
        raise MediaError(f"{path}: {seconds / 3600:.1f} hours long; at most 4 hours are played")
    return float(seconds)


def load_sound(path: Path, rate: int, channels: int = 2) -> np.ndarray:
    """The whole file as float32 of shape (frames, channels) at `rate`."""
    probe(path)
    try:
        with silenced():
            data, source_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise MediaError(f"{path}: could not be decoded ({exc})") from None
    if data.shape[0] == 0:
        raise MediaError(f"{path}: the file holds no sound")
    if data.shape[1] >= channels:
        data = data[:, :channels]
    else:
        data = np.repeat(data[:, :1], channels, axis=1)
    if source_rate != rate:
        data = soxr.resample(data, source_rate, rate)
    return np.ascontiguousarray(data, dtype=np.float32)


class SoundSource(Protocol):
    """A sound ready to mix: `frames` long at the output rate, read by position."""

    @property
    def frames(self) -> int: ...

    @property
    def misses(self) -> int:
        """Reads that could not be served in time (played as silence)."""

    def read(self, offset: int, dest: np.ndarray) -> None:
        """dest[:] = the sound from `offset`, wrapping round its end."""

    def start(self) -> None:
        """From now on, be ready for reads from a real-time thread."""

    def close(self) -> None: ...


class InMemorySound:
    """A whole decoded file (or a synthesized wave)."""

    def __init__(self, wave: np.ndarray) -> None:
        self.wave = wave
        self.frames = int(wave.shape[0])
        self.misses = 0

    def read(self, offset: int, dest: np.ndarray) -> None:
        copy_looped(dest, self.wave, offset)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


def open_sound(path: Path, rate: int, channels: int = 2) -> SoundSource:
    """The sound in `path` at `rate`: in memory, or streamed if it is long."""
    seconds = probe(path)
    if seconds <= STREAM_ABOVE_S:
        return InMemorySound(load_sound(path, rate, channels))
    from calmflow.engine.stream import StreamedSound

    try:
        return StreamedSound(path, rate, channels)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise MediaError(f"{path}: could not be decoded ({exc})") from None


def copy_looped(dest: np.ndarray, wave: np.ndarray, offset: int) -> None:
    """dest[:] = wave[offset:], wrapping around the end of `wave` as often as needed."""
    length = wave.shape[0]
    pos = 0
    idx = offset % length
    total = dest.shape[0]
    while pos < total:
        take = min(total - pos, length - idx)
        dest[pos : pos + take] = wave[idx : idx + take]
        pos += take
        idx = 0
