"""Experiments drawn at random in the database: each trial as it began, and the
sessions that count towards it (see calmflow.core.trial)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from calmflow.core.trial import InTrial, Trial
from calmflow.store.db import translated
from calmflow.store.reads import in_review
from calmflow.store.store import Store


def _trial(row: tuple[object, ...]) -> Trial:
    id, routine, slot, arms, blocks, seed, started_at, fingerprint = row
    return Trial(
        int(id),  # type: ignore[call-overload]
        str(routine),
        str(slot),
        tuple(json.loads(str(arms))),
        int(blocks),  # type: ignore[call-overload]
        int(seed),  # type: ignore[call-overload]
        datetime.fromisoformat(str(started_at)),
        str(fingerprint),
    )


COLUMNS = "id, routine, slot, arms, blocks, seed, started_at, fingerprint"
LATEST = f"SELECT {COLUMNS} FROM trials WHERE routine = ? ORDER BY id DESC LIMIT 1"


def trial_for(
    store: Store, routine: str, slot: str, arms: tuple[str, ...], blocks: int, fingerprint: str
) -> Trial:
    """The routine's experiment as it is now: the latest trial when its slot, arms
    and phases are unchanged (with the blocks the routine plans, if more), else a
    new trial with a new seed (the earlier one keeps its sessions and answer)."""
    with store._write() as db:
        row = db.execute(LATEST, (routine,)).fetchone()
        if row is not None and row[7] == fingerprint:
            if blocks > row[4]:
                db.execute("UPDATE trials SET blocks = ? WHERE id = ?", (blocks, row[0]))
                row = (*row[:4], blocks, *row[5:])
            return _trial(row)
        seed = secrets.randbits(31)
        cur = db.execute(
            "INSERT INTO trials (routine, slot, arms, fingerprint, blocks, seed, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (routine, slot, json.dumps(list(arms)), fingerprint, blocks, seed, store.now_iso()),
        )
        return Trial(
            cur.lastrowid or 0, routine, slot, arms, blocks, seed, store.now(), fingerprint
        )


def trials(store: Store) -> list[Trial]:
    """Every trial, oldest first."""
    with translated(store.path):
        rows = store._conn.execute(f"SELECT {COLUMNS} FROM trials ORDER BY id").fetchall()
    return [_trial(row) for row in rows]


def latest_trial(store: Store, routine: str) -> Trial | None:
    with translated(store.path):
        row = store._conn.execute(LATEST, (routine,)).fetchone()
    return None if row is None else _trial(row)


def trial_sessions(store: Store, trial_id: int) -> list[InTrial]:
    """The trial's sessions that have ended and are in the review, oldest first."""
    with translated(store.path):
        rows = store._conn.execute(
            "SELECT s.trial_position, s.experiment_arm,"
            " (SELECT MIN(t_s) FROM letdowns l WHERE l.session_id = s.id),"
            " s.played_s FROM sessions s WHERE s.trial_id = ? AND s.status != 'running'"
            f" AND {in_review('s.')} ORDER BY s.started_at, s.id",
            (trial_id,),
        ).fetchall()
    return [(place, str(arm), first, float(played)) for place, arm, first, played in rows]


def add_blocks(store: Store, trial_id: int, more: int) -> int:
    """Plan `more` blocks for the trial; return how many it now plans."""
    with store._write() as db:
        db.execute("UPDATE trials SET blocks = blocks + ? WHERE id = ?", (more, trial_id))
        (blocks,) = db.execute("SELECT blocks FROM trials WHERE id = ?", (trial_id,)).fetchone()
    return int(blocks)
