"""The calendar file and `calmflow next` agree, through changes of the clocks.

Held against software calmflow did not write: the .ics that `calmflow schedule
--ics` writes is expanded by recurring_ical_events (the RFC 5545 expansion
calendar clients share), over 8 days around the spring and autumn changes in
New York, Berlin, Kolkata (no changes: the control) and Lord Howe (a 30-minute
change). At clocks set across those days (no sleeping, no real clock), `calmflow
next --json` says the next session is due at the first event whose grace has not
passed, the slots it lists are the calendar's events, and what it calls missed
is every event since the schedule was set whose grace has passed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from click.testing import CliRunner
from icalendar import Calendar

from calmflow import cli
from calmflow.system import wallclock

CHANGES = {
    # zone: the mornings its clocks change in 2027 (Kolkata: the US dates, none there)
    "America/New_York": ("2027-03-14", "2027-11-07"),
    "Europe/Berlin": ("2027-03-28", "2027-10-31"),
    "Asia/Kolkata": ("2027-03-14", "2027-11-07"),
    "Australia/Lord_Howe": ("2027-04-04", "2027-10-03"),
}
SCHEDULES = {
    "fixed": ["--times", "01:30,02:15,06:00,09:00,12:00,15:00,18:00,21:00"],
    "every 3h, nights off": ["--every", "3h", "--night", "23:00-05:00"],
    "every 2h, nights off": ["--every", "2h", "--night", "23:00-05:00"],
    "every 90m round the clock": ["--every", "1h30m", "--from", "00:30"],
}
GRACE = timedelta(minutes=45)


class Clock:
    now = datetime(2027, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _run(*args: str) -> str:
    done = CliRunner().invoke(cli.main, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def _instants(ics: bytes, start: datetime, end: datetime) -> list[datetime]:
    events = recurring_ical_events.of(Calendar.from_ical(ics)).between(start, end)
    return sorted({e.decoded("dtstart").astimezone(UTC) for e in events})


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


@pytest.mark.parametrize("kind", sorted(SCHEDULES))
@pytest.mark.parametrize("zone_name", sorted(CHANGES))
@pytest.mark.parametrize("change", [0, 1], ids=["spring", "autumn"])
def test_the_calendar_and_next_agree_through_a_change_of_the_clocks(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, zone_name, kind, change
):
    tz = ZoneInfo(zone_name)
    clock = Clock()
    monkeypatch.setattr(wallclock, "now", clock)
    monkeypatch.setattr(wallclock, "zone", lambda: tz)
    morning = datetime.fromisoformat(CHANGES[zone_name][change]).replace(tzinfo=tz)
    # Set two days before the change, at an odd minute, in the afternoon.
    set_at = (morning - timedelta(days=2)).replace(hour=16, minute=37).astimezone(UTC)
    clock.now = set_at
    _run("schedule", *SCHEDULES[kind])
    ics = tmp_path / "pumping.ics"
    _run("schedule", "--ics", str(ics), "--remind", "10m")
    data = ics.read_bytes()
    # Written again later: the very same events (ids and times), nothing doubled.
    clock.now = set_at + timedelta(days=3)
    _run("schedule", "--ics", str(ics))
    assert _events(ics.read_bytes()) == _events(data)

    window_end = set_at + timedelta(days=8)
    expanded = _instants(data, set_at - timedelta(days=1), window_end + timedelta(days=2))
    assert expanded, "the calendar has events"

    # The same times of day the day before the change and the days after it.
    def times_on(day: int) -> list[str]:
        on = (morning + timedelta(days=day)).date()
        return [
            e.astimezone(tz).strftime("%H:%M") for e in expanded if e.astimezone(tz).date() == on
        ]

    assert times_on(-1) == times_on(1) == times_on(4) != []

    moment = set_at + timedelta(minutes=1)
    while moment < window_end:
        clock.now = moment
        status = json.loads(_run("next", "--json"))
        due = [e for e in expanded if e >= set_at]
        expect_next = next(e for e in due if e + GRACE >= moment)
        assert _utc(status["next_due"]) == expect_next, f"at {moment.astimezone(tz)}"
        listed = [_utc(s["due"]) for s in status["slots"]]
        shown_from = max(set_at, moment - timedelta(hours=24))
        assert listed == [e for e in due if shown_from <= e <= moment + timedelta(hours=24)]
        missed = [_utc(m) for m in status["missed_last_24h"]]
        assert missed == [e for e in due if shown_from <= e and e + GRACE < moment]
        moment += timedelta(hours=2, minutes=53)


def _events(ics: bytes) -> list[tuple[str, str]]:
    calendar = Calendar.from_ical(ics)
    return sorted(
        (str(e["uid"]), e.decoded("dtstart").isoformat()) for e in calendar.walk("VEVENT")
    )
