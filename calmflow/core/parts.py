"""Pump parts: when each is due, and the one line of pump care after a session.

Replacement intervals from EVIDENCE.md (Equipment) [practice]: duckbill valves
about every 4 weeks at 3+ sessions a day, 8–12 weeks otherwise; valve +
membrane every 2–8 weeks; tubing every 3–6 months (at once if mouldy); flanges
about every 6 months (or when cracked). Where a range is given, calmflow takes
its start, so a worn part is caught rather than missed [ours]; the person can
set their own interval.

Nothing here reads a clock or the terminal: the caller passes "now" and the
local time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from calmflow.core.fit import FitWords

HEAVY_USE_PER_DAY = 3.0
"""[practice] Sessions a day from which duckbill valves wear in about 4 weeks."""
RATE_WINDOW_DAYS = 14
"""[ours] Sessions per day are counted over the last 14 days (or since the first)."""


@dataclass(frozen=True)
class PartKind:
    kind: str
    words: str
    """How the part is called in a sentence (plural where it comes in pairs)."""
    days: int
    """Default interval in days..."""
    heavy_use_days: int | None = None
    """...or this many at HEAVY_USE_PER_DAY sessions a day or more."""
    sessions: int | None = None
    """Due after this many sessions too, whichever comes first."""
    also: str = ""
    """When to replace it regardless of time."""


PART_KINDS: dict[str, PartKind] = {
    k.kind: k
    for k in (
        # [practice] 4 weeks at 3+ sessions a day, 8–12 weeks otherwise (the start).
        PartKind("duckbill", "duckbill valves", days=56, heavy_use_days=28),
        # [practice] 2–8 weeks by use. [ours] 8 weeks, or 112 sessions (2 weeks at 8
        # a day), whichever comes first: heavy use lands at 2 weeks, light at 8.
        PartKind("valve-membrane", "valves and membranes", days=56, sessions=112),
        # [practice] 3–6 months (the start), at once if mouldy.
        PartKind("tubing", "tubing", days=90, also="at once if there is mould or water in it"),
        # [practice] about 6 months, or when cracked.
        PartKind("flange", "flanges", days=182, also="at once if cracked"),
        # [ours] EVIDENCE.md gives none; its silicone membrane wears like a valve
        # membrane, so the same 8 weeks or 112 sessions. The maker's leaflet says more.
        PartKind("backflow", "backflow protectors", days=56, sessions=112),
    )
}
ALIASES = {
    "duckbills": "duckbill",
    "duckbill-valve": "duckbill",
    "duckbill-valves": "duckbill",
    "valve": "valve-membrane",
    "valves": "valve-membrane",
    "membrane": "valve-membrane",
    "membranes": "valve-membrane",
    "valve+membrane": "valve-membrane",
    "valves-membranes": "valve-membrane",
    "tube": "tubing",
    "tubes": "tubing",
    "flanges": "flange",
    "shield": "flange",
    "shields": "flange",
    "backflow-protector": "backflow",
    "backflow-protectors": "backflow",
}
MAX_INTERVAL_DAYS = 730


def part_kind(name: str) -> PartKind:
    """The kind called `name` (or one of its other names), else ValueError listing them."""
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    found = PART_KINDS.get(ALIASES.get(key, key))
    if found is None:
        kinds = ", ".join(PART_KINDS)
        raise ValueError(f"{name!r} is not a part calmflow knows; the kinds are {kinds}")
    return found


def check_interval_days(days: int) -> int:
    if not 1 <= days <= MAX_INTERVAL_DAYS:
        raise ValueError(f"an interval of {days} days cannot be right: give 1 to 730 days")
    return days


@dataclass(frozen=True)
class Part:
    id: int
    kind: str
    label: str | None
    fitted_at: datetime
    """When the part now in use was fitted (the latest replacement)."""
    every_days: int | None = None
    """The person's own interval, replacing the defaults; None for the defaults."""
    fittings: int = 1

    @property
    def name(self) -> str:
        words = PART_KINDS[self.kind].words if self.kind in PART_KINDS else self.kind
        return f"{words} ({self.label})" if self.label else words


@dataclass(frozen=True)
class PartStatus:
    part: Part
    days_since: int
    """Whole local days since it was fitted (fitted yesterday: 1)."""
    sessions_since: int
    interval_days: int
    interval_sessions: int | None
    interval_from: Literal["default", "heavy use", "yours"]
    due_by: Literal["", "days", "sessions"]
    """What made it due ("" if it is not)."""
    over: int
    """Days (or sessions) past the interval when due; else days left."""

    @property
    def due(self) -> bool:
        return bool(self.due_by)

    def text(self) -> str:
        """One line: the state, with which interval and by how much."""
        p = self.part
        since = (
            f"{_n(self.days_since, 'day')} and {_n(self.sessions_since, 'session')} since fitted"
        )
        if self.due_by == "days":
            by = f"{_n(self.over, 'day')} past" if self.over else "reached"
            state = f"due: {by} its {self.interval_days}-day interval"
        elif self.due_by == "sessions":
            by = f"{_n(self.over, 'session')} past" if self.over else "reached"
            state = f"due: {by} its {self.interval_sessions}-session interval"
        else:
            state = f"due in {_n(self.over, 'day')}"
            if self.interval_sessions is not None:
                left = self.interval_sessions - self.sessions_since
                state += f" or {_n(left, 'session')}, whichever comes first"
        return f"{p.name}: {since}; {state}"

    def as_dict(self) -> dict[str, object]:
        p = self.part
        return {
            "id": p.id,
            "kind": p.kind,
            "label": p.label,
            "fitted_at": p.fitted_at.isoformat(),
            "fittings": p.fittings,
            "every_days": p.every_days,
            "days_since": self.days_since,
            "sessions_since": self.sessions_since,
            "interval_days": self.interval_days,
            "interval_sessions": self.interval_sessions,
            "interval_from": self.interval_from,
            "due": self.due,
            "due_by": self.due_by or None,
            "over": self.over if self.due else 0,
            "days_left": None if self.due else self.over,
            "text": self.text(),
            "also": PART_KINDS[p.kind].also if p.kind in PART_KINDS else "",
        }


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def sessions_per_day(
    starts: Sequence[datetime], now: datetime, first: datetime | None = None
) -> float:
    """Sessions a day over the last RATE_WINDOW_DAYS days, or since `first` (the
    first session ever logged; default the first of `starts`) if that is more
    recent, counted as at least one day."""
    window_start = now - timedelta(days=RATE_WINDOW_DAYS)
    recent = [s for s in starts if window_start <= s <= now]
    if not recent:
        return 0.0
    begin = max(window_start, first if first is not None else min(recent))
    days = (now - begin).total_seconds() / 86400
    return len(recent) / max(days, 1.0)


def part_status(
    part: Part, *, sessions_since: int, per_day: float, now: datetime, tz: tzinfo
) -> PartStatus:
    """Where `part` stands: due by days or by sessions (whichever first), or how
    long is left. `per_day` is the person's recent sessions a day (see
    `sessions_per_day`); `sessions_since` counts sessions since it was fitted."""
    kind = PART_KINDS.get(part.kind) or PartKind(part.kind, part.kind, days=56)
    days_since = max(0, (_local_day(now, tz) - _local_day(part.fitted_at, tz)).days)
    interval_from: Literal["default", "heavy use", "yours"]
    if part.every_days is not None:
        interval_days, interval_sessions, interval_from = part.every_days, None, "yours"
    elif kind.heavy_use_days is not None and per_day >= HEAVY_USE_PER_DAY:
        interval_days, interval_sessions, interval_from = kind.heavy_use_days, None, "heavy use"
    else:
        interval_days, interval_sessions, interval_from = kind.days, kind.sessions, "default"
    due_by: Literal["", "days", "sessions"] = ""
    if days_since >= interval_days:
        due_by, over = "days", days_since - interval_days
    elif interval_sessions is not None and sessions_since >= interval_sessions:
        due_by, over = "sessions", sessions_since - interval_sessions
    else:
        over = interval_days - days_since
    return PartStatus(
        part,
        days_since,
        sessions_since,
        interval_days,
        interval_sessions,
        interval_from,
        due_by,
        over,
    )


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def care_line(due: Sequence[PartStatus], fit: FitWords) -> str | None:
    """The one gentle line at the end of a session, or None when all is well."""
    said = []
    if len(due) == 1:
        said.append(
            f"the {due[0].part.name} may be due for replacing, as worn parts lose suction"
            " (`calmflow parts`)"
        )
    elif due:
        names = ", ".join(s.part.name for s in due)
        said.append(
            f"some parts may be due for replacing ({names}), as worn parts lose suction"
            " (`calmflow parts`)"
        )
    if fit == "pain":
        said.append("pumping should not hurt, so a flange-fit check may help (`calmflow fit`)")
    elif fit == "low":
        said.append("comfort has been low lately, so a flange-fit check may help (`calmflow fit`)")
    if not said:
        return None
    return f"Pump care: {'; '.join(said)}."
