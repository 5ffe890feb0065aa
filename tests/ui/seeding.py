"""A log of past sessions with known figures, written through the Store as the player writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmflow.core.records import AfterSession
from calmflow.store.store import Store

NOW = datetime(2025, 11, 5, 9, 30, tzinfo=UTC)
"""A Wednesday morning: 'now' for the log and the screens."""


@dataclass(frozen=True)
class Past:
    """One session to log."""

    started_at: datetime
    routine: str = "standard"
    letdowns_s: tuple[float, ...] = ()
    cues: tuple[str, ...] = ()
    """Cues shown from the start (logged as the player logs them)."""
    answers: AfterSession | None = None
    played_s: float = 1200.0


def log(path: Path, sessions: list[Past]) -> list[int]:
    """Write `sessions` into the log at `path`, each at its own time; return their ids."""
    moment = [NOW]
    store = Store(path, clock=lambda: moment[0])
    ids = []
    for past in sessions:
        moment[0] = past.started_at
        session_id = store.start_session(
            routine=past.routine,
            routine_path=None,
            routine_digest=None,
            planned_s=1200.0,
            output="device",
        )
        for name in past.cues:
            store.add_event(session_id, t_s=0.0, kind="cue", detail=name)
        for number, t_s in enumerate(past.letdowns_s, start=1):
            moment[0] = past.started_at + timedelta(seconds=t_s)
            store.add_letdown(
                session_id,
                number=number,
                t_s=t_s,
                phase="Stimulation" if number == 1 else "Expression",
                phase_kind="stimulation" if number == 1 else "expression",
                cues=list(past.cues),
            )
        moment[0] = past.started_at + timedelta(seconds=past.played_s)
        store.end_session(session_id, status="completed", played_s=past.played_s)
        if past.answers is not None:
            store.save_form(session_id, past.answers)
        ids.append(session_id)
    store.close()
    return ids


def three_weeks() -> list[Past]:
    """Twenty standard sessions, morning and evening every other day for three weeks,
    the morning ones with the baby's photo (first let-down 60-105 s with it, 150-195 s
    without), with volumes of 80, 82, ... 118 ml; yesterday evening one without any
    let-down; and this morning one of the quick routine, without a volume."""
    sessions = []
    for i in range(20):
        photo = i % 2 == 0
        first = (60.0 if photo else 150.0) + 5 * (i // 2)
        sessions.append(
            Past(
                started_at=NOW - timedelta(days=21 - i, hours=2 + 10 * (i % 2)),
                letdowns_s=(first, first + 400.0),
                cues=("baby-photo",) if photo else (),
                answers=AfterSession.from_entry(None, None, 80.0 + 2 * i, "ml"),
            )
        )
    sessions.append(Past(started_at=NOW - timedelta(hours=20), letdowns_s=()))
    sessions.append(Past(started_at=NOW - timedelta(hours=3), routine="quick", letdowns_s=(45.0,)))
    return sessions
