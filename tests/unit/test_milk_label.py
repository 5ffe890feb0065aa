"""The milk label's dates (calmflow/core/milk_label.py) and its words
(calmflow/text/milk_label.py): EVIDENCE.md's storage guidance (CDC; ABM Protocol
#8) across month ends, a leap year and the changes of the clocks, on the
person's 12- or 24-hour clock; held against python-dateutil's relativedelta
and its own time zones, which calmflow did not write."""

from __future__ import annotations

import locale
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from calmflow.core.milk_label import add_months, milk_label
from calmflow.system import wallclock
from calmflow.text.milk_label import GUIDANCE, label_line, time_text

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _on(tz: ZoneInfo, *parts: int) -> datetime:
    """The instant `tz`'s clock shows `parts` (year, month, day, hour, minute)."""
    return datetime(*parts, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


def _wall(moment: datetime) -> tuple[int, ...]:
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute)


# --- the guidance, in elapsed hours and calendar months ----------------------------------


def test_the_label_of_the_issue_reads_as_the_guidance() -> None:
    label = milk_label(_on(NEW_YORK, 2026, 12, 6, 6, 10), NEW_YORK)
    assert label_line(label, twelve_hour=False) == (
        "Pumped Sun 6 Dec 06:10 · room temperature until 10:10 · fridge until Thu 10 Dec 06:10"
        " · freezer best by 6 Jun 2027 (up to 6 Dec 2027)"
    )
    assert GUIDANCE.startswith("storage guidance: CDC; ABM Protocol #8 — not a safety guarantee")


def test_the_fridge_counts_four_days_past_the_end_of_january() -> None:
    label = milk_label(_on(BERLIN, 2027, 1, 31, 21, 45), BERLIN)
    assert _wall(label.fridge_until) == (2027, 2, 4, 21, 45)
    assert label_line(label, twelve_hour=False).startswith(
        "Pumped Sun 31 Jan 21:45 · room temperature until Mon 1 Feb 01:45"
        " · fridge until Thu 4 Feb 21:45"
    )


@pytest.mark.parametrize(
    ("pumped", "best_by", "until"),
    [
        ((2026, 8, 31, 7, 0), (2027, 2, 28, 7, 0), (2027, 8, 31, 7, 0)),  # end of February
        ((2027, 8, 31, 7, 0), (2028, 2, 29, 7, 0), (2028, 8, 31, 7, 0)),  # ... in a leap year
        ((2028, 2, 29, 7, 0), (2028, 8, 29, 7, 0), (2029, 2, 28, 7, 0)),  # from 29 February
        ((2026, 12, 31, 23, 59), (2027, 6, 30, 23, 59), (2027, 12, 31, 23, 59)),
        ((2026, 3, 31, 12, 0), (2026, 9, 30, 12, 0), (2027, 3, 31, 12, 0)),
    ],
)
def test_freezer_months_are_calendar_months_ending_on_the_months_last_day(
    pumped: tuple[int, ...], best_by: tuple[int, ...], until: tuple[int, ...]
) -> None:
    label = milk_label(_on(BERLIN, *pumped), BERLIN)
    assert (_wall(label.freezer_best_by), _wall(label.freezer_until)) == (best_by, until)


def test_four_days_from_29_february_in_a_leap_year() -> None:
    label = milk_label(_on(NEW_YORK, 2028, 2, 27, 9, 30), NEW_YORK)
    assert _wall(label.fridge_until) == (2028, 3, 2, 9, 30)  # through the 29th


@pytest.mark.parametrize(
    ("zone", "pumped", "fridge_shown", "offsets"),
    [
        # Spring: the clocks go forward an hour inside the 4 days, so the wall
        # clock shows an hour later than when pumped; autumn: an hour earlier.
        (NEW_YORK, (2026, 3, 6, 6, 10), (2026, 3, 10, 7, 10), ("-05:00", "-04:00")),
        (NEW_YORK, (2026, 10, 30, 6, 10), (2026, 11, 3, 5, 10), ("-04:00", "-05:00")),
        (BERLIN, (2026, 3, 27, 6, 10), (2026, 3, 31, 7, 10), ("+01:00", "+02:00")),
        (BERLIN, (2026, 10, 23, 6, 10), (2026, 10, 27, 5, 10), ("+02:00", "+01:00")),
    ],
)
def test_the_fridge_is_96_hours_as_an_instant_shown_at_the_shifted_clock_time(
    zone: ZoneInfo, pumped: tuple[int, ...], fridge_shown: tuple[int, ...], offsets: tuple[str, str]
) -> None:
    instant = _on(zone, *pumped)
    label = milk_label(instant, zone)
    # In UTC: Python subtracts two times of one zone by their wall clocks.
    elapsed = label.fridge_until.astimezone(UTC) - label.pumped.astimezone(UTC)
    assert elapsed == timedelta(seconds=96 * 3600)
    assert label.fridge_until - label.pumped != elapsed  # the wall clock moved an hour
    assert _wall(label.fridge_until) == fridge_shown
    assert (label.pumped.isoformat()[-6:], label.fridge_until.isoformat()[-6:]) == offsets
    day = label.fridge_until
    assert f"fridge until {day:%a} {day.day} {day:%b} {day:%H:%M}" in label_line(
        label, twelve_hour=False
    )


@pytest.mark.parametrize(
    ("zone", "pumped", "room_shown"),
    [
        (NEW_YORK, (2026, 3, 8, 0, 30), "room temperature until 05:30"),  # 4 h, 5 on the clock
        (NEW_YORK, (2026, 11, 1, 0, 30), "room temperature until 03:30"),  # 4 h, 3 on the clock
        (BERLIN, (2026, 3, 29, 0, 30), "room temperature until 05:30"),
        (BERLIN, (2026, 10, 25, 0, 30), "room temperature until 03:30"),
    ],
)
def test_four_hours_at_room_temperature_across_the_night_the_clocks_change(
    zone: ZoneInfo, pumped: tuple[int, ...], room_shown: str
) -> None:
    label = milk_label(_on(zone, *pumped), zone)
    elapsed = label.room_until.astimezone(UTC) - label.pumped.astimezone(UTC)
    assert elapsed == timedelta(seconds=4 * 3600)
    assert room_shown in label_line(label, twelve_hour=False)


def test_a_freezer_date_in_the_hour_the_clocks_skip_is_read_as_calmflow_reads_such_times() -> None:
    # 8 Sep 2025 02:30 + 6 months is 02:30 on 8 March 2026, which New York's
    # clocks skip: 03:30 EDT, as wallclock.assume_local reads a typed 02:30 then.
    label = milk_label(_on(NEW_YORK, 2025, 9, 8, 2, 30), NEW_YORK)
    assert label.freezer_best_by.isoformat() == "2026-03-08T03:30:00-04:00"
    typed = wallclock.assume_local(datetime(2026, 3, 8, 2, 30), NEW_YORK)
    assert label.freezer_best_by == typed


def test_freezer_months_keep_the_time_of_day_across_a_change_of_the_clocks() -> None:
    label = milk_label(_on(BERLIN, 2026, 12, 6, 6, 10), BERLIN)
    assert label.freezer_best_by.isoformat() == "2027-06-06T06:10:00+02:00"
    assert label.freezer_until.isoformat() == "2027-12-06T06:10:00+01:00"


# --- held against python-dateutil ------------------------------------------------------------

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
"""Lord Howe moves its clocks by half an hour; Kolkata never moves them."""


def _dateutil_label(instant: datetime, name: str) -> dict[str, datetime]:
    """The same guidance, worked out with dateutil alone: its relativedelta for the
    sums, its own zones (not zoneinfo) for the person's clock."""
    zone = dateutil_tz.gettz(name)
    assert zone is not None
    local = dateutil_tz.enfold(instant.astimezone(zone), fold=0)

    def months(n: int) -> datetime:
        wall = dateutil_tz.enfold(local + relativedelta(months=n), fold=0)
        return dateutil_tz.resolve_imaginary(wall)

    return {
        "room_until": (instant + relativedelta(hours=4)).astimezone(zone),
        "fridge_until": (instant + relativedelta(days=4)).astimezone(zone),
        "freezer_best_by": months(6),
        "freezer_until": months(12),
    }


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
    ),
    name=st.sampled_from(ZONES),
)
def test_every_date_agrees_with_dateutils_relativedelta_and_zones(
    instant: datetime, name: str
) -> None:
    label = milk_label(instant, ZoneInfo(name))
    for field, expected in _dateutil_label(instant, name).items():
        found = getattr(label, field)
        # the same instant (in UTC: Python never finds a time in a repeated hour
        # equal to one in another zone)...
        assert found.astimezone(UTC) == expected.astimezone(UTC), field
        assert _wall(found) == _wall(expected), field  # ...shown at the same clock time
        assert found.utcoffset() == expected.utcoffset(), field


@pytest.mark.parametrize(
    ("name", "pumped", "best_by"),
    [
        # 6 months on lands in the hour the clocks skip...
        ("America/New_York", (2025, 9, 8, 2, 30), "2026-03-08T03:30:00-04:00"),
        ("Europe/Berlin", (2025, 9, 29, 2, 30), "2026-03-29T03:30:00+02:00"),
        # ...and in the hour they repeat: the first of the two, the earlier.
        ("America/New_York", (2026, 5, 1, 1, 30), "2026-11-01T01:30:00-04:00"),
        ("Europe/Berlin", (2026, 4, 25, 2, 30), "2026-10-25T02:30:00+02:00"),
    ],
)
def test_freezer_dates_the_clocks_skip_or_repeat_agree_with_dateutil(
    name: str, pumped: tuple[int, ...], best_by: str
) -> None:
    instant = _on(ZoneInfo(name), *pumped)
    label = milk_label(instant, ZoneInfo(name))
    assert label.freezer_best_by.isoformat() == best_by
    expected = _dateutil_label(instant, name)["freezer_best_by"]
    assert label.freezer_best_by.astimezone(UTC) == expected.astimezone(UTC)
    assert label.freezer_best_by.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("day", [28, 29, 30, 31])
def test_add_months_clamps_as_relativedelta_does_over_every_month(day: int) -> None:
    for month in range(1, 13):
        for year in (2027, 2028):
            try:
                start = datetime(year, month, day, 8, 0, tzinfo=BERLIN)
            except ValueError:
                continue
            for months in (1, 6, 12, 18):
                assert add_months(start, months) == start + relativedelta(months=months)


# --- the person's clock: 12 or 24 hours -------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "twelve", "twenty_four"),
    [
        (0, 5, "12:05 AM", "00:05"),
        (6, 10, "6:10 AM", "06:10"),
        (12, 30, "12:30 PM", "12:30"),
        (18, 10, "6:10 PM", "18:10"),
        (23, 59, "11:59 PM", "23:59"),
    ],
)
def test_times_on_a_12_and_a_24_hour_clock(
    hour: int, minute: int, twelve: str, twenty_four: str
) -> None:
    moment = datetime(2026, 12, 6, hour, minute, tzinfo=NEW_YORK)
    assert (time_text(moment, True), time_text(moment, False)) == (twelve, twenty_four)


def test_the_label_on_a_12_hour_clock() -> None:
    label = milk_label(_on(NEW_YORK, 2026, 12, 6, 22, 10), NEW_YORK)
    assert label_line(label, twelve_hour=True) == (
        "Pumped Sun 6 Dec 10:10 PM · room temperature until Mon 7 Dec 2:10 AM"
        " · fridge until Thu 10 Dec 10:10 PM · freezer best by 6 Jun 2027 (up to 6 Dec 2027)"
    )


def test_the_label_follows_the_persons_clock_when_not_told(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    label = milk_label(_on(NEW_YORK, 2026, 12, 6, 18, 10), NEW_YORK)
    monkeypatch.setattr(wallclock, "twelve_hour", lambda: True)
    assert label_line(label).startswith("Pumped Sun 6 Dec 6:10 PM")
    monkeypatch.setattr(wallclock, "twelve_hour", lambda: False)
    assert label_line(label).startswith("Pumped Sun 6 Dec 18:10")


@pytest.fixture(scope="module")
def en_us_locale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding en_US.UTF-8 compiled by the C library's own localedef, for
    LOCPATH: the machine need not have it generated."""
    localedef = shutil.which("localedef")
    if localedef is None or not Path("/usr/share/i18n/locales/en_US").exists():
        pytest.skip("no localedef or locale sources (Debian's locales package) here")
    folder = tmp_path_factory.mktemp("locales")
    folder.chmod(0o700)
    subprocess.run(
        [localedef, "-i", "en_US", "-f", "UTF-8", str(folder / "en_US.UTF-8")],
        check=True,
        capture_output=True,
    )
    yield folder


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_TIME", "LANG"):
        monkeypatch.delenv(name, raising=False)


def test_a_us_locale_shows_12_hours_and_others_24(monkeypatch, en_us_locale) -> None:  # type: ignore[no-untyped-def]
    _clear(monkeypatch)
    monkeypatch.setenv("LOCPATH", str(en_us_locale))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert wallclock.twelve_hour()
    monkeypatch.setenv("LC_TIME", "C.UTF-8")  # LC_TIME before LANG
    assert not wallclock.twelve_hour()
    monkeypatch.setenv("LC_TIME", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "POSIX")  # LC_ALL before both
    assert not wallclock.twelve_hour()


def test_no_locale_or_one_not_on_the_system_is_the_24_hour_clock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _clear(monkeypatch)
    assert not wallclock.twelve_hour()
    monkeypatch.setenv("LC_TIME", "xx_NOWHERE.UTF-8")
    assert not wallclock.twelve_hour()


def test_reading_the_locale_leaves_calmflows_own_words_as_they_were(
    monkeypatch, en_us_locale
) -> None:  # type: ignore[no-untyped-def]
    before = locale.setlocale(locale.LC_TIME)
    _clear(monkeypatch)
    monkeypatch.setenv("LOCPATH", str(en_us_locale))
    monkeypatch.setenv("LC_TIME", "en_US.UTF-8")
    wallclock._twelve_hour_in.cache_clear()
    assert wallclock.twelve_hour()
    assert locale.setlocale(locale.LC_TIME) == before
    assert f"{datetime(2026, 12, 6):%a %b}" == "Sun Dec"
