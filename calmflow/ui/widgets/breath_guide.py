"""A round shape that grows on the inhale and shrinks on the exhale.

Drawn with half-block characters (two pixels per cell, so the circle looks
round), and redrawn only when its quantised size changes: a tick that finds
the same size costs nothing (PITFALLS.md: redraw cost dominates the UI's CPU).
"""

from __future__ import annotations

from functools import lru_cache

from rich.text import Text
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
    """Shows how full the lungs should be, from 0 (empty) to 1 (full)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level = 0
        self._drawn = ""

    def set_fullness(self, fullness: float) -> None:
        self.level = max(0, min(LEVELS, round(fullness * LEVELS)))
        width, height = self.content_size
        # Several levels can draw the same cells; only a visible change is redrawn.
        if draw(width, height, self.level) != self._drawn:
            self.refresh()

    def render(self) -> Text:
        width, height = self.content_size
        self._drawn = draw(width, height, self.level)
        return Text(self._drawn, no_wrap=True)
