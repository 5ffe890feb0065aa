"""The schedule and the missed slots, kept in the database beside the sessions."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from calmflow.core.schedule import Schedule
from calmflow.store.db import translated
from calmflow.store.store import Store
from calmflow.system.wallclock import iso_time


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def save_schedule(store: Store, schedule: Schedule) -> None:
    """Keep `schedule` (replacing the one before), set now."""
    night = schedule.night
    with store._write() as db:
        db.execute(
            "INSERT OR REPLACE INTO schedule (id, times, every_min, night_from, night_to,"
            " grace_min, set_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (
                json.dumps([_hhmm(t) for t in schedule.times]) if schedule.times else None,
                round(schedule.every.total_seconds() / 60) if schedule.every else None,
                _hhmm(night[0]) if night else None,
                _hhmm(night[1]) if night else None,
                round(schedule.grace.total_seconds() / 60),
                store.now_iso(),
            ),
        )


def load_schedule(store: Store) -> tuple[Schedule, datetime] | None:
    """The schedule and when it was set, or None if there is none yet."""
    with translated(store.path):
        row = store._conn.execute(
            "SELECT times, every_min, night_from, night_to, grace_min, set_at FROM schedule"
        ).fetchone()
    if row is None:
        return None
    times, every, night_from, night_to, grace, set_at = row
    schedule = Schedule(
        times=tuple(time.fromisoformat(t) for t in json.loads(times)) if times else (),
        every=timedelta(minutes=every) if every else None,
        night=(time.fromisoformat(night_from), time.fromisoformat(night_to))
        if night_from and night_to
        else None,
        grace=timedelta(minutes=grace),
    )
    return schedule, datetime.fromisoformat(set_at)


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
