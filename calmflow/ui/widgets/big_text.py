"""Words in a block font three cells high, readable at arm's length.

Each letter is 5 pixels high, drawn with half blocks (two pixels a cell), so a
word is 3 rows tall and about 4 columns a letter. Where the words do not fit the
width (or the screen is small, or a character has no letter here), they are
drawn in ordinary text instead: the widget falls back, it never cuts a word.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

_GLYPHS = {
    "A": ".#. #.# ### #.# #.#",
    "B": "##. #.# ##. #.# ##.",
    "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.",
    "E": "### #.. ##. #.. ###",
    "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##",
    "H": "#.# #.# ### #.# #.#",
    "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.",
    "K": "#.# #.# ##. #.# #.#",
    "L": "#.. #.. #.. #.. ###",
    "M": "#...# ##.## #.#.# #...# #...#",
    "N": "#..# ##.# #.## #..# #..#",
    "O": ".#. #.# #.# #.# .#.",
    "P": "##. #.# ##. #.. #..",
    "Q": ".#. #.# #.# ##. .##",
    "R": "##. #.# ##. #.# #.#",
    "S": ".## #.. .#. ..# ##.",
    "T": "### .#. .#. .#. .#.",
    "U": "#.# #.# #.# #.# ###",
    "V": "#.# #.# #.# #.# .#.",
    "W": "#...# #...# #.#.# ##.## #...#",
    "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.",
    "Z": "### ..# .#. #.. ###",
    "0": "### #.# #.# #.# ###",
    "1": ".#. ##. .#. .#. ###",
    "2": "##. ..# .#. #.. ###",
    "3": "##. ..# .#. ..# ##.",
    "4": "#.# #.# ### ..# ..#",
    "5": "### #.. ##. ..# ##.",
    "6": ".## #.. ### #.# ###",
    "7": "### ..# .#. .#. .#.",
    "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ##.",
    ":": ". # . # .",
    ".": ". . . . #",
    ",": ". . . # #",
    "·": ". . # . .",
    "-": "... ... ### ... ...",
    "+": "... .#. ### .#. ...",
    "'": "# # . . .",
    " ": ".. .. .. .. ..",
}
"""Each character as five rows of pixels ('#' on), top to bottom."""

HEIGHT = 3
"""Rows of cells a line of big letters takes."""


@lru_cache(maxsize=128)
def big(words: str) -> tuple[str, ...] | None:
    """`words` in the block font, as HEIGHT rows; None if a character has no letter."""
    glyphs = []
    for char in words.upper():
        pattern = _GLYPHS.get(char)
        if pattern is None:
            return None
        glyphs.append(pattern.split(" "))
    rows = []
    for top in range(0, 6, 2):
        cells = []
        for number, glyph in enumerate(glyphs):
            if number:
                cells.append(" ")
            upper = glyph[top]
            lower = glyph[top + 1] if top + 1 < 5 else "." * len(upper)
            for a, b in zip(upper, lower, strict=True):
                cells.append(
                    "█" if a == b == "#" else "▀" if a == "#" else "▄" if b == "#" else " "
                )
        rows.append("".join(cells))
    return tuple(rows)


class BigText(Widget):
    """Words in big letters when they fit (and `allow_big`), with a line of
    small detail under them; otherwise the words and detail in ordinary text."""

    DEFAULT_CSS = """
    BigText { height: auto; }
    """

    def __init__(self, *, joiner: str = ": ", id: str | None = None) -> None:
        super().__init__(id=id)
        self.joiner = joiner
        """Between the words and the detail when they are one line of ordinary text."""
        self.words = ""
        self.detail = ""
        self.allow_big = True
        self._drawn_big: bool | None = None

    @property
    def plain(self) -> str:
        """What it says, in ordinary words."""
        return f"{self.words}{self.joiner}{self.detail}" if self.detail else self.words

    def update(self, words: str, detail: str = "", *, allow_big: bool | None = None) -> None:
        """Show `words` (big if they fit) and `detail` (small, under them)."""
        if allow_big is not None and allow_big != self.allow_big:
            self.allow_big = allow_big
            self._drawn_big = None
        if (words, detail) == (self.words, self.detail) and self._drawn_big is not None:
            return
        lines_before = (self.words.count("\n"), bool(self.detail))
        self.words, self.detail = words, detail
        width = self.content_size.width
        is_big = self._big_rows(width) is not None
        # Lay out again only when the height can change: each layout repaints all.
        resize = is_big != self._drawn_big or lines_before != (words.count("\n"), bool(detail))
        resize = resize or not is_big  # ordinary text wraps to its length
        self._drawn_big = is_big
        self.refresh(layout=resize)

    def _big_rows(self, width: int) -> tuple[str, ...] | None:
        if not self.allow_big or not self.words or width <= 0:
            return None
        rows = big(self.words)
        if rows is None or cell_len(rows[0]) > width:
            return None
        return rows

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        rows = self._big_rows(width)
        if rows is None:
            return max(1, self._small(width).count("\n") + 1)
        return HEIGHT + (1 if self.detail else 0)

    def _small(self, width: int) -> str:
        text = Text(self.plain)
        return "\n".join(line.plain for line in text.wrap(self.app.console, max(1, width)))

    def on_resize(self) -> None:
        self._drawn_big = None
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.content_size.width
        rows = self._big_rows(width)
        self._drawn_big = rows is not None
        if rows is None:
            return Text(self.plain)
        text = Text("\n".join(rows), no_wrap=True, overflow="crop")
        if self.detail:
            text.append("\n" + self.detail, "not bold")
        return text
