"""The database file: private, durable, migrated with care, never damaged further.

It holds health records. Other users on the machine must not read it; a
database from a newer calmflow or a damaged one must be refused with words
that say what to do, and left exactly as it was for recovery.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calmflow.store import db as store_db
from calmflow.store.db import StoreError, connect
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from tests.store.log import start


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    # The file's mode must not rely on the person's umask being strict.
    old = os.umask(0)
    yield
    os.umask(old)


def _snapshot(db_path: Path) -> tuple[bytes, list[str]]:
    """The database's bytes, and the other files beside it that are not SQLite's own
    -wal and -shm (a backup made of a database that should not be touched)."""
    gc.collect()  # close a connection a refused open may have left behind
    transient = {db_path.name + "-wal", db_path.name + "-shm"}
    others = sorted(p.name for p in db_path.parent.iterdir() if p.name not in transient)
    return db_path.read_bytes(), others


def _refused_untouched(db_path: Path) -> str:
    """Opening `db_path` is refused with a message naming it, and not a byte changes."""
    before = _snapshot(db_path)
    with pytest.raises(StoreError) as err:
        Store(db_path)
    message = str(err.value)
    del err  # the traceback holds the half-open connection
    assert str(db_path) in message
    assert _snapshot(db_path) == before
    return message


# --- a private, durable file --------------------------------------------------------


@pytest.mark.usefixtures("permissive_umask")
def test_database_and_its_wal_are_private(db_path: Path) -> None:
    store = Store(db_path)
    sid = start(store)
    store.add_letdown(
        sid, number=1, t_s=95.0, phase="Stimulation", phase_kind="stimulation", cues=[]
    )
    wal = db_path.with_name(db_path.name + "-wal")
    shm = db_path.with_name(db_path.name + "-shm")
    assert wal.exists()  # the let-down is in the WAL until a checkpoint
    assert _mode(db_path) == 0o600
    assert _mode(wal) == 0o600
    assert _mode(shm) == 0o600
    assert _mode(db_path.parent) == 0o700
    store.close()


def test_every_connection_is_wal_and_synchronous_full(db_path: Path) -> None:
    for _ in range(2):  # creating the file, then opening it again
        conn = connect(db_path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        conn.close()


# --- migrations ------------------------------------------------------------------------


def test_each_migration_is_recorded_once(db_path: Path) -> None:
    Store(db_path).close()
    Store(db_path).close()  # opening again applies nothing twice
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(i + 1, name) for i, (name, _) in enumerate(MIGRATIONS)]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()


def _add_second_migration(  # the next one after those that exist
    monkeypatch: pytest.MonkeyPatch, apply: Callable[[sqlite3.Connection], None]
) -> None:
    monkeypatch.setattr(store_db, "MIGRATIONS", [*MIGRATIONS, ("session tags", apply)])


def _add_tags(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE tags (session_id INTEGER, tag TEXT)")


def test_an_older_database_is_backed_up_then_migrated(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Store(db_path)
    sid = start(old)
    old.add_letdown(sid, number=1, t_s=80.0, phase="Stimulation", phase_kind="stimulation", cues=[])
    # Another reader keeps the WAL from being checkpointed when this store closes:
    # the let-down is only in the WAL when the migration starts.
    reader = sqlite3.connect(db_path)
    reader.execute("SELECT count(*) FROM sessions").fetchone()
    old.close()

    _add_second_migration(monkeypatch, _add_tags)
    new = Store(db_path)
    now = len(MIGRATIONS) + 1
    backup = db_path.with_name(f"{db_path.name}.before-schema-{now}")
    assert backup.exists()
    assert _mode(backup) == 0o600
    saved = sqlite3.connect(backup)
    assert saved.execute("PRAGMA user_version").fetchone()[0] == now - 1
    assert saved.execute("SELECT number, t_s FROM letdowns").fetchall() == [(1, 80.0)]
    saved.close()

    assert [ld.t_s for ld in new.session(sid).letdowns] == [80.0]
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == now
    assert conn.execute("SELECT version, name FROM schema_migrations").fetchall()[-1] == (
        now,
        "session tags",
    )
    conn.close()
    new.close()
    reader.close()


def test_a_failed_migration_changes_nothing(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = Store(db_path)
    sid = start(old)
    old.close()

    def half_done(conn: sqlite3.Connection) -> None:
        _add_tags(conn)
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    _add_second_migration(monkeypatch, half_done)
    with pytest.raises(StoreError):
        Store(db_path)
    gc.collect()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "tags" not in tables
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    conn.close()
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS)
    again = Store(db_path)
    assert again.session(sid).routine == "standard"
    again.close()


# --- refusing what cannot be used ---------------------------------------------------------


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_a_database_from_a_newer_calmflow_is_refused_and_left_untouched(
    db_path: Path, journal_mode: str
) -> None:
    store = Store(db_path)
    start(store)
    store.close()
    conn = sqlite3.connect(db_path)
    # A newer calmflow, or the file after a copy by a tool that left rollback journaling on.
    conn.execute(f"PRAGMA journal_mode={journal_mode}")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    message = _refused_untouched(db_path)
    assert "newer calmflow" in message
    assert "Update calmflow" in message


def _garbage(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o700)
    db_path.write_bytes(b"these are not the sessions you are looking for\n" * 200)


def _damaged_pages(db_path: Path) -> None:
    # A real log whose pages after the first (the schema) were overwritten:
    # the header is fine, the sessions table is not.
    store = Store(db_path)
    for _ in range(50):
        start(store)
    store.close()
    data = db_path.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    db_path.write_bytes(data[:page] + b"\xff" * (len(data) - page))


@pytest.mark.parametrize("damage", [_garbage, _damaged_pages], ids=["not sqlite", "damaged pages"])
def test_a_damaged_database_is_moved_aside_untouched_and_a_new_log_begins(
    db_path: Path, damage: Callable[[Path], None]
) -> None:
    damage(db_path)
    before = db_path.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(db_path)
    message = str(err.value)
    del err  # the traceback holds the half-open connection
    (aside,) = db_path.parent.glob(f"{db_path.name}.damaged-*")
    assert f"your log {db_path} is damaged" in message
    assert f"moved aside, untouched, to {aside}" in message
    assert "Run calmflow again to start a new log" in message
    assert aside.read_bytes() == before
    assert not db_path.exists()
    store = Store(db_path)  # the next start: a new, empty log; the damaged one kept
    assert store.sessions() == []
    store.close()
    assert aside.read_bytes() == before
