"""click parameter types for what calmflow's options take: moments, days, times of
day, spans, time zones, sizes, part ids.

A value that cannot be right stops the command with calmflow's own one-line
message and exit 1 (`Failure`), not click's usage error (exit 2): the message
says what to give. The parsing itself lives in the core, beside what it parses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import click

from calmflow.cli.errors import Failure
from calmflow.system import wallclock

if TYPE_CHECKING:
    _Type = click.ParamType[Any, Any]
else:
    _Type = click.ParamType  # generic only in newer click


def _option(param: click.Parameter | None) -> str:
    if param is None:
        return ""
    return max(param.opts, key=len) if param.opts else (param.name or "")


class _Parsed(_Type):
    """A value read by `parse(text, option)`, whose ValueError is the whole message.
    With `empty_is_none`, an empty value is taken as not given (`--times ''`)."""

    empty_is_none = False

    def parse(self, text: str, option: str) -> Any:
        raise NotImplementedError

    def words(self, problem: ValueError, text: str, option: str) -> str:
        """The line the person reads for a value `parse` refused."""
        return str(problem)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, already a value
        if self.empty_is_none and not value.strip():
            return None
        option = _option(param)
        try:
            return self.parse(value, option)
        except ValueError as exc:
            raise Failure(self.words(exc, value, option)) from None


class When(_Parsed):
    """A moment: 2026-11-23 14:05 (local time, or with an offset), or 14:05 for the last one."""

    name = "when"

    def parse(self, text: str, option: str) -> datetime:
        from calmflow.core.typed_times import parse_when

        return parse_when(text, now=wallclock.now())

    def words(self, problem: ValueError, text: str, option: str) -> str:
        return f"{option} {problem}"


class Since(_Parsed):
    """From when: a day (2026-11-01, today, yesterday: its local midnight) or a
    moment (2026-11-01 14:05, or 14:05 for the last one), on the person's clock."""

    name = "when"

    def parse(self, text: str, option: str) -> datetime:
        from calmflow.core.typed_times import parse_day, parse_when

        if text.strip().lower() in ("today", "yesterday"):
            return parse_day(text, option, wallclock.now())
        return parse_when(text, now=wallclock.now())

    def words(self, problem: ValueError, text: str, option: str) -> str:
        return f"{option} {problem}"


class Zone(_Parsed):
    """A time zone by name: Europe/Berlin, America/New_York, UTC."""

    name = "zone"

    def parse(self, text: str, option: str) -> tzinfo:
        return wallclock.named(text)

    def words(self, problem: ValueError, text: str, option: str) -> str:
        return f"{option}: {problem}"


class Day(_Parsed):
    """A day that has come: 2026-11-01, today or yesterday (its local midnight)."""

    name = "date"

    def parse(self, text: str, option: str) -> datetime:
        from calmflow.core.typed_times import parse_day

        return parse_day(text, option, wallclock.now())


class TimesOfDay(_Parsed):
    """06:00,09:00,12:00."""

    name = "times"
    empty_is_none = True

    def parse(self, text: str, option: str) -> tuple[time, ...]:
        from calmflow.core.schedule import parse_times

        return parse_times(text, option)


class Span(_Parsed):
    """A length in hours and minutes: 3h, 2h30m, 45m."""

    name = "span"
    empty_is_none = True

    def parse(self, text: str, option: str) -> timedelta:
        from calmflow.core.schedule import parse_span

        return parse_span(text, option)


class ClockTime(_Parsed):
    """A time of day, 06:00."""

    name = "hh:mm"
    empty_is_none = True

    def parse(self, text: str, option: str) -> time:
        from calmflow.core.schedule import parse_clock

        return parse_clock(text, option)


class Night(_Parsed):
    """From-to, 23:00-05:00."""

    name = "from-to"
    empty_is_none = True

    def parse(self, text: str, option: str) -> tuple[time, time]:
        from calmflow.core.schedule import parse_night

        return parse_night(text, option)


class Checked(_Type):
    """A number (click's int or float) that `check` must also pass; its ValueError
    is said after the option: "--left: a measurement of -3 mm cannot be right"."""

    def __init__(self, kind: _Type, check: Callable[[Any], Any], name: str) -> None:
        self.kind = kind
        self.check = check
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = self.kind.convert(value, param, ctx)  # click's own words for "not a number"
        try:
            return self.check(number)
        except ValueError as exc:
            raise Failure(f"{_option(param)}: {exc}") from None


def millimetres() -> Checked:
    """A nipple-base measurement in mm."""
    from calmflow.core.fit import check_nipple_mm

    return Checked(click.FLOAT, check_nipple_mm, "mm")


def interval_days() -> Checked:
    """A part's replacement interval, in days."""
    from calmflow.core.parts import check_interval_days

    return Checked(click.INT, check_interval_days, "days")


class IntervalOrDefault(_Type):
    """A number of days, or `default` (None): calmflow's own interval again."""

    name = "days|default"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        if value.strip().lower() == "default":
            return None
        try:
            days = int(value)
        except ValueError:
            raise Failure(f"{value!r}: give a number of days, or default") from None
        return interval_days().convert(days, _EVERY, ctx)


_EVERY = click.Option(["--every"])
"""Said as the option it shares its meaning with: "--every: an interval of ..."."""


class PartId(_Type):
    """A part's id, a number from `calmflow parts`."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        if not value.strip().isdigit():
            raise Failure(f"{value!r}: give the part's id, a number from `calmflow parts`")
        return int(value)
