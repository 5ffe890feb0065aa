"""PyYAML's syntax errors in plain words, at the place of the mistake.

PyYAML names what its scanner or parser expected ("mapping values are not
allowed here", "found character '\\t' that cannot start any token") and often
points at the line after the mistake: a key without its colon is read as text
running on into the next line, and the error comes at that line's colon. Here
the common ones are told as a person would fix them, at the line and column to
fix: a missing colon, a tab, an unclosed quote or bracket, a line indented
wrongly, a list item where a key was expected. Others are left to PyYAML's words.
"""

from __future__ import annotations

import re

import yaml

MAX_QUOTED = 30
"""A word quoted back from the file is cut to this length."""

_KEY_WORD = re.compile(r"[^\s:#]+")


def plain_words(
    exc: yaml.MarkedYAMLError, text: str, *, quote: bool = True
) -> tuple[int, int, str] | None:
    """The 1-based line and column of the mistake and what to do about it, or None
    when this is not one of the common mistakes. `quote=False` for a file not yet
    known to be a routine: no word of it is quoted back."""
    lines = text.splitlines()
    problem = exc.problem or ""
    at = exc.problem_mark
    since = exc.context_mark
    if at is None:
        return None
    line = at.line
    if "could not find expected ':'" in problem and since is not None:
        return _missing_colon(lines, since.line, since.column, quote)
    if problem == "mapping values are not allowed here":
        return _colon_too_many(lines, line, at.column, quote)
    if "'\\t' that cannot start any token" in problem:
        before = _line(lines, line)[: at.column]
        if before.strip(" ") == "":
            return line + 1, 1, f"line {line + 1} starts with a tab: indent with spaces"
        return line + 1, at.column + 1, "a tab here: use spaces instead"
    if exc.context == "while scanning a quoted scalar" and since is not None:
        if "end of stream" in problem or "document separator" in problem:
            mark = _line(lines, since.line)[since.column : since.column + 1] or "quote"
            return (
                since.line + 1,
                since.column + 1,
                f"the {_which_quote(mark)} opened here is never closed: end the value with it",
            )
        return None
    if exc.context in ("while parsing a flow sequence", "while parsing a flow mapping"):
        if since is not None and problem.startswith("expected ',' or"):
            opened, closed = ("[", "]") if "sequence" in exc.context else ("{", "}")
            return (
                since.line + 1,
                since.column + 1,
                f"the '{opened}' opened here is never closed: end it with '{closed}'",
            )
        return None
    if problem == "expected <block end>, but found '-'":
        if since is not None and re.match(r"-[^\s-]", _line(lines, since.line)[since.column :]):
            return (
                since.line + 1,
                since.column + 2,
                "a space is missing after '-': a list item is written '- name: value'",
            )
        return (
            line + 1,
            at.column + 1,
            "a list item ('- ') where a key was expected: indent it under the key it"
            " belongs to, or give it a key ('name: value')",
        )
    if problem.startswith("expected <block end>, but found"):
        return (
            line + 1,
            at.column + 1,
            "this line is indented differently from the lines around it: line it up"
            " with the keys it belongs with (spaces only)",
        )
    return None


def _line(lines: list[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def _quoted(word: str, quote: bool, otherwise: str) -> str:
    if not quote or not word:
        return otherwise
    return f"'{word[:MAX_QUOTED]}{'…' if len(word) > MAX_QUOTED else ''}'"


def _which_quote(mark: str) -> str:
    return {'"': 'double quote (")', "'": "single quote (')"}.get(mark, "quote")


def _missing_colon(lines: list[str], index: int, column: int, quote: bool) -> tuple[int, int, str]:
    """A key written without its colon: PyYAML read on to the next line looking
    for one; the mistake is after the key's first word."""
    found = _KEY_WORD.match(_line(lines, index), column)
    word = found.group() if found else ""
    where = column + len(word)
    said = _quoted(word, quote, "the first word of this line")
    return index + 1, where + 1, f"a colon is missing after {said}"


def _colon_too_many(lines: list[str], index: int, column: int, quote: bool) -> tuple[int, int, str]:
    """A colon where no key can start: a value with ': ' in it, a key on a line
    whose previous key lost its colon, or a line indented deeper than its key."""
    here = _line(lines, index)
    if ": " in here[:column] or here[:column].rstrip().endswith(":"):
        return (
            index + 1,
            column + 1,
            "a second colon on this line: put the value in quotes"
            + (' ("like: this")' if quote else ""),
        )
    before = index - 1
    while before >= 0 and _line(lines, before).split("#", 1)[0].strip() == "":
        before -= 1
    if before >= 0:
        previous = _line(lines, before).split("#", 1)[0]
        if ":" not in previous:
            start = len(previous) - len(previous.lstrip(" -"))
            return _missing_colon(lines, before, start, quote)
    return (
        index + 1,
        len(here) - len(here.lstrip(" ")) + 1,
        "this line is indented further than the key above it: line it up with the"
        " keys it belongs with (spaces only)",
    )
