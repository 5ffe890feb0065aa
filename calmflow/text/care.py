"""Pump care in words: flange sizes to try and each part's state, as `calmflow fit`,
`calmflow parts` and the care screen say them."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime

from calmflow.core.fit import (
    FIT_CHECKLIST,
    FIT_NOTE,
    SIDES,
    FitReminder,
    Measurement,
    same_sizes,
    size_ranges,
)
from calmflow.core.parts import PART_KINDS, PartStatus
from calmflow.system import wallclock


def day_text(moment: datetime) -> str:
    """'2026-11-01': the day on the person's clock."""
    return moment.astimezone(wallclock.zone()).strftime("%Y-%m-%d")


BULLET = "  - "
"""How a list item begins; what wraps under it is indented as far as its text."""


def fit_lines(
    latest: dict[str, Measurement], reminder: FitReminder, *, on_screen: bool = False
) -> list[str]:
    """What `calmflow fit` says; `on_screen` in the care screen's words (which key
    to press, not which command to run). Bullets begin with BULLET (see `hanging`)."""
    lines: list[str] = []
    if not latest:
        how = (
            "then press m to note them."
            if on_screen
            else "then e.g. `calmflow fit --left 18 --right 19` (or `--both 18`)."
        )
        lines.append(
            "No measurement yet. Measure across the base of the nipple (not the areola),"
            f" in mm, on each side, {how}"
        )
    elif len(latest) == 2 and same_sizes(latest["left"].mm, latest["right"].mm):
        left, right = latest["left"], latest["right"]
        both = (
            f"{left.mm:g} mm"
            if left.mm == right.mm
            else f"left {left.mm:g} mm, right {right.mm:g} mm"
        )
        lines.append(
            f"Both sides ({both}, measured {day_text(min(left.measured_at, right.measured_at))})"
            " suit the same flange sizes; to try:"
        )
        lines.extend(f"{BULLET}{r.text(span=False)}" for r in size_ranges(left.mm))
    else:
        lines.append("Flange sizes to try, from your measurements:")
        for side in SIDES:
            m = latest.get(side)
            if m is None:
                how = "press m" if on_screen else f"`calmflow fit --{side} MM`"
                lines.append(f"{side.capitalize()}: not measured yet ({how}).")
                continue
            lines.append(f"{side.capitalize()}, {m.mm:g} mm (measured {day_text(m.measured_at)}):")
            lines.extend(f"{BULLET}{r.text()}" for r in size_ranges(m.mm))
        if len(latest) == 2:
            lines.append("The two sides suit different sizes: each side can have its own flange.")
    lines.append("")
    lines.append("A fit that works usually feels like this:")
    lines.extend(f"{BULLET}{item}" for item in FIT_CHECKLIST)
    lines.append(FIT_NOTE)
    if reminder.due:
        lines.append("")
        lines.extend(reminder.lines())
    return lines


_MARK = re.compile(r"^( *(?:- )?)")


def hanging(line: str) -> tuple[str, str]:
    """A line split into what begins it (indentation and a bullet) and its text, so
    that the text wraps under itself, not back to the margin."""
    found = _MARK.match(line)
    mark = found.group(1) if found else ""
    return mark, line[len(mark) :]


def wrapped(line: str, width: int) -> list[str]:
    """`line` wrapped to `width` columns, its continuation lines indented as far as
    its text (a hanging indent under a bullet)."""
    mark, text = hanging(line)
    if not text:
        return [line]
    return textwrap.wrap(
        text,
        width=max(width, len(mark) + 20),
        initial_indent=mark,
        subsequent_indent=" " * len(mark),
        break_on_hyphens=False,
    )


def part_line(s: PartStatus) -> str:
    """One part as `calmflow parts` lists it."""
    why = {
        "yours": " (your interval)",
        "heavy use": " (you pump 3 or more times a day)",
        "default": "",
    }[s.interval_from]
    also = PART_KINDS[s.part.kind].also if s.part.kind in PART_KINDS else ""
    line = f"{s.part.id:>3}  {s.text()}{why}"
    if also:
        line += f"; {also}"
    return line + "."
