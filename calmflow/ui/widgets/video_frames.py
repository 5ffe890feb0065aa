"""A video's pictures as half-block lines, fast enough to draw ten a second.

The photo widget (photo.py) draws a picture once; a video's proxy
(engine/video_proxy.py) gives it a new one up to ten times a second. Each is a
numpy array: fitted to the widget with Pillow, shaded for the night or for
NO_COLOR with numpy (the same sums as ui/night.py's, pixel for pixel), and
made into cells whose segments are kept by colour pair, so that the colours a
video shows again and again are made into styles once. Imported only when a
routine shows a video: numpy and Pillow stay out of the player's start.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from rich.color import Color, ColorType
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from calmflow.ui.night import BRIGHTEST, luminance

DIM = (BRIGHTEST - 10) / luminance((255, 229, 178))
"""night.dim_pixel's scale: warm white at BRIGHTEST - 10."""
KEPT_SEGMENTS = 1 << 16
"""Cells kept by their two colours: a few megabytes at most."""


def fit_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`frame` (height × width × 3) scaled to `size` pixels (width, height)."""
    from PIL import Image

    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    picture = Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(picture)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """night.luminance of every pixel, summed in its order (so rounded alike)."""
    r, g, b = (rgb[..., c].astype(np.float64) for c in range(3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _grey(rgb: np.ndarray) -> np.ndarray:
    """night.grey_pixel for every pixel."""
    level = np.round(_luminance(rgb)).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def _dim(rgb: np.ndarray) -> np.ndarray:
    """night.dim_pixel for every pixel."""
    grey = _luminance(rgb)
    r, g, b = (0.6 * rgb[..., c].astype(np.float64) + 0.4 * grey for c in range(3))
    shaded = (np.round(r * DIM), np.round(g * 0.9 * DIM), np.round(b * 0.7 * DIM))
    return np.stack(shaded, axis=-1).astype(np.uint8)


SHADES: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
    "colour": None,
    "night": _dim,
    "grey": _grey,
}
"""photo.TONES, for a whole picture at once."""


@lru_cache(maxsize=KEPT_SEGMENTS)
def _colour(rgb: int) -> Color:
    """A 24-bit colour (0xRRGGBB) as rich's Color.from_rgb makes it, in a third
    of the time."""
    triplet = ColorTriplet(rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF)
    return Color(f"#{rgb:06x}", ColorType.TRUECOLOR, triplet=triplet)


@lru_cache(maxsize=KEPT_SEGMENTS)
def _cell(pair: int) -> Segment:
    """A half-block cell: the upper pixel's colour (the high 24 bits of `pair`)
    over the lower's."""
    return Segment("▀", Style.from_color(_colour(pair >> 24), _colour(pair & 0xFFFFFF)))


def frame_strips(frame: np.ndarray, width: int, tone: str) -> list[Strip]:
    """`frame` (an even number of rows) as lines of half-block cells, centred
    in `width` cells, in `tone` (photo.TONES). Each channel keeps its top six
    bits (a step of 4 in 255, which no eye tells in a terminal's cell), so a
    video's colours meet again, and their cells are made once."""
    shade = SHADES[tone]
    pixels = shade(frame) if shade is not None else frame
    pixels = ((pixels & 0xFC) | (pixels >> 6)).astype(np.uint64)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    pairs = (packed[0::2] << 24) | packed[1::2]
    cells = pairs.shape[1]
    pad = max(0, (width - cells) // 2)
    left = [Segment(" " * pad, Style.null())] if pad else []  # a filter (NO_COLOR) needs a style
    return [Strip([*left, *map(_cell, row)], pad + cells) for row in pairs.tolist()]


def frame_pixels(frame: np.ndarray) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """`frame` as photo.Pixels (rows of RGB tuples)."""
    return tuple(tuple((r, g, b) for r, g, b in row) for row in frame.tolist())
