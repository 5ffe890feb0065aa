"""Review: what a person's own sessions say about each routine, cue and experiment arm.

Time to the first let-down is a Kaplan–Meier estimate: a session that ended
without a let-down counts as "no let-down in its first N seconds" (censored at
its length), not as missing and not as zero. If fewer than half the sessions
have had a let-down by any time, the median is "not reached", never made up.
Shares come with a 95% Wilson interval, medians with a 95% interval, and every
figure says how many sessions it rests on. Comparisons of cues are hints,
written by calmflow.core.comparison so that none can mislead; experiments
drawn at random are answered by calmflow.core.trial. Nothing here is a
diagnosis: these are one person's sessions, and other things (the time of
day, sleep, the baby's age) change between them.

Sessions logged by hand (`calmflow log add`) have volumes and perhaps a count
of let-downs, but no times and no cues: they count for volumes and for the
share with a let-down (when their count was given: unknown is not zero), not
for time to let-down or for cues.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from statistics import median_low
from typing import TYPE_CHECKING, Any, NamedTuple

from calmflow.core.comparison import (
    ARMS_IN_TURN,
    Comparison,
    Sides,
    compare_all,
    curve,
)
from calmflow.core.survival import KaplanMeier, wilson
from calmflow.system import wallclock

if TYPE_CHECKING:
    from calmflow.core.records import SessionRecord
    from calmflow.core.trial import TrialReport

TYPICAL_OF_LAST = 30
"""The person's typical let-down time is the median of their last this-many sessions."""
PARTS_OF_DAY = (("night", 0), ("morning", 6), ("afternoon", 12), ("evening", 18))
"""Each part of the day and the local hour it starts at."""


def part_of_day(hour: int) -> str:
    name = PARTS_OF_DAY[0][0]
    for part, start in PARTS_OF_DAY:
        if hour >= start:
            name = part
    return name


@dataclass(frozen=True)
class Figures:
    """What one group of sessions says; each figure with the sessions it rests on."""

    label: str
    sessions: int
    with_letdown: int
    share_with_letdown: float | None
    """Share of sessions with at least one let-down, 0 to 1, of those whose count is known."""
    share_interval: tuple[float, float] | None
    """95% Wilson interval of that share."""
    timed_sessions: int
    """Sessions played with calmflow: those the let-down times come from."""
    median_first_letdown_s: float | None
    """Kaplan–Meier median time to the first let-down; None when not reached."""
    median_interval: tuple[float | None, float | None]
    """95% interval of the median; None for a bound not reached."""
    mean_letdowns: float | None
    """Let-downs per session whose count is known, sessions without any counted as 0."""
    volume_sessions: int
    """Sessions with a volume logged."""
    mean_volume_ml: float | None
    time_of_day: dict[str, int] = field(default_factory=dict)
    """Sessions by the part of the day they began in (local time)."""
    counted_sessions: int = 0
    """Sessions whose number of let-downs is known: all but those logged by hand
    without a count. The share and the mean rest on these."""
    timed_with_letdown: int = 0
    """Sessions played with calmflow that had a let-down."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ReviewRow(NamedTuple):
    """What the review needs of one session, worked out once (20,000 sessions are
    grouped many times over: each by cue, arm, routine, week and day). Made from
    a SessionRecord by `row_of`, or straight from the database by
    `Store.review_rows` (faster: no let-down records are built)."""

    id: int
    routine: str
    manual: bool
    first: float | None
    """Seconds to the first let-down; None without one (or logged by hand)."""
    played: float
    letdowns: int | None
    """None when it is not known (logged by hand without a count)."""
    volume: float | None
    part: str
    day: date
    """The local date it began."""
    cues: frozenset[str]
    """The cues shown before its first let-down."""
    experiment: str | None
    arm: str | None
    cue_starts: dict[str, float]
    """Each cue the session showed, with the second it first did."""
    trial: int | None = None
    """The experiment drawn at random that gave it its arm (None: given in turn, or none)."""


def row_of(r: SessionRecord) -> ReviewRow:
    return make_row(
        r.id,
        r.routine,
        r.is_manual,
        r.first_letdown_s,
        r.played_s,
        r.letdown_count,
        r.volume_total_ml,
        r.started_at,
        r.cues_shown,
        r.experiment,
        r.experiment_arm,
        r.trial_id,
    )


def make_row(
    id: int,
    routine: str,
    manual: bool,
    first: float | None,
    played: float,
    letdowns: int | None,
    volume: float | None,
    started_at: datetime,
    shown: Iterable[tuple[str, float]],
    experiment: str | None,
    arm: str | None,
    trial: int | None = None,
) -> ReviewRow:
    """The row of one session; `shown` is each cue it showed with the second it
    did (a cue may come many times)."""
    local = wallclock.local(started_at)
    starts: dict[str, float] = {}
    for name, t in shown:
        if name not in starts or t < starts[name]:
            starts[name] = t
    return ReviewRow(
        id,
        routine,
        manual,
        first,
        played,
        letdowns,
        volume,
        part_of_day(local.hour),
        local.date(),
        frozenset(name for name, t in starts.items() if first is None or t <= first),
        experiment,
        arm,
        starts,
        trial,
    )


def _figures(label: str, rows: Sequence[ReviewRow], km: KaplanMeier | None = None) -> Figures:
    """The figures of `rows`; `km` is their curve when it is already fitted."""
    n = len(rows)
    counts = [r.letdowns for r in rows if r.letdowns is not None]
    known = len(counts)
    with_letdown = sum(1 for c in counts if c > 0)
    if km is None:
        km = curve(rows)
    volumes = [r.volume for r in rows if r.volume is not None]
    parts: dict[str, int] = {part: 0 for part, _ in PARTS_OF_DAY}
    for r in rows:
        parts[r.part] += 1
    return Figures(
        label=label,
        sessions=n,
        with_letdown=with_letdown,
        share_with_letdown=with_letdown / known if known else None,
        share_interval=wilson(with_letdown, known) if known else None,
        timed_sessions=km.sessions,
        median_first_letdown_s=km.median(),
        median_interval=km.median_interval(),
        mean_letdowns=sum(counts) / known if known else None,
        volume_sessions=len(volumes),
        mean_volume_ml=sum(volumes) / len(volumes) if volumes else None,
        time_of_day=parts,
        counted_sessions=known,
        timed_with_letdown=sum(km.events),
    )


def summarize(records: Iterable[SessionRecord]) -> list[Figures]:
    """One group per routine, by name, for sessions that have ended."""
    return _by_routine([row_of(r) for r in records if r.status != "running"])


def _by_routine(rows: Sequence[ReviewRow]) -> list[Figures]:
    groups: dict[str, list[ReviewRow]] = defaultdict(list)
    for r in rows:
        groups[r.routine].append(r)
    return [_figures(name, group) for name, group in sorted(groups.items())]


@dataclass(frozen=True)
class TrendPoint:
    week: date
    """The Monday the week began."""
    sessions: int
    median_first_letdown_s: float | None


@dataclass(frozen=True)
class DayVolume:
    day: date
    sessions: int
    total_ml: float


@dataclass(frozen=True)
class Review:
    sessions: int
    overall: Figures
    routines: list[Figures]
    cues: list[Figures]
    """Sessions that had each cue before their first let-down."""
    comparisons: list[Comparison]
    typical_letdown_s: float | None
    """The median time to the first let-down over the last TYPICAL_OF_LAST sessions."""
    typical_of: int
    weekly: list[TrendPoint]
    daily_volume: list[DayVolume]
    experiments: list[TrialReport] = field(default_factory=list)
    """Each experiment drawn at random: its progress, or its answer."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for point in out["weekly"]:
            point["week"] = point["week"].isoformat()
        for day in out["daily_volume"]:
            day["day"] = day["day"].isoformat()
        return out


def review(
    records: Iterable[SessionRecord], *, routine: str | None = None, cue: str | None = None
) -> Review:
    """Everything the review shows, from ended sessions (oldest first).

    `routine` keeps that routine's sessions only; `cue` keeps the figures and
    comparisons of that cue only (the sessions without it are still needed).
    """
    return review_rows(
        [row_of(r) for r in records if r.status != "running" and r.counts_in_review],
        routine=routine,
        cue=cue,
    )


def review_rows(
    rows: list[ReviewRow],
    *,
    routine: str | None = None,
    cue: str | None = None,
    experiments: Sequence[TrialReport] = (),
) -> Review:
    """`review` from rows of ended sessions in the review, oldest first, with the
    reports of the experiments drawn at random (services.experiments)."""
    if routine is not None:
        rows = [r for r in rows if r.routine == routine]
        experiments = [e for e in experiments if e.routine == routine]
    timed = [r for r in rows if not r.manual]
    # An arm drawn at random is answered by its experiment, not hinted at here.
    drawn = {r.arm for r in timed if r.trial is not None}
    names = sorted({name for r in timed for name in r.cue_starts} - drawn)
    # Adjusted together as the whole review shows them, whatever `cue` picks out:
    # choosing one after seeing them all does not make it surer.
    comparisons = compare_all(
        [*(_cue_sides(name, timed) for name in names), *_arms_in_turn(timed)], _figures
    )
    cue_figures = [_figures(name, [r for r in timed if name in r.cues]) for name in names]
    if cue is not None:
        comparisons = [c for c in comparisons if c.subject == f"cue {cue}"]
        cue_figures = [f for f in cue_figures if f.label == cue]
    last = timed[-TYPICAL_OF_LAST:]
    return Review(
        sessions=len(rows),
        overall=_figures("all sessions", rows),
        routines=_by_routine(rows),
        cues=cue_figures,
        comparisons=comparisons,
        typical_letdown_s=curve(last).median() if last else None,
        typical_of=len(last),
        weekly=_weekly(timed),
        daily_volume=_daily_volume(rows),
        experiments=list(experiments) if cue is None else [],
    )


def _cue_sides(name: str, timed: Sequence[ReviewRow]) -> Sides:
    """With and without the cue, among the sessions of the routines that show it,
    from the second it usually starts (a landmark): only sessions still without a
    let-down then count, and "with" means it had begun by then. Counting every
    session would make a late cue look slow, as it can never come before an early
    let-down."""
    shown_in = [r for r in timed if name in r.cue_starts]
    routines_with = {r.routine for r in shown_in}
    pool = [r for r in timed if r.routine in routines_with]
    landmark = median_low(r.cue_starts[name] for r in shown_in)

    def begun(r: ReviewRow) -> bool:
        return r.cue_starts.get(name, math.inf) <= landmark

    at_risk = [r for r in pool if (r.first is None or r.first > landmark) and r.played > landmark]
    return Sides(
        f"cue {name}",
        [r for r in at_risk if begun(r)],
        [r for r in at_risk if not begun(r)],
        labels=(name, f"without {name}"),
        words=(f"With {name}", "without it"),
        landmark_s=landmark or None,
        can_grow=not all(begun(r) for r in pool),
    )


def _arms_in_turn(timed: Sequence[ReviewRow]) -> list[Sides]:
    """Each experiment's arms given in turn (not drawn at random), two at a time,
    most sessions first. Arms drawn at random are answered by calmflow.core.trial."""
    arms: dict[tuple[str, str], dict[str, list[ReviewRow]]] = defaultdict(lambda: defaultdict(list))
    for r in timed:
        if r.experiment and r.arm and r.trial is None:
            arms[(r.routine, r.experiment)][r.arm].append(r)
    out = []
    for (routine_name, slot), by_arm in sorted(arms.items()):
        ordered = sorted(by_arm.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for i, (arm_a, rows_a) in enumerate(ordered):
            for arm_b, rows_b in ordered[i + 1 :]:
                out.append(
                    Sides(
                        f"{routine_name} {slot}: {arm_a} or {arm_b}",
                        rows_a,
                        rows_b,
                        labels=(arm_a, arm_b),
                        words=(
                            f"With {arm_a} in {slot} (given in turn, not at random)",
                            f"with {arm_b}",
                        ),
                        kind=ARMS_IN_TURN,
                    )
                )
    return out


def _grouped(
    rows: Iterable[ReviewRow], key: Callable[[ReviewRow], date]
) -> dict[date, list[ReviewRow]]:
    groups: dict[date, list[ReviewRow]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return dict(sorted(groups.items()))


def _weekly(timed: Sequence[ReviewRow]) -> list[TrendPoint]:
    def monday(r: ReviewRow) -> date:
        return r.day - timedelta(days=r.day.weekday())

    return [
        TrendPoint(week, len(rows), curve(rows).median())
        for week, rows in _grouped(timed, monday).items()
    ]


def _daily_volume(rows: Sequence[ReviewRow]) -> list[DayVolume]:
    with_volume = [r for r in rows if r.volume is not None]
    return [
        DayVolume(day, len(group), round(sum(r.volume or 0.0 for r in group), 1))
        for day, group in _grouped(with_volume, lambda r: r.day).items()
    ]
