"""Sessions in words, as the home screen and the sessions list show them: when,
the let-downs, the volume in the unit it was typed in, and how it ended."""

from __future__ import annotations

from datetime import datetime

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
    """The volume in the unit it was typed in; '' when none was given."""
    ml = record.volume_total_ml
    if ml is None:
        return ""
    if record.volume_unit == "oz":
        return f"{ml / ML_PER_OZ:.1f} oz"
    return f"{ml:.0f} ml"


def letdowns_text(record: SessionRecord) -> str:
    """'2 let-downs': marked, or counted by hand for a session logged without calmflow."""
    count = record.letdown_count
    if count is None:
        return "let-downs not counted"
    if count == 0:
        return "no let-down"
    return f"{count} let-down{'s' if count != 1 else ''}"
