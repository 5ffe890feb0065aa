"""Text from files, imports, names and labels, made safe to show on a terminal.

A routine's name, a prompt, a note imported from someone else's file or the
label of a pump part can carry what a terminal obeys instead of showing: an
escape sequence that sets the window title or writes the clipboard (OSC 52:
paste-jacking), a carriage return or backspaces that write over what was shown,
a right-to-left override that shows a name backwards, a NUL. `shown` makes every
such character visible as what it is (`\\x1b`, `\\u202e`), so the text reads as
written and nothing in it reaches the terminal as a command. Every face uses it
at its edge: the command line for all it prints for people (cli/output.py), the
screens through `calmflow.ui.safe.escape`. Data written for programs (JSON,
which escapes control characters itself, and CSV to a file or a pipe) stays
exact.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Marks and overrides that reorder how text is shown (Unicode's bidi controls)."""
SEPARATORS = frozenset("\u2028\u2029\x85")
"""Line and paragraph separators some terminals take as new lines."""


def shown(text: str, *, lines: bool = True) -> str:
    """`text` with every character a terminal would obey rather than show written
    out visibly (`\\x1b`, `\\x00`, `\\u202e`, a lone surrogate as `\\ud800`). New
    lines and tabs are kept when `lines` (notes, messages), written out when not
    (a name in a list)."""
    if text.isprintable() and not (BIDI_CONTROLS.intersection(text)):
        return text  # the common case, quickly: nothing to write out
    return "".join(_char(c, lines) for c in text)


def _char(c: str, lines: bool) -> str:
    if lines and c in "\n\t":
        return c
    if c in BIDI_CONTROLS or c in SEPARATORS:
        return _written(c)
    category = unicodedata.category(c)
    if category in ("Cc", "Cs") or (category == "Zl" or category == "Zp"):
        return _written(c)
    return c  # letters, marks, emoji joiners (Cf other than bidi) and the rest


def _written(c: str) -> str:
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"
