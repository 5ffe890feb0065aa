"""The review in words: each figure as a short cell, and the whole as lines of text.

`calmflow review` prints `review_lines`; the TUI review screen puts the same
cells in a table and the same sentences around it, so both say it alike.
"""

from __future__ import annotations

from collections.abc import Callable

from calmflow.core.review import Figures, Review, duration_words

ABOUT = (
    "Shares and times are given with a 95% interval; the first let-down time counts",
    "sessions without one up to their end (Kaplan-Meier). These are your own sessions",
    "only: a guide to what suits you, not a diagnosis.",
)
"""What every review says under its figures."""


Words = Callable[[float], str]
"""How a duration is written: `duration_words` ('1 m 35 s') or `clock_text` ('1:35')."""


def share_parts(f: Figures) -> tuple[str, str, str] | None:
    """('75%', '30%', '95%'): sessions with a let-down and its 95% interval; None if none."""
    if f.share_with_letdown is None or f.share_interval is None:
        return None
    low, high = f.share_interval
    return f"{f.share_with_letdown:.0%}", f"{low:.0%}", f"{high:.0%}"


def share_text(f: Figures, none: str = "-") -> str:
    """'75% (30%-95%)'."""
    parts = share_parts(f)
    if parts is None:
        return none
    share, low, high = parts
    return f"{share} ({low}-{high})"


def median_parts(f: Figures, words: Words = duration_words) -> tuple[str, str, str] | None:
    """('1 m 35 s', '1 m', '5 m 10 s'): the median time to the first let-down and its
    95% interval ('?' for a lower bound not known); 'not reached' where it was not.
    None when no session of the group was timed (all logged by hand)."""
    if not f.timed_sessions:
        return None
    if f.median_first_letdown_s is None:
        return "not reached", "", ""
    low, high = f.median_interval
    return (
        words(f.median_first_letdown_s),
        words(low) if low is not None else "?",
        words(high) if high is not None else "not reached",
    )


def median_text(f: Figures, none: str = "-") -> str:
    """'1 m 35 s (1 m-5 m 10 s)': median time to the first let-down, with its interval."""
    parts = median_parts(f)
    if parts is None:
        return none
    median, low, high = parts
    return f"{median} ({low}-{high})" if low or high else median


def per_session_text(f: Figures, none: str = "-") -> str:
    return f"{f.mean_letdowns:.1f}" if f.mean_letdowns is not None else none


def volume_text(f: Figures, none: str = "-") -> str:
    """'95 ml (12)': mean volume and the sessions it was logged for."""
    if f.mean_volume_ml is None:
        return none
    return f"{f.mean_volume_ml:.0f} ml ({f.volume_sessions})"


def figure_row(f: Figures) -> str:
    """One group's figures on a line of `review_lines`' table."""
    return (
        f"{f.label[:18]:<18} {f.sessions:>5}  {share_text(f):<15} {median_text(f):<28}"
        f" {per_session_text(f):>9}  {volume_text(f)}"
    )


def time_of_day_text(result: Review) -> str:
    parts = ", ".join(f"{n} {part}" for part, n in result.overall.time_of_day.items() if n)
    return f"Time of day: {parts} (output changes through the day)."


def typical_text(result: Review) -> str | None:
    if result.typical_letdown_s is None:
        return None
    return (
        f"Your typical first let-down: {duration_words(result.typical_letdown_s)}"
        f" (median of your last {result.typical_of} sessions)."
    )


def review_lines(result: Review) -> list[str]:
    """The review as `calmflow review` prints it."""
    header = (
        f"{'':<18} {'sess.':>5}  {'with let-down':<15} {'first let-down':<28} {'per sess.':>9}"
        "  volume (sessions)"
    )
    lines = [header, figure_row(result.overall), ""]
    lines += ["By routine:", *(figure_row(f) for f in result.routines)]
    if result.cues:
        lines += ["", "Sessions with each cue before the let-down:"]
        lines += [figure_row(f) for f in result.cues]
    if result.comparisons:
        lines += ["", *(f"- {c.sentence}" for c in result.comparisons)]
    lines += ["", time_of_day_text(result)]
    typical = typical_text(result)
    if typical is not None:
        lines.append(typical)
    lines += ["", *ABOUT]
    return lines
