"""Moments and days as a person types them: `--at 14:05`, `--fitted yesterday`.

Both are read on the person's clock (`wallclock`), relative to the `now` given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from calmflow.system import wallclock


def parse_when(text: str, *, now: datetime) -> datetime:
    """When a session pumped without calmflow started: "2026-11-23 14:05" (local
    time, or with an offset), or "14:05" for the last 14:05 (today, or yesterday
    if that is still to come). ValueError if it cannot be read."""
    text = text.strip()
    local_now = wallclock.local(now)
    try:
        if len(text) <= 5 and ":" in text:
            hour, minute = (int(part) for part in text.split(":"))
            clock = time(hour, minute)
            moment = wallclock.on_clock(local_now.date(), clock)
            if moment > now:  # compared as instants: still to come today, so yesterday's
                moment = wallclock.on_clock(local_now.date() - timedelta(days=1), clock)
            return moment.astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r}: give a date and time such as 2026-11-23 14:05, or a time such as 14:05"
        ) from None
    return wallclock.assume_local(moment)


def parse_day(text: str, option: str, now: datetime) -> datetime:
    """The start (local midnight) of the day `text` names: 2026-11-01, today or
    yesterday; ValueError naming `option` if it cannot be read or is still to come."""
    tz = wallclock.zone()
    today = now.astimezone(tz).date()
    word = text.strip().lower()
    try:
        if word == "today":
            day = today
        elif word == "yesterday":
            day = today - timedelta(days=1)
        else:
            day = date.fromisoformat(word)
    except ValueError:
        raise ValueError(
            f"{option} {text!r}: give a date such as 2026-11-01, or today or yesterday"
        ) from None
    if day > today:
        raise ValueError(f"{option} {text}: that day is still to come")
    return wallclock.on_clock(day, time(0), tz).astimezone(UTC)
