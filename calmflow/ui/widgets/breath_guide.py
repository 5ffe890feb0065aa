"""A round shape that grows on the inhale and shrinks on the exhale.

Drawn with half-block characters (two pixels per cell, so the circle looks
round), and redrawn only when its quantised size changes: a tick that finds
the same size costs nothing (PITFALLS.md: redraw cost dominates the UI's CPU).
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

LEVELS = 32
"""Distinct sizes between empty and full lungs."""


RING_PX = 1.5
"""The outline's thickness, in pixels (half a cell's height each)."""


@lru_cache(maxsize=256)
def draw(width: int, height: int, level: int, outline: bool = False) -> str:
    """The shape at `level` (0..LEVELS) filling a width × height cell box: a disc,
    or only its outline (at night: no large bright area)."""
    if width <= 0 or height <= 0:
        return ""
    px_h = height * 2
    r_max = min(width / 2, px_h / 2) - 0.5
    r_min = max(1.0, r_max * 0.25)
    radius = r_min + (r_max - r_min) * level / LEVELS
    inner = max(0.0, radius - RING_PX) if outline else -1.0
    cx, cy = (width - 1) / 2, (px_h - 1) / 2

    def on(col: int, y: int) -> bool:
        distance = (col - cx) ** 2 + (y - cy) ** 2
        return inner**2 < distance <= radius**2 if outline else distance <= radius**2

    rows = []
    for row in range(height):
        cells = []
        for col in range(width):
            top, bottom = on(col, row * 2), on(col, row * 2 + 1)
            cells.append("█" if top and bottom else "▀" if top else "▄" if bottom else " ")
        rows.append("".join(cells))
    return "\n".join(rows)


class BreathGuide(Widget):
    """Shows how full the lungs should be, from 0 (empty) to 1 (full).

    Drawn line by line (Textual's line API) from strips kept for each size: a
    redraw hands over strips already made instead of laying text out again,
    which was most of the player's CPU.
    """

    outline: reactive[bool] = reactive(False)
    """Only the shape's outline is drawn (the night palette)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level = 0
        self._outline = False
        self._box = (0, 0)
        """The content size at the last repaint: asking for it each tick costs."""
        self._drawn = ""
        self._lines: list[Strip] = []
        self._style = Style()
        self._strips: dict[tuple[str, Style], list[Strip]] = {}

    def on_resize(self) -> None:
        self.refresh()

    def watch_outline(self, outline: bool) -> None:
        self._outline = outline  # read each tick: a plain field costs less

    def set_fullness(self, fullness: float) -> None:
        self.level = max(0, min(LEVELS, round(fullness * LEVELS)))
        # Several levels can draw the same cells; only the rows that change are redrawn.
        drawing = draw(*self._box, self.level, self._outline)
        if drawing == self._drawn:
            return
        before, after = self._drawn.split("\n"), drawing.split("\n")
        if len(before) != len(after):
            self.refresh()
            return
        width = self._box[0]
        rows = zip(before, after, strict=True)
        self.refresh(*(Region(0, y, width, 1) for y, (a, b) in enumerate(rows) if a != b))

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once for each repaint, not for each line: the size, drawing and colours.
        width, height = self.content_size
        self._box = (width, height)
        self._drawn = draw(*self._box, self.level, self._outline)
        style = self.rich_style
        key = (self._drawn, style)
        lines = self._strips.get(key)
        if lines is None:
            if len(self._strips) > 2 * (LEVELS + 1):  # the size or the colours changed
                self._strips.clear()
            rows = self._drawn.split("\n") if self._drawn else []
            lines = [Strip([Segment(row, style)], self._box[0]) for row in rows]
            self._strips[key] = lines
        self._lines, self._style = lines, style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        return self._lines[y] if y < len(self._lines) else Strip.blank(self._box[0], self._style)
