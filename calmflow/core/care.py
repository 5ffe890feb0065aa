"""Pump care: flange sizes to try from a nipple measurement, and when parts are due.

Numbers from EVIDENCE.md (Equipment), each marked with its kind:

- Flanges commonly come in 21/24/27/30/36 mm, with inserts for smaller sizes.
  Two sizing approaches are in use and both are shown, as ranges, never as "your
  size": the classic rule (nipple base + 2–4 mm) and the newer smaller-fit
  practice (nipple base + 0–2 mm) [practice]. Each side is measured on its own
  and may differ.
- The fit checklist (centred and moving freely; little areola drawn in; no pain,
  rubbing or blanching) [practice].
- Measure again after REMEASURE_AFTER [ours: nipples change, most in the early
  weeks], or sooner when comfort falls [ours, see `comfort_fell`].
- Replacement intervals [practice]: duckbill valves about every 4 weeks at 3+
  sessions a day, 8–12 weeks otherwise; valve + membrane every 2–8 weeks; tubing
  every 3–6 months (at once if mouldy); flanges about every 6 months (or when
  cracked). Where a range is given, calmflow takes its start, so a worn part is
  caught rather than missed [ours]; the person can set their own interval.

Nothing here reads a clock or the terminal: the caller passes "now" and the
local time zone.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

# --- flange fit -------------------------------------------------------------------

COMMON_SIZES_MM = (21, 24, 27, 30, 36)
"""[practice] Flange sizes most pumps come with or offer."""
MIN_NIPPLE_MM = 5.0
MAX_NIPPLE_MM = 45.0
"""[ours] Outside these a measurement is a slip (or the areola was measured)."""

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


@dataclass(frozen=True)
class SizingRule:
    name: str
    words: str
    plus_low_mm: float
    plus_high_mm: float


CLASSIC = SizingRule("classic", "classic rule, nipple + 2–4 mm", 2.0, 4.0)
SMALLER_FIT = SizingRule("smaller-fit", "newer smaller-fit practice, nipple + 0–2 mm", 0.0, 2.0)
RULES = (CLASSIC, SMALLER_FIT)

FIT_CHECKLIST = (
    "The nipple sits in the centre of the tunnel and moves freely, without rubbing its sides.",
    "Little or none of the areola is drawn into the tunnel.",
    "No pain, rubbing or blanching (the nipple turning white) during or after pumping.",
)
FIT_NOTE = (
    "These are sizes to try, not a prescription: makers' sizes differ, and how it feels"
    " (the checklist) matters more than the ruler. If pumping keeps hurting, a lactation"
    " consultant (IBCLC) can look at the fit with you."
)

REMEASURE_AFTER = timedelta(weeks=6)
"""[ours] Nipples can change size, most in the early weeks: measure again after this."""
COMFORT_WINDOW = 5
"""[ours] How many of the latest rated sessions the comfort mean is taken over..."""
COMFORT_LOW_MEAN = 2.0
"""...[ours] and the mean at or below which comfort has fallen (1 painful, 5 comfortable)."""
COMFORT_MIN_RATED = 3
"""[ours] Rated sessions needed before a mean says anything."""
PAINFUL = 1


def check_nipple_mm(mm: float) -> float:
    """`mm` if it can be a nipple-base measurement, else ValueError saying why."""
    if mm != mm or mm <= 0:  # NaN too
        raise ValueError(f"a measurement of {mm:g} mm cannot be right: give the width in mm")
    if not MIN_NIPPLE_MM <= mm <= MAX_NIPPLE_MM:
        raise ValueError(
            f"a measurement of {mm:g} mm cannot be right: measure across the base of the"
            " nipple only (not the areola), in mm"
        )
    return float(mm)


@dataclass(frozen=True)
class SizeRange:
    """What one sizing rule gives for one measurement."""

    rule: str
    words: str
    low_mm: float
    high_mm: float
    sizes_mm: tuple[int, ...]
    """The common sizes within the range (may be empty)..."""
    beyond: Literal["", "smaller", "larger", "between"]
    """...and if it is, where the range falls: below the smallest common size, above
    the largest, or between two of them."""
    nearest_mm: tuple[int, ...]
    """The common sizes on either side of the range when none is within it."""

    def text(self) -> str:
        span = f"{self.low_mm:g}–{self.high_mm:g} mm"
        if self.sizes_mm:
            sizes = " or ".join(f"{s} mm" for s in self.sizes_mm)
            return f"by the {self.words} ({span}): {sizes}"
        if self.beyond == "smaller":
            return (
                f"by the {self.words} ({span}): smaller than the common sizes"
                f" ({COMMON_SIZES_MM[0]} mm is the smallest); inserts for smaller sizes exist"
            )
        if self.beyond == "larger":
            return (
                f"by the {self.words} ({span}): larger than the common sizes"
                f" ({COMMON_SIZES_MM[-1]} mm is the largest); some makers have larger ones"
            )
        low, high = self.nearest_mm
        return (
            f"by the {self.words} ({span}): between the common {low} and {high} mm;"
            " some makers have sizes in between, or inserts"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "low_mm": self.low_mm,
            "high_mm": self.high_mm,
            "sizes_mm": list(self.sizes_mm),
            "beyond": self.beyond or None,
            "nearest_mm": list(self.nearest_mm),
            "text": self.text(),
        }


def size_range(nipple_mm: float, rule: SizingRule) -> SizeRange:
    """The sizes `rule` suggests trying for a nipple base of `nipple_mm`."""
    low = nipple_mm + rule.plus_low_mm
    high = nipple_mm + rule.plus_high_mm
    within = tuple(s for s in COMMON_SIZES_MM if low <= s <= high)
    if within:
        return SizeRange(rule.name, rule.words, low, high, within, "", ())
    if high < COMMON_SIZES_MM[0]:
        return SizeRange(rule.name, rule.words, low, high, (), "smaller", (COMMON_SIZES_MM[0],))
    if low > COMMON_SIZES_MM[-1]:
        return SizeRange(rule.name, rule.words, low, high, (), "larger", (COMMON_SIZES_MM[-1],))
    below = max(s for s in COMMON_SIZES_MM if s < low)
    above = min(s for s in COMMON_SIZES_MM if s > high)
    return SizeRange(rule.name, rule.words, low, high, (), "between", (below, above))


def size_ranges(nipple_mm: float) -> tuple[SizeRange, ...]:
    """Both rules' ranges for one side, classic first."""
    return tuple(size_range(nipple_mm, rule) for rule in RULES)


@dataclass(frozen=True)
class Measurement:
    side: Side
    mm: float
    measured_at: datetime


def comfort_fell(comforts: Sequence[int]) -> Literal["", "pain", "low"]:
    """Whether the comfort ratings (1 painful to 5 comfortable, oldest first, rated
    sessions only) say the fit is worth checking: "pain" when the latest was
    painful, "low" when the mean of the latest COMFORT_WINDOW is at or below
    COMFORT_LOW_MEAN (with at least COMFORT_MIN_RATED rated) [ours], else ""."""
    if not comforts:
        return ""
    if comforts[-1] <= PAINFUL:
        return "pain"
    recent = comforts[-COMFORT_WINDOW:]
    if len(recent) >= COMFORT_MIN_RATED and statistics.fmean(recent) <= COMFORT_LOW_MEAN:
        return "low"
    return ""


@dataclass(frozen=True)
class FitReminder:
    """Whether to measure again, and why."""

    since_measured: timedelta | None
    """Since the older of the latest measurements of each side; None if a side
    was never measured."""
    time_due: bool
    comfort: Literal["", "pain", "low"]

    @property
    def due(self) -> bool:
        return self.time_due or bool(self.comfort)

    def lines(self) -> list[str]:
        said = []
        if self.comfort == "pain":
            said.append(
                "The last session was painful. Pumping should not hurt: checking the"
                " flange fit (the checklist above) may help."
            )
        elif self.comfort == "low":
            said.append(
                "Comfort has been low over your last sessions: checking the flange fit"
                " (the checklist above) may help."
            )
        if self.time_due and self.since_measured is not None:
            weeks = self.since_measured.days // 7
            said.append(
                f"It has been {weeks} weeks since you measured. Nipples can change size,"
                " so measuring again may be worth it."
            )
        return said

    def as_dict(self) -> dict[str, object]:
        return {
            "due": self.due,
            "time_due": self.time_due,
            "comfort": self.comfort or None,
            "since_measured_days": self.since_measured.days if self.since_measured else None,
            "remeasure_after_days": REMEASURE_AFTER.days,
            "lines": self.lines(),
        }


def fit_reminder(
    latest: dict[str, Measurement], comforts_since: Sequence[int], now: datetime
) -> FitReminder:
    """Measure again? `latest` is the latest measurement of each side measured;
    `comforts_since` the comfort ratings of sessions since the latest measurement
    (all of them if none), oldest first."""
    if len(latest) < len(SIDES):
        since = None
        time_due = False  # never measured: `calmflow fit` says how to, without nagging
    else:
        since = now - min(m.measured_at for m in latest.values())
        time_due = since >= REMEASURE_AFTER
    return FitReminder(since, time_due, comfort_fell(comforts_since))


# --- parts --------------------------------------------------------------------------

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
            by = f"{self.over} days past" if self.over else "reached"
            state = f"due: {by} its {self.interval_days}-day interval"
        elif self.due_by == "sessions":
            by = f"{self.over} sessions past" if self.over else "reached"
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


def care_line(due: Sequence[PartStatus], fit: Literal["", "pain", "low"]) -> str | None:
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
