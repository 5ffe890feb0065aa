"""Sentences as a list, each wrapped between words but never inside '2 m 27 s'."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from calmflow.text.safe import shown

BULLET = "• "
INDENT = "  "
_WORD = re.compile(r"\d+ [a-z]\S*(?: \d+ s\S*)?|\S+")
"""A word, or a number with the word after it ('3 m 6 s', '14 sessions'), kept on one line."""


def wrap(sentence: str, width: int) -> list[str]:
    """`sentence` after a bullet, in lines of at most `width` cells, the rest indented."""
    lines: list[str] = []
    line = BULLET
    for word in _WORD.findall(sentence):
        start = line in (BULLET, INDENT)
        if not start and cell_len(line) + 1 + cell_len(word) > width:
            lines.append(line)
            line = INDENT
            start = True
        line += word if start else f" {word}"
    lines.append(line)
    return lines


class Sentences(Widget):
    """Each sentence a list item; those marked muted are drawn dim."""

    DEFAULT_CSS = """
    Sentences {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[tuple[str, bool]] = []

    def show(self, items: Sequence[tuple[str, bool]]) -> None:
        """(sentence, muted) pairs, in order (a routine's or cue's name in them is
        shown terminal-safe)."""
        self.items = [(shown(text), muted) for text, muted in items]
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[tuple[str, bool]]:
        width = max(width, 20)
        return [(line, muted) for text, muted in self.items for line in wrap(text, width)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        text = Text()
        for number, (line, muted) in enumerate(self._lines(self.size.width)):
            if number:
                text.append("\n")
            text.append(line, style="dim" if muted else "")
        return text

    @property
    def plain(self) -> str:
        """The sentences as drawn, one line each (for tests and reading aloud)."""
        return "\n".join(line for line, _ in self._lines(self.size.width))
