"""A photo cue (the baby's picture) drawn in the terminal with half blocks.

Each cell shows two pixels, the upper as the colour of "▀" and the lower as
its background, so pictures keep their shape in any terminal with colour,
inside tmux, and in tests. The picture is decoded and scaled in a thread
(a phone's photo takes a tenth of a second or more; PITFALLS.md: no image
decoding on the UI thread), fitted to the widget with its proportions, and
drawn again only when the photo or the widget's size changes.

Kitty and Sixel graphics (textual-image) are not used: finding out whether a
terminal has them means querying it before Textual starts, which took 0.43 s
in tmux, for every start, photo or not.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import work
from textual.widget import Widget

from calmflow.services.catalog import MAX_PICTURE_PIXELS, too_many_pixels
from calmflow.ui.safe import plain

Pixels = tuple[tuple[tuple[int, int, int], ...], ...]
"""Rows of RGB pixels, an even number of rows."""


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the proportions of `size` inside `box` (in pixels)."""
    width, height = size
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(2, round(height * scale) // 2 * 2)


class PictureError(Exception):
    """A picture that cannot be shown; the message says why in a person's words."""


def decode(path: Path, box: tuple[int, int]) -> Pixels:
    """The picture in `path` scaled to fit `box` pixels; raises PictureError
    (or Pillow's own errors, see `why_not`) if it cannot be shown."""
    import warnings

    from PIL import Image, ImageOps

    # Pillow warns (on stderr, where Textual draws) of pictures over 89
    # megapixels; they are refused below with a sentence instead.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    with Image.open(path) as image:
        width, height = image.size
        if width * height > MAX_PICTURE_PIXELS:
            raise PictureError(too_many_pixels(width, height))
        image.draft("RGB", box)  # JPEG decodes at a fraction of its size: much faster
        picture = ImageOps.exif_transpose(image).convert("RGB")
    picture = picture.resize(fit(picture.size, box), Image.Resampling.LANCZOS)
    width, height = picture.size
    raw = picture.tobytes()  # RGB, row after row
    return tuple(
        tuple(
            (raw[i], raw[i + 1], raw[i + 2])
            for i in range(row * width * 3, (row + 1) * width * 3, 3)
        )
        for row in range(height)
    )


def why_not(exc: BaseException) -> str:
    """Why a picture could not be shown, in a person's words."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, PictureError):
        return str(exc)
    if isinstance(exc, Image.DecompressionBombError | MemoryError):
        return "it is far too large to show; save a smaller copy"
    if isinstance(exc, FileNotFoundError):
        return "the file is gone"
    if isinstance(exc, UnidentifiedImageError):
        return "it is not a picture (PNG, JPEG, GIF, WebP or BMP)"
    if isinstance(exc, PermissionError):
        return "the file cannot be read (no permission)"
    return "the file is damaged or cut short; replace it"


def draw(pixels: Pixels, width: int) -> Text:
    """Half-block cells for `pixels`, centred in `width` cells."""
    text = Text(no_wrap=True, overflow="crop")
    if not pixels:
        return text
    pad = " " * max(0, (width - len(pixels[0])) // 2)
    for row in range(0, len(pixels) - 1, 2):
        if row:
            text.append("\n")
        text.append(pad)
        for top, bottom in zip(pixels[row], pixels[row + 1], strict=True):
            text.append("▀", Style(color=f"rgb{top}", bgcolor=f"rgb{bottom}"))
    return text


class Photo(Widget):
    """Shows one picture file, or nothing; `show(path, name)` each tick."""

    DEFAULT_CSS = """
    Photo { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path: Path | None = None
        self.name_shown = ""
        self._key: tuple[Path, int, int] | None = None
        """The picture and cell size of what is drawn or being decoded."""
        self._text = Text()

    def show(self, path: Path | None, name: str = "") -> None:
        if path != self.path:
            self.path, self.name_shown = path, name
            self._text = Text()
            self._key = None
            self.refresh()
            self._want()

    def on_resize(self) -> None:
        self._want()

    def _want(self) -> None:
        width, height = self.content_size
        if self.path is None or width <= 0 or height <= 0:
            return
        key = (self.path, width, height)
        if key != self._key:
            self._key = key
            if os.environ.get("NO_COLOR"):
                self._text = Text(f"photo: {plain(self.name_shown)} (colours are off)", style="dim")
                self.refresh()
            else:
                self._decode(key)

    @work(thread=True, exclusive=True, group="photo")
    def _decode(self, key: tuple[Path, int, int]) -> None:
        path, width, height = key
        try:
            text = draw(decode(path, (width, height * 2)), width)
        except Exception as exc:  # whatever the file holds, the session goes on
            # Pillow raises OSError, ValueError, SyntaxError, EOFError and its
            # own DecompressionBombError for files that are not what they say.
            text = Text(
                f"photo: {self.name_shown} cannot be shown ({path.name}: {why_not(exc)})",
                style="dim",
            )
        self.app.call_from_thread(self._decoded, key, text)

    def _decoded(self, key: tuple[Path, int, int], text: Text) -> None:
        if key == self._key:  # not overtaken by another photo or size
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text
