"""Review: what a person's own sessions say about each routine.

Time to the first let-down is a Kaplan–Meier estimate: a session that ended
without a let-down counts as "no let-down in its first N seconds" (censored at
its length), not as missing and not as zero. If fewer than half the sessions
have had a let-down by any time, the median is "not reached", never made up.
scipy is imported only when needed (it takes over a second to import).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from calmflow.core.records import SessionRecord


@dataclass(frozen=True)
class RoutineSummary:
    routine: str
    sessions: int
    with_letdown: int
    share_with_letdown: float
    """Share of sessions with at least one let-down, 0 to 1."""
    median_first_letdown_s: float | None
    """Kaplan–Meier median time to the first let-down; None when not reached."""
    mean_letdowns: float
    """Let-downs per session, sessions without any counted as 0."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median_time_to_event(times: list[float], observed: list[bool]) -> float | None:
    """Kaplan–Meier median of `times`, where `observed[i]` is False for censored ones."""
    if not times:
        return None
    from scipy import stats

    events = [t for t, seen in zip(times, observed, strict=True) if seen]
    censored = [t for t, seen in zip(times, observed, strict=True) if not seen]
    if not events:
        return None
    result = stats.ecdf(stats.CensoredData(uncensored=events, right=censored))
    for quantile, survival in zip(result.sf.quantiles, result.sf.probabilities, strict=True):
        if survival <= 0.5:
            return float(quantile)
    return None


def summarize(records: Iterable[SessionRecord]) -> list[RoutineSummary]:
    """One summary per routine, by name, for sessions that have ended."""
    by_routine: dict[str, list[SessionRecord]] = defaultdict(list)
    for record in records:
        if record.status != "running":
            by_routine[record.routine].append(record)
    out = []
    for routine, sessions in sorted(by_routine.items()):
        firsts = [s.first_letdown_s for s in sessions]
        with_letdown = sum(1 for f in firsts if f is not None)
        times = [f if f is not None else s.played_s for f, s in zip(firsts, sessions, strict=True)]
        out.append(
            RoutineSummary(
                routine=routine,
                sessions=len(sessions),
                with_letdown=with_letdown,
                share_with_letdown=with_letdown / len(sessions),
                median_first_letdown_s=median_time_to_event(times, [f is not None for f in firsts]),
                mean_letdowns=sum(len(s.letdowns) for s in sessions) / len(sessions),
            )
        )
    return out
