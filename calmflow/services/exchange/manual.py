"""A session pumped without calmflow, logged afterwards (`calmflow log add`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calmflow.core.records import AfterSession, SessionRecord
from calmflow.core.values import MANUAL
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
    started = (at if at is not None else now - length).astimezone(UTC)
    if started > now + timedelta(minutes=1):
        raise ValueError(f"{wallclock.local(started):%Y-%m-%d %H:%M} is still to come")
    if letdowns is not None and letdowns < 0:
        raise ValueError("the number of let-downs cannot be negative")
    given = (left, right, total) != (None, None, None)
    answers = AfterSession.from_entry(left, right, total, unit) if given else AfterSession()
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
