"""The review in words: each figure as a short cell, and the whole as lines of text.

`calmflow review` prints `review_lines`; the TUI review screen puts the same
cells in a table and the same sentences around it, so both say it alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from calmflow.core.comparison import duration_words
from calmflow.core.review import Figures, Review
from calmflow.core.trial import ANSWERED

ABOUT = (
    "Shares and times are given with a 95% interval; the first let-down time counts",
    "sessions without one up to their end (Kaplan-Meier). These are your own sessions",
    "only: a guide to what suits you, not a diagnosis. docs/review.md explains each",
    "figure and sentence, and what it cannot tell.",
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


class RangeWords(NamedTuple):
    """How an interval is written: in a line of text, or in a table's narrow cell."""

    between: str
    at_least: str
    """An interval whose upper end is not known yet: '{}' is its lower end."""
    none: str
    """An interval not even whose lower end is known."""


IN_TEXT = RangeWords(" to ", "at least {}", "too few sessions for a range")
IN_TABLE = RangeWords("–", "from {}", "no range yet")


def median_parts(
    f: Figures, words: Words = duration_words, style: RangeWords = IN_TEXT
) -> tuple[str, str] | None:
    """('1 m 35 s', '1 m to 5 m 10 s'): the median time to the first let-down and its
    95% interval in words ('at least 1 m' when the upper end is not known yet,
    'too few sessions for a range' when the lower one is not); ('not reached', '')
    when fewer than half had a let-down. None when no session of the group was
    timed (all logged by hand)."""
    if not f.timed_sessions:
        return None
    if f.median_first_letdown_s is None:
        return "not reached", ""
    low, high = f.median_interval
    median = words(f.median_first_letdown_s)
    if low is None:
        return median, style.none
    if high is None:
        return median, style.at_least.format(words(low))
    return median, f"{words(low)}{style.between}{words(high)}"


def median_text(f: Figures, none: str = "-") -> str:
    """'1 m 35 s (1 m to 5 m 10 s)': median time to the first let-down, with its interval."""
    parts = median_parts(f)
    if parts is None:
        return none
    median, interval = parts
    return f"{median} ({interval})" if interval else median


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
        f"{f.label[:18]:<18} {f.sessions:>5}  {share_text(f):<15} {median_text(f):<30}"
        f" {per_session_text(f):>9}  {volume_text(f)}"
    )


PART_WORDS = {
    "night": "at night",
    "morning": "in the morning",
    "afternoon": "in the afternoon",
    "evening": "in the evening",
}


def time_of_day_text(result: Review) -> str:
    """'Sessions by time of day: 3 in the morning, 1 at night (output changes
    through the day).'"""
    parts = ", ".join(
        f"{n} {PART_WORDS[part]}" for part, n in result.overall.time_of_day.items() if n
    )
    return f"Sessions by time of day: {parts} (output changes through the day)."


def typical_text(result: Review) -> str | None:
    if result.typical_letdown_s is None:
        return None
    over = (
        f"the median of your last {result.typical_of} sessions"
        if result.typical_of > 1
        else "from your only session so far"
    )
    return f"Your typical first let-down: {duration_words(result.typical_letdown_s)} ({over})."


def answer_sentences(result: Review) -> list[tuple[str, bool]]:
    """What the review says first, each sentence with whether it is muted: each
    experiment's answer, then its progress; then the hints that found something;
    then those that found nothing yet, or cannot compare (muted)."""
    out: list[tuple[str, bool]] = []
    for e in result.experiments:
        if e.state == ANSWERED and e.answer is not None:
            adopt, more = e.offer
            keep = (
                f"To keep {e.answer.best} from now on: {adopt}."
                if e.answer.found
                else f"To settle on one ({' or '.join(e.arms)}) all the same: {adopt}."
            )
            out.append((e.sentence, False))
            out.append((f"{keep} For a surer answer: {more}.", True))
    out += [(e.sentence, False) for e in result.experiments if e.state != ANSWERED]
    said = [c for c in result.comparisons if c.direction is not None]
    out += [(c.sentence, False) for c in said]
    out += [(c.sentence, True) for c in result.comparisons if c.direction is None]
    return out


def review_lines(result: Review) -> list[str]:
    """The review as `calmflow review` prints it."""
    header = (
        f"{'':<18} {'sess.':>5}  {'with let-down':<15} {'first let-down':<30} {'per sess.':>9}"
        "  volume (sessions)"
    )
    lines = []
    said = answer_sentences(result)
    if said:
        lines += [f"- {text}" for text, _ in said]
        lines.append("")
    lines += [header, figure_row(result.overall), ""]
    lines += ["By routine:", *(figure_row(f) for f in result.routines)]
    if result.cues:
        lines += ["", "Sessions with each cue before the let-down:"]
        lines += [figure_row(f) for f in result.cues]
    lines += ["", time_of_day_text(result)]
    typical = typical_text(result)
    if typical is not None:
        lines.append(typical)
    lines += ["", *ABOUT]
    return lines
