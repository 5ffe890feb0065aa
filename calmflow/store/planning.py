"""The schedule and the missed slots, kept in the database beside the sessions."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import NamedTuple

from calmflow.core.schedule import Schedule, hhmm, whole_hour_near
from calmflow.store.db import translated
from calmflow.store.store import Store
from calmflow.system import wallclock
from calmflow.system.wallclock import iso_time


def save_schedule(store: Store, schedule: Schedule, set_at: datetime | None = None) -> None:
    """Keep `schedule` (replacing the one before), set now (or at `set_at`: a
    schedule repaired keeps the time it was set)."""
    night = schedule.night
    with store._write() as db:
        db.execute(
            "INSERT OR REPLACE INTO schedule (id, times, every_min, night_from, night_to,"
            " grace_min, set_at, from_time) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
            (
                json.dumps([hhmm(t) for t in schedule.times]) if schedule.times else None,
                round(schedule.every.total_seconds() / 60) if schedule.every else None,
                hhmm(night[0]) if night else None,
                hhmm(night[1]) if night else None,
                round(schedule.grace.total_seconds() / 60),
                iso_time(set_at) if set_at else store.now_iso(),
                hhmm(schedule.start) if schedule.start else None,
            ),
        )


class KeptSchedule(NamedTuple):
    schedule: Schedule
    set_at: datetime
    repaired: str | None = None
    """What was wrong with the schedule as kept, and how it is read now."""


def load_schedule(store: Store) -> KeptSchedule | None:
    """The schedule and when it was set, or None if there is none yet (or none
    that can be read). A schedule an earlier calmflow kept
    with what it no longer takes (seconds, a time twice, an interval without the
    time it counts from) is read as the nearest it takes, and `repaired` says how."""
    with translated(store.path):
        row = store._conn.execute(
            "SELECT times, every_min, night_from, night_to, grace_min, set_at, from_time"
            " FROM schedule"
        ).fetchone()
    if row is None:
        return None
    times, every, night_from, night_to, grace, set_at_text, from_time = row
    set_at = datetime.fromisoformat(set_at_text)
    notes: list[str] = []
    try:
        clock = [_clock(t, notes) for t in json.loads(times)] if times else []
        if len(set(clock)) != len(clock):
            notes.append("a time given twice is kept once")
        night = (_clock(night_from, notes), _clock(night_to, notes)) if night_from else None
        if night and night[0] == night[1]:
            notes.append("a night gap that ended when it began is left out")
            night = None
        start = _clock(from_time, notes) if from_time else None
        if every and start is None:
            start = night[1] if night else whole_hour_near(set_at, wallclock.zone())
        schedule = Schedule(
            times=tuple(sorted(set(clock))),
            every=timedelta(minutes=every) if every else None,
            night=night if every else None,
            grace=timedelta(minutes=min(max(grace, 0), 240)),
            start=start if every else None,
        )
    except (TypeError, ValueError):
        # Nothing any calmflow wrote: read as no schedule, which setting one replaces.
        return None
    return KeptSchedule(schedule, set_at, "; ".join(notes) or None)


def _clock(text: str, notes: list[str]) -> time:
    """A time of day as kept; seconds (an earlier calmflow took them) are dropped."""
    t = time.fromisoformat(text)
    if t.second or t.microsecond or t.tzinfo is not None:
        notes.append(f"{text} is read as {hhmm(t)}")
    return t.replace(second=0, microsecond=0, tzinfo=None)


def record_missed(store: Store, dues: list[datetime]) -> None:
    """Record slots found missed; one found again is kept once."""
    if not dues:
        return
    now = store.now_iso()
    with store._write() as db:
        db.executemany(
            "INSERT OR IGNORE INTO missed_slots (due_at, noted_at) VALUES (?, ?)",
            [(iso_time(d), now) for d in dues],
        )


def missed_since(store: Store, since: datetime) -> list[datetime]:
    """The slots recorded as missed from `since`, oldest first."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT due_at FROM missed_slots WHERE due_at >= ? ORDER BY due_at",
            (iso_time(since),),
        ).fetchall()
    return [datetime.fromisoformat(r[0]) for r in rows]
