"""The schedule in words: what it is, and what is due, as `calmflow next` and the
home screen say it."""

from __future__ import annotations

from datetime import datetime, timedelta

from calmflow.core.schedule import CATCH_UP_ROUTINE, POWER_ROUTINE, Schedule, Status
from calmflow.system import wallclock

CATCH_UP_WORDS = (
    "it starts gently, with warmth, massage and low suction for full breasts,"
    " then goes on as a usual session"
)
"""What the catch-up routine is (it is as long as a usual session, not a short one)."""


def describe(schedule: Schedule) -> str:
    """'at 06:00, 09:00; a session up to 45 min late is on time', or 'every 3 h
    from 05:00 (05:00, 08:00, ... 20:00), nothing due from 23:00 to 05:00; ...'."""
    if schedule.times:
        when = "at " + ", ".join(t.strftime("%H:%M") for t in schedule.times)
    else:
        assert schedule.every is not None and schedule.start is not None
        day = [t.strftime("%H:%M") for t in schedule.day_times()]
        listed = ", ".join(day) if len(day) <= 5 else f"{', '.join(day[:3])}, ... {day[-1]}"
        when = f"every {span_words(schedule.every)} from {schedule.start.strftime('%H:%M')}"
        when += f" ({listed})"
        if schedule.night:
            when += (
                f", nothing due from {schedule.night[0].strftime('%H:%M')}"
                f" to {schedule.night[1].strftime('%H:%M')}"
            )
    return f"{when}; a session up to {span_words(schedule.grace)} late is on time"


def span_words(span: timedelta) -> str:
    """'3 h', '2 h 30 min', '45 min'."""
    minutes = round(span.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def clock_time(moment: datetime) -> str:
    """'06:10': the time of day on the person's clock."""
    return wallclock.local(moment).strftime("%H:%M")


def next_lines(result: Status) -> list[str]:
    """What `calmflow next` says, in a tired person's words."""
    lines = []
    if result.next_due is not None:
        wait = result.next_due - result.now
        if wait <= timedelta(0):
            lines.append(f"A session is due now (it was due at {clock_time(result.next_due)}).")
        else:
            lines.append(
                f"Next session due at {clock_time(result.next_due)}, in {span_words(wait)}."
            )
    if result.last_session is not None and result.since_last is not None:
        lines.append(
            f"The last one began {span_words(result.since_last)} ago, at"
            f" {clock_time(result.last_session)}."
        )
    last_feed = result.last_feed
    if last_feed is not None and (result.last_session is None or last_feed > result.last_session):
        lines.append(
            f"The last breastfeed began {span_words(result.now - last_feed)} ago, at"
            f" {clock_time(last_feed)}."
        )
    if result.missed:
        missed = ", ".join(clock_time(m) for m in result.missed)
        lines.append(f"Missed in the last 24 hours: {missed}.")
    if result.suggest_catch_up:
        lines.append(
            "Pump as soon as you can: even 10 to 15 minutes helps."
            f" `calmflow play {CATCH_UP_ROUTINE}` is made for after a missed session:"
            f" {CATCH_UP_WORDS}."
        )
    if result.suggest_power_pumping_on is not None:
        lines.append(
            f"Two or more sessions were missed in a day: one power-pumping session on"
            f" {result.suggest_power_pumping_on.strftime('%A')} can help"
            f" (`calmflow play {POWER_ROUTINE}`), once that day, in place of a usual one."
        )
    return lines
