"""A session pumped without calmflow, logged afterwards (`calmflow log add`)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from calmflow.core.records import AfterSession, SessionRecord, problem_words
from calmflow.core.values import MANUAL, in_range
from calmflow.system import wallclock


def manual_session(
    *,
    now: datetime,
    at: datetime | None = None,
    minutes: float | None = None,
    left: float | None = None,
    right: float | None = None,
    total: float | None = None,
    unit: str = "ml",
    letdowns: int | None = None,
    notes: str = "",
) -> SessionRecord:
    """A session pumped without calmflow, for `Store.add_sessions`: routine and
    output "manual", let-downs as a count only (there are no times for them).

    `at` is when it started; by default it has just ended (now, less `minutes`).
    Volumes are in `unit`. ValueError for something that cannot be right.
    """
    length = timedelta(minutes=minutes or 0)
    # In UTC: a length added on a named zone's clock would be a length of its wall
    # time (20 minutes from 01:45 EDT on the autumn night is not 02:05 EST).
    with contextlib.suppress(OverflowError):  # year 1 on a clock east of UTC: just below
        if at is not None and at.astimezone(UTC) > now + timedelta(minutes=1):
            raise ValueError(f"{wallclock.local(at):%Y-%m-%d %H:%M} is still to come")
    try:
        started = in_range(at if at is not None else now - length)
    except ValueError as exc:
        shown = at.isoformat(" ", "minutes") if at is not None else "now"
        raise ValueError(f"{shown}: {exc}") from None
    if letdowns is not None and letdowns < 0:
        raise ValueError("the number of let-downs cannot be negative")
    given = (left, right, total) != (None, None, None)
    answers = AfterSession.from_entry(left, right, total, unit) if given else AfterSession()
    try:
        return SessionRecord(
            routine=MANUAL,
            started_at=started,
            updated_at=now,
            ended_at=started + length if minutes else None,
            status="completed",
            planned_s=length.total_seconds(),
            played_s=length.total_seconds(),
            output=MANUAL,
            volume_left_ml=answers.volume_left_ml,
            volume_right_ml=answers.volume_right_ml,
            volume_total_ml=answers.volume_total_ml,
            volume_unit=unit if given else None,
            notes=notes.strip() or None,
            counted_letdowns=letdowns,
        )
    except ValidationError as exc:  # said in one line, as what was typed is
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"{field}: {problem_words(error)}") from None
