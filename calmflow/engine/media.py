"""Sound files: checked, decoded and resampled to the output rate.

soundfile's wheels bundle libsndfile, so WAV, FLAC, OGG and MP3 decode with no
system package, and PyAV's bundle FFmpeg for a phone's M4A, MP4 and MOV
(engine/readers.py opens either); soxr resamples with high quality.
`open_sound` keeps a short file in memory and streams a long one from disk
(engine/stream.py).
"""

from __future__ import annotations

import math
import stat
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf
import soxr

from calmflow.engine.readers import container_format, open_reader, sound_info
from calmflow.system.native_stderr import silenced

MAX_SECONDS = 4 * 3600
MIN_RATE = 8_000
MAX_RATE = 384_000
"""Sample rates a sound file may have: from the telephone's to the highest studio
rate. A header outside them is damaged or made to mislead (a WAV that says 2 GHz),
and resampling from it gives nothing, or nothing sensible."""
MIN_SECONDS = 0.01
"""A sound shorter than this (a few samples) is a click, not a sound to hear; it
could come out of resampling with no frames at all."""
MAX_CHANNELS = 8
"""Mono to 7.1; a header saying hundreds (Vorbis allows 255) would be decoded whole
at that width before its first two channels are kept."""
STREAM_ABOVE_S = 60.0
"""Files longer than this are streamed from disk instead of loaded whole (at
48 kHz stereo, 60 s is 23 MB of samples; an hour would be 1.4 GB)."""


VERIFY_BLOCK = 65_536
"""Frames decoded at a time when a file is checked from end to end."""


class MediaError(Exception):
    """A media file that cannot be used; the message says which and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        """What is wrong, in a person's words, without the file's name."""


NOT_SOUND = (
    "not a sound file calmflow can read (WAV, FLAC, OGG, MP3, M4A, or an MP4 or MOV video's sound)"
)


def probe(path: Path) -> float:
    """Seconds of sound in `path`, from its header; raise MediaError if it is
    not a usable sound file. Quick: nothing is decoded (see `verify`), except
    a phone's file (M4A, MP4, MOV), whose exact length only its decoded sound
    says (engine/containers.py: once per version of the file, at about a
    thousand times the speed it plays)."""
    try:
        entry = path.stat()
    except FileNotFoundError:
        raise MediaError(path, "sound file not found") from None
    except OSError as exc:
        raise MediaError(path, f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(entry.st_mode):
        raise MediaError(path, "is a folder, not a sound file")
    if not stat.S_ISREG(entry.st_mode):  # a pipe or a device: opening it could wait forever
        raise MediaError(path, NOT_SOUND)
    if entry.st_size == 0:
        raise MediaError(path, "empty (0 bytes), not a sound file; replace this file")
    try:
        with silenced():
            frames, rate, channels = sound_info(path)
    except FileNotFoundError:
        raise MediaError(path, "sound file not found") from None
    except (sf.LibsndfileError, RuntimeError, OSError):
        raise MediaError(path, NOT_SOUND) from None
    return _sane(path, frames, rate, channels)


def _sane(path: Path, frames: int, rate: int, channels: int) -> float:
    """Seconds of sound in a file of `frames` at `rate`, if a header saying so
    is one calmflow can play; else MediaError saying what is wrong."""
    if frames <= 0 or rate <= 0:
        raise MediaError(path, "the file holds no sound (is it cut short?); replace this file")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise MediaError(
            path,
            f"its header says {rate:,} samples a second, outside what sound files have "
            f"({MIN_RATE:,} to {MAX_RATE:,}): it is damaged; replace this file",
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise MediaError(
            path,
            f"its header says {channels:,} channels; calmflow plays 1 to {MAX_CHANNELS} "
            "(mono, stereo or surround): save a stereo copy",
        )
    seconds = frames / rate
    if seconds < MIN_SECONDS:
        raise MediaError(
            path,
            f"{_short(frames, seconds)} long, too short to be heard "
            f"(at least {MIN_SECONDS * 1000:.0f} ms); replace this file",
        )
    if seconds > MAX_SECONDS:
        raise MediaError(path, f"{seconds / 3600:.1f} hours long; at most 4 hours are played")
    return float(seconds)


def _short(frames: int, seconds: float) -> str:
    samples = f"{frames} sample{'s' if frames != 1 else ''}"
    return f"{samples} ({seconds * 1000:.2g} ms)"


def verify(path: Path) -> float:
    """`probe`, and decode the file as far as playing it will: a file played
    from memory (up to STREAM_ABOVE_S) from end to end, a longer one at its
    start and its last second. A file cut short or damaged inside passes the
    header check and would fail only when played; this says so beforehand.
    Decoded in blocks, so memory stays small whatever the file's length. A
    phone's file (M4A, MP4, MOV) was decoded through by `probe` already."""
    seconds = probe(path)
    if container_format(path) is not None:
        return seconds
    try:
        with silenced(), open_reader(path) as f:
            if seconds <= STREAM_ABOVE_S:
                while f.read(VERIFY_BLOCK, dtype="float32", always_2d=True).shape[0]:
                    pass
            else:
                f.read(VERIFY_BLOCK, dtype="float32", always_2d=True)
                f.seek(max(0, f.frames - f.samplerate))
                f.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise MediaError(path, damaged(exc)) from None
    return seconds


def damaged(exc: BaseException) -> str:
    """Why a file that opened cannot be played to its end, in a person's words,
    with libsndfile's own where they mean something to one ("flac decoder lost
    sync"), not where they name its insides ("Internal psf_fseek() failed.")."""
    words = libsndfile_words(exc)
    detail = f" ({words})" if words else ""
    return f"damaged or cut short: it cannot be played to its end{detail}; replace this file"


JARGON = ("psf_", "()", "internal error", "errno", "unspecified", "pointer", "function", "struct")
"""Marks of libsndfile's words about itself rather than about the file."""


def libsndfile_words(exc: BaseException) -> str | None:
    """libsndfile's own words ("flac decoder lost sync") without its prefixes,
    or None where they say nothing to a person (a function's name, a bare code)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror  # "Input/output error", without "[Errno 5]"
    text = str(exc).strip().rstrip(".")
    for prefix in ("Error : ", "Error: ", "Internal "):
        text = text.removeprefix(prefix)
    if not text or any(mark in text.lower() for mark in JARGON):
        return None
    return text


def load_sound(path: Path, rate: int, channels: int = 2, *, loop: bool = False) -> np.ndarray:
    """The whole file as float32 of shape (frames, channels) at `rate`. A `loop`
    is resampled as a circle (`resample_loop`), so its end runs into its start
    as in the file; anything else with soxr, as one stretch of sound."""
    probe(path)
    try:
        with silenced(), open_reader(path) as f:
            data, source_rate = f.read(dtype="float32", always_2d=True), f.samplerate
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise MediaError(path, damaged(exc)) from None
    if data.shape[0] == 0:
        raise MediaError(path, "the file holds no sound (is it cut short?); replace this file")
    _sane(path, data.shape[0], source_rate, data.shape[1])  # what was decoded, not the header
    # A mono file is resampled once, then put in every channel.
    data = data[:, :channels] if data.shape[1] >= channels else data[:, :1]
    if loop:
        data = resample_loop(data, source_rate, rate)
    elif source_rate != rate:
        data = soxr.resample(data, source_rate, rate)
    if data.shape[1] < channels:
        data = np.repeat(data[:, :1], channels, axis=1)
    if data.shape[0] == 0:  # cannot happen after `_sane`, but the mixer divides by it
        raise MediaError(path, f"too short to play at {rate:,} Hz; replace this file")
    return np.ascontiguousarray(data, dtype=np.float32)


class SoundSource(Protocol):
    """A sound ready to mix: `frames` long at the output rate, read by position."""

    @property
    def frames(self) -> int: ...

    failed: str | None
    """Why its file stopped being readable while playing, in a person's words
    (as `damaged` says it); None while all is well. Reads after that are
    silence, and not counted as misses."""

    @property
    def misses(self) -> int:
        """Reads that could not be served in time (played as silence)."""

    def read(self, offset: int, dest: np.ndarray) -> None:
        """dest[:] = the sound from `offset`, wrapping round its end."""

    def start(self) -> None:
        """From now on, be ready for reads from a real-time thread."""

    def prefetch(self, offset: int) -> bool:
        """Get ready for reads from `offset` (live); return whether they can be served now."""

    def close(self) -> None: ...


class InMemorySound:
    """A whole decoded file (or a synthesized wave).

    `lead_in`: a loop whose seam was crossfaded (`seamless_loop`) starts with
    the file's own first frames; every later pass goes through the crossfade.
    """

    def __init__(self, wave: np.ndarray, lead_in: np.ndarray | None = None) -> None:
        self.wave = wave
        self.lead_in = lead_in
        self.frames = int(wave.shape[0])
        self.misses = 0
        self.failed: str | None = None

    def read(self, offset: int, dest: np.ndarray) -> None:
        lead = self.lead_in
        if lead is not None and offset < lead.shape[0]:
            take = min(dest.shape[0], lead.shape[0] - offset)
            dest[:take] = lead[offset : offset + take]
            copy_looped(dest[take:], self.wave, offset + take)
            return
        copy_looped(dest, self.wave, offset)

    def prefetch(self, offset: int) -> bool:
        return True

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


def open_sound(path: Path, rate: int, channels: int = 2, *, loop: bool = False) -> SoundSource:
    """The sound in `path` at `rate`: in memory, or streamed if it is long. A
    `loop` (a sound that plays again from its start when it ends) goes round
    without a seam: resampled as a circle, and crossfaded where the file's own
    end does not run smoothly into its start."""
    seconds = probe(path)
    if seconds <= STREAM_ABOVE_S:
        wave = load_sound(path, rate, channels, loop=loop)
        return seamless_loop(wave, rate) if loop else InMemorySound(wave)
    from calmflow.engine.stream import StreamedSound

    try:
        sound = StreamedSound(path, rate, channels, loop=loop)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise MediaError(path, damaged(exc)) from None
    if sound.frames <= 0:  # cannot happen after `probe`, but the mixer divides by it
        sound.close()
        raise MediaError(path, f"too short to play at {rate:,} Hz; replace this file")
    return sound


def copy_looped(dest: np.ndarray, wave: np.ndarray, offset: int) -> None:
    """dest[:] = wave[offset:], wrapping around the end of `wave` as often as needed
    (silence if `wave` is empty)."""
    length = wave.shape[0]
    if length == 0:
        dest.fill(0.0)
        return
    pos = 0
    idx = offset % length
    total = dest.shape[0]
    while pos < total:
        take = min(total - pos, length - idx)
        dest[pos : pos + take] = wave[idx : idx + take]
        pos += take
        idx = 0


LOOP_CROSSFADE_S = 0.05
"""Where a loop's end does not run smoothly into its start, the two are
crossfaded over this long (equal power: ambience is uncorrelated at the seam)."""
ROUGH_SEAM = 4.0
"""A seam is rough when its curvature (second difference) is this many times the
sound's typical one: a step or a kink, heard as a tick at every pass."""


LOOP_PAD_S = 0.1
"""A loop is resampled with at least this much of itself on each side."""


def resample_loop(data: np.ndarray, source_rate: int, rate: int) -> np.ndarray:
    """`data` (frames × channels) as one period of a loop, at `rate`: resampled
    with copies of itself on either side and the middle kept, so the end runs
    into the start as it does in the file (a resampler started afresh at each
    pass rings there). The period keeps soxr's length for the file: a loop whose
    length in frames is not a whole number at `rate` is stretched by less than
    one frame to fit, so that every pass starts on a frame."""
    frames = data.shape[0]
    from calmflow.engine.stream import resampled_length

    out_frames = resampled_length(frames, source_rate, rate)
    if out_frames == frames or frames < 2:
        return data
    # The padding must be a whole number of frames at both rates: a multiple of
    # `unit` input frames, or whole passes of the loop where that is too long.
    unit = frames // math.gcd(frames, out_frames)
    wanted = round(LOOP_PAD_S * source_rate)
    if unit <= frames // 4:
        pad_in = min(-(-wanted // unit) * unit, frames // unit * unit)
        padded = np.concatenate([data[frames - pad_in :], data, data[:pad_in]])
    else:
        passes = max(1, -(-wanted // frames))
        pad_in = passes * frames
        padded = np.concatenate([data] * (2 * passes + 1))
    pad_out = pad_in // unit * (out_frames // math.gcd(frames, out_frames))
    out = soxr.resample(padded, float(frames), float(out_frames))
    return np.ascontiguousarray(out[pad_out : pad_out + out_frames], dtype=np.float32)


def seam_is_rough(wave: np.ndarray) -> bool:
    """Whether the jump from the last frame of `wave` back to its first stands out
    from the sound's own sample-to-sample changes."""
    if wave.shape[0] < 8:
        return False
    joined = np.concatenate([wave[-3:], wave[:3]]).astype(np.float64)
    at_seam = np.abs(np.diff(joined, 2, axis=0)).max(axis=0)
    typical = np.sqrt(np.mean(np.square(np.diff(wave.astype(np.float64), 2, axis=0)), axis=0))
    return bool(np.any(at_seam > ROUGH_SEAM * typical + 1e-5))


def seamless_loop(wave: np.ndarray, rate: int) -> InMemorySound:
    """`wave` as a loop that goes round without a tick: as it is if its seam is
    smooth, else with its last LOOP_CROSSFADE_S crossfaded into its first (the
    loop is that much shorter; the first pass starts with the file's own start)."""
    overlap = min(round(LOOP_CROSSFADE_S * rate), wave.shape[0] // 4)
    if overlap < 2 or not seam_is_rough(wave):
        return InMemorySound(wave)
    period = wave.shape[0] - overlap
    t = (np.arange(overlap) + 0.5) / overlap
    fade_in = np.sin(0.5 * np.pi * t)[:, None]
    fade_out = np.cos(0.5 * np.pi * t)[:, None]
    loop = wave[:period].copy()
    loop[:overlap] = wave[period:] * fade_out + wave[:overlap] * fade_in
    return InMemorySound(np.ascontiguousarray(loop, dtype=np.float32), wave[:overlap].copy())
