"""The pumping schedule: when sessions are due, which were missed, what to suggest.

One rule, on the person's clock: a schedule is a set of times of day, the same
every day, whatever the clocks do. Either fixed times (06:00, 09:00, ...), or an
interval counted each day from a whole time of day (every 3 h from 05:00) with
nothing due in the night gap (23:00-05:00): that is 05:00, 08:00, ... 20:00
every day. A time of day that a change of the clocks skips or repeats is read as
RFC 5545 reads it (wallclock.on_clock), so `slots` gives the very instants a
calendar file with the same times expands to. Everything that says when a
session is due (`calmflow next`, the home screen, missed sessions, the calendar)
takes its slots from `slots`, so they cannot disagree.

Given the milk removals logged (when each pumping session and each breastfeed
began: `Removal`) and the time now, `status` says:

- which slots of the last 24 hours were kept and which were missed. A removal
  keeps the slot whose window it starts in (from halfway after the slot before to
  halfway before the slot after): on time up to the grace after it, late after
  that. A slot is missed once its grace has passed with no removal in its window.
  A breastfeed keeps its slot exactly as a pumping session does (EVIDENCE.md:
  Milk removal). A late one keeps its slot and moves no other: the slots stay
  where the calendar has them (EVIDENCE.md: keep intervals roughly even);
- when the next session is due;
- what to suggest: after a miss with no removal since, a catch-up session now
  (even 10–15 minutes helps); after two or more misses in 24 hours, one
  power-pumping session the next day, never more than one a day
  (EVIDENCE.md: Sessions and schedule).

Everything takes the time now and the time zone from the caller: no clock is
read here, so tests can say exactly when "now" is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from calmflow.core.quantities import parse_duration
from calmflow.system.wallclock import on_clock

GRACE = timedelta(minutes=45)
"""[ours] How late a session may start and still be on time for its slot."""
MAX_GRACE = timedelta(hours=4)
LOOK_BACK = timedelta(hours=24)
POWER_AFTER_MISSES = 2
"""Misses within 24 hours after which one power-pumping session is suggested."""
POWER_ROUTINE = "power-pumping"
CATCH_UP_ROUTINE = "catch-up"
"""The bundled routines suggested after missed sessions."""
DAY = timedelta(days=1)


def hhmm(t: time) -> str:
    return t.strftime("%H:%M")


@dataclass(frozen=True)
class Schedule:
    """Fixed `times` of day, or one session `every` so long from `start` each day,
    outside the night gap."""

    times: tuple[time, ...] = ()
    every: timedelta | None = None
    night: tuple[time, time] | None = None
    """From and to (local), e.g. (23:00, 05:00): nothing is due in between."""
    grace: timedelta = GRACE
    start: time | None = None
    """An interval's first time each day (by default its night's end)."""

    def __post_init__(self) -> None:
        if bool(self.times) == (self.every is not None):
            raise ValueError("a schedule has either fixed times or an interval, not both")
        for t in (*self.times, *(self.night or ()), *((self.start,) if self.start else ())):
            if t.second or t.microsecond or t.tzinfo is not None:
                raise ValueError(f"{t.isoformat()}: give times of day as hours and minutes")
        if self.every is not None:
            if not timedelta(hours=1) <= self.every <= timedelta(hours=12):
                raise ValueError("the interval must be from 1 to 12 hours")
            if self.every % timedelta(minutes=1):
                raise ValueError("the interval must be whole minutes")
            if self.start is None and self.night is not None:
                object.__setattr__(self, "start", self.night[1])
            if self.start is None:
                raise ValueError("an interval needs the time it counts from each day")
        elif self.night is not None or self.start is not None:
            raise ValueError("a night gap and a start time go with an interval")
        if len(set(self.times)) != len(self.times):
            twice = sorted({t for t in self.times if self.times.count(t) > 1})
            raise ValueError(f"{', '.join(hhmm(t) for t in twice)} is given twice")
        if self.night is not None and self.night[0] == self.night[1]:
            raise ValueError("the night gap must not start and end at the same time")
        if not timedelta(0) <= self.grace <= MAX_GRACE or self.grace % timedelta(minutes=1):
            raise ValueError("the grace must be whole minutes, from 0 to 4 hours")
        if not self.day_times():
            raise ValueError("every session would fall in the night gap: nothing would be due")

    def in_night(self, t: time) -> bool:
        """Whether the time of day `t` falls in the night gap."""
        if self.night is None:
            return False
        start, end = self.night
        return start <= t < end if start < end else t >= start or t < end

    def day_times(self) -> tuple[time, ...]:
        """The times of day a session is due, the same every day, in order."""
        if self.times:
            return tuple(sorted(self.times))
        assert self.every is not None and self.start is not None
        step = round(self.every.total_seconds() / 60)
        first = self.start.hour * 60 + self.start.minute
        minutes = (m % (24 * 60) for m in range(first, first + 24 * 60, step))
        found = {time(m // 60, m % 60) for m in minutes}
        return tuple(sorted(t for t in found if not self.in_night(t)))


def slots(schedule: Schedule, start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Every slot from `start` to `end` (both included), set on `tz`'s clock, as
    instants in UTC, in order. Two times of day that a change of the clocks makes
    one instant are one slot. (UTC, because Python subtracts two times of the
    same zone by their clocks: across a change of the clocks, an hour off.)"""
    found: set[datetime] = set()
    day = start.astimezone(tz).date() - DAY
    while day <= end.astimezone(tz).date() + DAY:
        for t in schedule.day_times():
            moment = on_clock(day, t, tz).astimezone(UTC)
            if start <= moment <= end:
                found.add(moment)
        day += DAY
    return sorted(found)


RemovalKind = Literal["pumping", "breastfeed"]


@dataclass(frozen=True, order=True)
class Removal:
    """Milk removed: a pumping session or a breastfeed, by when it began (UTC).
    Which records are removals is decided in one place,
    `services.schedule.milk_removals`."""

    at: datetime
    kind: RemovalKind = "pumping"


@dataclass(frozen=True)
class Slot:
    due: datetime
    kept_by: datetime | None
    """The start of the removal that kept it, if one did."""
    state: Literal["on time", "late", "missed", "open", "to come"]
    kept_by_kind: RemovalKind | None = None
    """What kept it: a pumping session or a breastfeed."""


@dataclass(frozen=True)
class Status:
    now: datetime
    next_due: datetime | None
    last_session: datetime | None
    """When the last pumping session began."""
    since_last: timedelta | None
    """The time since then."""
    slots: list[Slot] = field(default_factory=list)
    """The slots of the last 24 hours and the next 24, oldest first."""
    missed: list[datetime] = field(default_factory=list)
    suggest_catch_up: bool = False
    suggest_power_pumping_on: date | None = None
    """The day one power-pumping session is suggested for, if any."""
    last_feed: datetime | None = None
    """When the last breastfeed began."""

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < self.now


def status(
    schedule: Schedule,
    removals: Sequence[Removal],
    now: datetime,
    tz: tzinfo,
    *,
    since: datetime | None = None,
    power_pumping: list[datetime] | None = None,
) -> Status:
    """Where things stand at `now`, from the milk removals logged (pumping sessions
    of any routine, manual ones included, and breastfeeds) and the start times of
    the power-pumping sessions; `since` is when the schedule was set up. Every
    instant in it is in UTC."""
    now = now.astimezone(UTC)
    taken = sorted(Removal(r.at.astimezone(UTC), r.kind) for r in removals if r.at <= now)
    starts = [r.at for r in taken]
    # Slots count from a day ago, and not before the schedule was set up or
    # before the first removal logged: nobody missed what came before.
    start = max(now - LOOK_BACK, since or now - LOOK_BACK)
    if taken:
        start = max(start, starts[0] - schedule.grace)
    elif since is None:
        start = now
    # A slot's window reaches halfway to its neighbours: judge with one more
    # slot on each side than is shown.
    around = slots(schedule, start - 2 * DAY, now + 2 * DAY, tz)
    judged = [s for s in _judge(schedule, around, taken, now) if s.due >= start]
    missed = [s.due for s in judged if s.state == "missed"]
    upcoming = [s.due for s in judged if s.state in ("open", "to come")]
    latest = starts[-1] if starts else None
    catch_up = bool(missed) and (latest is None or latest < missed[-1])
    pumped = [r.at for r in taken if r.kind == "pumping"]
    fed = [r.at for r in taken if r.kind == "breastfeed"]
    last = pumped[-1] if pumped else None
    power_day = None
    if len(missed) >= POWER_AFTER_MISSES:
        # One session, the day after the misses (today, once that day has come),
        # and none once a power-pumping session has been pumped since they began.
        since_misses = [p for p in power_pumping or [] if p >= missed[0]]
        if not since_misses:
            day_after = missed[POWER_AFTER_MISSES - 1].astimezone(tz).date() + DAY
            power_day = max(day_after, now.astimezone(tz).date())
    return Status(
        now=now,
        next_due=upcoming[0] if upcoming else None,
        last_session=last,
        since_last=now - last if last else None,
        slots=[s for s in judged if s.due <= now + LOOK_BACK],
        missed=missed,
        suggest_catch_up=catch_up,
        suggest_power_pumping_on=power_day,
        last_feed=fed[-1] if fed else None,
    )


def _judge(
    schedule: Schedule, slots: list[datetime], removals: list[Removal], now: datetime
) -> list[Slot]:
    """Each slot kept (on time or late), missed, open (due, grace not yet passed)
    or to come; a removal keeps at most one slot, the one whose window it is in
    (the first removal in the window keeps it, whatever its kind)."""
    out = []
    used: set[int] = set()
    for i, due in enumerate(slots):
        before = slots[i - 1] if i else due - (slots[1] - due if len(slots) > 1 else DAY)
        after = slots[i + 1] if i + 1 < len(slots) else due + (due - before)
        low, high = due - (due - before) / 2, due + (after - due) / 2
        kept = next(
            (j for j, r in enumerate(removals) if low <= r.at < high and j not in used), None
        )
        if kept is not None:
            used.add(kept)
            by = removals[kept]
            state: Literal["on time", "late", "missed", "open", "to come"]
            state = "on time" if by.at <= due + schedule.grace else "late"
            out.append(Slot(due, by.at, state, by.kind))
        elif due > now:
            out.append(Slot(due, None, "to come"))
        elif now <= due + schedule.grace:
            out.append(Slot(due, None, "open"))
        else:
            out.append(Slot(due, None, "missed"))
    return out


def whole_hour_near(moment: datetime, tz: tzinfo) -> time:
    """The whole hour nearest to `moment` on `tz`'s clock: where an interval set
    then, with no night gap, counts from each day."""
    local = moment.astimezone(tz)
    return time((local.hour + (local.minute >= 30)) % 24)


# --- a schedule as it is typed (the command line, the schedule screen) ------------------

_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_clock(text: str, option: str) -> time:
    """One time of day, hours and minutes ("06:00", "6:30"); ValueError naming
    `option` for anything else (seconds, an offset, 24:00)."""
    found = _CLOCK.fullmatch(text.strip())
    if found is None:
        raise ValueError(
            f"{option} {text.strip()!r}: give a time of day as hours and minutes, like 06:00"
        )
    return time(int(found[1]), int(found[2]))


def parse_times(text: str, option: str = "--times") -> tuple[time, ...]:
    """Times of day, "06:00,09:00,12:00", in order; ValueError naming `option`."""
    pieces = [p for p in text.split(",") if p.strip()]
    if not pieces:
        raise ValueError(f"{option}: give times of day like 06:00,09:00,12:00")
    times = [parse_clock(p, option) for p in pieces]
    twice = sorted({t for t in times if times.count(t) > 1})
    if twice:
        raise ValueError(f"{option}: {', '.join(hhmm(t) for t in twice)} is given twice")
    return tuple(sorted(times))


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
    pieces = text.split("-")
    if len(pieces) != 2:
        raise ValueError(f"{option} {text!r}: give it as from-to, like 23:00-05:00")
    start, end = (parse_clock(p, option) for p in pieces)
    if start == end:
        raise ValueError(f"{option}: it must not start and end at the same time")
    return start, end
