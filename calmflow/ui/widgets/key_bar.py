"""The player's key bar: as many keys as fit on one line, always ending with `?`.

Textual's Footer cuts off whatever does not fit, and `?` (help) comes last, so
at 80 columns the way to every other key was the first thing lost. Here the
keys are fitted to the width instead: full labels, then short ones, then the
least needed keys left out (every key is still in `?`'s help).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget


@dataclass(frozen=True)
class BarKey:
    key: str
    """As shown: 'space', '+-', 'q'."""
    label: str
    short: str
    keep: int
    """The lower, the longer it stays as the bar narrows (0: never left out)."""


HELP = BarKey("?", "Help", "Help", 0)
GAP = "  "


def _line(keys: list[BarKey], short: bool) -> str:
    return GAP.join(f"{k.key} {k.short if short else k.label}" for k in keys)


def fit(keys: tuple[BarKey, ...], width: int) -> tuple[list[BarKey], bool]:
    """The keys to show in `width` cells, and whether with their short labels;
    `?` (help) is always the last of them."""
    shown = [*keys, HELP]
    while True:
        for short in (False, True):
            if cell_len(_line(shown, short)) <= width - 2:
                return shown, short
        droppable = [k for k in shown if k.keep > 0]
        if not droppable:
            return shown, True
        shown.remove(max(droppable, key=lambda k: (k.keep, shown.index(k))))


class KeyBar(Widget):
    """One line of keys at the foot of the screen."""

    COMPONENT_CLASSES = {"key-bar--key"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; }
    """

    def __init__(self, keys: tuple[BarKey, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys = keys

    def shown(self) -> list[BarKey]:
        """The keys on the bar at its present width."""
        return fit(self.keys, self.size.width)[0]

    def render(self) -> Text:
        keys, short = fit(self.keys, self.size.width)
        key_style = self.get_component_rich_style("key-bar--key")
        text = Text(no_wrap=True, overflow="crop")
        text.append(" ")
        for number, key in enumerate(keys):
            if number:
                text.append(GAP)
            text.append(key.key, key_style)
            text.append(f" {key.short if short else key.label}")
        return text
