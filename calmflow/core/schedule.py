"""The pumping schedule: when sessions are due, which were missed, what to suggest.

A schedule is either fixed times of day (06:00, 09:00, ...) or an interval
(every N hours) with an optional night gap in which nothing is due. Given the
sessions logged (their start times) and the time now, `status` says:

- which slots of the last 24 hours were kept (on time or late) and which were
  missed: a slot is missed when its grace has passed and no session started
  in its window (from halfway after the slot before to halfway before the slot
  after);
- when the next session is due. A session moved away from its slot moves the
  slots after it: with fixed times, the rest of the day's slots are spread
  evenly between the session and the day's last slot, so the gaps stay about
  even; with an interval, the next one is due an interval after the last
  session (EVIDENCE.md: keep intervals roughly even);
- what to suggest: after a miss with no session since, a catch-up session now
  (even 10–15 minutes helps); after two or more misses in 24 hours, one
  power-pumping session the next day, never more than one a day
  (EVIDENCE.md: Sessions and schedule).

Everything takes the time now and the local time zone from the caller: no
clock is read here, so tests can say exactly when "now" is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from calmflow.core.quantities import parse_duration

GRACE = timedelta(minutes=45)
"""[ours] How late a session may start and still be on time for its slot."""
LOOK_BACK = timedelta(hours=24)
POWER_AFTER_MISSES = 2
"""Misses within 24 hours after which one power-pumping session is suggested."""
POWER_ROUTINE = "power-pumping"
CATCH_UP_ROUTINE = "catch-up"
"""The bundled routines suggested after missed sessions."""


@dataclass(frozen=True)
class Schedule:
    """Fixed `times` of day, or one session `every` so long outside the night gap."""

    times: tuple[time, ...] = ()
    every: timedelta | None = None
    night: tuple[time, time] | None = None
    """From and to (local), e.g. (23:00, 05:00): nothing is due in between."""
    grace: timedelta = GRACE

    def __post_init__(self) -> None:
        if bool(self.times) == (self.every is not None):
            raise ValueError("a schedule has either fixed times or an interval, not both")
        if self.every is not None and not timedelta(hours=1) <= self.every <= timedelta(hours=12):
            raise ValueError("the interval must be from 1 to 12 hours")
        if self.times and len(set(self.times)) != len(self.times):
            raise ValueError("the same time is given twice")

    def in_night(self, moment: datetime) -> bool:
        """Whether `moment` (in local time) falls in the night gap."""
        if self.night is None:
            return False
        start, end = self.night
        t = moment.timetz().replace(tzinfo=None)
        return start <= t < end if start < end else t >= start or t < end

    def night_end_after(self, moment: datetime) -> datetime:
        """The first moment at or after `moment` outside the night gap."""
        if not self.in_night(moment) or self.night is None:
            return moment
        end = datetime.combine(moment.date(), self.night[1], moment.tzinfo)
        return end if end > moment else end + timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    due: datetime
    kept_by: datetime | None
    """The start of the session that kept it, if one did."""
    state: Literal["on time", "late", "missed", "open", "to come"]


@dataclass(frozen=True)
class Status:
    now: datetime
    next_due: datetime | None
    last_session: datetime | None
    since_last: timedelta | None
    slots: list[Slot] = field(default_factory=list)
    """The slots of the last 24 hours, oldest first."""
    missed: list[datetime] = field(default_factory=list)
    suggest_catch_up: bool = False
    suggest_power_pumping_on: date | None = None
    """The day one power-pumping session is suggested for, if any."""

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < self.now


def fixed_slots(schedule: Schedule, start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """The fixed slots from `start` to `end` (local days in `tz`), as planned."""
    out = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date():
        for t in sorted(schedule.times):
            moment = datetime.combine(day, t, tz)
            if start <= moment <= end:
                out.append(moment)
        day += timedelta(days=1)
    return out


def _respaced(
    planned: list[datetime], sessions: list[datetime], grace: timedelta
) -> list[datetime]:
    """Fixed slots after each moved session, so the rest of its day is evenly spaced.

    A session keeps the slot nearest to it; when it was more than the grace
    away from it, the slots left that day are spread evenly from the session
    to the day's last slot (which stays where it is).
    """
    slots = list(planned)
    for s in sessions:
        if not slots:
            break
        kept = min(range(len(slots)), key=lambda i: abs(slots[i] - s))
        same_day = [i for i in range(kept + 1, len(slots)) if slots[i].date() == slots[kept].date()]
        if not same_day or abs(slots[kept] - s) <= grace:
            continue
        last = same_day[-1]
        step = (slots[last] - s) / len(same_day)
        if step <= timedelta(0):
            continue
        for k, i in enumerate(same_day[:-1], start=1):
            slots[i] = s + step * k
    return slots


def _interval_slots(
    schedule: Schedule, sessions: list[datetime], start: datetime, now: datetime
) -> list[datetime]:
    """Interval slots from `start` to the first one after `now`: each due an
    interval after the session that kept the one before (or after that slot,
    if it was missed), moved out of the night gap."""
    assert schedule.every is not None
    before = [s for s in sessions if s < start]
    anchor = before[-1] if before else start - schedule.every
    pending = [s for s in sessions if s >= start]
    slots: list[datetime] = []
    while True:
        due = schedule.night_end_after(anchor + schedule.every)
        # The sessions up to halfway to the slot after this one keep it; the
        # last of them is where the next interval starts.
        kept = [s for s in pending if s < due + schedule.every / 2]
        slots.append(due)
        if kept:
            anchor = kept[-1]
            pending = pending[len(kept) :]
        elif due > now:
            return slots
        else:
            anchor = due


def status(
    schedule: Schedule,
    sessions: list[datetime],
    now: datetime,
    tz: tzinfo,
    *,
    since: datetime | None = None,
    power_pumping: list[datetime] | None = None,
) -> Status:
    """Where things stand at `now`, from the start times of the sessions logged
    (any routine, manual ones included) and of the power-pumping sessions;
    `since` is when the schedule was set up."""
    # All in local time: the night gap and the times of day are the person's clock.
    now = now.astimezone(tz)
    sessions = sorted(s.astimezone(tz) for s in sessions if s <= now)
    # Slots count from a day ago, and not before the schedule was set up or
    # before the first session logged: nobody missed what came before.
    start = max(now - LOOK_BACK, since or now - LOOK_BACK)
    if sessions:
        start = max(start, sessions[0] - schedule.grace)
    else:
        start = now if since is None else start
    if schedule.times:
        planned = fixed_slots(schedule, start - timedelta(days=1), now + timedelta(days=2), tz)
        recent = [s for s in sessions if s >= planned[0] - timedelta(hours=12)]
        moved = _respaced(planned, recent, schedule.grace)
        window_slots = [d for d in moved if d >= start]
    else:
        window_slots = _interval_slots(schedule, sessions, start, now)
    slots = _judge(schedule, window_slots, sessions, now)
    missed = [s.due for s in slots if s.state == "missed"]
    upcoming = [s.due for s in slots if s.state in ("open", "to come")]
    last = sessions[-1] if sessions else None
    catch_up = bool(missed) and (last is None or last < missed[-1])
    power_day = None
    if len(missed) >= POWER_AFTER_MISSES:
        # One session, the day after the misses (today, once that day has come),
        # and none once a power-pumping session has been pumped since they began.
        since_misses = [p for p in power_pumping or [] if p >= missed[0]]
        if not since_misses:
            day_after = missed[POWER_AFTER_MISSES - 1].astimezone(tz).date() + timedelta(days=1)
            power_day = max(day_after, now.astimezone(tz).date())
    return Status(
        now=now,
        next_due=upcoming[0] if upcoming else None,
        last_session=last,
        since_last=now - last if last else None,
        slots=[s for s in slots if s.due <= now + timedelta(hours=24)],
        missed=missed,
        suggest_catch_up=catch_up,
        suggest_power_pumping_on=power_day,
    )


def _judge(
    schedule: Schedule, slots: list[datetime], sessions: list[datetime], now: datetime
) -> list[Slot]:
    """Each slot kept, late, missed, open (due, grace not yet passed) or to come."""
    out = []
    used: set[datetime] = set()
    for i, due in enumerate(slots):
        before = slots[i - 1] if i else due - (slots[1] - due if len(slots) > 1 else schedule.grace)
        after = slots[i + 1] if i + 1 < len(slots) else due + (due - before)
        low, high = due - (due - before) / 2, due + (after - due) / 2
        kept = next((s for s in sessions if low <= s < high and s not in used), None)
        if kept is not None:
            used.add(kept)
            state: Literal["on time", "late", "missed", "open", "to come"]
            state = "on time" if kept <= due + schedule.grace else "late"
            out.append(Slot(due, kept, state))
        elif due > now:
            out.append(Slot(due, None, "to come"))
        elif now <= due + schedule.grace:
            out.append(Slot(due, None, "open"))
        else:
            out.append(Slot(due, None, "missed"))
    return out


# --- a schedule as it is typed (the command line, the schedule screen) ------------------


def parse_times(text: str, option: str = "--times") -> tuple[time, ...]:
    """Times of day, "06:00,09:00,12:00", in order; ValueError naming `option`."""
    try:
        return tuple(sorted(time.fromisoformat(p.strip()) for p in text.split(",") if p.strip()))
    except ValueError:
        raise ValueError(f"{option} {text!r}: give times of day like 06:00,09:00,12:00") from None


def parse_span(text: str, option: str) -> timedelta:
    """A length in hours and minutes, as a routine writes a duration (3h, 2h30m,
    150m, 45m); ValueError naming `option`. Seconds are no use here."""
    error = ValueError(f"{option} {text!r}: give a length like 3h, 2h30m or 45m")
    written = re.sub(r"(\d)\s+([hm])", r"\1\2", text.strip())  # "3 h" is 3h
    if not written.endswith(("h", "m")) or not re.fullmatch(r"[\dhm\s]+", written):
        raise error
    try:
        seconds = parse_duration(written)
    except ValueError:
        raise error from None
    if seconds % 60:
        raise error
    return timedelta(seconds=seconds)


def parse_night(text: str, option: str = "--night") -> tuple[time, time]:
    """A night gap, "23:00-05:00"; ValueError naming `option`."""
    try:
        start, end = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(f"{option} {text!r}: give it as from-to, like 23:00-05:00") from None
    if start == end:
        raise ValueError(f"{option}: it must not start and end at the same time")
    return start, end
