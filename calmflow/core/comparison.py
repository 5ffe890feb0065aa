"""Comparisons that cannot mislead: with and without a cue, and arms given in turn.

These are hints, not tests. The sessions were not given a cue at random, so
the groups can differ in other ways (the time of day, the routine, a tired
week); and many comparisons are shown at once, so some would look "unlikely
to be chance" by chance alone. Three rules keep a sentence honest:

- **Fair to a late cue (a landmark).** A cue that starts at 5 minutes could never
  come before a let-down at 2 minutes, so comparing every session "with" and
  "without" it would make any late cue look slow (immortal time). Each cue is
  compared from the moment it usually starts: only sessions still without a
  let-down then, with the cue begun by then or not.
- **A direction only when the evidence holds one.** "Sooner" or "later" is said
  only when the log-rank p-value, adjusted by Holm's method for every comparison
  shown together, is below 5%, and the two medians say the same; otherwise the
  sentence says no difference is seen, with both medians.
- **"Yet" only where more sessions can help.** A cue in every session of its
  routines has nothing to be compared with, whatever is logged next.

A real answer comes from an experiment in the routine (calmflow.core.trial),
where the cue is given at random.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from calmflow.core.survival import Z_95, KaplanMeier, logrank

if TYPE_CHECKING:
    from calmflow.core.review import Figures, ReviewRow

MIN_SESSIONS = 8
"""[ours] Sessions needed in each group before two groups are compared: with
fewer, a log-rank test has almost no power and one odd session decides it."""
CHANCE_P = 0.05
MANY_SESSIONS = 1000
"""More sessions in each group than it is worth counting exactly in a sentence."""
Z_80 = 0.8416212335729143
"""The standard normal quantile for 80% power."""

COMPARED = "compared"
TOO_FEW = "too few"
ALWAYS_ON = "always on"
NO_LETDOWNS = "no let-downs"

HINT = "hint"
"""A cue in routines, compared over sessions as they came: observational."""
ARMS_IN_TURN = "arms in turn"
"""An experiment's arms given in turn (before calmflow drew them at random)."""


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
    kind: str = HINT
    """HINT or ARMS_IN_TURN: observational either way, never a test."""
    state: str = COMPARED
    """COMPARED, TOO_FEW (more sessions can help), ALWAYS_ON (they cannot) or NO_LETDOWNS."""
    adjusted_p: float | None = None
    """`logrank_p` adjusted by Holm's method for all the comparisons shown together."""
    direction: str | None = None
    """"sooner" or "later" for the first group, only when the evidence holds one."""
    landmark_s: float | None = None
    """Both groups are counted from this second of the session: when the cue usually starts."""
    logrank_z: float | None = None
    """The log-rank statistic, signed: above 0 when the first group's let-downs came
    sooner than expected."""
    sessions_needed: int | None = None
    """About how many sessions in each group would tell a difference of this size from
    chance (80% of the time, at 5%), when more than there are now."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sides:
    """The two groups of a comparison, their names for a sentence, and their figures."""

    subject: str
    first: Sequence[ReviewRow]
    second: Sequence[ReviewRow]
    labels: tuple[str, str]
    words: tuple[str, str]
    """("With bell", "without it"): how the sentence names the groups."""
    kind: str = HINT
    landmark_s: float | None = None
    can_grow: bool = True
    """Whether more sessions could ever fill the second group."""


Figuring = Callable[[str, Sequence["ReviewRow"], KaplanMeier], "Figures"]


def compare_all(sides: Sequence[Sides], figures: Figuring) -> list[Comparison]:
    """Each comparison, with the p-values adjusted together (Holm) and its sentence."""
    measured = [_measure(s, figures) for s in sides]
    adjusted = holm([c.logrank_p for c, _ in measured])
    tested = sum(p is not None for p in adjusted)
    out = []
    for (c, s), p in zip(measured, adjusted, strict=True):
        c = replace(c, adjusted_p=p)
        c = replace(c, direction=_direction(c))
        out.append(replace(c, sentence=_sentence(c, s, tested=tested)))
    return out


def _measure(s: Sides, figures: Figuring) -> tuple[Comparison, Sides]:
    a_km, b_km = curve(s.first), curve(s.second)
    a, b = figures(s.labels[0], s.first, a_km), figures(s.labels[1], s.second, b_km)
    state, p, z = COMPARED, None, None
    if not b_km.sessions and not s.can_grow:
        state = ALWAYS_ON
    elif min(a_km.sessions, b_km.sessions) < MIN_SESSIONS:
        state = TOO_FEW
    else:
        test = logrank(*split(s.first), *split(s.second))
        if math.isnan(test.pvalue):  # no let-downs at all
            state = NO_LETDOWNS
        else:
            p, z = test.pvalue, test.statistic
    comparison = Comparison(
        s.subject,
        a,
        b,
        p,
        state in (COMPARED, NO_LETDOWNS),
        "",
        kind=s.kind,
        logrank_z=z,
        state=state,
        landmark_s=s.landmark_s,
        sessions_needed=_sessions_needed(a, b) if state == COMPARED else None,
    )
    return comparison, s


def _direction(c: Comparison) -> str | None:
    """ "sooner" or "later" when the adjusted p is below CHANCE_P and the two medians
    say the same as the test's sign (a median not reached counts as the later one)."""
    if c.adjusted_p is None or c.adjusted_p >= CHANCE_P or c.logrank_z is None:
        return None
    said = _order(c.first.median_first_letdown_s, c.second.median_first_letdown_s)
    tested = "sooner" if c.logrank_z > 0 else "later"
    return said if said == tested else None


def _order(a: float | None, b: float | None) -> str | None:
    if a == b:
        return None
    if a is None:
        return "later"
    if b is None:
        return "sooner"
    return "sooner" if a < b else "later"


def _sessions_needed(a: Figures, b: Figures) -> int | None:
    """Sessions in each group for 80% power at 5% to see the difference in the two
    medians (Schoenfeld's events for the log-rank test, taking each group's time to
    let-down as exponential); None when the medians are equal or not both reached."""
    ma, mb = a.median_first_letdown_s, b.median_first_letdown_s
    if ma is None or mb is None or ma <= 0 or mb <= 0 or ma == mb:
        return None
    events = 4 * (Z_95 + Z_80) ** 2 / math.log(mb / ma) ** 2
    timed = a.timed_sessions + b.timed_sessions
    had = a.timed_with_letdown + b.timed_with_letdown
    if not had:
        return None
    per_group = math.ceil(events / 2 * timed / had)
    return per_group if per_group > min(a.timed_sessions, b.timed_sessions) else None


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the p-values given (None: not tested)."""
    tested = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(tested)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def curve(rows: Sequence[ReviewRow]) -> KaplanMeier:
    """Time to the first let-down of the sessions played with calmflow."""
    observed, censored = split(rows)
    return KaplanMeier.fit(observed, censored)


def split(rows: Sequence[ReviewRow]) -> tuple[list[float], list[float]]:
    """Times of the first let-down, and the lengths of sessions without one."""
    timed = [r for r in rows if not r.manual]
    return (
        [r.first for r in timed if r.first is not None],
        [r.played for r in timed if r.first is None],
    )


def duration_words(seconds: float) -> str:
    """1 m 40 s, 45 s, 12 m: short, for a sentence."""
    s = round(seconds)
    minutes, rest = divmod(s, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} m {rest} s" if rest else f"{minutes} m"


def median_words(f: Figures) -> str:
    if f.median_first_letdown_s is None:
        return "not reached"
    return duration_words(f.median_first_letdown_s)


def _sentence(c: Comparison, s: Sides, *, tested: int) -> str:
    first, second = s.words
    counts = f"{c.first.timed_sessions} vs {c.second.timed_sessions} sessions"
    since = (
        f", counting sessions still without a let-down at {duration_words(c.landmark_s)},"
        " when it usually starts"
        if c.landmark_s
        else ""
    )
    if c.state == ALWAYS_ON:
        return (
            f"{first}: always on in this routine, so there is nothing to compare it with"
            f" ({c.first.timed_sessions} session{'' if c.first.timed_sessions == 1 else 's'})."
        )
    if c.state == TOO_FEW:
        fewest = min(c.first.timed_sessions, c.second.timed_sessions)
        return (
            f"{first} and {second}: not enough sessions yet to compare"
            f" ({fewest} of the {MIN_SESSIONS} needed in each; {counts}{since})."
        )
    if c.state == NO_LETDOWNS:
        return f"{first} and {second}: no let-downs to compare yet ({counts}{since})."
    medians = f"median {median_words(c.first)} vs {median_words(c.second)} {second}, {counts}"
    family = f", allowing for the {tested} comparisons shown" if tested > 1 else ""
    if c.direction is not None:
        return (
            f"{first}, let-down came {c.direction}: {medians}{since}; unlikely to be chance"
            f" alone (p = {c.adjusted_p:.2g}{family}), though other things can differ"
            " between these sessions, such as the time of day. A hint, not a test."
        )
    if c.adjusted_p is not None and c.adjusted_p < CHANCE_P:
        return (
            f"{first}: let-down times differ, but not simply sooner or later: {medians}{since}."
            " A hint, not a test."
        )
    needed = ""
    if c.sessions_needed and c.sessions_needed > MANY_SESSIONS:
        needed = (
            f"; a difference this small would take over {MANY_SESSIONS:,} sessions in each"
            " to tell from chance"
        )
    elif c.sessions_needed:
        needed = (
            f"; telling a difference this size from chance would take about {c.sessions_needed}"
            " sessions in each"
        )
    return f"{first}: no difference seen yet ({medians}{since}{needed})."
