"""The sessions written to a file for another tool (`target`: 'babybuddy'), each
remembered once per tool (the `exported` table, schema v9), so the next such
file holds only what is new and imports cleanly after the earlier ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from calmflow.store.db import translated
from calmflow.store.store import Store


def exported(store: Store, target: str) -> frozenset[str]:
    """The uuids of the sessions written to a file for `target` before."""
    with translated(store.path):
        found = store._conn.execute(
            "SELECT session_uuid FROM exported WHERE target = ?", (target,)
        ).fetchall()
    return frozenset(uuid for (uuid,) in found)


def last_exported(store: Store, target: str) -> datetime | None:
    """When the latest file for `target` was written, or None if none was."""
    with translated(store.path):
        (latest,) = store._conn.execute(
            "SELECT max(exported_at) FROM exported WHERE target = ?", (target,)
        ).fetchone()
    return None if latest is None else datetime.fromisoformat(latest)


def remember_exported(store: Store, target: str, uuids: Iterable[str]) -> None:
    """Remember that the sessions `uuids` were written to a file for `target` now
    (one written again takes the new time). StoreError if the log cannot be
    written to."""
    now = store.now_iso()
    with store._write() as db:
        db.executemany(
            "INSERT INTO exported (session_uuid, target, exported_at) VALUES (?, ?, ?)"
            " ON CONFLICT (session_uuid, target) DO UPDATE SET exported_at = excluded.exported_at",
            [(uuid, target, now) for uuid in uuids],
        )
