"""The checks of a session's single values, and instants as the log keeps them.

Each check returns the value as it is kept, or raises ValueError saying what was
expected ("expected a whole number from 1 to 5"); the session model
(`records`) is made of them, and an import names the place at fault in front
of the words. Also what some values mean: MANUAL, and the cues that came before
the let-down. Plain Python (pydantic is imported only when a model is built with
an `Instant`), so the review can read the log without loading pydantic.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from calmflow.system.wallclock import iso_time

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

MAX_SESSION_ML = 2000.0
"""More than this from one session cannot be right: a typing slip."""
COUNT_MAX = 1_000_000
"""More than any session can have, and well inside SQLite's integers."""
SECONDS_MAX = 7 * 24 * 3600.0
"""No session, let-down or event is further than a week into a session: a
longer time is damage or a slip (and a huge one would not fit on any screen)."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Every instant the log keeps is from EARLIEST to before LATEST (UTC): outside,
a time is a slip or damage, and near the ends of what Python's datetime holds it
cannot even be put on a clock west or east of UTC."""
TIME_RANGE = "a time from 2000-01-01 to 2100-01-01 (UTC)"

ML_PER_OZ = 29.5735
"""US fluid ounce, the unit on bottles and pumps."""


def ml_per(unit: str) -> float:
    """Millilitres in one of `unit` (ml or oz)."""
    return ML_PER_OZ if unit == "oz" else 1.0


MANUAL = "manual"
"""The routine and output of a session logged by hand (`calmflow log add`): it was
pumped without calmflow, so it has no let-down times and no sound."""


FEED_SIDES = ("left", "right", "both")
"""The breast a breastfeed was at (`core.feeds.Side`), or both."""


SHORT_SESSION_S = 60.0
"""[ours] A session the person ends within this many seconds is left out of the
review and of the schedule unless they keep it: a false start, a test, a wrong key."""


def left_out(status: str, played_s: float, letdowns: int) -> bool:
    """Whether a session that ended so is left out of the review unless kept: ended
    by the person within its first minute, before any let-down (a let-down is no
    false start, and leaving out quick ones would favour the slow)."""
    return status == "finished_early" and played_s < SHORT_SESSION_S and not letdowns


def cues_before(
    shown: tuple[tuple[str, float], ...] | list[tuple[str, float]], first: float | None
) -> frozenset[str]:
    """The cues of `shown` (name, seconds first shown) that came at or before the
    first let-down at `first` seconds, or all of them in a session without one."""
    if not shown:
        return frozenset()
    return frozenset(name for name, t in shown if first is None or t <= first)


Check = Callable[[Any], Any]
"""Returns the value as it is kept, or raises ValueError saying what was expected."""


def optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def some_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected some text")
    return whole_characters(value)


def any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return whole_characters(value)


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def whole_characters(text: str) -> str:
    """`text`, unless it holds a lone surrogate (JSON's `\\ud800` without its pair):
    half of a character, which no file or screen can hold (SQLite and the
    terminal take UTF-8 only)."""
    found = _SURROGATES.search(text)
    if found:
        raise ValueError(
            f"expected text, found \\u{ord(found.group()):04x}, half of a character"
            " (a lone surrogate)"
        )
    return text


def uuid_text(value: Any) -> str:
    """A uuid in its one spelling, lower case with dashes, however it was written
    ({...}, urn:uuid:..., without dashes, in capitals): the same session is then
    the same uuid, and matched as such."""
    try:
        return str(uuid.UUID(some_text(value).strip()))
    except ValueError:
        raise ValueError("expected a uuid") from None


def number(value: Any, low: float, high: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected {what}")
    try:
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"expected {what}")
    except OverflowError:  # an int too large for a float
        raise ValueError(f"expected {what}") from None
    return float(value)


def seconds(value: Any) -> float:
    return number(
        value, 0.0, SECONDS_MAX, f"a number of seconds from 0 to {SECONDS_MAX:.0f} (a week)"
    )


def in_range(moment: datetime) -> datetime:
    """`moment` (with its offset) in UTC, if it is within EARLIEST..LATEST;
    ValueError otherwise (also for one the datetime cannot put in UTC, such as
    0001-01-01T00:00+14:00)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"expected {TIME_RANGE}") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"expected {TIME_RANGE}")
    return utc


def volume_ml(value: Any) -> float:
    return number(value, 0.0, MAX_SESSION_ML, f"a volume in ml from 0 to {MAX_SESSION_ML:g}")


def whole(low: int, high: int = COUNT_MAX) -> Check:
    what = f"a whole number from {low} to {high}"

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected {what}")
        return value

    return check


def choice(*allowed: str) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return str(value)

    return check


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def cue_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        raise ValueError("expected a list of cue names")
    return tuple(whole_characters(c) for c in value)


score = whole(1, 5)
"""Comfort and relaxation: 1 (painful, tense) to 5 (comfortable, relaxed)."""


class Instant(datetime):
    """A moment (in UTC) that keeps the text the log stores it as.

    The log writes instants as `iso_time` gives them (2025-03-01T08:00:00.000Z);
    a UTC time imported in another spelling (…+00:00) is kept as it was written,
    so an export comes back the same. It is a datetime for everything else."""

    _text: str | None = None

    @property
    def text(self) -> str:
        """The moment as the log stores it."""
        return self._text if self._text is not None else iso_time(self)

    @classmethod
    def of(cls, value: Any) -> Instant:
        """An Instant from stored text or an aware datetime; ValueError otherwise."""
        if isinstance(value, Instant) and value._text is not None:
            return value
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise ValueError("expected a time with its UTC offset")
            return cls._made(in_range(value), None)
        try:
            moment = datetime.fromisoformat(some_text(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expected a time such as 2025-03-01T08:00:00.000Z") from None
        offset = moment.utcoffset()
        if offset is None:
            raise ValueError(
                "expected a time with its UTC offset, such as 2025-03-01T08:00:00.000Z"
            )
        return cls._made(in_range(moment), str(value) if offset == timedelta(0) else None)

    @classmethod
    def _made(cls, moment: datetime, text: str | None) -> Instant:
        made = cls(
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
            moment.tzinfo,
        )
        made._text = text if text is not None else iso_time(moment)
        return made

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (Instant.of, (self.text,))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.of,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda moment: moment.text, when_used="json"
            ),
        )
