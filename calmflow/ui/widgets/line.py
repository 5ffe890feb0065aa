"""A line of text whose words change as a session plays: the player's title,
times, prompt, cue line, let-downs, notice and status."""

from __future__ import annotations

from rich.cells import cell_len
from textual.reactive import reactive
from textual.widgets import Static


class Line(Static):
    """Set `words` each tick: the line is redrawn only when they change, and laid
    out again only when the new words could change its size (a layout pass
    repaints every widget: it was most of the player's CPU)."""

    words: reactive[str | None] = reactive(None, init=False)
    """The words shown (Rich markup, already made terminal-safe)."""

    def watch_words(self, before: str | None, words: str | None) -> None:
        text = words or ""
        styles = self.styles
        resizes = styles.height is None or styles.height.is_auto
        if styles.width is None or styles.width.is_auto:
            resizes = resizes or before is None or cell_len(before) != cell_len(text)
        self.update(text, layout=resizes)
