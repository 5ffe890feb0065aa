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

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from calmflow.core.records import SessionRecord
from calmflow.core.survival import KaplanMeier, logrank, wilson

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


def _curve(records: Sequence[SessionRecord]) -> KaplanMeier:
    observed, censored = [], []
    for r in records:
        first = r.first_letdown_s
        if first is not None:
            observed.append(first)
        else:
            censored.append(r.played_s)
    return KaplanMeier.fit(observed, censored)


def _times(records: Sequence[SessionRecord]) -> tuple[list[float], list[float]]:
    observed = [r.first_letdown_s for r in records if r.first_letdown_s is not None]
    censored = [r.played_s for r in records if r.first_letdown_s is None]
    return observed, censored


def figures(label: str, records: Sequence[SessionRecord]) -> Figures:
    n = len(records)
    with_letdown = sum(1 for r in records if r.letdown_count > 0)
    timed = [r for r in records if not r.is_manual]
    km = _curve(timed)
    volumes = [r.volume_total_ml for r in records if r.volume_total_ml is not None]
    parts: dict[str, int] = {part: 0 for part, _ in PARTS_OF_DAY}
    for r in records:
        parts[part_of_day(r.started_at.astimezone().hour)] += 1
    return Figures(
        label=label,
        sessions=n,
        with_letdown=with_letdown,
        share_with_letdown=with_letdown / n if n else None,
        share_interval=wilson(with_letdown, n) if n else None,
        timed_sessions=len(timed),
        median_first_letdown_s=km.median(),
        median_interval=km.median_interval(),
        mean_letdowns=sum(r.letdown_count for r in records) / n if n else None,
        volume_sessions=len(volumes),
        mean_volume_ml=sum(volumes) / len(volumes) if volumes else None,
        time_of_day=parts,
    )


def summarize(records: Iterable[SessionRecord]) -> list[Figures]:
    """One group per routine, by name, for sessions that have ended."""
    by_routine: dict[str, list[SessionRecord]] = defaultdict(list)
    for record in records:
        if record.status != "running":
            by_routine[record.routine].append(record)
    return [figures(name, sessions) for name, sessions in sorted(by_routine.items())]


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


def compare(
    subject: str,
    first: Figures,
    second: Figures,
    first_records: Sequence[SessionRecord],
    second_records: Sequence[SessionRecord],
    *,
    first_words: str,
    second_words: str,
) -> Comparison:
    """Compare two groups; `first_words` and `second_words` name them in a sentence
    ("With baby-photo", "Without it")."""
    a_timed = [r for r in first_records if not r.is_manual]
    b_timed = [r for r in second_records if not r.is_manual]
    fewest = min(len(a_timed), len(b_timed))
    counts = f"{len(a_timed)} vs {len(b_timed)} sessions"
    if fewest < MIN_SESSIONS:
        sentence = (
            f"{first_words} and {second_words.lower()}: not enough sessions yet to compare"
            f" ({fewest} of the {MIN_SESSIONS} needed in each; {counts})."
        )
        return Comparison(subject, first, second, None, False, sentence)
    a_obs, a_cens = _times(a_timed)
    b_obs, b_cens = _times(b_timed)
    test = logrank(a_obs, a_cens, b_obs, b_cens)
    p = None if test.pvalue != test.pvalue else test.pvalue  # NaN: no let-downs at all
    medians = f"median {_median_words(first)} vs {_median_words(second)}, {counts}"
    if p is None:
        sentence = f"No let-downs to compare yet ({counts})."
    else:
        # Fewer let-downs than expected in the first group means later let-downs.
        sooner = test.statistic > 0
        direction = "sooner" if sooner else "later"
        chance = (
            "this could still be chance"
            if p >= CHANCE_P
            else f"unlikely to be chance alone (p = {p:.2g}), though other things can"
            " differ between these sessions, such as the time of day"
        )
        sentence = f"{first_words}, let-down came {direction}: {medians}; {chance}."
    return Comparison(subject, first, second, p, True, sentence)


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
    ended = [r for r in records if r.status != "running"]
    if routine is not None:
        ended = [r for r in ended if r.routine == routine]
    timed = [r for r in ended if not r.is_manual]
    before = {r.id: r.cues_before_letdown() for r in timed}
    names = sorted({name for cues in before.values() for name in cues})
    if cue is not None:
        names = [n for n in names if n == cue]
    comparisons: list[Comparison] = []
    cue_figures: list[Figures] = []
    for name in names:
        had = [r for r in timed if name in before[r.id]]
        # Fair: against the sessions of the same routines that did not have it.
        routines_with = {r.routine for r in had}
        without = [r for r in timed if name not in before[r.id] and r.routine in routines_with]
        with_f = figures(name, had)
        cue_figures.append(with_f)
        comparisons.append(
            compare(
                f"cue {name}",
                with_f,
                figures(f"without {name}", without),
                had,
                without,
                first_words=f"With {name}",
                second_words="Without it",
            )
        )
    if cue is None:
        comparisons += _arm_comparisons(timed)
    last = timed[-TYPICAL_OF_LAST:]
    return Review(
        sessions=len(ended),
        overall=figures("all sessions", ended),
        routines=summarize(ended),
        cues=cue_figures,
        comparisons=comparisons,
        typical_letdown_s=_curve(last).median() if last else None,
        typical_of=len(last),
        weekly=_weekly(timed),
        daily_volume=_daily_volume(ended),
    )


def _arm_comparisons(timed: Sequence[SessionRecord]) -> list[Comparison]:
    """Each experiment's arms, two at a time (most sessions first)."""
    arms: dict[tuple[str, str], dict[str, list[SessionRecord]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in timed:
        if r.experiment and r.experiment_arm:
            arms[(r.routine, r.experiment)][r.experiment_arm].append(r)
    out = []
    for (routine_name, slot), by_arm in sorted(arms.items()):
        ordered = sorted(by_arm.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for i, (arm_a, recs_a) in enumerate(ordered):
            for arm_b, recs_b in ordered[i + 1 :]:
                out.append(
                    compare(
                        f"{routine_name} {slot}: {arm_a} or {arm_b}",
                        figures(arm_a, recs_a),
                        figures(arm_b, recs_b),
                        recs_a,
                        recs_b,
                        first_words=f"With {arm_a} in {slot}",
                        second_words=f"With {arm_b}",
                    )
                )
    return out


def _grouped(
    records: Iterable[SessionRecord], key: Callable[[SessionRecord], date]
) -> dict[date, list[SessionRecord]]:
    groups: dict[date, list[SessionRecord]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    return dict(sorted(groups.items()))


def _weekly(timed: Sequence[SessionRecord]) -> list[TrendPoint]:
    def monday(r: SessionRecord) -> date:
        day = r.started_at.astimezone().date()
        return day - timedelta(days=day.weekday())

    return [
        TrendPoint(week, len(recs), _curve(recs).median())
        for week, recs in _grouped(timed, monday).items()
    ]


def _daily_volume(ended: Sequence[SessionRecord]) -> list[DayVolume]:
    with_volume = [r for r in ended if r.volume_total_ml is not None]
    return [
        DayVolume(day, len(recs), round(sum(r.volume_total_ml or 0.0 for r in recs), 1))
        for day, recs in _grouped(with_volume, lambda r: r.started_at.astimezone().date()).items()
    ]
