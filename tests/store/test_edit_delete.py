"""Changing a session afterwards: a forgotten volume added, a mistaken session deleted.

Both go through the same named writes as the player's (`Store.apply`), so the
TUI can queue or journal them like any other write; a value that cannot be right
changes nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from calmflow.core.records import AfterSession
from calmflow.store import db as store_db
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from tests.store.log import WallClock, start


def _played(store: Store) -> int:
    sid = start(store)
    store.add_letdown(
        sid, number=1, t_s=95.0, phase="Stimulation", phase_kind="stimulation", cues=["waves"]
    )
    store.add_event(sid, t_s=95.0, kind="phase", detail="Expression")
    store.end_session(sid, status="completed", played_s=1200.0)
    store.save_form(sid, AfterSession.from_entry(2.0, 1.5, None, "oz", "sleepy", comfort=4))
    return sid


def _rows(db_path: Path, table: str, sid: int) -> int:
    conn = sqlite3.connect(db_path)
    column = "id" if table == "sessions" else "session_id"
    (count,) = conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (sid,)).fetchone()
    conn.close()
    return int(count)


def test_delete_takes_the_session_with_its_letdowns_and_events_and_nothing_else(
    store: Store, db_path: Path, wall_clock: WallClock
) -> None:
    keep = _played(store)
    wall_clock.advance(hours=3)
    gone = _played(store)
    before = store.session(keep)

    assert store.delete_session(gone) is True
    for table in ("sessions", "letdowns", "session_events"):
        assert _rows(db_path, table, gone) == 0
    assert [r.id for r in store.sessions()] == [keep]
    assert store.session(keep) == before
    assert store.events(keep) != []
    # Deleting again (a journalled delete replayed) is harmless.
    assert store.delete_session(gone) is False


def test_edit_changes_only_what_is_given_and_none_clears(
    store: Store, wall_clock: WallClock
) -> None:
    sid = _played(store)
    before = store.session(sid)
    wall_clock.advance(hours=1)

    store.edit_session(sid, volume_left_ml=70.0, volume_total_ml=114.4, notes="  forgot the left  ")
    after = store.session(sid)
    assert (after.volume_left_ml, after.volume_right_ml, after.volume_total_ml) == (
        70.0,
        before.volume_right_ml,
        114.4,
    )
    assert after.notes == "forgot the left"
    assert (after.volume_unit, after.comfort, after.letdowns) == ("oz", 4, before.letdowns)

    store.edit_session(sid, notes=None, comfort=None, dmer=True, volume_unit="ml")
    after = store.session(sid)
    assert (after.notes, after.comfort, after.dmer, after.volume_unit) == (None, None, True, "ml")
    assert after.volume_left_ml == 70.0


@pytest.mark.parametrize(
    "change",
    [
        {"volume_total_ml": -5.0},
        {"volume_left_ml": 5000.0},
        {"volume_unit": "cups"},
        {"comfort": 6},
        {"relaxation": 0},
        {"dmer": "yes"},
        {"counted_letdowns": -1},
    ],
)
def test_an_edit_that_cannot_be_right_changes_nothing(
    store: Store, change: dict[str, object]
) -> None:
    sid = _played(store)
    before = store.session(sid)
    with pytest.raises(ValueError):
        store.edit_session(sid, notes="new", **change)  # type: ignore[arg-type]
    assert store.session(sid) == before


def test_editing_a_session_that_is_not_there_says_so(store: Store) -> None:
    with pytest.raises(KeyError):
        store.edit_session(404, notes="hello")


def test_edit_and_delete_are_named_writes_the_journal_can_replay(
    store: Store, db_path: Path, wall_clock: WallClock
) -> None:
    edited = _played(store)
    wall_clock.advance(hours=3)
    deleted = _played(store)
    store.journal(
        f'{{"op": "edit_session", "args": {{"session_id": {edited}, "volume_total_ml": 150.0}}}}\n'
        f'{{"op": "delete_session", "args": {{"session_id": {deleted}}}}}\n'
    )
    store.close()
    reopened = Store(db_path, clock=wall_clock)
    assert [r.id for r in reopened.sessions()] == [edited]
    assert reopened.session(edited).volume_total_ml == 150.0
    assert not reopened.journal_path.exists()
    reopened.close()


def test_a_log_from_schema_3_keeps_its_sessions_and_gains_counted_letdowns(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        m.setattr(store_db, "MIGRATIONS", MIGRATIONS[:3])
        Store(db_path).close()
    # A session as calmflow with schema 3 wrote it.
    with sqlite3.connect(db_path) as conn:
        sid = conn.execute(
            "INSERT INTO sessions (uuid, routine, started_at, updated_at, ended_at, status,"
            " planned_s, played_s, output, volume_total_ml, volume_unit, comfort, dmer)"
            " VALUES ('u3', 'standard', '2025-03-01T08:00:00.000Z', '2025-03-01T08:20:00.000Z',"
            " '2025-03-01T08:20:00.000Z', 'completed', 1200, 1200, 'device', 120.5, 'ml', 4, 0)"
        ).lastrowid
        conn.execute(
            "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
            " VALUES (?, 1, 95.0, 'Stimulation', 'stimulation', '[\"waves\"]',"
            " '2025-03-01T08:01:35.000Z')",
            (sid,),
        )
    conn.close()
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] == 3

    store = Store(db_path)
    (record,) = store.sessions()
    assert (record.id, record.routine, record.volume_total_ml, record.comfort, record.dmer) == (
        sid,
        "standard",
        120.5,
        4,
        False,
    )
    assert [(ld.number, ld.t_s, ld.cues) for ld in record.letdowns] == [(1, 95.0, ("waves",))]
    assert record.counted_letdowns is None
    assert record.letdown_count == 1
    store.edit_session(sid, counted_letdowns=2)
    assert store.session(sid).letdown_count == 2
    store.close()
    assert db_path.with_name(f"{db_path.name}.before-schema-{len(MIGRATIONS)}").exists()
