"""Sound files: checked, decoded and resampled to the output rate.

soundfile's wheels bundle libsndfile, so WAV, FLAC, OGG and MP3 decode with no
system package; soxr resamples with high quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from calmflow.native_stderr import silenced

MAX_SECONDS = 4 * 3600


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
