"""The schedule as an iCalendar file with reminders, for a phone's calendar.

A schedule is a set of times of day (core/schedule.py), so the file is one event
per time of day that repeats daily with no end (RRULE:FREQ=DAILY), on the
person's named zone (DTSTART;TZID=Europe/Berlin, with its VTIMEZONE): the phone
shows 05:00 every day, summer and winter, the very instants `calmflow next`
counts (RFC 5545 and wallclock read a time the clocks skip or repeat alike).
Each event's id depends only on its time of day, so writing the file again
and importing it again updates the events instead of doubling them. Each has a
reminder at its time, or `remind` before. The first of each series is the first
one due since the schedule was set, as for `next`. The file is written readable
by its owner only, as every file calmflow writes about a person's pumping.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path

from calmflow.core.schedule import DAY, Schedule, hhmm
from calmflow.system.private_files import write_private
from calmflow.system.wallclock import on_clock

SESSION = timedelta(minutes=20)
SUMMARY = "Pumping session"
REMINDER = "Time to pump. calmflow is ready when you are."


def calendar_bytes(
    schedule: Schedule, since: datetime, now: datetime, tz: tzinfo, *, remind: timedelta
) -> bytes:
    """The calendar file: a daily series per time of day, from `since`."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//calmflow//pumping schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Pumping")
    named = isinstance(getattr(tz, "key", None), str)
    for t in schedule.day_times():
        first = _first_since(t, since, tz)
        event = Event()
        event.add("uid", uid(t))
        event.add("summary", SUMMARY)
        # A zone without a name (no tz database here) is written as floating
        # local times: the phone's own clock, as near as the file can say.
        event.add("dtstart", first if named else first.replace(tzinfo=None))
        event.add("duration", SESSION)
        event.add("dtstamp", now.astimezone(UTC))
        event.add("rrule", {"freq": "daily"})
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", REMINDER)
        alarm.add("trigger", -remind)
        event.add_component(alarm)
        calendar.add_component(event)
    if named:
        # The zone's rules from the year before the schedule began to ten years
        # on (calendars that know the zone by its name use their own rules).
        rules_from = since.astimezone(tz).date() - timedelta(days=366)
        calendar.add_missing_timezones(rules_from, rules_from + timedelta(days=11 * 366))
    ical: bytes = calendar.to_ical()
    return ical


def write_ics(
    path: Path,
    schedule: Schedule,
    since: datetime,
    now: datetime,
    tz: tzinfo,
    *,
    remind: timedelta = timedelta(0),
) -> int:
    """Write the file; return how many daily series (times of day) it holds."""
    write_private(path, calendar_bytes(schedule, since, now, tz, remind=remind))
    return len(schedule.day_times())


def _first_since(t: time, since: datetime, tz: tzinfo) -> datetime:
    day = since.astimezone(tz).date()
    first = on_clock(day, t, tz)
    return first if first >= since else on_clock(day + DAY, t, tz)


def uid(t: time) -> str:
    """The same time of day gets the same id each time the file is written."""
    return hashlib.sha256(f"calmflow {hhmm(t)}".encode()).hexdigest()[:24] + "@calmflow"
