"""Media as a phone makes them, made by the suite itself (nothing third-party is
committed): AAC sound in M4A, MP4 and MOV (with a few frames of video) through
PyAV's encoders, HEIC through pillow-heif, WebP and JPEG with an EXIF
orientation through Pillow. Shared by the engine, check and player tests."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

VIDEO_SIZE = (64, 48)
VIDEO_RATE = 10


def write_aac(
    path: Path,
    samples: np.ndarray,
    rate: int,
    *,
    video: bool = False,
    faststart: bool = False,
    bitrate: int = 192_000,
    timescale: int | None = None,
) -> None:
    """`samples` (frames, or frames × channels, -1 to 1) as AAC in the container
    `path`'s suffix names (.m4a, .mp4, .mov), after a few frames of video if
    `video` (a phone's clip); its index first if `faststart` (as phones and
    web tools save them), else last (as FFmpeg does by default)."""
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    layout = "mono" if data.shape[1] == 1 else "stereo"
    # The length in the header in samples, as a phone's recorder gives it;
    # FFmpeg's own default (milliseconds) is tested on its own.
    options = {"movie_timescale": str(timescale or rate)}
    if faststart:
        options["movflags"] = "faststart"
    with av.open(str(path), "w", options=options) as container:
        pictures = _video_stream(container) if video else None
        stream = container.add_stream("aac", rate=rate)
        stream.layout = layout
        stream.bit_rate = bitrate
        if pictures is not None:
            _pictures(container, pictures, seconds=data.shape[0] / rate)
        planar = np.ascontiguousarray(data.T)
        for at in range(0, planar.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, at : at + 1024]), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = at
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def write_video_only(path: Path, seconds: float = 1.0) -> None:
    """A clip with pictures and no sound track."""
    with av.open(str(path), "w") as container:
        _pictures(container, _video_stream(container), seconds)


def _video_stream(container: av.container.OutputContainer) -> av.VideoStream:
    stream = container.add_stream("mpeg4", rate=VIDEO_RATE)
    stream.width, stream.height = VIDEO_SIZE
    stream.pix_fmt = "yuv420p"
    return stream


def _pictures(
    container: av.container.OutputContainer, stream: av.VideoStream, seconds: float
) -> None:
    for i in range(max(1, round(seconds * VIDEO_RATE))):
        picture = np.zeros((VIDEO_SIZE[1], VIDEO_SIZE[0], 3), dtype=np.uint8)
        picture[:, :, 0] = (i * 25) % 256
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def tone(seconds: float, rate: int, hz: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


RED, GREEN, BLUE, WHITE = (230, 20, 20), (20, 200, 20), (20, 20, 230), (240, 240, 240)


def marked(width: int = 40, height: int = 60) -> Image.Image:
    """A picture whose corners tell which way up it is: red at the top left,
    green top right, blue bottom left, white bottom right (a portrait by default)."""
    picture = Image.new("RGB", (width, height), WHITE)
    half_w, half_h = width // 2, height // 2
    picture.paste(RED, (0, 0, half_w, half_h))
    picture.paste(GREEN, (half_w, 0, width, half_h))
    picture.paste(BLUE, (0, half_h, half_w, height))
    return picture


STORED = {
    # EXIF orientation: how a camera stores an upright picture's pixels with it
    6: Image.Transpose.ROTATE_90,  # "turn 90° clockwise to show": stored turned back
    8: Image.Transpose.ROTATE_270,  # "turn 90° anticlockwise to show"
    3: Image.Transpose.ROTATE_180,
}


def write_turned_jpeg(path: Path, orientation: int, upright: Image.Image | None = None) -> None:
    """A JPEG whose pixels are stored on their side (or upside down) with the
    EXIF orientation that says how to show `upright` (default `marked()`)."""
    picture = upright or marked()
    exif = Image.Exif()
    exif[0x0112] = orientation
    picture.transpose(STORED[orientation]).save(path, "JPEG", quality=95, exif=exif.tobytes())


def write_heic(path: Path, picture: Image.Image | None = None) -> None:
    """`picture` (default `marked()`) as an iPhone's HEIC."""
    import pillow_heif

    pillow_heif.from_pillow(picture or marked()).save(str(path), quality=90)


def write_webp(path: Path, picture: Image.Image | None = None) -> None:
    (picture or marked()).save(path, "WEBP", quality=90)


def near(colour: tuple[int, ...], expected: tuple[int, int, int], within: int = 60) -> bool:
    """Whether `colour` is `expected` to within lossy coding."""
    return all(abs(int(a) - b) <= within for a, b in zip(colour[:3], expected, strict=True))


def write_turned_video(path: Path, rotation: int, seconds: float = 1.0) -> None:
    """A clip of `marked()` (a portrait) filmed on its side: its pixels stored
    turned, with the display rotation (degrees anticlockwise, as FFmpeg gives
    it) that shows it upright, as a phone saves a video held upright."""
    upright = np.asarray(marked(48, 64))
    stored = np.ascontiguousarray(np.rot90(upright, -rotation // 90))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=VIDEO_RATE)
        stream.height, stream.width = stored.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.set_display_rotation(rotation)
        for _ in range(max(1, round(seconds * VIDEO_RATE))):
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def clip_red(index: int) -> int:
    """The red of picture `index` of a clip made by `write_aac(video=True)`."""
    return (index * 25) % 256
