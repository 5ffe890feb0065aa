"""Helpers shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calmflow.store.store import Store


class WallClock:
    """Timestamps for records; moves only when a test says so."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def start(store: Store, routine: str = "standard") -> int:
    """Begin a session the way the player does."""
    return store.start_session(
        routine=routine,
        routine_path=f"/routines/{routine}.yaml",
        routine_digest="0" * 64,
        planned_s=1200.0,
        output="null",
    )
