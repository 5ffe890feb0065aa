"""Whole sessions as plain data, out of the log and into it (export, import, and a
session logged by hand).

A session is a dict of SESSION_FIELDS (the stored text for times, so nothing is
reformatted on the way), plus "letdowns" (dicts of LETDOWN_FIELDS, cues as a list)
and "events" (dicts of EVENT_FIELDS). `dmer` is True, False or None.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

SESSION_FIELDS = (
    "uuid",
    "routine",
    "routine_path",
    "routine_digest",
    "started_at",
    "updated_at",
    "ended_at",
    "status",
    "planned_s",
    "played_s",
    "output",
    "audio_problem",
    "underruns",
    "volume_left_ml",
    "volume_right_ml",
    "volume_total_ml",
    "volume_unit",
    "notes",
    "experiment",
    "experiment_arm",
    "comfort",
    "relaxation",
    "dmer",
    "counted_letdowns",
)
"""A session's columns as `dump_sessions` gives them and `add_sessions` takes them:
all but the row id and the player's pid, which mean nothing in another database."""
LETDOWN_FIELDS = ("number", "t_s", "phase", "phase_kind", "cues", "marked_at")
EVENT_FIELDS = ("t_s", "kind", "detail", "at")


def dump_sessions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every session, oldest first, with its let-downs and events."""
    columns = ", ".join(SESSION_FIELDS)
    rows = conn.execute(f"SELECT id, {columns} FROM sessions ORDER BY started_at, id").fetchall()
    letdowns: dict[int, list[dict[str, Any]]] = {}
    for sid, *values in conn.execute(
        f"SELECT session_id, {', '.join(LETDOWN_FIELDS)} FROM letdowns ORDER BY session_id, number"
    ):
        letdown = dict(zip(LETDOWN_FIELDS, values, strict=True))
        letdown["cues"] = json.loads(letdown["cues"])
        letdowns.setdefault(sid, []).append(letdown)
    events: dict[int, list[dict[str, Any]]] = {}
    for sid, *values in conn.execute(
        f"SELECT session_id, {', '.join(EVENT_FIELDS)} FROM session_events ORDER BY session_id, id"
    ):
        events.setdefault(sid, []).append(dict(zip(EVENT_FIELDS, values, strict=True)))
    out = []
    for sid, *values in rows:
        session = dict(zip(SESSION_FIELDS, values, strict=True))
        if session["dmer"] is not None:
            session["dmer"] = bool(session["dmer"])
        session["letdowns"] = letdowns.get(sid, [])
        session["events"] = events.get(sid, [])
        out.append(session)
    return out


def add_sessions(db: sqlite3.Connection, sessions: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Insert `sessions` inside the caller's transaction, leaving out those whose
    uuid is there already; return (added, already there)."""
    added = already = 0
    columns = ", ".join(SESSION_FIELDS)
    marks = ", ".join("?" for _ in SESSION_FIELDS)
    for session in sessions:
        if db.execute("SELECT 1 FROM sessions WHERE uuid = ?", (session["uuid"],)).fetchone():
            already += 1
            continue
        values = [session[name] for name in SESSION_FIELDS]
        dmer = session["dmer"]
        values[SESSION_FIELDS.index("dmer")] = None if dmer is None else int(dmer)
        sid = db.execute(f"INSERT INTO sessions ({columns}) VALUES ({marks})", values).lastrowid
        db.executemany(
            "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    ld["number"],
                    ld["t_s"],
                    ld["phase"],
                    ld["phase_kind"],
                    json.dumps(list(ld["cues"])),
                    ld["marked_at"],
                )
                for ld in session["letdowns"]
            ],
        )
        db.executemany(
            "INSERT INTO session_events (session_id, t_s, kind, detail, at) VALUES (?, ?, ?, ?, ?)",
            [(sid, e["t_s"], e["kind"], e["detail"], e["at"]) for e in session["events"]],
        )
        added += 1
    return added, already
