"""What `calmflow sync babybuddy` sent, so a later run sends only what changed.

Per Baby Buddy (by its URL, `babybuddy_instances`): the unit its amounts are in.
Per session sent, for a child there (`babybuddy_entries`, schema v10): the entry
it became, and the amount, the times and the notes that entry was given, so the
next run PATCHes only a field whose value calmflow would now send differently.
Per feeding at the breast read from there (`babybuddy_feedings`, schema v11): the
feed it became, so it is added once; and per child, when its feedings were last
read (`babybuddy_feedings_read`), so the next run asks only for the recent ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from calmflow.core.feeds import FeedRecord
from calmflow.store.db import translated
from calmflow.store.store import Store
from calmflow.system.wallclock import iso_time


@dataclass(frozen=True)
class Link:
    """A session and the Baby Buddy entry it became (or was linked to)."""

    session_uuid: str
    entry_id: int
    amount: float
    """In the instance's unit, as sent."""
    start: datetime
    end: datetime
    notes: str


def unit_of(store: Store, url: str) -> str | None:
    """The unit remembered for the Baby Buddy at `url`, or None for one not synced yet."""
    with translated(store.path):
        found = store._conn.execute(
            "SELECT unit FROM babybuddy_instances WHERE url = ?", (url,)
        ).fetchone()
    return None if found is None else str(found[0])


def remember_unit(store: Store, url: str, unit: str) -> None:
    """Keep `unit` as the one the Baby Buddy at `url` holds amounts in."""
    with store._write() as db:
        db.execute(
            "INSERT INTO babybuddy_instances (url, unit) VALUES (?, ?)"
            " ON CONFLICT (url) DO UPDATE SET unit = excluded.unit",
            (url, unit),
        )


def links(store: Store, url: str, child_id: int) -> dict[str, Link]:
    """The sessions sent to the child `child_id` of the Baby Buddy at `url`, by uuid."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT session_uuid, entry_id, amount, start, end, notes FROM babybuddy_entries"
            " WHERE url = ? AND child_id = ?",
            (url, child_id),
        ).fetchall()
    return {
        uuid: Link(
            session_uuid=uuid,
            entry_id=int(entry_id),
            amount=float(amount),
            start=datetime.fromisoformat(start),
            end=datetime.fromisoformat(end),
            notes=notes,
        )
        for uuid, entry_id, amount, start, end, notes in rows
    }


def linked_entries(store: Store, url: str) -> frozenset[int]:
    """The entries of the Baby Buddy at `url` that a session is linked to (any child)."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT entry_id FROM babybuddy_entries WHERE url = ?", (url,)
        ).fetchall()
    return frozenset(int(entry_id) for (entry_id,) in rows)


def remember_links(store: Store, url: str, child_id: int, done: Iterable[Link]) -> None:
    """Remember each link in `done` (one of the session's already there is replaced),
    in one transaction. StoreError if the log cannot be written to."""
    now = store.now_iso()
    with store._write() as db:
        db.executemany(
            "INSERT INTO babybuddy_entries"
            " (url, child_id, session_uuid, entry_id, amount, start, end, notes, synced_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (url, child_id, session_uuid) DO UPDATE SET"
            " entry_id = excluded.entry_id, amount = excluded.amount,"
            " start = excluded.start, end = excluded.end, notes = excluded.notes,"
            " synced_at = excluded.synced_at",
            [
                (
                    url,
                    child_id,
                    link.session_uuid,
                    link.entry_id,
                    link.amount,
                    link.start.isoformat(),
                    link.end.isoformat(),
                    link.notes,
                    now,
                )
                for link in done
            ],
        )


def forget_links(store: Store, url: str, child_id: int, uuids: Iterable[str]) -> None:
    """Forget the entries of the sessions `uuids` (deleted there, or found gone)."""
    with store._write() as db:
        db.executemany(
            "DELETE FROM babybuddy_entries WHERE url = ? AND child_id = ? AND session_uuid = ?",
            [(url, child_id, uuid) for uuid in uuids],
        )


# --- breastfeeds read from Baby Buddy's feedings (schema v11) ----------------------------


def feedings_read_at(store: Store, url: str, child_id: int) -> datetime | None:
    """When the child's feedings at the Baby Buddy at `url` were last read, or None."""
    with translated(store.path):
        found = store._conn.execute(
            "SELECT read_at FROM babybuddy_feedings_read WHERE url = ? AND child_id = ?",
            (url, child_id),
        ).fetchone()
    return None if found is None else datetime.fromisoformat(found[0])


def linked_feedings(store: Store, url: str) -> frozenset[int]:
    """The feedings of the Baby Buddy at `url` that a feed was made from (or linked
    to): each is added once, whatever became of its feed since."""
    with translated(store.path):
        found = store._conn.execute(
            "SELECT feeding_id FROM babybuddy_feedings WHERE url = ?", (url,)
        ).fetchall()
    return frozenset(int(feeding_id) for (feeding_id,) in found)


def remember_feedings(
    store: Store,
    url: str,
    child_id: int,
    feeds: Iterable[tuple[int, FeedRecord]],
    read_at: datetime,
) -> list[FeedRecord]:
    """Add the feeds made of the feedings (id, feed) of the child at `url`, link each
    feeding to its feed, and remember `read_at`, in one transaction; the feeds
    added. A feed whose uuid the log has (imported from another calmflow's export)
    is linked, not added again. StoreError if the log cannot be written."""
    from calmflow.store.feeds import insert_feeds

    made = list(feeds)
    added = []
    now = store.now_iso()
    with store._write() as db:
        for _, feed in made:
            if insert_feeds(db, [feed])[0]:
                added.append(feed)
        db.executemany(
            "INSERT INTO babybuddy_feedings (url, feeding_id, child_id, feed_uuid, synced_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (url, feeding_id) DO NOTHING",
            [(url, feeding_id, child_id, feed.uuid, now) for feeding_id, feed in made],
        )
        db.execute(
            "INSERT INTO babybuddy_feedings_read (url, child_id, read_at) VALUES (?, ?, ?)"
            " ON CONFLICT (url, child_id) DO UPDATE SET read_at = excluded.read_at",
            (url, child_id, iso_time(read_at)),
        )
    return added
