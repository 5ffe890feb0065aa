"""Photos as a phone makes them, opened upright: one way in for every picture
calmflow shows or checks.

- HEIC/HEIF (an iPhone's photos) through pillow-heif, registered with Pillow
  once, and only when a file starts as one (importing it takes 0.14 s);
  PNG, JPEG, WebP, GIF and BMP through Pillow itself.
- EXIF orientation applied: a phone held sideways saves its pixels sideways
  with "turn this 90°" in the EXIF, and a portrait would show on its side.
  (A HEIC's own rotation is applied by libheif as it decodes, and its EXIF
  orientation then reset, so it is never turned twice.)
- A picture of more than MAX_PICTURE_PIXELS is refused with a sentence before
  it is decoded, and Pillow's own warning about large pictures (on stderr,
  where the player draws) is kept quiet.

Pillow is imported in the functions that need it: the routine catalog imports
this module on the way to the first screen.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

PICTURE_FORMATS = frozenset({"PNG", "JPEG", "HEIF", "WEBP", "GIF", "BMP"})
"""Pillow's names for the formats calmflow shows."""
HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
"""The brands (bytes 8 to 12) of a HEIF file's first box, as pillow-heif knows them."""
PHOTO_BRANDS = HEIF_BRANDS | {b"avif", b"avis"}
"""ISO media files that are pictures, not recordings."""
MAX_PICTURE_PIXELS = 50_000_000
"""A phone's photo is 12 to 48 megapixels. A picture is decoded whole before it is
scaled down (JPEG at an eighth of its size), so one of a gigapixel, which a
file of a few hundred bytes can claim to be, would take gigabytes."""
NOT_PICTURE = "not an image calmflow can show (PNG, JPEG, HEIC, WebP, GIF or BMP)"
ORIENTATION = 0x0112
"""The EXIF tag that says how a photo is turned."""
TURNED = frozenset({5, 6, 7, 8})
"""Orientations that turn a picture a quarter: its width becomes its height."""
HEIF_CATEGORIES = (
    "Invalid input",
    "Unsupported filetype",
    "Unsupported feature",
    "Decoder plugin generated an error",
    "Memory allocation error",
)
"""How libheif begins its messages, before the part that says what is wrong."""

_heif_registered = False


class PictureError(Exception):
    """A picture that cannot be shown; the message says why in a person's words."""


def is_heif(path: Path) -> bool:
    """Whether `path` starts as a HEIF picture (an iPhone's HEIC)."""
    with path.open("rb") as f:
        head = f.read(12)
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def register_heif() -> None:
    """Let Pillow open HEIC/HEIF (once per process): only the primary picture,
    none of its thumbnails, depth maps or other pictures inside."""
    global _heif_registered
    if _heif_registered:
        return
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    _heif_registered = True


@contextmanager
def open_picture(path: Path) -> Iterator[Image.Image]:
    """Pillow's image of `path`, its header read and nothing decoded yet. Raises
    PictureError if it is not a picture calmflow shows or has too many pixels,
    and Pillow's own errors (see `picture_problem`) if it cannot be read."""
    from PIL import Image

    if is_heif(path):
        register_heif()
    # For good, not for the block: `catch_warnings` is not safe in threads, and
    # pictures are decoded in one.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    with Image.open(path) as image:
        if image.format not in PICTURE_FORMATS:
            raise PictureError(NOT_PICTURE)
        width, height = image.size
        if width * height > MAX_PICTURE_PIXELS:
            raise PictureError(too_many_pixels(width, height))
        yield image


def upright(image: Image.Image, box: tuple[int, int] | None = None) -> Image.Image:
    """`image` decoded as RGB and turned as its EXIF says. With a `box` (in
    pixels, as shown), a JPEG is decoded at the smallest fraction of its size
    that still covers it: much faster for a phone's photo."""
    from PIL import ImageOps

    if box is not None:
        if image.getexif().get(ORIENTATION) in TURNED:  # drafted as stored: on its side
            box = (box[1], box[0])
        image.draft("RGB", box)
    turned = ImageOps.exif_transpose(image)
    return turned.convert("RGB")


def load_upright(path: Path, box: tuple[int, int] | None = None) -> Image.Image:
    """The picture in `path`, decoded, upright, in RGB (`open_picture`, `upright`)."""
    with open_picture(path) as image:
        return upright(image, box)


def picture_problem(path: Path) -> str | None:
    """What stops the picture in `path` from being shown, in a person's words
    and ending with its path, or None.

    Reads its header, then reads it through (a PNG's chunks and checksums, other
    formats decoded and turned upright, JPEG at an eighth of its size), so a
    file cut short is caught here, not on screen.
    """
    try:
        if path.stat().st_size == 0:
            return f"empty (0 bytes), not an image; replace this file: {path}"
        with path.open("rb") as f:
            f.read(1)
    except OSError as exc:
        return f"cannot be read ({exc.strerror}): {path}"
    from PIL import Image, UnidentifiedImageError

    try:
        with open_picture(path) as image:
            if image.format == "PNG":
                image.verify()  # every chunk there, checksums right; nothing inflated
            else:
                upright(image, (64, 64))
    except PictureError as exc:
        return f"{exc}: {path}"
    except Image.DecompressionBombError as exc:  # refused by Pillow before its size is known
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(claimed.group(1)):,} pixels" if claimed else "billions of pixels"
        return (
            f"claims to be {pixels}, too large to show (at most"
            f" {MAX_PICTURE_PIXELS // 1_000_000} megapixels); save a smaller copy: {path}"
        )
    except UnidentifiedImageError:
        if is_heif(path):
            return (
                f"damaged: it starts as a HEIC photo but cannot be read; replace this file: {path}"
            )
        return f"{NOT_PICTURE}: {path}"
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        # Pillow says "image file is truncated", "Truncated File Read", "broken
        # PNG file" and the like for a file that ends early or is damaged inside;
        # libheif "Invalid input: Unexpected end of file: ...".
        words = pillow_words(exc)
        detail = f" ({words})" if words else ""
        return f"damaged or cut short: it cannot be shown{detail}; replace this file: {path}"
    return None


def too_many_pixels(width: int, height: int) -> str:
    return (
        f"{width:,} × {height:,} pixels, too large to show (at most"
        f" {MAX_PICTURE_PIXELS // 1_000_000} megapixels); save a smaller copy"
    )


JARGON = ("decoder object", "()", "errno", "pointer", "struct")
"""Marks of a library's words about itself rather than about the file (libwebp
says "could not create decoder object" of a WebP cut short)."""


def pillow_words(exc: BaseException) -> str | None:
    """Pillow's (or libheif's) own words for what is wrong with a picture, without
    libheif's category and its account of the file's insides; None where they
    say nothing to a person."""
    text = str(exc).strip()
    text = text.splitlines()[0].strip() if text else ""
    parts = text.split(": ")
    if len(parts) > 1 and parts[0] in HEIF_CATEGORIES:
        text = parts[1]
    if any(mark in text.lower() for mark in JARGON):
        return None
    return text.rstrip(".") or type(exc).__name__
