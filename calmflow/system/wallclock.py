"""The wall clock and the person's time zone: the one place that decides them.

Instants are kept in UTC; schedules, days, parts and every time shown or typed
are on the person's clock, in their *named* zone (America/New_York, not "-05:00"
now), so a time months away, or across a change of the clocks, is right. The
zone is the TZ variable when it names one (as `TZ=Europe/Berlin` or a zone file),
else the system's zone (tzlocal reads /etc/localtime and its kin); zoneinfo and
tzdata know the rules. Nothing else in calmflow reads the clock or the zone
(tests/unit/test_wallclock.py fails on a bare `.astimezone()` or a naive
`datetime.now()` anywhere else), so tests can set them here (monkeypatch `now`
and `zone`) for every command at once. The audio sample clock, which paces a
session, is not this clock.

A time of day written without an offset (typed, from a file, a slot of the
schedule) is read as RFC 5545 and zoneinfo read it: in the hour the clocks
repeat, the first of the two; in the hour they skip, with the offset from before
the change (02:30 on the spring morning in New York is 03:30 EDT).

Whether the person's clock counts 12 hours with AM/PM or 24 is decided here too,
from their locale (`twelve_hour`; tests monkeypatch it); the milk label is shown
in it (calmflow/text/milk_label.py).
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    """The time now, in UTC."""
    return datetime.now(UTC)


def zone() -> tzinfo:
    """The person's named time zone: TZ when it names one, else the system's."""
    named = _zone_from_tz(os.environ.get("TZ"))
    if named is not None:
        return named
    try:
        import tzlocal

        return tzlocal.get_localzone()
    except Exception:  # no zone the system can name: its offset now, as a last resort
        found = datetime.now(UTC).astimezone().tzinfo
        assert found is not None
        return found


def _zone_from_tz(value: str | None) -> ZoneInfo | None:
    """The zone a TZ value names (a key like Europe/Berlin, ':Europe/Berlin', or the
    path of a zone file), or None when it names none (unset, or a POSIX rule)."""
    if not value:
        return None
    key = value.removeprefix(":")
    try:
        if key.startswith("/"):
            with Path(key).open("rb") as file:
                return ZoneInfo.from_file(file, key=key.split("zoneinfo/")[-1])
        return ZoneInfo(key)
    except (OSError, ValueError, ZoneInfoNotFoundError):
        return None


def zone_name(tz: tzinfo | None = None) -> str:
    """The zone's name as calendars and people know it ('Europe/Berlin'); a zone
    without a name is said by its offset now ('UTC+05:30')."""
    tz = tz or zone()
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    offset = datetime.now(tz).utcoffset()
    if not offset:
        return "UTC"
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def named(name: str) -> ZoneInfo:
    """A zone by its name ('Asia/Kolkata', 'UTC'); ValueError saying how to name one."""
    try:
        return ZoneInfo(name.strip())
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(
            f"{name!r} is not a time zone calmflow knows: give a name like"
            " America/New_York, Europe/Berlin, Asia/Kolkata or UTC"
        ) from None


def local(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """`moment` on the person's clock (or `tz`'s), with the offset it had then."""
    return moment.astimezone(tz or zone())


def today(at: datetime | None = None) -> date:
    """The person's date now (or at `at`)."""
    return local(at or now()).date()


def assume_local(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """A time written without an offset (typed, or from a file), read on the
    person's clock (or `tz`'s), as an instant in UTC (sums and comparisons of two
    times on one named zone's clock go by the clock, an hour off across a change);
    a time with an offset is kept as it is."""
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=tz or zone(), fold=0).astimezone(UTC)


def on_clock(day: date, at: time, tz: tzinfo | None = None) -> datetime:
    """The instant the person's clock (or `tz`'s) shows `at` on `day`, on that
    clock (as a calendar's DTSTART;TZID says it): convert it to UTC for sums."""
    return datetime.combine(day, at.replace(tzinfo=None), tz or zone()).replace(fold=0)


def exists_on_clock(moment: datetime) -> bool:
    """Whether the time of day `moment` shows is one its clock showed once:
    not in an hour the clocks skipped, nor the second of an hour they repeat."""
    assert moment.tzinfo is not None
    wall = moment.replace(tzinfo=None)
    first = wall.replace(tzinfo=moment.tzinfo, fold=0)
    return first.astimezone(UTC) == moment.astimezone(UTC) and (
        first.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None) == wall
    )


def iso_time(moment: datetime) -> str:
    """A moment as the log stores it: UTC, to the millisecond, ending in Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp() -> str:
    """The time now for a file's name: 20261206T194400Z."""
    return now().strftime("%Y%m%dT%H%M%SZ")


def twelve_hour() -> bool:
    """Whether the person's clock shows 12 hours and AM/PM (en_US) rather than 24
    (de_DE, en_GB, C): the time format of their locale for times (LC_ALL, else
    LC_TIME, else LANG, as POSIX reads them), from the C library's locale data.
    No locale set, or one this system does not have, is the 24-hour clock."""
    name = next((v for k in ("LC_ALL", "LC_TIME", "LANG") if (v := os.environ.get(k))), "")
    return _twelve_hour_in(name, os.environ.get("LOCPATH"))


@functools.lru_cache(maxsize=8)
def _twelve_hour_in(name: str, locpath: str | None) -> bool:
    """Whether locale `name`'s time format (T_FMT) has a 12-hour field. `locpath`
    (where the C library looks for locales) is only part of the cache's key.

    The C library reads a locale only into the process's own setting, so it is
    set for a moment and put back; once per locale, as the result is kept."""
    if name in ("", "C", "POSIX") or name.startswith("C."):
        return False
    import locale

    before = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, name)
        form = locale.nl_langinfo(locale.T_FMT)
    except (locale.Error, ValueError):
        return False
    finally:
        locale.setlocale(locale.LC_TIME, before)
    return any(field in form for field in ("%r", "%I", "%l", "%p"))
