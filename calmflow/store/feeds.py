"""Breastfeeds in the log (the `feeds` table, schema v11), apart from sessions.

No read of sessions meets a feed: the review, the supply flag, the CSV files,
experiments and the sync of pumping entries read the sessions table only. What
counts as a milk removal for the schedule (a session or a feed) is decided in
one place, `services.schedule.milk_removals`, from `feeds_since` here and the
store's `started_since`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from calmflow.store.db import rows, translated
from calmflow.store.store import Store
from calmflow.system.wallclock import iso_time

if TYPE_CHECKING:
    from calmflow.core.feeds import FeedRecord
    from calmflow.core.records import SessionRecord


def _columns() -> list[str]:
    # The model is imported only where feeds are read or written whole: `calmflow
    # next` (feeds_since) starts without pydantic.
    from calmflow.core.feeds import FEED_FIELDS

    return list(FEED_FIELDS)


def add_feed(store: Store, feed: FeedRecord) -> int:
    """Keep `feed`; its row id (that of the one there already with its uuid)."""
    with store._write() as db:
        insert_feeds(db, [feed])
        (feed_id,) = db.execute("SELECT id FROM feeds WHERE uuid = ?", (feed.uuid,)).fetchone()
    return int(feed_id)


def add_feeds(store: Store, feeds: Iterable[FeedRecord]) -> tuple[int, int]:
    """Keep `feeds` in one transaction; (added, already there by uuid)."""
    with store._write() as db:
        return insert_feeds(db, feeds)


def add_export(
    store: Store,
    sessions: Iterable[SessionRecord],
    feeds_after: Callable[[], Iterable[FeedRecord]],
) -> tuple[tuple[int, int], tuple[int, int]]:
    """An import: `sessions` as they are read, then the feeds `feeds_after` gives
    once they have been (a file may hold its feeds after its sessions), in one
    transaction: all or none. (added, already there) of each, matched by uuid."""
    from calmflow.store.dump import add_sessions

    with store._write() as db:
        return add_sessions(db, sessions), insert_feeds(db, feeds_after())


def insert_feeds(db: sqlite3.Connection, feeds: Iterable[FeedRecord]) -> tuple[int, int]:
    """Insert `feeds` inside the caller's transaction, leaving out those whose uuid
    is there already (the one there is not touched); (added, already there)."""
    added = already = 0
    columns = _columns()
    marks = ", ".join("?" for _ in columns)
    for feed in feeds:
        values = feed.model_dump(mode="json")
        cur = db.execute(
            f"INSERT INTO feeds ({', '.join(columns)}) VALUES ({marks})"
            " ON CONFLICT (uuid) DO NOTHING",
            [values[name] for name in columns],
        )
        if cur.rowcount:
            added += 1
        else:
            already += 1
    return added, already


def feeds(store: Store, *, since: datetime | None = None) -> list[FeedRecord]:
    """Every feed (from `since`), oldest first."""
    if since is None:
        return _read(store, "", [])
    return _read(store, "WHERE started_at >= ?", [iso_time(since)])


def last_feeds(store: Store, count: int) -> list[FeedRecord]:
    """The `count` latest feeds, oldest of them first."""
    return _read(
        store,
        "WHERE id IN (SELECT id FROM feeds ORDER BY started_at DESC, id DESC LIMIT ?)",
        [count],
    )


def feed(store: Store, feed_id: int) -> FeedRecord:
    """The feed with row id `feed_id`; KeyError if there is none."""
    found = _read(store, "WHERE id = ?", [feed_id])
    if not found:
        raise KeyError(feed_id)
    return found[0]


def feeds_since(store: Store, since: datetime) -> list[datetime]:
    """When each feed from `since` began (oldest first): what the schedule needs."""
    with translated(store.path):
        found = store._conn.execute(
            "SELECT started_at FROM feeds WHERE started_at >= ? ORDER BY started_at, id",
            (iso_time(since),),
        ).fetchall()
    return [datetime.fromisoformat(at) for (at,) in found]


def count_feeds(store: Store) -> int:
    """How many feeds the log holds."""
    with translated(store.path):
        (count,) = store._conn.execute("SELECT count(*) FROM feeds").fetchone()
    return int(count)


def delete_feed(store: Store, feed_id: int) -> bool:
    """Delete the feed `feed_id`; False if there was none."""
    with store._write() as db:
        cur = db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
    return cur.rowcount > 0


def _read(store: Store, where: str, args: list[object]) -> list[FeedRecord]:
    from calmflow.core.feeds import FeedRecord
    from calmflow.core.records import stored

    with translated(store.path):
        return [
            stored(FeedRecord, row)
            for row in rows(
                store._conn,
                f"SELECT id, {', '.join(_columns())} FROM feeds {where} ORDER BY started_at, id",
                args,
            )
        ]
