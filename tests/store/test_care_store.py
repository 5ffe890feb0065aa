"""Pump care in the database: measurements, parts and fittings, and schema v6."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmflow.core.records import AfterSession
from calmflow.store import care
from calmflow.store import db as store_db
from calmflow.store.planning import load_schedule
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from tests.store.log import WallClock, start


def _session(store: Store, clock: WallClock, comfort: int | None = None) -> int:
    sid = start(store)
    clock.advance(minutes=20)
    store.end_session(sid, status="completed", played_s=1200)
    if comfort is not None:
        store.save_form(sid, AfterSession(comfort=comfort))
    clock.advance(hours=3, minutes=40)
    return sid


def test_the_latest_measurement_of_each_side(store: Store, wall_clock: WallClock) -> None:
    care.add_measurement(store, "left", 17.0)
    care.add_measurement(store, "right", 18.0)
    wall_clock.advance(days=10)
    care.add_measurement(store, "left", 18.5)
    latest = care.latest_measurements(store)
    assert {side: m.mm for side, m in latest.items()} == {"left": 18.5, "right": 18.0}
    assert latest["left"].measured_at == wall_clock.now


def test_comfort_is_read_from_sessions_since_the_measurement(
    store: Store, wall_clock: WallClock
) -> None:
    _session(store, wall_clock, comfort=1)
    care.add_measurement(store, "left", 18.0)
    care.add_measurement(store, "right", 18.0)
    _session(store, wall_clock, comfort=4)
    _session(store, wall_clock)  # not rated
    start(store)  # still playing: not counted
    _, reminder = care.fit_state(store)
    assert care.comforts_since(store, None) == [1, 4]
    assert reminder.comfort == "" and not reminder.due


def test_a_part_counts_its_sessions_and_a_replacement_resets_it(
    store: Store, wall_clock: WallClock
) -> None:
    part_id = care.add_part(store, "duckbill")
    for _ in range(4):
        _session(store, wall_clock)
    start(store)  # playing now: not yet counted
    (status,) = care.part_statuses(store, UTC)
    assert status.sessions_since == 4 and status.days_since == 1
    assert status.part.fittings == 1
    assert care.replace_part(store, part_id)
    (status,) = care.part_statuses(store, UTC)
    assert (status.sessions_since, status.days_since, status.part.fittings) == (0, 0, 2)
    assert status.part.fitted_at == wall_clock.now
    assert not care.replace_part(store, 99)


def test_the_duckbill_interval_follows_sessions_a_day(store: Store, wall_clock: WallClock) -> None:
    care.add_part(store, "duckbill", fitted_at=wall_clock.now - timedelta(days=29))
    for _ in range(2 * 14):  # two a day
        _session(store, wall_clock)
        wall_clock.advance(hours=8)
    (status,) = care.part_statuses(store, UTC)
    assert (status.interval_days, status.due) == (56, False)
    for _ in range(12):  # six a day for two days: 36 in the last 14 days, under 3 a day
        _session(store, wall_clock)
    (status,) = care.part_statuses(store, UTC)
    assert status.interval_days == 56
    for _ in range(12):  # two more such days: 44 in 14 days, 3 a day or more
        _session(store, wall_clock)
    (status,) = care.part_statuses(store, UTC)
    assert (status.interval_days, status.interval_from, status.due_by) == (28, "heavy use", "days")


def test_an_interval_can_be_set_and_put_back(store: Store) -> None:
    part_id = care.add_part(store, "tubing", label="spare", every_days=30)
    (part,) = care.parts(store)
    assert (part.kind, part.label, part.every_days) == ("tubing", "spare", 30)
    assert care.set_interval(store, part_id, None)
    assert care.parts(store)[0].every_days is None
    assert care.remove_part(store, part_id)
    assert care.parts(store) == []
    assert not care.remove_part(store, part_id)


def test_a_schema_5_log_keeps_everything_and_gains_pump_care(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = WallClock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    # A log made by calmflow before pump care: a schedule and a rated session.
    assert MIGRATIONS[4][1].__name__ == "_v5_schedule"
    with monkeypatch.context() as m:
        m.setattr(store_db, "MIGRATIONS", MIGRATIONS[:5])
        old = Store(db_path, clock=clock)
        # As calmflow wrote a rated session then (today's writes know later columns).
        sid = old._conn.execute(
            "INSERT INTO sessions (uuid, routine, started_at, updated_at, ended_at, status,"
            " planned_s, played_s, output, comfort) VALUES ('u1', 'standard',"
            " '2026-11-01T08:00:00.000Z', '2026-11-01T08:20:00.000Z', '2026-11-01T08:20:00.000Z',"
            " 'completed', 1200, 1200, 'null', 2)"
        ).lastrowid
        old._conn.execute(
            "INSERT INTO schedule (id, times, grace_min, set_at)"
            " VALUES (1, '[\"06:00\", \"12:00\"]', 45, '2026-11-01T07:00:00.000Z')"
        )
        old.close()
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] == 5

    store = Store(db_path, clock=clock)
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    (record,) = store.sessions()
    assert (record.id, record.comfort, record.status) == (sid, 2, "completed")
    kept = load_schedule(store)
    assert kept is not None and [t.isoformat() for t in kept[0].times] == ["06:00:00", "12:00:00"]
    assert care.parts(store) == [] and care.latest_measurements(store) == {}
    # The sessions from before count for a part fitted before them.
    care.add_part(store, "flange", fitted_at=datetime(2026, 10, 1, tzinfo=UTC))
    (status,) = care.part_statuses(store, UTC)
    assert status.sessions_since == 1
    store.close()
    assert db_path.with_name(f"{db_path.name}.before-schema-{len(MIGRATIONS)}").exists()
