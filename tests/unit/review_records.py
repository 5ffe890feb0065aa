"""Sessions as the review reads them, built in a line: shared by the review's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calmflow.core.records import LetdownRecord, SessionRecord
from calmflow.core.values import MANUAL

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday


def session(
    first: float | None,
    *,
    id: int,
    cues: tuple[tuple[str, float], ...] = (),
    routine: str = "standard",
    played_s: float = 900.0,
    day: int = 0,
    arm: str | None = None,
    volume: float | None = None,
    manual_count: int | None = None,
) -> SessionRecord:
    started = START + timedelta(days=day, hours=id % 3)
    return SessionRecord(
        id=id,
        routine=MANUAL if manual_count is not None else routine,
        started_at=started,
        ended_at=started + timedelta(seconds=played_s),
        status="completed",
        planned_s=900.0,
        played_s=played_s,
        output=MANUAL if manual_count is not None else "device",
        volume_total_ml=volume,
        experiment="music" if arm else None,
        experiment_arm=arm,
        letdowns=()
        if first is None
        else (
            LetdownRecord(
                number=1,
                t_s=first,
                phase="Stimulation",
                phase_kind="stimulation",
                cues=(),
                marked_at=started,
            ),
        ),
        cues_shown=cues,
        counted_letdowns=manual_count,
    )
