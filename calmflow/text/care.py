"""Pump care in words: flange sizes to try and each part's state, as `calmflow fit`,
`calmflow parts` and the care screen say them."""

from __future__ import annotations

from datetime import datetime

from calmflow.core.fit import FIT_CHECKLIST, FIT_NOTE, SIDES, FitReminder, Measurement, size_ranges
from calmflow.core.parts import PART_KINDS, PartStatus
from calmflow.system import wallclock


def day_text(moment: datetime) -> str:
    """'2026-11-01': the day on the person's clock."""
    return moment.astimezone(wallclock.zone()).strftime("%Y-%m-%d")


def fit_lines(latest: dict[str, Measurement], reminder: FitReminder) -> list[str]:
    """What `calmflow fit` says."""
    lines: list[str] = []
    if not latest:
        lines.append(
            "No measurement yet. Measure across the base of the nipple (not the areola), in mm,"
            " on each side, then e.g. `calmflow fit --left 18 --right 19` (or `--both 18`)."
        )
    else:
        lines.append("Flange sizes to try, from your measurements:")
        for side in SIDES:
            m = latest.get(side)
            if m is None:
                lines.append(f"{side.capitalize()}: not measured yet (`calmflow fit --{side} MM`).")
                continue
            lines.append(f"{side.capitalize()}, {m.mm:g} mm (measured {day_text(m.measured_at)}):")
            lines.extend(f"  {r.text()}" for r in size_ranges(m.mm))
        if len(latest) == 2 and latest["left"].mm != latest["right"].mm:
            lines.append(
                "The two sides measure differently: each side may suit its own flange size."
            )
    lines.append("")
    lines.append("A fit that works usually feels like this:")
    lines.extend(f"  - {item}" for item in FIT_CHECKLIST)
    lines.append(FIT_NOTE)
    if reminder.due:
        lines.append("")
        lines.extend(reminder.lines())
    return lines


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
