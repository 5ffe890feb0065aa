"""Sessions in words, as the home screen and the sessions list show them: when,
the let-downs, the volume in the unit it was typed in, and how it ended; and
breastfeeds, which are listed beside them but are no sessions."""

from __future__ import annotations

from datetime import datetime

from calmflow.core.feeds import FEED_WORD, FeedRecord
from calmflow.core.records import SessionRecord
from calmflow.core.values import ML_PER_OZ
from calmflow.system import wallclock

STATUS_WORDS = {
    "finished_early": "ended early",
    "interrupted": "interrupted",
    "running": "playing now",
}
"""A session that did not simply play to its end says so, in 11 letters at most."""


def when_text(started: datetime, now: datetime) -> str:
    """'today 08:15', 'yesterday 21:40', 'Mon 3 Nov 06:05': local time, as people say it."""
    local = wallclock.local(started)
    days = (wallclock.local(now).date() - local.date()).days
    clock = local.strftime("%H:%M")
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    return f"{local:%a} {local.day} {local:%b} {clock}"


def volume_text(record: SessionRecord) -> str:
    """The volume in the unit it was typed in ('4 oz', not '118.3 ml'); '' when
    none was given."""
    ml = record.volume_total_ml
    if ml is None:
        return ""
    return amount_text(ml, record.volume_unit)


def amount_text(ml: float, unit: str | None) -> str:
    """'4 oz', '2.5 oz', '115 ml': an amount in `unit`, to a tenth, as it was typed."""
    if unit == "oz":
        return f"{round(ml / ML_PER_OZ, 1):g} oz"
    return f"{round(ml, 1):g} ml"


def letdowns_text(record: SessionRecord) -> str:
    """'2 let-downs': marked, or counted by hand for a session logged without calmflow."""
    count = record.letdown_count
    if count is None:
        return "let-downs not counted"
    if count == 0:
        return "no let-down"
    return f"{count} let-down{'s' if count != 1 else ''}"


def feed_text(feed: FeedRecord) -> str:
    """'breastfeed, left, 15 min': a feed as the log and the home screen show it
    (the side and the length where they were said; 'from Baby Buddy' for one read
    from there)."""
    words = [FEED_WORD]
    if feed.side is not None:
        words.append("both sides" if feed.side == "both" else feed.side)
    minutes = feed.minutes
    if minutes is not None:
        words.append(f"{round(minutes):d} min" if minutes >= 1 else "under a minute")
    if feed.source == "babybuddy":
        words.append("from Baby Buddy")
    return ", ".join(words)
