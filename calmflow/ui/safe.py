"""Text on the screens: safe for the terminal and for Textual's markup at once.

`escape` is the one function every screen puts text through that it did not
write itself (a routine's name and prompts, notes, labels, messages quoting
them): calmflow.text.safe.shown writes out what a terminal would obey (an escape
sequence in a routine's name must not set the window title or the clipboard),
then Rich's escape keeps `[b]` in a name from being read as markup.
"""

from __future__ import annotations

from rich.markup import escape as _markup_escape

from calmflow.text.safe import shown


def escape(text: str, *, lines: bool = True) -> str:
    """`text` shown as written: terminal-safe, and no markup."""
    return _markup_escape(shown(text, lines=lines))


def plain(text: str) -> str:
    """A name or a label for a Rich `Text` (which reads no markup): terminal-safe,
    on one line."""
    return shown(text, lines=False)
