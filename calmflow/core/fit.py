"""Flange fit: sizes to try from a nipple measurement, and when to measure again.

Numbers from EVIDENCE.md (Equipment), each marked with its kind:

- Flanges commonly come in 21/24/27/30/36 mm; inserts (and small flanges) go
  down to about 13 mm, in 13/15/17/19 mm [practice]. Two sizing approaches are in use and both are shown, as ranges, never as "your
  size": the classic rule (nipple base + 2–4 mm) and the newer smaller-fit
  practice (nipple base + 0–2 mm) [practice]. Each side is measured on its own
  and may differ.
- The fit checklist (centred and moving freely; little areola drawn in; no pain,
  rubbing or blanching) [practice].
- Measure again after REMEASURE_AFTER [ours: nipples change, most in the early
  weeks], or sooner when comfort falls [ours, see `comfort_fell`].

Nothing here reads a clock or the terminal: the caller passes "now".
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

COMMON_SIZES_MM = (21, 24, 27, 30, 36)
"""[practice] Flange sizes most pumps come with or offer."""
SMALL_SIZES_MM = (13, 15, 17, 19)
"""[practice] Inserts for 21/24 mm flanges, and small flanges, below the common sizes."""
SIZES_MM = SMALL_SIZES_MM + COMMON_SIZES_MM
"""Every size to suggest, smallest first."""
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
    """The sizes (SIZES_MM) within the range (may be empty)..."""
    beyond: Literal["", "smaller", "larger", "between"]
    """...and if it is, where the range falls: below the smallest size made, above
    the largest common one, or between two of them."""
    nearest_mm: tuple[int, ...]
    """The sizes on either side of the range when none is within it."""

    def text(self, *, span: bool = True) -> str:
        """'by the classic rule, nipple + 2–4 mm (20–22 mm): 21 mm'; `span=False`
        leaves out the millimetres the rule gives (said of two sides at once)."""
        head = f"by the {self.words}" + (f" ({self.low_mm:g}–{self.high_mm:g} mm)" if span else "")
        return f"{head}: {self.sizes_text()}"

    def sizes_text(self) -> str:
        """The sizes to try in words, or where the range falls when none is in it."""
        if self.sizes_mm:
            return sizes_words(self.sizes_mm)
        if self.beyond == "smaller":
            return (
                f"smaller than the smallest inserts ({SIZES_MM[0]} mm); ask a lactation consultant"
            )
        if self.beyond == "larger":
            return (
                f"larger than the common sizes ({COMMON_SIZES_MM[-1]} mm is the largest);"
                " some makers have larger ones"
            )
        low, high = self.nearest_mm
        return f"between {low} and {high} mm; some makers have sizes in between, or inserts"

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


def sizes_words(sizes_mm: Sequence[int]) -> str:
    """'21 mm', '15 or 17 mm (inserts or small flanges)', '19 mm (an insert or a
    small flange) or 21 mm': sizes below the common ones say what they are."""
    small = [s for s in sizes_mm if s in SMALL_SIZES_MM]
    common = [s for s in sizes_mm if s not in SMALL_SIZES_MM]
    said = []
    if small:
        what = "an insert or a small flange" if len(small) == 1 else "inserts or small flanges"
        said.append(f"{' or '.join(map(str, small))} mm ({what})")
    if common:
        said.append(f"{' or '.join(map(str, common))} mm")
    return " or ".join(said)


def size_range(nipple_mm: float, rule: SizingRule) -> SizeRange:
    """The sizes `rule` suggests trying for a nipple base of `nipple_mm`."""
    low = nipple_mm + rule.plus_low_mm
    high = nipple_mm + rule.plus_high_mm
    within = tuple(s for s in SIZES_MM if low <= s <= high)
    if within:
        return SizeRange(rule.name, rule.words, low, high, within, "", ())
    if high < SIZES_MM[0]:
        return SizeRange(rule.name, rule.words, low, high, (), "smaller", (SIZES_MM[0],))
    if low > SIZES_MM[-1]:
        return SizeRange(rule.name, rule.words, low, high, (), "larger", (SIZES_MM[-1],))
    below = max(s for s in SIZES_MM if s < low)
    above = min(s for s in SIZES_MM if s > high)
    return SizeRange(rule.name, rule.words, low, high, (), "between", (below, above))


def size_ranges(nipple_mm: float) -> tuple[SizeRange, ...]:
    """Both rules' ranges for one side, classic first."""
    return tuple(size_range(nipple_mm, rule) for rule in RULES)


def same_sizes(left_mm: float, right_mm: float) -> bool:
    """Whether both rules suggest the same for the two sides (then one sentence says it)."""
    return [r.sizes_text() for r in size_ranges(left_mm)] == [
        r.sizes_text() for r in size_ranges(right_mm)
    ]


@dataclass(frozen=True)
class Measurement:
    side: Side
    mm: float
    measured_at: datetime


FitWords = Literal["", "pain", "low"]
"""Why a fit check may help: comfort fell to pain, or has been low; "" if neither."""


def comfort_fell(comforts: Sequence[int]) -> FitWords:
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
    comfort: FitWords

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
