"""The schedule as an iCalendar file with reminders, for a phone's calendar.

Fixed times become one event each that repeats daily, at the same time on the
phone's clock wherever and whenever it is (floating local times); an interval schedule
becomes its sessions for the next days, counted from the last session and
moved out of the night gap. Each event has a reminder at its time. The file
is written readable by its owner only, as every file calmflow writes about a
person's pumping.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from calmflow.core.schedule import Schedule
from calmflow.system.private_files import write_private

SESSION = timedelta(minutes=20)
SUMMARY = "Pumping session"
REMINDER = "Time to pump. calmflow is ready when you are."


def planned_sessions(
    schedule: Schedule, now: datetime, tz: tzinfo, last: datetime | None, days: int
) -> list[datetime]:
    """The starts an interval schedule plans for the next `days` days."""
    assert schedule.every is not None
    now = now.astimezone(tz)  # the night gap is on the person's clock
    end = now + timedelta(days=days)
    start = (last.astimezone(tz) if last else now - schedule.every) + schedule.every
    moment = schedule.night_end_after(start)
    out = []
    while moment <= end:
        out.append(moment.astimezone(tz))
        moment = schedule.night_end_after(moment + schedule.every)
    return out


def write_ics(
    path: Path,
    schedule: Schedule,
    now: datetime,
    tz: tzinfo,
    last: datetime | None,
    *,
    days: int = 14,
) -> int:
    """Write the file; return how many events (or daily series) it holds."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//calmflow//pumping schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Pumping")
    local_now = now.astimezone(tz)
    if schedule.times:
        # Floating local times: 06:00 stays 06:00 on the phone's clock, summer or winter.
        starts = [datetime.combine(local_now.date(), t) for t in schedule.times]
        repeat = True
    else:
        starts = [s.astimezone(UTC) for s in planned_sessions(schedule, now, tz, last, days)]
        repeat = False
    for start in starts:
        event = Event()
        event.add("uid", _uid(start, repeat))
        event.add("summary", SUMMARY)
        event.add("dtstart", start)
        event.add("dtend", start + SESSION)
        event.add("dtstamp", now)
        if repeat:
            event.add("rrule", {"freq": "daily"})
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", REMINDER)
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        calendar.add_component(event)
    write_private(path, calendar.to_ical())
    return len(starts)


def _uid(start: datetime, repeat: bool) -> str:
    # The same slot gets the same id each time the file is written, so a
    # calendar that imports it again updates the events instead of doubling them.
    key = start.strftime("%H:%M") if repeat else start.isoformat()
    return hashlib.sha256(f"calmflow {key}".encode()).hexdigest()[:24] + "@calmflow"
