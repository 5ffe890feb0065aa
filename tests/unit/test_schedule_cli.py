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
    assert "`calmflow play catch-up` is made for after a missed session" in done.output
    assert "short session" not in done.output
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


def test_an_interval_calendar_is_its_times_of_day_every_day(home, clock, tmp_path):
    clock.now = at(10, 5)
    _run("schedule", "--every", "3h", "--night", "23:00-05:00")
    _session_at(home, clock, at(10, 7))  # an early session moves nothing
    clock.now = at(10, 8)
    out = tmp_path / "pumping.ics"
    assert _run("schedule", "--ics", str(out)).exit_code == 0
    events = list(Calendar.from_ical(out.read_bytes()).walk("VEVENT"))
    starts = sorted(e.decoded("dtstart").replace(tzinfo=TZ) for e in events)
    assert starts == [at(10, h) for h in (5, 8, 11, 14, 17, 20)]
    assert all(e["rrule"]["FREQ"] == ["DAILY"] and "UNTIL" not in e["rrule"] for e in events)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "20m"], "--every: give a length from 1h to 12h"),
        (["--every", "0h"], "--every: give a length from 1h to 12h"),
        (["--times", "6am"], "--times '6am': give a time of day as hours and minutes"),
        (["--times", "06:00:30,06:00:50"], "--times '06:00:30': give a time of day"),
        (["--times", "06:00+05:00,06:00"], "--times '06:00+05:00': give a time of day"),
        (["--times", "06:00,09:00,6:00"], "--times: 06:00 is given twice"),
        (["--times", "24:00"], "--times '24:00'"),
        (["--grace", "99h"], "--grace: give at most 4h"),
        (["--every", "3h", "--from", "5"], "--from '5': give a time of day"),
        (["--times", "06:00", "--night", "23:00-05:00"], "--night goes with --every"),
        (["--times", "06:00", "--from", "05:00"], "--from goes with --every"),
        (["--every", "3h", "--night", "23:00"], "--night '23:00': give it as from-to"),
        (["--times", "06:00", "--every", "3h"], "give --times or --every, not both"),
        (["--times", "06:00", "--ics", ""], "--ics: give the path"),
        (["--times", "06:00", "--ics", "no/such/folder/p.ics"], "does not exist"),
        (["--times", "06:00", "--remind", "10m"], "--remind goes with --ics"),
        (
            ["--every", "12h", "--from", "02:00", "--night", "01:00-23:00"],
            "every session would fall in the night gap",
        ),
    ],
)
def test_bad_options_say_what_to_give_and_save_nothing(home, clock, args, message):
    _run("schedule", "--times", "07:00")
    done = _run("schedule", *args)
    assert done.exit_code == 1, done.output
    assert message in done.output
    assert len(done.output.strip().splitlines()) == 1
    assert _run("schedule").output == "You pump at 07:00; a session up to 45 min late is on time.\n"


def test_a_calendar_without_a_schedule_says_how_to_set_one(home, clock, tmp_path):
    done = _run("schedule", "--ics", str(tmp_path / "p.ics"))
    assert done.exit_code == 1
    assert "no schedule to write yet" in done.output and "--times" in done.output
    assert not (tmp_path / "p.ics").exists()


def test_json_output_is_json_only(home, clock, tmp_path):
    done = CliRunner().invoke(
        cli.main,
        [
            "schedule",
            "--every",
            "3h",
            "--from",
            "06:00",
            "--ics",
            str(tmp_path / "p.ics"),
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["schedule"]["from"] == "06:00"
    assert data["schedule"]["day_times"] == [f"{h:02d}:00" for h in range(0, 24, 3)]
    assert "wrote" in done.stderr


def test_a_schedule_an_earlier_calmflow_kept_is_mended_not_failing(home, clock):
    _run("schedule", "--times", "07:00")
    store = Store(home / "calmflow.sqlite3", clock=clock)
    with store._write() as db:  # as an earlier calmflow stored --times 06:00:30,06:00:50
        db.execute("UPDATE schedule SET times = ?", (json.dumps(["06:00:30", "06:00:50"]),))
    store.close()
    shown = CliRunner().invoke(cli.main, ["next"])
    assert shown.exit_code == 0, shown.output
    assert "mended" in shown.stderr and "06:00:30 is read as 06:00" in shown.stderr
    assert "Next session due at 06:00" in shown.stdout
    assert _run("schedule").exit_code == 0  # shown, and kept mended
    again = CliRunner().invoke(cli.main, ["schedule"])
    assert again.stderr == "" and again.stdout.startswith("You pump at 06:00;")
    assert _run("schedule", "--times", "08:00").exit_code == 0


def test_an_empty_value_is_not_given(home, clock):
    # `--times ''` from a script shows the schedule as it is, and changes nothing.
    _run("schedule", "--every", "3h", "--night", "23:00-05:00")
    for empty in (["--times", ""], ["--every", " "], ["--grace", ""], ["--night", ""]):
        done = _run("schedule", *empty)
        assert done.exit_code == 0, done.output
        assert done.output == (
            "You pump every 3 h from 05:00 (05:00, 08:00, 11:00, ... 20:00),"
            " nothing due from 23:00 to 05:00; a session up to 45 min late is on time.\n"
        )
