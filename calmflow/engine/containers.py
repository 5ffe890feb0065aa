"""The sound track of what a phone makes: M4A voice memos, MP4 and MOV videos.

PyAV's wheels carry FFmpeg and its decoders (AAC, ALAC, Opus, MP3...), so these
play with no system package. `TrackReader` reads a file's sound track as
soundfile reads a WAV (engine/readers.py), so the engine places, streams,
loops and matches it as any other sound.

Length: an AAC encoder starts with a frame of priming and pads its last frame.
FFmpeg leaves out the priming (the first sample decoded is the recording's
first) but not always the padding. A track's length is the samples decoded,
cut to the length the file's header states where that is shorter (never
longer than what decoded; the header is as exact as its time scale: a
millisecond in what FFmpeg writes, a sample in what writes it in samples). It
is found by decoding the track through once (`scan`, kept per version of the
file): what a header says of a file cut short is wrong.

Deterministic: every sample is read as a decoder that started at the file's
start and ran on makes it. AAC's noise substitution draws on a random state
that runs on from frame to frame, so a decoder started anywhere else (a seek)
would give other noise there, and a render and live play, which seek at
different times, would not be the same. So a seek forward decodes on to the
place, and a seek back starts again from the start; the end of the track
(TAIL_S), where each pass of a loop seeks to, is kept from the scan. Decoding
runs at about a thousand times the speed the sound plays
(benchmarks/phone_sound.py).

FFmpeg logs from C to file descriptor 2, where Textual draws: `quiet()` turns
its log off, and every use of PyAV in calmflow goes through `open_container`,
which calls it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import av
import av.logging
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Discard

from calmflow.engine.media import NOT_SOUND, MediaError, damaged
from calmflow.engine.pictures import PHOTO_BRANDS
from calmflow.engine.readers import ADTS_FORMAT, MP4_FORMATS, container_format

CUT_SHORT_S = 0.1
"""A track that decodes this much less than its file says it holds was cut short."""
TAIL_S = 0.25
"""The end of a track kept in memory from its scan: a loop's next pass is
resampled with it first (engine/stream.py), without decoding it all again."""
AV_LOG_QUIET = -8
"""FFmpeg's level for printing nothing (AV_LOG_QUIET)."""
NO_SOUND_TRACK = (
    "a video with no sound track: there is nothing in it to play; "
    "use a video that has sound, or a sound file"
)
NO_SOUND = "the file holds no sound (is it cut short?); replace this file"
UNREADABLE = {
    MP4_FORMATS: (
        "damaged or cut short: it cannot be read as an M4A, MP4 or MOV file "
        "(a copy that stopped partway?); replace this file"
    ),
    ADTS_FORMAT: "damaged: it cannot be read as AAC sound; replace this file",
}


def quiet() -> None:
    """FFmpeg prints nothing: no PyAV log callback, and FFmpeg's own at its quietest."""
    av.logging.set_level(None)
    av.logging.set_libav_level(AV_LOG_QUIET)


quiet()


class DecodeError(RuntimeError):
    """Decoding stopped partway; the message says where, in a person's words."""


def open_container(path: Path, fmt: str = MP4_FORMATS) -> InputContainer:
    """`path` open in FFmpeg as `fmt` (readers.MP4_FORMATS or ADTS_FORMAT) and
    nothing else, with FFmpeg's log off; raises MediaError if it cannot be opened.
    The caller closes it (it is a context manager)."""
    quiet()
    try:
        return av.open(str(path), format=fmt)
    except FileNotFoundError:
        raise MediaError(path, "file not found") from None
    except PermissionError:
        raise MediaError(path, "cannot be read (permission denied)") from None
    except (av.error.FFmpegError, OSError, ValueError):
        raise MediaError(path, UNREADABLE.get(fmt, NOT_SOUND)) from None


def sound_stream(container: InputContainer, path: Path) -> AudioStream:
    """The sound track FFmpeg would play of `container` (the default one, where
    there are several), with every other track left unread by the demuxer (a
    phone video's picture is most of its bytes); MediaError if it has none."""
    best = container.streams.best("audio")
    # FFmpeg's choice first, then any other it has a decoder for (an iPhone's
    # spatial audio comes beside a plain AAC track, in a codec FFmpeg may lack).
    candidates = (best, *container.streams.audio)
    stream = next((s for s in candidates if s is not None and s.codec_context is not None), None)
    if not isinstance(stream, AudioStream):
        raise MediaError(path, NO_SOUND_TRACK if container.streams.video else NO_SOUND)
    for other in container.streams:
        if other.index != stream.index:
            other.discard = Discard.all
    return stream


@dataclass(frozen=True, eq=False)
class Track:
    """A sound track as `scan` found it by decoding it through."""

    frames: int
    """Its length: the samples decoded, cut to what the file says it holds."""
    rate: int
    channels: int
    tail: np.ndarray = field(repr=False)
    """Its last frames (up to TAIL_S), as decoded from the start."""


_scanned: dict[tuple[str, int, int], Track] = {}
"""Tracks found in this process, by path, size and time of change."""


def scan(path: Path, fmt: str | None = None) -> Track:
    """Decode the sound track of `path` through: its exact length, rate and
    channels, once per version of the file. Raises MediaError saying what is
    wrong (no sound track, damaged or cut short, a photo)."""
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    found = _scanned.get(key)
    if found is not None:
        return found
    fmt = fmt or container_format(path) or MP4_FORMATS
    _refuse_photo(path)
    with open_container(path, fmt) as container:
        stream = sound_stream(container, path)
        count = rate = channels = declared = 0
        # The last TAIL_S or more up to `declared`, as decoded: converted to
        # samples only at the end (converting every frame costs half as much again).
        recent: deque[tuple[AudioFrame, int]] = deque()
        kept = 0
        try:
            for frame in container.decode(stream):
                shape = (frame.sample_rate, frame.layout.nb_channels)
                if rate == 0:
                    rate, channels = shape
                    declared = _declared(stream, fmt, rate)
                elif shape != (rate, channels):
                    raise MediaError(
                        path,
                        "its sound changes its sample rate or channels partway; "
                        "save a copy as M4A or WAV and use that",
                    )
                within = min(frame.samples, declared - count) if declared else frame.samples
                if within > 0:
                    recent.append((frame, within))
                    kept += within
                    while kept - recent[0][1] >= TAIL_S * rate:
                        kept -= recent.popleft()[1]
                count += frame.samples
        except (av.error.FFmpegError, OSError, ValueError):
            raise MediaError(path, damaged(DecodeError(_damaged_at(count, rate)))) from None
    if count == 0:
        raise MediaError(path, NO_SOUND)
    if declared and count < declared - CUT_SHORT_S * rate:
        raise MediaError(
            path,
            f"damaged or cut short: its sound stops at {_clock(count / rate)} of the "
            f"{_clock(declared / rate)} it says it has; replace this file",
        )
    frames = min(count, declared) if declared else count
    end = np.concatenate([frame_samples(frame, channels)[:n] for frame, n in recent])
    tail = end[-min(frames, round(TAIL_S * rate)) :]
    track = Track(frames, rate, channels, np.ascontiguousarray(tail))
    _scanned[key] = track
    return track


def _declared(stream: AudioStream, fmt: str, rate: int) -> int:
    """The length in frames the file's header gives its track (0: none, or
    one not to be trusted: a raw AAC file's is guessed from its bit rate)."""
    if fmt != MP4_FORMATS or not stream.duration or not stream.time_base:
        return 0
    return round(stream.duration * stream.time_base * rate)


def _refuse_photo(path: Path) -> None:
    with path.open("rb") as f:
        head = f.read(12)
    if head[4:8] == b"ftyp" and head[8:12] in PHOTO_BRANDS:
        raise MediaError(path, "a photo (HEIC or AVIF), not a sound; give it as a photo cue")


def _damaged_at(frames: int, rate: int) -> str:
    if frames == 0 or rate == 0:
        return "its sound cannot be decoded"
    return f"its sound is damaged {_clock(frames / rate)} in"


def _clock(seconds: float) -> str:
    """`seconds` as a person reads a recording's time: 1.2 s, or 12:05."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


SCALES = {"s16": 2.0**15, "s32": 2.0**31, "s64": 2.0**63}
"""Integer samples to floats from -1 to 1."""


def frame_samples(frame: AudioFrame, channels: int) -> np.ndarray:
    """A decoded frame as float32 of shape (samples, channels)."""
    data = frame.to_ndarray()
    data = data.T if frame.format.is_planar else data.reshape(-1, channels)
    kind = frame.format.name.removesuffix("p")
    if kind == "u8":
        return np.ascontiguousarray((data.astype(np.float32) - 128.0) / 128.0)
    if kind in SCALES:
        return np.ascontiguousarray(data.astype(np.float32) / np.float32(SCALES[kind]))
    return np.array(data, dtype=np.float32, order="C")  # a copy: the frame's memory goes back


class TrackReader:
    """The sound track of `path` read as soundfile reads a file
    (readers.SoundReader): `frames` exactly, from any frame, each sample as a
    decoder run from the start makes it (see the module docstring). Raises
    MediaError if the file cannot be used; a read that fails partway raises
    DecodeError."""

    def __init__(self, path: Path, fmt: str | None = None) -> None:
        self.path = path
        self._fmt = fmt or container_format(path) or MP4_FORMATS
        self.track = scan(path, self._fmt)
        self.samplerate = self.track.rate
        self.channels = self.track.channels
        self.frames = self.track.frames
        self._tail_start = self.frames - self.track.tail.shape[0]
        self._pos = 0
        """The frame the next read starts at."""
        self._container: InputContainer | None = None
        self._decoded: Iterator[tuple[int, AudioFrame]] | None = None
        """The decoder's frames from the start, each with the frame it starts at."""
        self._decoded_to = 0
        """Where the decoder's next frame starts."""
        self._carry = np.zeros((0, self.channels), dtype=np.float32)
        """Decoded from `_pos` on, not read yet."""
        self._lock = threading.Lock()
        """Held while the decoder decodes a frame, and while `close` frees it."""
        self._closed = False

    def seek(self, frames: int, whence: int = 0) -> int:
        target = min(max(0, frames), self.frames)
        if self._pos <= target < self._pos + self._carry.shape[0]:
            self._carry = self._carry[target - self._pos :]
        else:
            self._carry = self._carry[:0]
            if target < self._decoded_to and target < self._tail_start:
                with self._lock:
                    self._stop()  # back: decoded again from the start when read
        self._pos = target
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, frames: int = -1, dtype: str = "float32", always_2d: bool = False) -> np.ndarray:
        left = self.frames - self._pos
        want = left if frames < 0 else min(frames, left)
        parts: list[np.ndarray] = []
        have = 0
        while have < want:
            if self._carry.shape[0] == 0:
                more = self._next()
                if more is None:  # the file is shorter than when it was scanned
                    break
                self._carry = more
            take = min(want - have, self._carry.shape[0])
            parts.append(self._carry[:take])
            self._carry = self._carry[take:]
            have += take
            self._pos += take
        out = np.concatenate(parts) if parts else np.zeros((0, self.channels), np.float32)
        out = out.astype(dtype, copy=False)
        return out if always_2d or self.channels > 1 else out[:, 0]

    def close(self) -> None:
        """Stop reading, from any thread: a read decoding its way to a place far
        on stops after the frame it is decoding (FFmpeg's decoder must not be
        freed under it), and raises DecodeError."""
        with self._lock:
            self._closed = True
            self._stop()

    def __enter__(self) -> TrackReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _stop(self) -> None:
        """Drop the decoder: the next read that needs one starts from the top."""
        self._decoded = None
        self._decoded_to = 0
        if self._container is not None:
            self._container.close()
            self._container = None

    def _next(self) -> np.ndarray | None:
        """The samples from `_pos` to the end of a decoded frame (or of the
        kept tail); None at the end of what can be decoded."""
        if self._pos >= self._tail_start:
            return self.track.tail[self._pos - self._tail_start :]
        try:
            while True:
                with self._lock:
                    if self._closed:
                        raise DecodeError("it was closed")
                    if self._decoded is None or self._decoded_to > self._pos:
                        self._stop()
                        self._decoded = self._from_start()
                    found = next(self._decoded, None)
                    if found is None:
                        return None
                    start, frame = found
                    self._decoded_to = start + frame.samples
                    if self._decoded_to > self._pos:  # those before are decoded, not converted
                        return frame_samples(frame, self.channels)[self._pos - start :]
        except MediaError:  # gone or changed since it was scanned
            raise DecodeError("it can no longer be read") from None
        except (av.error.FFmpegError, OSError, ValueError):
            raise DecodeError(_damaged_at(self._decoded_to, self.samplerate)) from None

    def _from_start(self) -> Iterator[tuple[int, AudioFrame]]:
        self._container = open_container(self.path, self._fmt)
        stream = sound_stream(self._container, self.path)
        at = 0
        for frame in self._container.decode(stream):
            yield at, frame
            at += frame.samples
