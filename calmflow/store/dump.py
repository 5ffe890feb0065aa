"""Whole sessions, out of the log and into it (export, import, and a session
logged by hand), as the one session model, `core.records.SessionRecord`.

The columns are the model's fields: its exported fields are the sessions table's
columns but the row id and the player's pid (which mean nothing in another
log); let-downs and events are their own tables. Instants are stored as the
text the model keeps them as, so nothing is reformatted on the way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calmflow.core.records import (
    EVENT_FIELDS,
    LETDOWN_FIELDS,
    SESSION_FIELDS,
    EventRecord,
    LetdownRecord,
    SessionRecord,
    stored,
)
from calmflow.store.db import rows
from calmflow.store.reads import sound


def session_records(
    conn: sqlite3.Connection,
    where: str = "",
    args: Sequence[object] = (),
    **parts: Mapping[int, Sequence[Any]],
) -> list[SessionRecord]:
    """The sessions matching `where` (a WHERE clause on sessions), oldest first,
    each with its let-downs and with `parts` (a field's items by session id)."""
    within = f"WHERE session_id IN (SELECT id FROM sessions {where})" if where else ""
    letdowns: dict[int, list[LetdownRecord]] = {}
    cue_lists: dict[str, tuple[str, ...]] = {}  # the same few lists come back each time
    for row in rows(
        conn,
        f"SELECT session_id, {', '.join(LETDOWN_FIELDS)} FROM letdowns {within}"
        " ORDER BY session_id, number",
        args,
    ):
        cues = row["cues"]
        listed = cue_lists.get(cues) or cue_lists.setdefault(cues, tuple(json.loads(cues)))
        letdowns.setdefault(row["session_id"], []).append(
            stored(LetdownRecord, {**dict(row), "cues": listed})
        )
    return [
        stored(
            SessionRecord,
            row,
            letdowns=tuple(letdowns.get(row["id"], ())),
            **{name: tuple(items.get(row["id"], ())) for name, items in parts.items()},
        )
        for row in rows(
            conn,
            f"SELECT id, trial_id, {', '.join(SESSION_FIELDS)} FROM sessions {where}"
            " ORDER BY started_at, id",
            args,
        )
    ]


def dump_sessions(conn: sqlite3.Connection) -> list[SessionRecord]:
    """Every session, oldest first, with its let-downs and events."""
    events: dict[int, list[EventRecord]] = {}
    for row in rows(
        conn,
        f"SELECT session_id, {', '.join(EVENT_FIELDS)} FROM session_events ORDER BY session_id, id",
    ):
        events.setdefault(row["session_id"], []).append(stored(EventRecord, row))
    return session_records(conn, f"WHERE {sound()}", events=events)  # not one damaged


def add_sessions(db: sqlite3.Connection, sessions: Iterable[SessionRecord]) -> tuple[int, int]:
    """Insert `sessions` inside the caller's transaction, leaving out those whose
    uuid is there already; return (added, already there)."""
    added = already = 0
    columns = ", ".join(SESSION_FIELDS)
    marks = ", ".join("?" for _ in SESSION_FIELDS)
    for session in sessions:
        if db.execute("SELECT 1 FROM sessions WHERE uuid = ?", (session.uuid,)).fetchone():
            already += 1
            continue
        values = session.model_dump(mode="json")
        sid = db.execute(
            f"INSERT INTO sessions ({columns}) VALUES ({marks})",
            [values[name] for name in SESSION_FIELDS],
        ).lastrowid
        db.executemany(
            f"INSERT INTO letdowns (session_id, {', '.join(LETDOWN_FIELDS)})"
            f" VALUES (?, {', '.join('?' for _ in LETDOWN_FIELDS)})",
            [(sid, *_column_values(ld, LETDOWN_FIELDS)) for ld in values["letdowns"]],
        )
        db.executemany(
            f"INSERT INTO session_events (session_id, {', '.join(EVENT_FIELDS)})"
            f" VALUES (?, {', '.join('?' for _ in EVENT_FIELDS)})",
            [(sid, *_column_values(e, EVENT_FIELDS)) for e in values["events"]],
        )
        added += 1
    return added, already


def _column_values(dumped: dict[str, Any], fields: Sequence[str]) -> list[Any]:
    """A dumped record's values as its table's columns hold them (a list as JSON text)."""
    return [json.dumps(v) if isinstance(v, list) else v for v in (dumped[f] for f in fields)]
