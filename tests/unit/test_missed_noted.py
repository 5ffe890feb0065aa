"""Missed slots are kept in the log by what changes it, never by what reads it: a
session, once it ends, notes the slots missed before it (not its own, kept late),
and `log add` does; `next` and the home screen only work them out."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from calmflow.audio.output import NullOutput
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.schedule import Schedule
from calmflow.services.player import Player
from calmflow.services.schedule import current_status
from calmflow.store.planning import missed_since, save_schedule
from calmflow.store.store import Store
from calmflow.system import wallclock
from tests.conftest import ManualClock

TZ = timezone(timedelta(hours=1))
DAY = datetime(2026, 11, 10, tzinfo=TZ)


class WallClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> WallClock:
    clock = WallClock(DAY - timedelta(hours=5))  # 19:00 the evening before
    monkeypatch.setattr(wallclock, "now", clock)
    monkeypatch.setattr(wallclock, "zone", lambda: TZ)
    return clock


def _play(store: Store, short_routine: Path, monotonic: ManualClock) -> None:
    loaded = load_routine(short_routine)
    plan = compile_plan(loaded.routine)
    player = Player(loaded, plan, store, NullOutput(plan.rate, clock=monotonic), clock=monotonic)
    player.start()
    monotonic.advance(10.0)
    player.tick()  # the routine's 9 s are over: the session ends by itself
    assert player.ended
    assert player.settle() is None


def test_a_late_session_keeps_its_slot_and_notes_the_one_missed_before(
    home: Path, wall: WallClock, short_routine: Path, clock: ManualClock
) -> None:
    store = Store(home / "calmflow.sqlite3")
    save_schedule(store, Schedule(times=(time(6), time(9), time(12))))
    wall.now = DAY - timedelta(hours=4)  # a session at 20:00 the evening before
    _play(store, short_routine, clock)
    wall.now = DAY.replace(hour=9, minute=55)  # 06:00 missed; 09:00 is late, not missed
    found = current_status(store)
    assert found is not None and found[0].missed == [DAY.replace(hour=6), DAY.replace(hour=9)]
    assert missed_since(store, DAY) == []  # worked out, not written
    _play(store, short_routine, clock)
    assert missed_since(store, DAY) == [DAY.replace(hour=6)]
    found = current_status(store)
    assert found is not None and found[0].missed == [DAY.replace(hour=6)]
