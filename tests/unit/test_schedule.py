"""The schedule with a controlled clock: kept, late, missed, night gaps, moved sessions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from calmflow.core.schedule import Schedule, status

TZ = timezone(timedelta(hours=1))  # a fixed local zone: no daylight-saving surprises
EVERY_3H = Schedule(times=(time(6), time(9), time(12), time(15), time(18), time(21)))


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


def states(result, since: datetime) -> list[tuple[str, str]]:
    return [(s.due.strftime("%d %H:%M"), s.state) for s in result.slots if s.due >= since]


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


def test_a_moved_session_spreads_the_rest_of_the_day_evenly():
    # 9:00 pumped at 10:00: 12, 15, 18 and 21 become 4 even steps from 10 to 21.
    result = status(EVERY_3H, [at(10, 6), at(10, 10)], at(10, 10, 5), TZ)
    assert [s.due for s in result.slots if at(10, 10) < s.due <= at(10, 21)] == [
        at(10, 12, 45),
        at(10, 15, 30),
        at(10, 18, 15),
        at(10, 21),
    ]
    assert result.next_due == at(10, 12, 45)


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


def test_interval_from_the_last_session():
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 7, 20)], at(10, 8), TZ)
    assert result.next_due == at(10, 10, 20)


def test_nothing_is_due_in_the_night_gap():
    # Last at 21:30: 00:30 falls in the night; the next is due when the night ends.
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 21, 30)], at(10, 22), TZ)
    assert result.next_due == at(11, 5)
    # And the night itself is not a miss.
    morning = status(EVERY_3H_NIGHTS_OFF, [at(10, 21, 30)], at(11, 5, 30), TZ)
    assert morning.missed == [] and morning.next_due == at(11, 5)


def test_interval_misses_count_on_from_the_missed_slot():
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 6)], at(10, 15, 30), TZ)
    assert result.missed == [at(10, 9), at(10, 12)]
    # 15:00 is still within its grace: due now, not yet missed.
    assert result.next_due == at(10, 15) and result.overdue


def test_an_early_extra_session_moves_the_next_interval():
    result = status(EVERY_3H_NIGHTS_OFF, [at(10, 6), at(10, 8)], at(10, 8, 30), TZ)
    assert result.next_due == at(10, 11)


def test_bad_schedules_are_refused():
    with pytest.raises(ValueError, match="either fixed times or an interval"):
        Schedule()
    with pytest.raises(ValueError, match="from 1 to 12 hours"):
        Schedule(every=timedelta(minutes=20))
    with pytest.raises(ValueError, match="twice"):
        Schedule(times=(time(6), time(6)))
