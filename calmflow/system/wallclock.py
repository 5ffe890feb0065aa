"""The wall clock and the person's time zone: the one place that decides them.

Instants are kept in UTC; schedules, days and parts are counted on the person's
clock. Everything that asks for the time now, the zone, or an instant on the
person's clock comes here, so tests can set them (monkeypatch `now` and `zone`)
for every command at once, and so the person's named zone can be put in one
place. For now, as before: `zone()` is this machine's offset from UTC now (the
schedule, days, parts), and `local()` gives an instant the offset this machine
had at that instant (a session's time in lists and files). The audio sample
clock, which paces a session, is not this clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def now() -> datetime:
    """The time now, in UTC."""
    return datetime.now(UTC)


def zone() -> tzinfo:
    """This machine's local time zone now (its current offset from UTC)."""
    found = datetime.now().astimezone().tzinfo
    assert found is not None
    return found


def local(moment: datetime) -> datetime:
    """`moment` on this machine's clock, with the offset it had at that moment
    (a session before a change of the clocks keeps the offset it had then)."""
    return moment.astimezone()


def assume_local(moment: datetime) -> datetime:
    """A time of day written without an offset (typed, or from a file), read on
    this machine's clock; a time with an offset is kept as it is."""
    return moment if moment.tzinfo is not None else moment.astimezone()


def iso_time(moment: datetime) -> str:
    """A moment as the log stores it: UTC, to the millisecond, ending in Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp() -> str:
    """The time now for a file's name: 20261206T194400Z."""
    return now().strftime("%Y%m%dT%H%M%SZ")
