"""The schedule with a controlled clock: kept, late, missed, night gaps, moved sessions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from calmflow.core import schedule as planned
from calmflow.core.schedule import Removal, Schedule

TZ = timezone(timedelta(hours=1))  # a fixed local zone: no daylight-saving surprises
EVERY_3H = Schedule(times=(time(6), time(9), time(12), time(15), time(18), time(21)))


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


def status(schedule: Schedule, sessions: list[datetime], now: datetime, tz, **kw):
    """Where things stand, with pumping sessions begun at `sessions`."""
    return planned.status(schedule, [Removal(s) for s in sessions], now, tz, **kw)


def states(result, since: datetime) -> list[tuple[str, str]]:
    return [
        (s.due.astimezone(TZ).strftime("%d %H:%M"), s.state) for s in result.slots if s.due >= since
    ]


def test_on_time_sessions_and_the_next_one_due():
    sessions = [at(10, 6, 5), at(10, 9, 0), at(10, 12, 30)]
    result = status(EVERY_3H, sessions, at(10, 13), TZ)
    assert states(result, at(10, 6))[:6] == [
        ("10 06:00", "on time"),
        ("10 09:00", "on time"),
        ("10 12:00", "on time"),
        ("10 15:00", "to come"),
        ("10 18:00", "to come"),
        ("10 21:00", "to come"),
    ]
    assert result.next_due == at(10, 15)
    assert result.since_last == timedelta(minutes=30)
    assert result.missed == [] and not result.suggest_catch_up


def test_late_is_kept_but_said_to_be_late():
    result = status(EVERY_3H, [at(10, 6), at(10, 10, 10)], at(10, 10, 30), TZ)
    assert states(result, at(10, 6))[:2] == [("10 06:00", "on time"), ("10 09:00", "late")]


def test_a_slot_within_its_grace_is_open_not_missed():
    result = status(EVERY_3H, [at(10, 6)], at(10, 9, 30), TZ)
    assert states(result, at(10, 9))[0] == ("10 09:00", "open")
    assert result.overdue and result.next_due == at(10, 9)
    assert result.missed == []


def test_a_missed_session_suggests_a_catch_up_until_one_is_pumped():
    result = status(EVERY_3H, [at(10, 6)], at(10, 10), TZ)
    assert result.missed == [at(10, 9)]
    assert result.suggest_catch_up
    assert result.suggest_power_pumping_on is None  # one miss: no power pumping
    # A catch-up at 10:15 is after the missed slot: nothing more to catch up.
    after = status(EVERY_3H, [at(10, 6), at(10, 10, 45)], at(10, 11), TZ)
    assert not after.suggest_catch_up


def test_a_late_session_keeps_its_slot_and_moves_no_other():
    # 9:00 pumped at 10:00: late for 9:00; 12:00 stays where the calendar has it.
    result = status(EVERY_3H, [at(10, 6), at(10, 10)], at(10, 10, 5), TZ)
    assert states(result, at(10, 9))[:2] == [("10 09:00", "late"), ("10 12:00", "to come")]
    assert result.next_due == at(10, 12)


def test_two_misses_suggest_power_pumping_tomorrow_once():
    result = status(EVERY_3H, [at(10, 6)], at(10, 13), TZ)
    assert result.missed == [at(10, 9), at(10, 12)]
    assert result.suggest_power_pumping_on == date(2026, 11, 11)
    # The next morning, still within the day of the misses: today is the day.
    morning = status(EVERY_3H, [at(10, 6), at(11, 6)], at(11, 7), TZ)
    assert morning.suggest_power_pumping_on == date(2026, 11, 11)
    # Once it is pumped, it is not suggested again for these misses.
    done = status(EVERY_3H, [at(10, 6), at(11, 6)], at(11, 8), TZ, power_pumping=[at(11, 7)])
    assert done.suggest_power_pumping_on is None


def test_misses_older_than_a_day_are_forgotten():
    result = status(EVERY_3H, [at(9, 6), at(10, 15), at(10, 18), at(10, 21)], at(10, 21, 30), TZ)
    # 9:00 and 12:00 on the 10th were missed (within 24 h); the 9th's are not counted.
    assert result.missed == [at(10, 6), at(10, 9), at(10, 12)]


EVERY_3H_NIGHTS_OFF = Schedule(every=timedelta(hours=3), night=(time(23), time(5)))
"""Counted from the night's end: 05:00, 08:00, 11:00, 14:00, 17:00, 20:00."""


def test_an_interval_is_the_same_times_every_day_from_the_nights_end():
    assert [t.strftime("%H:%M") for t in EVERY_3H_NIGHTS_OFF.day_times()] == [
        "05:00", "08:00", "11:00", "14:00", "17:00", "20:00",
    ]  # fmt: skip
    # Without a night, from the time given, round the clock (every 5 h from 06:00
    # wraps past midnight to 02:00, four hours before the next 06:00).
    five = Schedule(every=timedelta(hours=5), start=time(6))
    assert [t.hour for t in five.day_times()] == [2, 6, 11, 16, 21]


def test_an_interval_is_not_counted_from_the_last_session():
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 7, 20)], at(10, 8), TZ)
    assert result.next_due == at(10, 11)


def test_nothing_is_due_in_the_night_gap():
    # Last at 20:30: 23:00 and 02:00 fall in the night; the next is due when it ends.
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 20, 30)], at(10, 22), TZ)
    assert result.next_due == at(11, 5)
    # And the night itself is not a miss.
    morning = status(EVERY_3H_NIGHTS_OFF, [at(10, 20, 30)], at(11, 5, 30), TZ)
    assert morning.missed == [] and morning.next_due == at(11, 5)


def test_interval_misses_are_each_slot_passed_without_a_session():
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 5)], at(10, 14, 30), TZ)
    assert result.missed == [at(10, 8), at(10, 11)]
    # 14:00 is still within its grace: due now, not yet missed.
    assert result.next_due == at(10, 14) and result.overdue


def test_an_early_session_keeps_the_slot_it_is_nearest():
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 5), at(10, 7)], at(10, 8, 30), TZ)
    assert states(result, at(10, 8))[0] == ("10 08:00", "on time")
    assert result.next_due == at(10, 11)


def test_bad_schedules_are_refused():
    with pytest.raises(ValueError, match="either fixed times or an interval"):
        Schedule()
    with pytest.raises(ValueError, match="from 1 to 12 hours"):
        Schedule(every=timedelta(minutes=20), start=time(6))
    with pytest.raises(ValueError, match="twice"):
        Schedule(times=(time(6), time(6)))
    with pytest.raises(ValueError, match="hours and minutes"):
        Schedule(times=(time(6, 0, 30), time(6, 0, 50)))
    with pytest.raises(ValueError, match="from 0 to 4 hours"):
        Schedule(times=(time(6),), grace=timedelta(hours=99))
    with pytest.raises(ValueError, match="counts from"):
        Schedule(every=timedelta(hours=3))


def test_a_breastfeed_keeps_its_slot_exactly_as_a_session_does():
    starts = [at(10, 6, 5), at(10, 9, 30), at(10, 12, 50), at(10, 18, 40)]
    fed = [Removal(s, "pumping" if i == 0 else "breastfeed") for i, s in enumerate(starts)]
    with_feeds = planned.status(EVERY_3H, fed, at(10, 19), TZ)
    pumped = status(EVERY_3H, starts, at(10, 19), TZ)
    assert states(with_feeds, at(10, 6)) == states(pumped, at(10, 6))
    assert states(with_feeds, at(10, 6))[:5] == [
        ("10 06:00", "on time"),
        ("10 09:00", "on time"),
        ("10 12:00", "late"),  # 50 min after it: past the 45 min grace
        ("10 15:00", "missed"),
        ("10 18:00", "on time"),
    ]
    kinds = [s.kept_by_kind for s in with_feeds.slots if at(10, 6) <= s.due <= at(10, 18)]
    assert kinds == ["pumping", "breastfeed", "breastfeed", None, "breastfeed"]
    # The feed at 18:40 came after the miss: milk was removed, no catch-up.
    assert with_feeds.missed == [at(10, 15)] and not with_feeds.suggest_catch_up
    assert (with_feeds.last_session, with_feeds.last_feed) == (at(10, 6, 5), at(10, 18, 40))
    assert with_feeds.since_last == timedelta(hours=12, minutes=55)  # since the last session
