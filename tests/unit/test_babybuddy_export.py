"""`calmflow export --format babybuddy` held against Baby Buddy's own import.

Every cell is read as Baby Buddy reads it: the file by django-import-export's
CSV format (tablib), each value by its real widgets (DateTimeWidget with the
importing user's Timezone active, as Baby Buddy's UserTimezoneMiddleware makes
it; FloatWidget; IntegerWidget), with Django's default settings, which Baby
Buddy keeps. Each row then meets Baby Buddy's model rules (`BabyBuddy`, restated
from its core/models.py). A file must import whole, its times must be the
instants calmflow stored, and a second, later file must import after the first.
The sessions are logged through the real store and `calmflow log add`.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import django
import pytest
from click.testing import CliRunner, Result
from django.conf import settings

from calmflow.cli import main
from calmflow.core.records import AfterSession, SessionRecord
from calmflow.core.values import Instant
from calmflow.services.exchange.babybuddy import babybuddy_file, pumping_notes
from calmflow.store.store import Store
from calmflow.system import wallclock
from tests.faults.namespace import read_only
from tests.store.log import WallClock, start

if not settings.configured:  # once for the whole run, whoever comes first
    settings.configure(USE_TZ=True, TIME_ZONE="UTC", INSTALLED_APPS=[])
    django.setup()

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata")
DAY = "2027-05-10"
"""Far from a change of the clocks in every zone here."""


# --- Baby Buddy's import, restated -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A pumping entry as Baby Buddy keeps it, from one row of the file."""

    child_id: int
    start: datetime
    end: datetime
    amount: float
    notes: str


def parse(text: str, user_zone: str) -> list[Entry]:
    """The rows of `text` read as Baby Buddy's pumping import reads them, for a
    user whose Timezone setting is `user_zone`. Fails on a cell it cannot read."""
    from django.utils import timezone
    from import_export.formats.base_formats import CSV
    from import_export.widgets import CharWidget, DateTimeWidget, FloatWidget, IntegerWidget

    dataset = CSV().create_dataset(text)
    assert dataset.headers == ["child_id", "start", "end", "amount", "notes"]
    entries = []
    with timezone.override(ZoneInfo(user_zone)):
        for row in dataset.dict:
            values = {
                "child_id": IntegerWidget().clean(row["child_id"]),
                "start": DateTimeWidget().clean(row["start"]),
                "end": DateTimeWidget().clean(row["end"]),
                "amount": FloatWidget().clean(row["amount"]),
                "notes": CharWidget().clean(row["notes"]),
            }
            # Baby Buddy's Pumping: child, start, end and amount are null=False
            # (an empty end would be filled with the time of the import).
            assert None not in values.values(), row
            # Kept in UTC, as its database keeps them (and as Python compares and
            # subtracts datetimes of one named zone on its wall clock).
            values["start"] = values["start"].astimezone(UTC)
            values["end"] = values["end"].astimezone(UTC)
            entries.append(Entry(**values))
    return entries


class BabyBuddy:
    """Pumping entries in a Baby Buddy, and its import: every row checked by the
    model's rules in turn (IMPORT_EXPORT_USE_TRANSACTIONS), the whole file
    refused if one fails."""

    def __init__(self, user_zone: str) -> None:
        self.user_zone = user_zone
        self.entries: list[Entry] = []

    def import_file(self, text: str, now: datetime) -> list[Entry]:
        rows = parse(text, self.user_zone)
        taken: list[Entry] = []
        for number, row in enumerate(rows, start=1):
            problem = refusal(row, self.entries + taken, now)
            assert problem is None, f"Baby Buddy refuses the file: row {number}: {problem}"
            taken.append(row)
        self.entries += taken
        return taken


def refusal(entry: Entry, existing: list[Entry], now: datetime) -> str | None:
    """What Baby Buddy's Pumping.clean says of `entry`, or None (core/models.py:
    validate_time(start), validate_duration, validate_unique_period)."""
    if entry.start > now:  # validate_time: against timezone.localtime() at the import
        return "Date/time can not be in the future."
    start, end = entry.start.astimezone(UTC), entry.end.astimezone(UTC)
    if start > end:  # validate_duration compares in UTC
        return "Start time must come before end time."
    if end - start > timedelta(hours=24):
        return "Duration too long."
    for other in existing:  # validate_unique_period: start__lt=end, end__gt=start
        if other.child_id == entry.child_id and other.start < entry.end and other.end > entry.start:
            return f"Another entry intersects the specified time period ({other.start})."
    return None


# --- calmflow, on a set clock ---------------------------------------------------------------------


@pytest.fixture
def clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> WallClock:
    """The wall clock every command and the store read; the zone is set by `in_zone`."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = WallClock(datetime(2027, 1, 1, tzinfo=UTC))
    monkeypatch.setattr(wallclock, "now", made)
    return made


def in_zone(monkeypatch: pytest.MonkeyPatch, name: str) -> ZoneInfo:
    zone = ZoneInfo(name)
    monkeypatch.setattr(wallclock, "zone", lambda: zone)
    return zone


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def log_add(*args: str) -> None:
    result = run("log", "add", *args)
    assert result.exit_code == 0, result.output


def export(*args: str) -> Result:
    result = run("export", "--format", "babybuddy", *args)
    assert result.exit_code == 0, result.output
    return result


def at(text: str, zone: ZoneInfo) -> datetime:
    """A time on `zone`'s clock (the first, in an hour the clocks repeat), as an
    instant in UTC (arithmetic on a named zone's datetimes is on its wall clock)."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def played(
    home: Path,
    clock: WallClock,
    started: datetime,
    minutes: float,
    *,
    ml: float | None = None,
    letdowns: tuple[float, ...] = (),
    notes: str = "",
    ended: bool = True,
) -> None:
    """A session played with calmflow, as the player writes it."""
    store = Store(home / "calmflow.sqlite3", clock=clock)
    clock.now = started
    sid = start(store)
    for number, t_s in enumerate(letdowns, start=1):
        clock.now = started + timedelta(seconds=t_s)
        store.add_letdown(
            sid, number=number, t_s=t_s, phase="Stimulation", phase_kind="stimulation", cues=[]
        )
    if ended:
        clock.now = started + timedelta(minutes=minutes)
        store.end_session(sid, status="completed", played_s=minutes * 60)
        if ml is not None:
            store.save_form(sid, AfterSession.from_entry(None, None, ml, "ml", notes))
    store.close()


def stored(home: Path) -> list[SessionRecord]:
    store = Store(home / "calmflow.sqlite3")
    try:
        return store.sessions()
    finally:
        store.close()


def instants(session: SessionRecord) -> tuple[datetime, datetime]:
    """The session's start and end as stored, to the second (the file's times)."""
    end = session.ended_at or session.started_at + timedelta(seconds=session.played_s)
    return session.started_at.replace(microsecond=0), end.replace(microsecond=0)


def cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


# --- a first file and a later one ------------------------------------------------------------------


@pytest.mark.parametrize("user_zone", ["UTC", "same"])
@pytest.mark.parametrize("zone_name", ZONES)
def test_a_first_file_and_a_later_one_import_whole_at_the_instants_stored(
    zone_name: str,
    user_zone: str,
    home: Path,
    clock: WallClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    zone = in_zone(monkeypatch, zone_name)
    bb_zone = zone_name if user_zone == "same" else "UTC"
    zone_args = [] if user_zone == "same" else ["--zone", "UTC"]
    baby_buddy = BabyBuddy(bb_zone)

    # The first day: what Baby Buddy can take, and one of each it cannot.
    played(home, clock, at(f"{DAY} 06:00", zone), 20, ml=120, letdowns=(95, 400), notes="calm")
    clock.now = at(f"{DAY} 17:00", zone)
    log_add("--at", f"{DAY} 09:00", "--minutes", "15", "--total", "4", "--unit", "oz")
    log_add("--at", f"{DAY} 12:00", "--total", "90", "--unit", "ml")  # no minutes
    log_add("--at", f"{DAY} 14:00", "--minutes", "10")  # no amount
    log_add(
        "--at", f"{DAY} 06:10", "--minutes", "5", "--total", "30", "--unit", "ml"
    )  # in the first one
    played(home, clock, at(f"{DAY} 18:00", zone), 20, ended=False)  # still running
    clock.now = at(f"{DAY} 18:05", zone)

    first = export("-o", str(tmp_path / "first.csv"), *zone_args)
    assert (
        first.stdout == f"exported 3 sessions to {tmp_path / 'first.csv'} (readable by you only)\n"
    )
    text = (tmp_path / "first.csv").read_text(encoding="utf-8")
    imported = baby_buddy.import_file(text, now=clock.now)

    by_start = {s.started_at.astimezone(zone).strftime("%H:%M"): s for s in stored(home)}
    written = [by_start["06:00"], by_start["09:00"], by_start["12:00"]]
    assert [(e.start, e.end) for e in imported] == [instants(s) for s in written]
    assert imported[2].start == imported[2].end  # its length was not logged: none
    assert [e.amount for e in imported] == [120.0, 118.3, 90.0]  # one unit: ml, most used
    assert {e.child_id for e in imported} == {1}
    assert (
        imported[0].notes
        == "calm\ncalmflow: routine standard, 2 let-downs, the first after 1 min 35 s"
    )
    assert imported[2].notes == (
        "calmflow: logged by hand, let-downs not counted, its length was not logged"
    )
    said = lines(first)
    assert said[0] == (
        "child_id is 1 in every row, Baby Buddy's first child; give --child-id N for another"
    )
    assert said[1].startswith(
        f"times are on the {bb_zone} clock: the Baby Buddy user who imports the file must have"
        f" Timezone {bb_zone} (in Baby Buddy: the user's Settings page), else export again"
        " with --zone THAT_ZONE"
    )
    assert said[2].startswith("amounts are in ml (the unit most of these sessions were logged in)")
    assert said[3:] == [
        f"left out 1 session still running: {DAY} 18:00",
        f"left out 1 session with no amount (no volume was logged): {DAY} 14:00",
        f"left out 1 session overlapping a session earlier in the file: {DAY} 06:10",
    ]

    # The next day: the running one has ended, more sessions, one within a session
    # of the first file.
    store = Store(home / "calmflow.sqlite3", clock=clock)
    (running,) = [s for s in store.sessions() if s.status == "running"]
    clock.now = at(f"{DAY} 18:25", zone)
    store.end_session(running.id, status="completed", played_s=1200)
    store.save_form(running.id, AfterSession.from_entry(2, 2, None, "oz"))
    store.close()
    clock.now = at(f"{DAY} 23:00", zone) + timedelta(days=1)
    next_day = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()
    log_add("--at", f"{next_day} 07:00", "--minutes", "25", "--total", "150", "--unit", "ml")
    # within 09:00-09:15, of the first file
    log_add("--at", f"{DAY} 09:05", "--minutes", "5", "--total", "20", "--unit", "ml")
    played(home, clock, at(f"{next_day} 21:00", zone), 30, ml=110)
    clock.now = at(f"{next_day} 22:00", zone)

    second = export(*zone_args)
    imported_next = baby_buddy.import_file(second.stdout, now=clock.now)
    by_start = {s.started_at.astimezone(zone).strftime("%d %H:%M"): s for s in stored(home)}
    day, next_ = DAY[-2:], next_day[-2:]
    written = [by_start[f"{day} 18:00"], by_start[f"{next_} 07:00"], by_start[f"{next_} 21:00"]]
    assert [(e.start, e.end) for e in imported_next] == [instants(s) for s in written]
    assert [e.amount for e in imported_next] == [118.2, 150.0, 110.0]
    said = lines(second)
    assert "3 sessions were in an earlier Baby Buddy file (last on" in second.stderr
    assert f"(last on {DAY} 18:05); --all puts them in again" in second.stderr
    assert said[-2:] == [
        f"left out 1 session with no amount (no volume was logged): {DAY} 14:00",
        "left out 2 sessions overlapping a session of an earlier Baby Buddy file:"
        f" {DAY} 06:10, {DAY} 09:05",
    ]
    # No row doubled: every entry is a session of its own, once.
    assert len({(e.start, e.end) for e in baby_buddy.entries}) == len(baby_buddy.entries) == 6

    third = export(*zone_args)
    assert third.stdout_bytes == b"child_id,start,end,amount,notes\r\n"
    assert third.stderr.endswith("nothing new to export\n")
    assert baby_buddy.import_file(third.stdout, now=clock.now) == []


# --- the autumn change of the clocks ------------------------------------------------------------------

AUTUMN = {
    # zone: the day, and the hour its clocks show twice
    "America/New_York": ("2027-11-07", 1),
    "Europe/Berlin": ("2027-10-31", 2),
}


@pytest.mark.parametrize("zone_name", AUTUMN)
def test_a_session_across_the_change_keeps_its_length(
    zone_name: str, home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = in_zone(monkeypatch, zone_name)
    day, hour = AUTUMN[zone_name]
    clock.now = at(f"{day} 12:00", zone)
    log_add(
        "--at", f"{day} {hour - 1:02d}:30", "--minutes", "180", "--total", "150", "--unit", "ml"
    )
    (session,) = stored(home)
    for zone_args, user_zone in (([], zone_name), (["--zone", "UTC", "--all"], "UTC")):
        result = export(*zone_args)
        (entry,) = BabyBuddy(user_zone).import_file(result.stdout, now=clock.now)
        assert (entry.start, entry.end) == instants(session)
        assert entry.end - entry.start == timedelta(hours=3)
    (row,) = cells(export("--all").stdout)
    # Three hours that the clock shows as two.
    assert (row["start"], row["end"]) == (
        f"{day} {hour - 1:02d}:30:00",
        f"{day} {hour + 1:02d}:30:00",
    )


@pytest.mark.parametrize("zone_name", AUTUMN)
def test_a_time_in_the_second_pass_of_the_repeated_hour_is_never_written_on_that_clock(
    zone_name: str, home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = in_zone(monkeypatch, zone_name)
    day, hour = AUTUMN[zone_name]
    h = f"{hour:02d}"
    clock.now = at(f"{day} 12:00", zone)
    second_offset = wallclock.local(clock.now, zone).strftime("%z")  # after the change
    second_offset = f"{second_offset[:3]}:{second_offset[3:]}"
    log_add(
        "--at", f"{day} {h}:05", "--minutes", "20", "--total", "60", "--unit", "ml"
    )  # the first pass
    log_add(
        "--at", f"{day} {h}:45", "--minutes", "20", "--total", "70", "--unit", "ml"
    )  # into the second
    log_add(
        "--at",
        f"{day}T{h}:10:00{second_offset}",
        "--minutes",
        "20",
        "--total",
        "80",
        "--unit",
        "ml",
    )
    first, across, second = stored(home)
    assert instants(first)[0] < instants(across)[0] < instants(second)[0]

    on_own_clock = export()
    (entry,) = BabyBuddy(zone_name).import_file(on_own_clock.stdout, now=clock.now)
    assert (entry.start, entry.end) == instants(first)
    later, earlier = (wallclock.local(s.started_at).strftime("%Z") for s in (second, first))
    assert lines(on_own_clock)[-1] == (
        "left out 2 sessions starting or ending in the second pass of an hour the clocks repeat"
        f" in {zone_name}: {day} {h}:45 {earlier}, {day} {h}:10 {later}"
    )
    # Written on that clock, the second pass would be read as the first: another instant,
    # within the first session.
    naive = wallclock.local(second.started_at).strftime("%Y-%m-%d %H:%M:%S")
    misread = parse(f"child_id,start,end,amount,notes\r\n1,{naive},{naive},1,\r\n", zone_name)
    assert misread[0].start == second.started_at - timedelta(hours=1) != second.started_at

    in_utc = export("--zone", "UTC", "--all")
    entries = BabyBuddy("UTC").import_file(in_utc.stdout, now=clock.now)
    assert [(e.start, e.end) for e in entries] == [instants(s) for s in (first, across, second)]
    assert "left out" not in in_utc.stderr


# --- amounts, in one unit ----------------------------------------------------------------------------


def test_oz_and_ml_come_out_in_one_unit(
    home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = in_zone(monkeypatch, "Europe/Berlin")
    clock.now = at(f"{DAY} 20:00", zone)
    log_add("--at", f"{DAY} 06:00", "--minutes", "20", "--total", "4", "--unit", "oz")
    log_add("--at", f"{DAY} 09:00", "--minutes", "20", "--total", "2.5", "--unit", "oz")
    log_add("--at", f"{DAY} 12:00", "--minutes", "20", "--total", "100", "--unit", "ml")

    def amounts(*args: str) -> tuple[list[float], str]:
        result = export("--all", *args)
        entries = BabyBuddy("Europe/Berlin").import_file(result.stdout, now=clock.now)
        return [e.amount for e in entries], lines(result)[2]

    assert amounts() == (
        [4.0, 2.5, 3.38],
        "amounts are in oz (the unit most of these sessions were logged in); Baby Buddy"
        " keeps no unit, so keep to the one its other pumping entries are in (--unit ml|oz)",
    )
    found, said = amounts("--unit", "ml")
    assert found == [118.3, 73.9, 100.0] and said.startswith("amounts are in ml (as --unit said)")
    log_add("--at", f"{DAY} 15:00", "--minutes", "20", "--total", "90", "--unit", "ml")
    assert amounts()[0] == [118.3, 73.9, 100.0, 90.0]  # two and two: ml


def test_amounts_read_the_same_in_every_language(
    home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Baby Buddy user in German: ',' is the decimal separator and, where the
    thousands separator is on, '.' a thousands one; no amount has three decimals,
    which Django would read as thousands."""
    from django.test import override_settings
    from django.utils import translation

    zone = in_zone(monkeypatch, "Europe/Berlin")
    clock.now = at(f"{DAY} 20:00", zone)
    for hour, oz in ((6, "4.123"), (9, "1.25"), (12, "60")):
        log_add("--at", f"{DAY} {hour:02d}:00", "--minutes", "9", "--total", oz, "--unit", "oz")
    text = export().stdout
    english = [e.amount for e in parse(text, "UTC")]
    with translation.override("de"), override_settings(USE_THOUSAND_SEPARATOR=True):
        assert [e.amount for e in parse(text, "UTC")] == english == [4.12, 1.25, 60.0]


# --- what Baby Buddy refuses, whatever the log holds ----------------------------------------------------


def test_sessions_baby_buddy_refuses_are_left_out_and_said(
    home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions only an import or a wrong clock can give: in the future, ending
    before they start, longer than Baby Buddy's 24 hours."""
    zone = in_zone(monkeypatch, "Asia/Kolkata")
    clock.now = at(f"{DAY} 20:00", zone)

    def session(start: str, end: str, **more: Any) -> SessionRecord:
        return SessionRecord(
            routine="standard",
            started_at=at(start, zone),
            ended_at=at(end, zone),
            status="completed",
            planned_s=1200,
            played_s=1200,
            output="device",
            volume_total_ml=100,
            volume_unit="ml",
            **more,
        )

    store = Store(home / "calmflow.sqlite3", clock=clock)
    store.add_sessions(
        [
            session("2027-05-08 08:00", "2027-05-09 08:00"),  # 24 hours: the longest taken
            session("2027-05-09 09:00", "2027-05-10 09:01"),
            # calmflow no longer takes one (records.inconsistency); an earlier one did
            session(f"{DAY} 10:00", f"{DAY} 10:20").model_copy(
                update={"ended_at": Instant.of(at(f"{DAY} 09:00", zone))}
            ),
            session(f"{DAY} 21:00", f"{DAY} 21:20"),
        ]
    )
    store.close()
    result = export()
    (entry,) = BabyBuddy("Asia/Kolkata").import_file(result.stdout, now=clock.now)
    assert entry.end - entry.start == timedelta(hours=24)
    assert lines(result)[3:] == [
        f"left out 1 session starting in the future: {DAY} 21:00",
        f"left out 1 session ending before they start: {DAY} 10:00",
        "left out 1 session longer than 24 hours: 2027-05-09 09:00",
    ]


def test_overlaps_are_checked_as_baby_buddy_does_touching_is_fine() -> None:
    base = datetime(2027, 5, 10, 6, 0, tzinfo=UTC)

    def session(minutes_in: float, minutes: float) -> SessionRecord:
        started = base + timedelta(minutes=minutes_in)
        return SessionRecord(
            routine="manual",
            started_at=started,
            ended_at=started + timedelta(minutes=minutes),
            status="completed",
            planned_s=minutes * 60,
            played_s=minutes * 60,
            output="manual",
            volume_total_ml=50,
            volume_unit="ml",
        )

    sessions = [
        session(0, 20),
        session(20, 10),  # touches the first
        session(30, 0),  # no length, at the end of the second: touches it
        session(10, 0),  # no length, within the first
        session(35, 60),
        session(50, 5),  # within the one before
        session(0.2 / 60, 1),  # starts within the first second of the first
    ]
    made = babybuddy_file(sessions, tz=UTC, now=base + timedelta(days=1))
    assert [r.session for r in made.rows] == [sessions[0], sessions[1], sessions[2], sessions[4]]
    (overlapping,) = made.left_out.values()
    assert set(overlapping) == {sessions[3], sessions[5], sessions[6]}
    baby_buddy = BabyBuddy("UTC")
    baby_buddy.import_file(made.text, now=base + timedelta(days=1))
    for left in overlapping:
        one = babybuddy_file([left], tz=UTC, now=base + timedelta(days=1))
        with pytest.raises(AssertionError, match="Another entry intersects"):
            baby_buddy.import_file(one.text, now=base + timedelta(days=1))


# --- options --------------------------------------------------------------------------------------------


def test_since_limits_the_file_to_sessions_started_from_then(
    home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = in_zone(monkeypatch, "America/New_York")
    clock.now = at(f"{DAY} 20:00", zone)
    for hour in (6, 9, 12):
        log_add("--at", f"{DAY} {hour:02d}:00", "--minutes", "20", "--total", "100", "--unit", "ml")
    assert [r["start"] for r in cells(export("--since", f"{DAY} 09:00").stdout)] == [
        f"{DAY} 09:00:00",
        f"{DAY} 12:00:00",
    ]
    result = export("--since", DAY)
    assert [r["start"] for r in cells(result.stdout)] == [f"{DAY} 06:00:00"]
    assert "2 sessions were in an earlier Baby Buddy file" in result.stderr
    assert len(cells(export("--since", "today", "--all").stdout)) == 3


def test_child_id_and_the_zone_are_as_given(
    home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = in_zone(monkeypatch, "Asia/Kolkata")
    clock.now = at(f"{DAY} 20:00", zone)
    log_add("--at", f"{DAY} 06:00", "--minutes", "20", "--total", "100", "--unit", "ml")
    result = export("--child-id", "3", "--zone", "America/New_York")
    (row,) = cells(result.stdout)
    assert (row["child_id"], row["start"]) == ("3", "2027-05-09 20:30:00")
    assert "child_id is 1" not in result.stderr
    assert "times are on the America/New_York clock" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--zone", "UTC"], "--zone is for --format babybuddy"),
        (["--unit", "oz"], "--unit is for --format babybuddy"),
        (["--all"], "--all is for --format babybuddy"),
        (["--since", "2027-05-01"], "--since is for --format babybuddy"),
        (["--format", "csv", "--all"], "--all is for --format babybuddy"),
        (["--child-id", "2"], "--child-id is for --format csv and babybuddy"),
    ],
)
def test_options_of_other_formats_are_refused(
    home: Path, clock: WallClock, args: list[str], message: str
) -> None:
    result = run("export", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"calmflow: {message}\n")


def test_a_zone_calmflow_does_not_know_is_refused(home: Path, clock: WallClock) -> None:
    result = run("export", "--format", "babybuddy", "--zone", "Europe/Atlantis")
    assert result.exit_code == 1
    assert result.stderr.startswith("calmflow: --zone: 'Europe/Atlantis' is not a time zone")
    assert result.stderr.count("\n") == 1


def test_a_zone_without_a_name_asks_for_one(
    home: Path, clock: WallClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Baby Buddy knows zones by name: an offset alone cannot be its user's Timezone."""
    monkeypatch.setattr(wallclock, "zone", lambda: timezone(timedelta(hours=1)))
    result = run("export", "--format", "babybuddy")
    assert result.exit_code == 1
    assert result.stderr == (
        "calmflow: your time zone has no name Baby Buddy knows (UTC+01:00): give --zone,"
        " the Timezone of the Baby Buddy user who imports the file (on their Settings page),"
        " such as Europe/Berlin or UTC\n"
    )
    assert export("--zone", "Europe/Paris").exit_code == 0


def test_an_empty_log_gives_the_header_only(home: Path, clock: WallClock) -> None:
    result = export()
    assert (result.stdout_bytes, result.stderr) == (
        b"child_id,start,end,amount,notes\r\n",
        "nothing new to export\n",
    )


def test_the_notes_are_the_persons_and_a_plain_line_of_calmflows() -> None:
    base = datetime(2027, 5, 10, 6, 0, tzinfo=UTC)
    session = SessionRecord(
        routine="standard",
        started_at=base,
        ended_at=base + timedelta(minutes=20),
        status="finished_early",
        planned_s=1200,
        played_s=1100,
        output="device",
        notes="  after the bath\n",
    )
    assert pumping_notes(session) == (
        "after the bath\ncalmflow: routine standard, ended early, no let-down"
    )


# --- a read-only folder ------------------------------------------------------------------------------------


@pytest.fixture
def logged(home: Path) -> Iterator[Path]:
    """A log of two sessions, written at the real time (the command runs in a process
    of its own)."""
    clock = WallClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    for start_at in (clock.now, clock.now + timedelta(hours=3)):
        played(home, clock, start_at, 20, ml=100)
    yield home


def test_a_read_only_folder_still_exports_and_says_nothing_was_remembered(
    logged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    command = [sys.executable, "-m", "calmflow", "export", "--format", "babybuddy"]
    done = read_only(logged, command)
    assert done.returncode == 0, done.stderr
    assert [r["start"] for r in cells(done.stdout)] == [
        "2026-03-01 09:00:00",
        "2026-03-01 12:00:00",
    ]
    assert done.stderr.splitlines()[-1].startswith(
        "calmflow could not remember which sessions this file holds (the log's folder is"
        " read-only): the next Baby Buddy file holds them again"
    )
    again = CliRunner().invoke(main, ["export", "--format", "babybuddy"], env={"TZ": "UTC"})
    assert len(cells(again.stdout)) == 2
