"""The milk label in words: the line to write on the container, and the guidance
it comes from, as the form's confirmation, `calmflow log add`, `calmflow play`
and `calmflow label` show them.

Times are on the person's clock, 24-hour or 12-hour as their locale says
(`wallclock.twelve_hour`); days are written as calmflow writes them everywhere
('Sun 6 Dec', text/sessions.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from calmflow.core.milk_label import SOURCE, MilkLabel, milk_label, pumped_at
from calmflow.core.records import SessionRecord
from calmflow.system import wallclock

GUIDANCE = (
    "storage guidance: CDC; ABM Protocol #8 — not a safety guarantee"
    " (room up to 25 °C / 77 °F, fridge 4 °C / 40 °F, freezer −18 °C / 0 °F)"
)
"""Said under every label: where its times come from, and that they are guidance."""


def has_milk(session: SessionRecord) -> bool:
    """Whether the session has milk to label: a volume above zero was given."""
    return bool(session.volume_total_ml)


def session_label(session: SessionRecord) -> MilkLabel:
    """The label of the milk of `session`, on the person's clock."""
    return milk_label(pumped_at(session), wallclock.zone())


def label_lines(session: SessionRecord) -> list[str]:
    """The label line and the guidance under it for a session with milk; none
    for a session without a volume."""
    if not has_milk(session):
        return []
    return [label_line(session_label(session)), GUIDANCE]


def label_line(label: MilkLabel, *, twelve_hour: bool | None = None) -> str:
    """'Pumped Sun 6 Dec 06:10 · room temperature until 10:10 · fridge until Thu 10
    Dec 06:10 · freezer best by 6 Jun 2027 (up to 6 Dec 2027)'.

    The room-temperature time names its day only when it is not the day pumped.
    The freezer's dates keep their day: a month alone ('best by Jun 2027') reads
    as the end of that month, weeks past the guidance. `twelve_hour` is the
    person's clock unless given."""
    twelve = wallclock.twelve_hour() if twelve_hour is None else twelve_hour
    pumped, room = label.pumped, label.room_until
    room_words = time_text(room, twelve)
    if room.date() != pumped.date():
        room_words = f"{day_text(room)} {room_words}"
    return (
        f"Pumped {day_text(pumped)} {time_text(pumped, twelve)}"
        f" · room temperature until {room_words}"
        f" · fridge until {day_text(label.fridge_until)} {time_text(label.fridge_until, twelve)}"
        f" · freezer best by {date_text(label.freezer_best_by)}"
        f" (up to {date_text(label.freezer_until)})"
    )


def label_fields(label: MilkLabel) -> dict[str, Any]:
    """The label for `calmflow label --json`: ISO 8601 times with the offset of the
    person's zone at each, and the guidance's source."""
    return {
        "pumped": _iso(label.pumped),
        "room_until": _iso(label.room_until),
        "fridge_until": _iso(label.fridge_until),
        "freezer_best_by": _iso(label.freezer_best_by),
        "freezer_until": _iso(label.freezer_until),
        "source": SOURCE,
        "guidance": "guidance, not a safety guarantee",
    }


def time_text(moment: datetime, twelve_hour: bool) -> str:
    """'06:10' or '18:10' on a 24-hour clock; '6:10 AM' or '6:10 PM' on a 12-hour one.
    `moment` is already on the person's clock."""
    if not twelve_hour:
        return f"{moment:%H:%M}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def day_text(moment: datetime) -> str:
    """'Sun 6 Dec': the day as calmflow writes it (text/sessions.py's `when_text`)."""
    return f"{moment:%a} {moment.day} {moment:%b}"


def date_text(moment: datetime) -> str:
    """'6 Jun 2027'."""
    return f"{moment.day} {moment:%b %Y}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
