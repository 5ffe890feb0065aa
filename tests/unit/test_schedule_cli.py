"""`calmflow schedule` and `calmflow next` with a controlled clock, and the .ics file."""

from __future__ import annotations

import json
import stat
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from calmflow import cli
from calmflow.store.planning import missed_since
from calmflow.store.store import Store
from tests.unit.cli_clock import TZ, Clock, clocked_cli


@pytest.fixture
def clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return clocked_cli(home, monkeypatch)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def _session_at(home: Path, clock: Clock, moment: datetime, routine: str = "standard") -> None:
    before = clock.now
    clock.now = moment
    store = Store(home / "calmflow.sqlite3", clock=clock)
    sid = store.start_session(
        routine=routine, routine_path=None, routine_digest=None, planned_s=1200, output="null"
    )
    clock.now = moment + timedelta(minutes=20)
    store.end_session(sid, status="completed", played_s=1200)
    store.close()
    clock.now = before


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


def test_a_missed_session_is_said_and_recorded_once(home, clock):
    # Said by `next`, which only reads; recorded, once, by a command that changes
    # the log (a session logged by hand, here one pumped at 06:30, in the kept slot).
    clock.now = at(10, 5)
    assert _run("schedule", "--times", "06:00,09:00,12:00,15:00,18:00,21:00").exit_code == 0
    _session_at(home, clock, at(10, 6, 10))
    clock.now = at(10, 10)
    done = _run("next")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert "Missed in the last 24 hours: 09:00." in lines
    assert any(
        line.startswith("Pump as soon as you can: even 10 to 15 minutes helps.") for line in lines
    )
    assert lines[0] == "Next session due at 12:00, in 2 h."
    assert lines[1] == "The last one began 3 h 50 min ago, at 06:10."
    _run("next")
    store = Store(home / "calmflow.sqlite3", clock=clock)
    assert missed_since(store, at(9, 0)) == []  # reading never writes
    for _ in range(2):
        assert _run("log", "add", "--at", "2026-11-10 06:30+01:00").exit_code == 0
    assert missed_since(store, at(9, 0)) == [at(10, 9)]


def test_two_misses_suggest_one_power_pumping_session_tomorrow(home, clock):
    clock.now = at(10, 5)
    _run("schedule", "--times", "06:00,09:00,12:00,15:00,18:00,21:00")
    _session_at(home, clock, at(10, 6))
    clock.now = at(10, 13)
    data = json.loads(_run("next", "--json").output)
    assert data["missed_last_24h"] == [at(10, 9).isoformat(), at(10, 12).isoformat()]
    assert data["suggest_power_pumping_on"] == "2026-11-11"
    text = _run("next").output
    assert "one power-pumping session on Wednesday can help" in text
    # Pumped early on the 11th: not suggested again for these misses.
    _session_at(home, clock, at(11, 0, 30), routine="power-pumping")
    clock.now = at(11, 0, 40)
    data = json.loads(_run("next", "--json").output)
    assert data["suggest_power_pumping_on"] is None


def test_the_calendar_file_has_daily_sessions_with_reminders(home, clock, tmp_path):
    _run("schedule", "--times", "06:00,12:00,18:00")
    out = tmp_path / "pumping.ics"
    done = _run("schedule", "--ics", str(out))
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    calendar = Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert sorted(e.decoded("dtstart").timetz().replace(tzinfo=None) for e in events) == [
        time(6),
        time(12),
        time(18),
    ]
    for event in events:
        assert event["rrule"]["FREQ"] == ["DAILY"]
        [alarm] = event.walk("VALARM")
        assert alarm["action"] == "DISPLAY" and alarm.decoded("trigger") == timedelta(0)
    # Written again, the same ids: a calendar updates the events instead of doubling them.
    first_ids = sorted(str(e["uid"]) for e in events)
    _run("schedule", "--ics", str(out))
    again = Calendar.from_ical(out.read_bytes())
    assert sorted(str(e["uid"]) for e in again.walk("VEVENT")) == first_ids


def test_an_interval_calendar_keeps_the_nights_free(home, clock, tmp_path):
    clock.now = at(10, 5)
    _run("schedule", "--every", "3h", "--night", "23:00-05:00")
    _session_at(home, clock, at(10, 7))
    clock.now = at(10, 8)
    out = tmp_path / "pumping.ics"
    assert _run("schedule", "--ics", str(out)).exit_code == 0
    starts = [
        e.decoded("dtstart").astimezone(TZ)
        for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    ]
    assert starts[:5] == [at(10, 10), at(10, 13), at(10, 16), at(10, 19), at(10, 22)]
    assert starts[5] == at(11, 5)  # 01:00 falls in the night: moved to its end
    assert all(not (s.hour >= 23 or s.hour < 5) for s in starts)
    assert len(starts) >= 14 * 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "20m"], "the interval must be from 1 to 12 hours"),
        (["--every", "0h"], "the interval must be from 1 to 12 hours"),
        (["--times", "6am"], "--times '6am': give times of day like 06:00,09:00,12:00"),
        (["--times", "06:00", "--night", "23:00-05:00"], "--night goes with --every"),
        (["--every", "3h", "--night", "23:00"], "--night '23:00': give it as from-to"),
        (["--times", "06:00", "--every", "3h"], "give --times or --every, not both"),
    ],
)
def test_bad_options_say_what_to_give(home, clock, args, message):
    done = _run("schedule", *args)
    assert done.exit_code == 1
    assert message in done.output


def test_an_empty_value_is_not_given(home, clock):
    # `--times ''` from a script shows the schedule as it is, and changes nothing.
    _run("schedule", "--every", "3h", "--night", "23:00-05:00")
    for empty in (["--times", ""], ["--every", " "], ["--grace", ""], ["--night", ""]):
        done = _run("schedule", *empty)
        assert done.exit_code == 0, done.output
        assert done.output == (
            "You pump every 3 h, nothing due from 23:00 to 05:00;"
            " a session up to 45 min late is on time.\n"
        )
