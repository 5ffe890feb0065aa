"""Review: what a person's own sessions say about each routine, cue and experiment arm.

Time to the first let-down is a Kaplan–Meier estimate: a session that ended
without a let-down counts as "no let-down in its first N seconds" (censored at
its length), not as missing and not as zero. If fewer than half the sessions
have had a let-down by any time, the median is "not reached", never made up.
Shares come with a 95% Wilson interval, medians with a 95% interval, and every
figure says how many sessions it rests on. Comparisons (with and without a
cue, between an experiment's arms) use the log-rank test and say in plain
words whether the difference could still be chance; below MIN_SESSIONS in
either group they say how many more are needed instead. Nothing here is a
diagnosis: these are one person's sessions, and other things (the time of
day, sleep, the baby's age) change between them.

Sessions logged by hand (`calmflow log add`) have volumes and a count of
let-downs but no times and no cues: they count for volumes and for the share
with a let-down, not for time to let-down or for cues.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from calmflow.core.survival import KaplanMeier, logrank, wilson
from calmflow.system import wallclock

if TYPE_CHECKING:
    from calmflow.core.records import SessionRecord

MIN_SESSIONS = 8
"""[ours] Sessions needed in each group before two groups are compared: with
fewer, a log-rank test has almost no power and one odd session decides it."""
TYPICAL_OF_LAST = 30
"""The person's typical let-down time is the median of their last this-many sessions."""
CHANCE_P = 0.05
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
    """Share of sessions with at least one let-down, 0 to 1."""
    share_interval: tuple[float, float] | None
    """95% Wilson interval of that share."""
    timed_sessions: int
    """Sessions played with calmflow: those the let-down times come from."""
    median_first_letdown_s: float | None
    """Kaplan–Meier median time to the first let-down; None when not reached."""
    median_interval: tuple[float | None, float | None]
    """95% interval of the median; None for a bound not reached."""
    mean_letdowns: float | None
    """Let-downs per session, sessions without any counted as 0."""
    volume_sessions: int
    """Sessions with a volume logged."""
    mean_volume_ml: float | None
    time_of_day: dict[str, int] = field(default_factory=dict)
    """Sessions by the part of the day they began in (local time)."""

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
    letdowns: int
    volume: float | None
    part: str
    day: date
    """The local date it began."""
    cues: frozenset[str]
    """The cues shown before its first let-down."""
    experiment: str | None
    arm: str | None


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
        r.cues_before_letdown(),
        r.experiment,
        r.experiment_arm,
    )


def make_row(
    id: int,
    routine: str,
    manual: bool,
    first: float | None,
    played: float,
    letdowns: int,
    volume: float | None,
    started_at: datetime,
    cues: frozenset[str],
    experiment: str | None,
    arm: str | None,
) -> ReviewRow:
    local = wallclock.local(started_at)
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
        cues,
        experiment,
        arm,
    )


def _curve(rows: Sequence[ReviewRow]) -> KaplanMeier:
    """Time to the first let-down of the sessions played with calmflow."""
    observed: list[float] = []
    censored: list[float] = []
    for r in rows:
        if r.manual:
            continue
        if r.first is not None:
            observed.append(r.first)
        else:
            censored.append(r.played)
    return KaplanMeier.fit(observed, censored)


def _figures(label: str, rows: Sequence[ReviewRow], km: KaplanMeier | None = None) -> Figures:
    """The figures of `rows`; `km` is their curve when it is already fitted."""
    n = len(rows)
    with_letdown = sum(1 for r in rows if r.letdowns > 0)
    if km is None:
        km = _curve(rows)
    volumes = [r.volume for r in rows if r.volume is not None]
    parts: dict[str, int] = {part: 0 for part, _ in PARTS_OF_DAY}
    for r in rows:
        parts[r.part] += 1
    return Figures(
        label=label,
        sessions=n,
        with_letdown=with_letdown,
        share_with_letdown=with_letdown / n if n else None,
        share_interval=wilson(with_letdown, n) if n else None,
        timed_sessions=km.sessions,
        median_first_letdown_s=km.median(),
        median_interval=km.median_interval(),
        mean_letdowns=sum(r.letdowns for r in rows) / n if n else None,
        volume_sessions=len(volumes),
        mean_volume_ml=sum(volumes) / len(volumes) if volumes else None,
        time_of_day=parts,
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
class Comparison:
    """Two groups side by side: with and without a cue, or two arms of an experiment."""

    subject: str
    """The cue, or the routine and slot of the experiment."""
    first: Figures
    second: Figures
    logrank_p: float | None
    """Two-sided log-rank p-value of time to the first let-down; None if not tested."""
    enough: bool
    sentence: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def duration_words(seconds: float) -> str:
    """1 m 40 s, 45 s, 12 m: short, for a sentence."""
    s = round(seconds)
    minutes, rest = divmod(s, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} m {rest} s" if rest else f"{minutes} m"


def _median_words(f: Figures) -> str:
    if f.median_first_letdown_s is None:
        return "not reached"
    return duration_words(f.median_first_letdown_s)


def _compare(
    subject: str,
    first: Sequence[ReviewRow],
    second: Sequence[ReviewRow],
    *,
    labels: tuple[str, str],
    words: tuple[str, str],
) -> Comparison:
    """Compare two groups; `words` name them in a sentence ("With baby-photo",
    "Without it")."""
    a_km, b_km = _curve(first), _curve(second)
    a, b = _figures(labels[0], first, a_km), _figures(labels[1], second, b_km)
    fewest = min(a_km.sessions, b_km.sessions)
    counts = f"{a_km.sessions} vs {b_km.sessions} sessions"
    if fewest < MIN_SESSIONS:
        sentence = (
            f"{words[0]} and {words[1].lower()}: not enough sessions yet to compare"
            f" ({fewest} of the {MIN_SESSIONS} needed in each; {counts})."
        )
        return Comparison(subject, a, b, None, False, sentence)
    test = logrank(*_split(first), *_split(second))
    p = None if math.isnan(test.pvalue) else test.pvalue  # NaN: no let-downs at all
    if p is None:
        return Comparison(subject, a, b, None, True, f"No let-downs to compare yet ({counts}).")
    # More let-downs than expected in the first group means sooner let-downs.
    direction = "sooner" if test.statistic > 0 else "later"
    # The second group named too: "vs 3 m without it", "vs 3 m with silence".
    medians = f"median {_median_words(a)} vs {_median_words(b)} {words[1].lower()}, {counts}"
    chance = (
        "this could still be chance"
        if p >= CHANCE_P
        else f"unlikely to be chance alone (p = {p:.2g}), though other things can"
        " differ between these sessions, such as the time of day"
    )
    sentence = f"{words[0]}, let-down came {direction}: {medians}; {chance}."
    return Comparison(subject, a, b, p, True, sentence)


def _split(rows: Sequence[ReviewRow]) -> tuple[list[float], list[float]]:
    """Times of the first let-down, and the lengths of sessions without one."""
    timed = [r for r in rows if not r.manual]
    return (
        [r.first for r in timed if r.first is not None],
        [r.played for r in timed if r.first is None],
    )


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
        [row_of(r) for r in records if r.status != "running"], routine=routine, cue=cue
    )


def review_rows(
    rows: list[ReviewRow], *, routine: str | None = None, cue: str | None = None
) -> Review:
    """`review` from rows of ended sessions, oldest first."""
    if routine is not None:
        rows = [r for r in rows if r.routine == routine]
    timed = [r for r in rows if not r.manual]
    names = sorted({name for r in timed for name in r.cues})
    if cue is not None:
        names = [n for n in names if n == cue]
    comparisons: list[Comparison] = []
    cue_figures: list[Figures] = []
    for name in names:
        had = [r for r in timed if name in r.cues]
        # Fair: against the sessions of the same routines that did not have it.
        routines_with = {r.routine for r in had}
        without = [r for r in timed if name not in r.cues and r.routine in routines_with]
        comparison = _compare(
            f"cue {name}",
            had,
            without,
            labels=(name, f"without {name}"),
            words=(f"With {name}", "Without it"),
        )
        cue_figures.append(comparison.first)
        comparisons.append(comparison)
    if cue is None:
        comparisons += _arm_comparisons(timed)
    last = timed[-TYPICAL_OF_LAST:]
    return Review(
        sessions=len(rows),
        overall=_figures("all sessions", rows),
        routines=_by_routine(rows),
        cues=cue_figures,
        comparisons=comparisons,
        typical_letdown_s=_curve(last).median() if last else None,
        typical_of=len(last),
        weekly=_weekly(timed),
        daily_volume=_daily_volume(rows),
    )


def _arm_comparisons(timed: Sequence[ReviewRow]) -> list[Comparison]:
    """Each experiment's arms, two at a time (most sessions first)."""
    arms: dict[tuple[str, str], dict[str, list[ReviewRow]]] = defaultdict(lambda: defaultdict(list))
    for r in timed:
        if r.experiment and r.arm:
            arms[(r.routine, r.experiment)][r.arm].append(r)
    out = []
    for (routine_name, slot), by_arm in sorted(arms.items()):
        ordered = sorted(by_arm.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for i, (arm_a, rows_a) in enumerate(ordered):
            for arm_b, rows_b in ordered[i + 1 :]:
                out.append(
                    _compare(
                        f"{routine_name} {slot}: {arm_a} or {arm_b}",
                        rows_a,
                        rows_b,
                        labels=(arm_a, arm_b),
                        words=(f"With {arm_a} in {slot}", f"With {arm_b}"),
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
        TrendPoint(week, len(rows), _curve(rows).median())
        for week, rows in _grouped(timed, monday).items()
    ]


def _daily_volume(rows: Sequence[ReviewRow]) -> list[DayVolume]:
    with_volume = [r for r in rows if r.volume is not None]
    return [
        DayVolume(day, len(group), round(sum(r.volume or 0.0 for r in group), 1))
        for day, group in _grouped(with_volume, lambda r: r.day).items()
    ]
