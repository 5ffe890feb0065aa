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
from textual.strip import Strip
from textual.widget import Widget

LEVELS = 32
"""Distinct sizes between empty and full lungs."""


@lru_cache(maxsize=256)
def draw(width: int, height: int, level: int) -> str:
    """The shape at `level` (0..LEVELS) filling a width × height cell box."""
    if width <= 0 or height <= 0:
        return ""
    px_h = height * 2
    r_max = min(width / 2, px_h / 2) - 0.5
    r_min = max(1.0, r_max * 0.25)
    radius = r_min + (r_max - r_min) * level / LEVELS
    cx, cy = (width - 1) / 2, (px_h - 1) / 2
    rows = []
    for row in range(height):
        cells = []
        for col in range(width):
            top = (col - cx) ** 2 + (row * 2 - cy) ** 2 <= radius**2
            bottom = (col - cx) ** 2 + (row * 2 + 1 - cy) ** 2 <= radius**2
            cells.append("█" if top and bottom else "▀" if top else "▄" if bottom else " ")
        rows.append("".join(cells))
    return "\n".join(rows)


class BreathGuide(Widget):
    """Shows how full the lungs should be, from 0 (empty) to 1 (full).

    Drawn line by line (Textual's line API) from strips kept for each size: a
    redraw hands over strips already made instead of laying text out again,
    which was most of the player's CPU.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level = 0
        self._box = (0, 0)
        """The content size at the last repaint: asking for it each tick costs."""
        self._drawn = ""
        self._lines: list[Strip] = []
        self._style = Style()
        self._strips: dict[tuple[str, Style], list[Strip]] = {}

    def on_resize(self) -> None:
        self.refresh()

    def set_fullness(self, fullness: float) -> None:
        self.level = max(0, min(LEVELS, round(fullness * LEVELS)))
        # Several levels can draw the same cells; only the rows that change are redrawn.
        drawing = draw(*self._box, self.level)
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
        self._drawn = draw(*self._box, self.level)
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
