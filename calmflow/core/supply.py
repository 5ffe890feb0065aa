"""Supply: daily totals, and a gentle flag when the trend (not one session) dips.

EVIDENCE.md (Sessions and schedule): a drop is a trend, not one low session;
flag when the 3-day mean falls below 85% of the person's previous 14-day
median, with enough days logged (and, ours, two of the three days below that
line themselves, so one very low day is not taken for a trend). Never a diagnosis, never alarming: the flag
comes with the checklist of what commonly lowers output and when to ask a
lactation consultant.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

RECENT_DAYS = 3
BASELINE_DAYS = 14
DROP_BELOW = 0.85
LOW_DAYS_NEEDED = 2
"""[ours] Of the 3 recent days, how many must be below the line themselves."""
MIN_BASELINE_DAYS = 10
"""[ours] Days of the 14 before that must have volumes logged for a baseline."""

CHECKLIST = (
    "Sessions per day: fewer or longer gaps than usual lately?",
    "Flange fit: has comfort changed, or is it time to measure again? (`calmflow fit`)",
    "Pump parts: valves and membranes wear and lose suction. (`calmflow parts`)",
    "Stress and rest: a hard few days and short nights lower output for a while.",
    "Illness, a new medicine or the return of a period can lower it too.",
)
SEE_SOMEONE = (
    "If output keeps falling for a week, or pumping hurts, a lactation consultant"
    " (IBCLC) or your midwife or doctor can help find out why."
)


@dataclass(frozen=True)
class DayTotal:
    day: date
    ml: float
    sessions: int


@dataclass(frozen=True)
class SupplyFlag:
    recent_mean_ml: float
    baseline_median_ml: float
    share: float
    """The recent mean as a share of the baseline median."""
    message: str
    checklist: tuple[str, ...] = CHECKLIST
    see_someone: str = SEE_SOMEONE


def daily_totals(volumes: Iterable[tuple[datetime, float]], tz: tzinfo) -> list[DayTotal]:
    """Millilitres per local day from (session start, ml) pairs, oldest first."""
    days: dict[date, list[float]] = {}
    for started, ml in volumes:
        days.setdefault(started.astimezone(tz).date(), []).append(ml)
    return [DayTotal(d, round(sum(v), 1), len(v)) for d, v in sorted(days.items())]


def supply_flag(totals: list[DayTotal], today: date) -> SupplyFlag | None:
    """The flag, if the last 3 full days (before today) are below 85% of the
    median of the 14 days before them; None otherwise or with too few days."""
    by_day = {t.day: t.ml for t in totals}
    recent_days = [today - timedelta(days=i) for i in range(1, RECENT_DAYS + 1)]
    baseline_days = [
        today - timedelta(days=i) for i in range(RECENT_DAYS + 1, RECENT_DAYS + BASELINE_DAYS + 1)
    ]
    if not all(d in by_day for d in recent_days):
        return None  # a day not logged is not a day with no milk
    baseline = [by_day[d] for d in baseline_days if d in by_day]
    if len(baseline) < MIN_BASELINE_DAYS:
        return None
    recent = statistics.fmean(by_day[d] for d in recent_days)
    median = statistics.median(baseline)
    if median <= 0 or recent >= DROP_BELOW * median:
        return None
    # One very low day can pull the mean down on its own: a trend has most days low.
    if sum(by_day[d] < DROP_BELOW * median for d in recent_days) < LOW_DAYS_NEEDED:
        return None
    share = recent / median
    message = (
        f"The last {RECENT_DAYS} days averaged {recent:.0f} ml a day, {share:.0%} of your"
        f" usual {median:.0f} ml. Output often dips for a while and comes back; these are"
        " things worth a look:"
    )
    return SupplyFlag(round(recent, 1), round(median, 1), share, message)
