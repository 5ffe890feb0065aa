"""The label for a container of expressed milk: when it was pumped, and until when
it keeps at room temperature, in the refrigerator and in the freezer.

EVIDENCE.md (Milk removal and storage), from the CDC's "Proper Storage and
Preparation of Breast Milk" and the Academy of Breastfeeding Medicine's Clinical
Protocol #8 (2017): freshly expressed milk keeps at room temperature (up to 25 °C
/ 77 °F) up to 4 hours, in the refrigerator (4 °C / 40 °F) up to 4 days, in the
freezer (−18 °C / 0 °F) best within 6 months and up to 12 months acceptable.
That is guidance, never a safety guarantee: every face shows it with its source.

Hours and days are elapsed time: 4 h is 4 × 3600 s and 4 days are 96 h, added
to the instant in UTC, so a change of the clocks neither stretches nor shortens
them (milk pumped at 06:10 on the Friday before the spring change keeps in the
fridge until 07:10 on the Tuesday, by the clock on the wall). Months are the
calendar's: the same day and time of day on the person's clock, six or twelve
months on. Nothing here reads a clock or the zone: the caller passes them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from calmflow.core.records import SessionRecord

ROOM = timedelta(hours=4)
"""[CDC; ABM #8] Freshly expressed, at room temperature up to 25 °C / 77 °F."""
FRIDGE = timedelta(hours=96)
"""[CDC; ABM #8] In the refrigerator at 4 °C / 40 °F: 4 days, as elapsed hours."""
FREEZER_BEST_MONTHS = 6
"""[CDC; ABM #8] In the freezer at −18 °C / 0 °F: best within 6 months..."""
FREEZER_UP_TO_MONTHS = 12
"""...and up to 12 months acceptable."""

SOURCE = (
    "CDC, Proper Storage and Preparation of Breast Milk; Academy of Breastfeeding"
    " Medicine Clinical Protocol #8 (2017)"
)
"""Where the guidance comes from, in full (`calmflow label --json`)."""


@dataclass(frozen=True)
class MilkLabel:
    """When the milk was pumped and until when it keeps, each on the person's clock
    (aware, in their zone, with the offset of that moment)."""

    pumped: datetime
    room_until: datetime
    fridge_until: datetime
    freezer_best_by: datetime
    freezer_until: datetime


def pumped_at(session: SessionRecord) -> datetime:
    """When the milk of `session` was pumped, for its label: the session's start.

    The start, not the end: a container holds milk from the whole session, and
    it is as old as its first drops, so counting from the start never keeps any
    of it longer than the guidance says (the cost is the session's length, 15 to
    30 minutes, on the safe side). And the start is the one time every session
    has: one logged by hand without a length has no end, and the end of an
    interrupted one is its last write, which may be later than the pumping.
    """
    return session.started_at


def milk_label(pumped: datetime, tz: tzinfo) -> MilkLabel:
    """The label of milk pumped at the instant `pumped`, on the clock of zone `tz`.

    Room temperature and the refrigerator are elapsed hours from the instant;
    the freezer's months are calendar months on `tz`'s clock (`add_months`).
    """
    instant = pumped.astimezone(UTC)
    on_clock = instant.astimezone(tz)
    return MilkLabel(
        pumped=on_clock,
        room_until=(instant + ROOM).astimezone(tz),
        fridge_until=(instant + FRIDGE).astimezone(tz),
        freezer_best_by=add_months(on_clock, FREEZER_BEST_MONTHS),
        freezer_until=add_months(on_clock, FREEZER_UP_TO_MONTHS),
    )


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` (aware, on a zone's clock) `months` calendar months on: the same
    day of the month and time of day on that clock, with the offset it has then.

    A day the month does not have becomes the month's last day (31 August + 6
    months is 28 February, or 29th in a leap year; 29 February + 12 months is 28
    February): earlier, never later, than the guidance, and what python-dateutil's
    relativedelta does too. A time of day the clocks skip that night is read as
    calmflow reads every such time (wallclock.assume_local): with the offset from
    before the change, so 02:30 on the spring morning in New York is 03:30 EDT;
    in the hour the clocks repeat, the first of the two.
    """
    tz = moment.tzinfo
    assert tz is not None, "an instant on a named zone's clock"
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    wall = datetime.combine(date(year, month + 1, day), moment.time(), tz).replace(fold=0)
    return wall.astimezone(UTC).astimezone(tz)
