"""Pump care in the database: nipple measurements and parts with their fittings."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from calmflow.core.fit import FitReminder, Measurement, Side, fit_reminder
from calmflow.core.parts import RATE_WINDOW_DAYS, Part, PartStatus, part_status, sessions_per_day
from calmflow.store.db import translated
from calmflow.store.reads import sound
from calmflow.store.store import Store
from calmflow.system.wallclock import iso_time


def add_measurement(store: Store, side: Side, mm: float, at: datetime | None = None) -> None:
    """Record a nipple-base measurement of one side (checked by the caller)."""
    with store._write() as db:
        db.execute(
            "INSERT INTO fit_measurements (side, mm, measured_at) VALUES (?, ?, ?)",
            (side, mm, iso_time(at) if at else store.now_iso()),
        )


def latest_measurements(store: Store) -> dict[str, Measurement]:
    """The latest measurement of each side measured, by side."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT side, mm, measured_at FROM fit_measurements ORDER BY measured_at, id"
        ).fetchall()
    return {side: Measurement(side, mm, datetime.fromisoformat(at)) for side, mm, at in rows}


def comforts_since(store: Store, since: datetime | None) -> list[int]:
    """Comfort ratings of the sessions started from `since` (all if None), oldest first."""
    where = "" if since is None else " AND started_at >= ?"
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT comfort FROM sessions WHERE comfort IS NOT NULL AND status != 'running'"
            f"{where} ORDER BY started_at, id",
            () if since is None else (iso_time(since),),
        ).fetchall()
    return [c for (c,) in rows]


def add_part(
    store: Store,
    kind: str,
    *,
    label: str | None = None,
    fitted_at: datetime | None = None,
    every_days: int | None = None,
) -> int:
    """Start keeping track of a part (kind and interval checked by the caller); its id."""
    now = store.now_iso()
    with store._write() as db:
        cur = db.execute(
            "INSERT INTO parts (kind, label, every_days, added_at) VALUES (?, ?, ?, ?)",
            (kind, label, every_days, now),
        )
        db.execute(
            "INSERT INTO part_fittings (part_id, fitted_at) VALUES (?, ?)",
            (cur.lastrowid, iso_time(fitted_at) if fitted_at else now),
        )
    assert cur.lastrowid is not None
    return cur.lastrowid


def replace_part(store: Store, part_id: int, at: datetime | None = None) -> bool:
    """A new one of part `part_id` is fitted (now, or `at`); False if there is no such part."""
    with store._write() as db:
        if db.execute("SELECT 1 FROM parts WHERE id = ?", (part_id,)).fetchone() is None:
            return False
        db.execute(
            "INSERT INTO part_fittings (part_id, fitted_at) VALUES (?, ?)",
            (part_id, iso_time(at) if at else store.now_iso()),
        )
    return True


def set_interval(store: Store, part_id: int, every_days: int | None) -> bool:
    """Set the person's own interval for a part (None: back to the defaults)."""
    with store._write() as db:
        cur = db.execute("UPDATE parts SET every_days = ? WHERE id = ?", (every_days, part_id))
    return cur.rowcount > 0


def remove_part(store: Store, part_id: int) -> bool:
    """Stop keeping track of a part, with its fittings; False if there was none."""
    with store._write() as db:
        cur = db.execute("DELETE FROM parts WHERE id = ?", (part_id,))
    return cur.rowcount > 0


def parts(store: Store) -> list[Part]:
    """Every part, in the order they were added, with its latest fitting."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT p.id, p.kind, p.label, max(f.fitted_at), p.every_days, count(f.id)"
            " FROM parts p JOIN part_fittings f ON f.part_id = p.id"
            " GROUP BY p.id ORDER BY p.id"
        ).fetchall()
    return [
        Part(pid, kind, label, datetime.fromisoformat(fitted), every, fittings)
        for pid, kind, label, fitted, every, fittings in rows
    ]


def sessions_since(store: Store, since: datetime) -> int:
    """Sessions (finished, ended early or interrupted; not one playing) started from `since`."""
    with translated(store.path):
        (count,) = store._conn.execute(
            "SELECT count(*) FROM sessions WHERE status != 'running' AND started_at >= ?"
            f" AND {sound()}",
            (iso_time(since),),
        ).fetchone()
    return int(count)


def session_starts(store: Store, since: datetime) -> list[datetime]:
    """When each session (not one playing) started from `since`, oldest first."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT started_at FROM sessions WHERE status != 'running' AND started_at >= ?"
            f" AND {sound()} ORDER BY started_at",
            (iso_time(since),),
        ).fetchall()
    return [datetime.fromisoformat(s) for (s,) in rows]


def first_session_start(store: Store) -> datetime | None:
    """When the first session logged started, if there is one."""
    with translated(store.path):
        (first,) = store._conn.execute(
            f"SELECT min(started_at) FROM sessions WHERE {sound()}"
        ).fetchone()
    return datetime.fromisoformat(first) if first else None


def part_statuses(store: Store, tz: tzinfo) -> list[PartStatus]:
    """Every part with where it stands now (the home screen, `calmflow parts`, the
    line at the end of a session)."""
    kept = parts(store)
    if not kept:
        return []
    now = store.now()
    per_day = sessions_per_day(
        session_starts(store, now - timedelta(days=RATE_WINDOW_DAYS)),
        now,
        first_session_start(store),
    )
    return [
        part_status(
            p, sessions_since=sessions_since(store, p.fitted_at), per_day=per_day, now=now, tz=tz
        )
        for p in kept
    ]


def fit_state(store: Store) -> tuple[dict[str, Measurement], FitReminder]:
    """The latest measurement of each side and whether to measure again."""
    latest = latest_measurements(store)
    since = max((m.measured_at for m in latest.values()), default=None)
    return latest, fit_reminder(latest, comforts_since(store, since), store.now())
