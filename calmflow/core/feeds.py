"""A breastfeed: milk removed by the baby at the breast, not by a pump.

It keeps its schedule slot as a pumping session does (a removal: EVIDENCE.md,
"Milk removal and storage"), but it is never a pumping session: feeds are kept
apart (their own table, `store.feeds`), so the review, the supply trends, the
CSV files, experiments and the sync of pumping entries, which read sessions,
never meet one. `FeedRecord` is the one model of a feed for the store, the
JSON export and import, `calmflow log feed`, the home screen's key and the feeds
read from Baby Buddy.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator

from calmflow.core.records import Inconsistent, problem_words
from calmflow.core.values import FEED_SIDES, Instant, choice, in_range, optional, uuid_text
from calmflow.system import wallclock

Side = Literal["left", "right", "both"]
"""As `values.FEED_SIDES` lists them (which the command line reads without pydantic)."""
FeedSource = Literal["calmflow", "babybuddy"]
SOURCES: tuple[str, ...] = get_args(FeedSource)
LONGEST_FEED = timedelta(hours=24)
"""No feed lasts longer (Baby Buddy refuses a longer feeding, too)."""
FEED_WORD = "breastfeed"


class FeedRecord(BaseModel):
    """A breastfeed as the log keeps it: every field an export carries, in its
    order, and, not exported, its row id in this log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uuid: Annotated[str, PlainValidator(uuid_text)] = Field(
        default_factory=lambda: str(uuid.uuid4())
    )
    started_at: Instant
    ended_at: Instant | None = None
    """None when its length was not said."""
    side: Annotated[Side | None, PlainValidator(optional(choice(*FEED_SIDES)))] = None
    """The breast it was at, both, or None when not said."""
    source: Annotated[FeedSource, PlainValidator(choice(*SOURCES))] = "calmflow"
    """Where it was logged: in calmflow, or read from Baby Buddy by `calmflow sync`."""

    id: int = Field(default=0, exclude=True)
    """Its row in this log (0 before it is in one); never exported."""

    @model_validator(mode="after")
    def _times_agree(self) -> FeedRecord:
        if self.ended_at is not None:
            lasted = self.ended_at - self.started_at
            if lasted < timedelta(0):
                raise Inconsistent("ended_at", "before the feed starts")
            if lasted > LONGEST_FEED:
                raise Inconsistent("ended_at", "more than 24 hours after the feed starts")
        return self

    @property
    def minutes(self) -> float | None:
        """How long it lasted, in minutes, when that was said."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() / 60


FEED_FIELDS = tuple(name for name, f in FeedRecord.model_fields.items() if not f.exclude)
"""A feed's fields in an export and its columns in the log, in order."""


def feed_problem(exc: Exception) -> str:
    """A pydantic error about a feed in one line, as what was typed is ("ended_at:
    before the feed starts")."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, Inconsistent):
        return f"{cause.place}: {cause}"
    field = ".".join(str(part) for part in error["loc"])
    return f"{field}: {problem_words(error)}"


def new_feed(
    *,
    now: datetime,
    at: datetime | None = None,
    minutes: float | None = None,
    side: str | None = None,
) -> FeedRecord:
    """A breastfeed logged in calmflow (`calmflow log feed`, the home screen's key).

    `at` is when it began; by default it has just ended (now, less `minutes`), or
    it is now when no length is given. ValueError, in one line, for what cannot
    be right (a time still to come, a length over 24 hours, a side not known).
    """
    from pydantic import ValidationError

    length = timedelta(minutes=minutes) if minutes is not None else None
    if length is not None and not timedelta(0) < length <= LONGEST_FEED:
        raise ValueError(f"a feed of {minutes:g} minutes cannot be right: up to 24 hours")
    # In UTC: a length added on a named zone's clock would be a length of its wall time.
    with contextlib.suppress(OverflowError):  # year 1 on a clock east of UTC: refused below
        if at is not None and at.astimezone(UTC) > now + timedelta(minutes=1):
            raise ValueError(f"{wallclock.local(at):%Y-%m-%d %H:%M} is still to come")
    try:
        started = in_range(at if at is not None else now - (length or timedelta(0)))
    except ValueError as exc:
        shown = at.isoformat(" ", "minutes") if at is not None else "now"
        raise ValueError(f"{shown}: {exc}") from None
    try:
        return FeedRecord(
            started_at=started,
            ended_at=started + length if length is not None else None,
            side=side,
        )
    except ValidationError as exc:
        raise ValueError(feed_problem(exc)) from None
