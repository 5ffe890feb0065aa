"""A photo cue (the baby's picture), or a video cue's pictures, drawn in the
terminal with half blocks.

Each cell shows two pixels, the upper as the colour of "▀" and the lower as
its background, so pictures keep their shape in any terminal with colour,
inside tmux, and in tests. The picture is decoded and scaled in a thread
(a phone's photo takes a tenth of a second or more; PITFALLS.md: no image
decoding on the UI thread), fitted to the widget with its proportions, and
drawn again only when the photo or the widget's size changes.

A video's pictures come from its proxy (engine/video_proxy.py), small and
ready to draw: `show_frame` reads one with a single read, fits it and draws it
on the UI thread at once (a few milliseconds: ui/widgets/video_frames.py),
only when the picture to show or the widget's size changes.

Kitty and Sixel graphics (textual-image) are not used: finding out whether a
terminal has them means querying it before Textual starts, which took 0.43 s
in tmux, for every start, photo or not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from calmflow.engine.pictures import PictureError, load_upright
from calmflow.ui.night import dim_pixel, grey_pixel
from calmflow.ui.safe import plain

if TYPE_CHECKING:
    from calmflow.engine.video_proxy import Proxy

Pixels = tuple[tuple[tuple[int, int, int], ...], ...]
"""Rows of RGB pixels, an even number of rows."""


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the proportions of `size` inside `box` (in pixels)."""
    width, height = size
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(2, round(height * scale) // 2 * 2)


def decode(path: Path, box: tuple[int, int]) -> Pixels:
    """The picture in `path`, upright (engine/pictures.py: HEIC too, turned as
    its EXIF says), scaled to fit `box` pixels; raises PictureError (or
    Pillow's own errors, see `why_not`) if it cannot be shown."""
    from PIL import Image

    picture = load_upright(path, box)
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
        return "it is not a picture (PNG, JPEG, HEIC, WebP, GIF or BMP)"
    if isinstance(exc, PermissionError):
        return "the file cannot be read (no permission)"
    return "the file is damaged or cut short; replace it"


TONES: dict[str, Callable[[tuple[int, int, int]], tuple[int, int, int]] | None] = {
    "colour": None,
    "night": dim_pixel,
    "grey": grey_pixel,
}
"""How a pixel is shown: as it is, dimmed for the night, or in shades of grey (NO_COLOR)."""


def draw(pixels: Pixels, width: int, tone: str = "colour") -> Text:
    """Half-block cells for `pixels`, centred in `width` cells, in `tone` (TONES)."""
    text = Text(no_wrap=True, overflow="crop")
    if not pixels:
        return text
    shade = TONES[tone]
    pad = " " * max(0, (width - len(pixels[0])) // 2)
    for row in range(0, len(pixels) - 1, 2):
        if row:
            text.append("\n")
        text.append(pad)
        for top, bottom in zip(pixels[row], pixels[row + 1], strict=True):
            if shade is not None:
                top, bottom = shade(top), shade(bottom)
            text.append("▀", Style(color=f"rgb{top}", bgcolor=f"rgb{bottom}"))
    return text


def picture_strips(pixels: Pixels, width: int, tone: str) -> list[Strip]:
    """The picture as lines of half-block cells, centred in `width` cells."""
    shade = TONES[tone]
    rows = []
    for row in range(0, len(pixels) - 1, 2):
        segments = []
        for top, bottom in zip(pixels[row], pixels[row + 1], strict=True):
            if shade is not None:
                top, bottom = shade(top), shade(bottom)
            segments.append(
                Segment("▀", Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)))
            )
        pad = max(0, (width - len(segments)) // 2)
        line = Strip([Segment(" " * pad), *segments]) if pad else Strip(segments)
        rows.append(line.simplify())
    return rows


class Photo(Widget):
    """Shows one picture file, a video's picture, or nothing; `show(path, name)`
    or `show_frame(proxy, index, name)` each tick.

    Drawn line by line from strips made once for each picture, size and tone, so
    that a repaint (the frame's colour changing with the breath, with the photo
    full screen) hands over lines already made."""

    DEFAULT_CSS = """
    Photo { width: 1fr; height: 1fr; }
    """

    night: reactive[bool] = reactive(False)
    """Dimmed and warm, as the night palette is."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path: Path | None = None
        self.name_shown = ""
        self.greys = bool(os.environ.get("NO_COLOR"))
        """NO_COLOR: the picture in shades of grey."""
        self._key: tuple[Path, int, int] | None = None
        """The picture and the size in cells it is decoded for."""
        self._pixels: Pixels = ()
        self._message: Text | None = None
        """Why the picture cannot be shown, instead of it."""
        self._rows: list[Strip] = []
        self._drawn: tuple[tuple[Path, int, int], str] | None = None
        """The picture, size and tone `_rows` were made for."""
        self.frame: tuple[Color, str] | None = None
        """A thin frame around the picture, its colour and title (set_frame)."""
        self.clip_at: tuple[Proxy, int] | None = None
        """The video and the picture of it shown (`show_frame`), or None for a photo."""
        self._array: Any = None
        """The video's picture as drawn (a numpy array, fitted to the widget)."""

    @property
    def tone(self) -> str:
        return "grey" if self.greys else "night" if self.night else "colour"

    def show(self, path: Path | None, name: str = "") -> None:
        if path != self.path or self.clip_at is not None:
            self.path, self.name_shown = path, name
            self.clip_at, self._array = None, None
            self._pixels, self._message, self._rows, self._drawn = (), None, [], None
            self._key = None
            self.refresh()
            self._want()

    def show_frame(self, proxy: Proxy, index: int, name: str = "") -> None:
        """Show picture `index` of a video's proxy; drawn again only when it, or
        the widget's size, changes."""
        if (proxy, index) == self.clip_at:
            return
        if self.clip_at is None or self.clip_at[0] != proxy:
            self._pixels, self._message, self._rows, self._drawn = (), None, [], None
        self.path, self.name_shown = proxy.folder, name
        self.clip_at = (proxy, index)
        self._draw_frame()

    def _draw_frame(self) -> None:
        from calmflow.ui.widgets.video_frames import fit_frame, frame_strips

        assert self.clip_at is not None
        proxy, index = self.clip_at
        width, height = self._box()
        if width <= 0 or height <= 0:
            return
        try:
            picture = proxy.frame(index)
        except OSError:  # its cache emptied under it: the session goes on
            self._array, self._key = None, None
            self._message = Text(
                f"video: {plain(self.name_shown)} cannot be shown (its prepared copy is gone)",
                style="dim",
            )
            self.refresh()
            return
        size = fit((proxy.width, proxy.height), (width, height * 2))
        self._array = fit_frame(picture, size)
        self._key = (proxy.folder, width, height)
        self._rows = frame_strips(self._array, width, self.tone)
        self._drawn = (self._key, self.tone)
        self.refresh()

    def set_frame(self, frame: tuple[Color, str] | None) -> None:
        """Draw the picture inside a thin frame of this colour and title, or none.
        Only the frame is drawn again when its colour or title changes."""
        if frame == self.frame:
            return
        sized = (frame is None) != (self.frame is None)
        self.frame = frame
        if sized:  # the picture gets a cell less on each side
            self._want()
        self.refresh()

    def on_resize(self) -> None:
        self._want()

    def _box(self) -> tuple[int, int]:
        width, height = self.content_size
        if self.frame is not None:
            width, height = width - 2, height - 2
        return width, height

    def _want(self) -> None:
        width, height = self._box()
        if self.path is None or width <= 0 or height <= 0:
            return
        if self.clip_at is not None:
            if self._key != (self.path, width, height):
                self._draw_frame()
            return
        key = (self.path, width, height)
        if key != self._key:
            self._key = key
            self._decode(key)

    @work(thread=True, exclusive=True, group="photo")
    def _decode(self, key: tuple[Path, int, int]) -> None:
        path, width, height = key
        pixels: Pixels = ()
        message = None
        rows: list[Strip] = []
        tone = self.tone
        try:
            pixels = decode(path, (width, height * 2))
            rows = picture_strips(pixels, width, tone)
        except Exception as exc:  # whatever the file holds, the session goes on
            # Pillow raises OSError, ValueError, SyntaxError, EOFError and its
            # own DecompressionBombError for files that are not what they say.
            message = Text(
                f"photo: {plain(self.name_shown)} cannot be shown"
                f" ({plain(path.name)}: {why_not(exc)})",
                style="dim",
            )
        self.app.call_from_thread(self._decoded, key, pixels, rows, tone, message)

    def _decoded(
        self,
        key: tuple[Path, int, int],
        pixels: Pixels,
        rows: list[Strip],
        tone: str,
        message: Text | None,
    ) -> None:
        if key == self._key:  # not overtaken by another photo or size
            self._pixels, self._rows, self._message = pixels, rows, message
            self._drawn = (key, tone) if pixels else None
            self.refresh()

    def watch_night(self) -> None:
        self.refresh()

    def render(self) -> Text:
        """What is drawn, as rich text (the lines themselves come from render_line)."""
        if self._message is not None:
            return self._message
        if self._array is not None and self._key is not None:
            from calmflow.ui.widgets.video_frames import frame_pixels

            return draw(frame_pixels(self._array), self._key[1], self.tone)
        if not self._pixels or self._key is None:
            return Text()
        return draw(self._pixels, self._key[1], self.tone)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once a repaint: lines made again only for another picture, size or tone.
        if self._array is not None and self._key is not None:
            if self._drawn != (self._key, self.tone):
                from calmflow.ui.widgets.video_frames import frame_strips

                self._rows = frame_strips(self._array, self._key[1], self.tone)
                self._drawn = (self._key, self.tone)
        elif self._pixels and self._key is not None and self._drawn != (self._key, self.tone):
            self._rows = picture_strips(self._pixels, self._key[1], self.tone)
            self._drawn = (self._key, self.tone)
        elif self._message is not None:
            width = max(1, self._box()[0])
            lines = self._message.wrap(self.app.console, width)
            self._rows = [Strip(line.render(self.app.console)) for line in lines]
        elif not self._pixels:
            self._rows = []
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, height = self.content_size
        base = self.rich_style
        if self.frame is None:
            line = self._rows[y] if y < len(self._rows) else Strip.blank(width, base)
            return line.extend_cell_length(width, base).crop(0, width)
        colour, title = self.frame
        edge = base + Style(color=colour)
        inner = width - 2
        if y == 0:
            label = f" {title} " if title and len(title) + 4 <= inner else ""
            left = (inner - len(label)) // 2
            top = "╭" + "─" * left + label + "─" * (inner - left - len(label)) + "╮"
            return Strip([Segment(top, edge)], width)
        if y == height - 1:
            return Strip([Segment("╰" + "─" * inner + "╯", edge)], width)
        row = y - 1
        line = self._rows[row] if row < len(self._rows) else Strip.blank(inner, base)
        line = line.extend_cell_length(inner, base).crop(0, inner)
        return Strip.join([Strip([Segment("│", edge)], 1), line, Strip([Segment("│", edge)], 1)])
