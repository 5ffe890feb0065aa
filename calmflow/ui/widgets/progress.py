"""The whole session on one line: how far along, where phases change, each let-down.

    ━━━━━━━━━━┃━━━━━━●━━━━━━━━│────────────────────│──────────
    played    phase    let-down  to come           phase

Drawn from frames (the timeline as it stands, so a let-down that moves the
session on, or a restimulation, shows at once), and redrawn only when a
character would change: one cell is several seconds, so most ticks cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rich.text import Text
from textual.widget import Widget

PLAYED = "━"
TO_COME = "─"
BOUNDARY = "│"
LETDOWN = "●"


@dataclass(frozen=True)
class Shape:
    """What the line shows, in frames."""

    total: int
    now: int
    boundaries: tuple[int, ...]
    """Where each phase after the first starts."""
    letdowns: tuple[int, ...]


def _cell(frame: int, total: int, width: int) -> int:
    return min(width - 1, max(0, frame * width // max(total, 1)))


@lru_cache(maxsize=64)
def cells(width: int, shape: Shape) -> tuple[str, int]:
    """The line's characters and how many of them are played."""
    if width <= 0:
        return "", 0
    played = min(width, shape.now * width // max(shape.total, 1))
    line = [PLAYED] * played + [TO_COME] * (width - played)
    for frame in shape.boundaries:
        if 0 < frame < shape.total:
            line[_cell(frame, shape.total, width)] = BOUNDARY
    for frame in shape.letdowns:
        line[_cell(frame, shape.total, width)] = LETDOWN
    return "".join(line), played


class SessionProgress(Widget):
    """One line across the screen; `show(shape)` each tick."""

    DEFAULT_CSS = """
    SessionProgress { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shape = Shape(1, 0, (), ())
        self._drawn: tuple[str, int] | None = None
        self._width = 0

    def show(self, shape: Shape) -> None:
        self.shape = shape
        if cells(self._width, shape) != self._drawn:
            self.refresh()

    def on_resize(self) -> None:
        self.refresh()

    def render(self) -> Text:
        # The width is kept from here: asking for it each tick costs more than drawing.
        self._width = self.content_size.width
        self._drawn = cells(self._width, self.shape)
        line, played = self._drawn
        text = Text(no_wrap=True, overflow="crop")
        text.append(line[:played], style="bold")
        text.append(line[played:], style="dim")
        return text
