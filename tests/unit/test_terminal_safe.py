"""Terminal-safe text (calmflow/text/safe.py), and that every face goes through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calmflow.text.safe import shown
from calmflow.ui.safe import escape

PACKAGE = Path(__file__).resolve().parents[2] / "calmflow"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deep breaths", "Deep breaths"),
        ("\x1b]0;PWNED\x07", "\\x1b]0;PWNED\\x07"),  # OSC 0: the window title
        ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),  # OSC 52: the clipboard
        ("\x1b[2J", "\\x1b[2J"),  # clear the screen
        ("\x9b31m", "\\x9b31m"),  # the one-byte CSI
        ("abc\u202edef", "abc\\u202edef"),  # right-to-left override
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # bidi isolates
        ("nul\x00", "nul\\x00"),
        ("over\rwrite\b", "over\\x0dwrite\\x08"),
        ("a\u2028b", "a\\u2028b"),
        ("\ud800", "\\ud800"),  # a lone surrogate
        ("Mia 👩\u200d👧 café 日本 مرحبا", "Mia 👩\u200d👧 café 日本 مرحبا"),  # kept as written
    ],
)
def test_what_a_terminal_would_obey_is_written_out(text, expected):
    assert shown(text) == expected


def test_new_lines_and_tabs_are_kept_in_text_and_written_out_in_names():
    assert shown("one\ntwo\tthree") == "one\ntwo\tthree"
    assert shown("one\ntwo\tthree", lines=False) == "one\\x0atwo\\x09three"


def test_on_screens_markup_in_a_name_is_shown_not_obeyed():
    assert escape("[b]bold[/b]\x1b]0;x\x07") == "\\[b]bold\\[/b]\\x1b]0;x\\x07"


def _places(pattern: str, skip: set[str]) -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE))
        if name in skip:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"calmflow/{name}:{number}: {line.strip()}")
    return found


def test_the_command_line_prints_only_through_its_output_module():
    # say() for people (terminal-safe), data()/table() for programs.
    assert _places(r"\bclick\.(echo|secho)\(", {"cli/output.py"}) == []
    printing = [p for p in _places(r"\bprint\(", set()) if p.startswith("calmflow/cli/")]
    assert printing == []


def test_screens_escape_only_through_the_terminal_safe_escape():
    assert _places(r"from rich\.markup import escape", {"ui/safe.py"}) == []
