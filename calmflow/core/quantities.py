"""Durations and sound levels as people write them: in routines, and on the command line.

One grammar for a length of time everywhere: `90`, `90s`, `2m`, `1m30s`, `1h`,
`2h30m`; a span on the command line (core.schedule.parse_span) is the same in
whole hours and minutes, where a space before the unit is allowed too (`3 h`).
"""

from __future__ import annotations

import re
from typing import Any

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$"
)


def parse_duration(value: Any) -> float:
    """Seconds from `90`, `90s`, `2m`, `1m30s` or `1h`; raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 90s, 2m or 1m30s; found {value!r}")
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # a whole number of hundreds of digits
            raise ValueError(
                f"a number of {len(str(value)):,} digits is far too long for a duration"
            ) from None
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match and match.group(1) and match.group(3) and not value.rstrip().endswith("s"):
            raise ValueError(f"'{value}' is ambiguous: write {value}m or {value}s")
        if match and any(match.groups()):
            hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise ValueError(f"expected a duration like 90s, 2m or 1m30s; found {value!r}")


def duration_text(seconds: float) -> str:
    """A duration as a routine would write it: 1m, 1m30s, 3h, 45s."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours:g}h" if hours else "", f"{minutes:g}m" if minutes else ""]
    parts.append(f"{secs:g}s" if secs or not (hours or minutes) else "")
    return "".join(parts)


_VOLUME_DB = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*dB\s*$", re.IGNORECASE)


def parse_volume(value: Any) -> float:
    """A gain from 0 to 1, or from decibels like `-12dB` (0dB is full)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a volume from 0 to 1, or in dB like -12dB; found {value!r}")
    if isinstance(value, str):
        match = _VOLUME_DB.match(value)
        if not match:
            raise ValueError(f"expected a volume from 0 to 1, or in dB like -12dB; found {value!r}")
        db = float(match.group(1))
        if db > 0:
            raise ValueError(f"a volume in dB is at most 0dB (full); found {value!r}")
        return float(10 ** (db / 20))
    return value  # type: ignore[no-any-return]  # pydantic checks it is a number
