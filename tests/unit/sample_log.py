"""A log with one of everything an export must carry, for the export and import tests."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmflow.core.records import AfterSession
from calmflow.services.exchange.manual import manual_session
from calmflow.store.store import Store
from calmflow.system.wallclock import iso_time
from tests.store.log import WallClock, start

NOTES = 'Ça coule 🍼, "quoted", comma\nand a second line'


def fill(path: Path) -> list[int]:
    """Sessions of every kind in the log at `path`: played with let-downs, cues,
    events and the form in oz; an experiment arm; interrupted with nothing filled
    in; one logged by hand; one written with an older calmflow's time format."""
    clock = WallClock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    store = Store(path, clock=clock)
    ids = []

    played = start(store, "standard")
    clock.advance(seconds=95.25)
    store.add_letdown(
        played,
        number=1,
        t_s=95.25,
        phase="Stimulation",
        phase_kind="stimulation",
        cues=["photo", "berceuse à deux"],
    )
    store.add_event(played, t_s=95.25, kind="phase", detail="Expression")
    clock.advance(minutes=7)
    store.add_letdown(
        played, number=2, t_s=515.0, phase="Expression", phase_kind="expression", cues=[]
    )
    clock.advance(minutes=12)
    store.end_session(played, status="completed", played_s=1200.0, underruns=3)
    store.save_form(
        played,
        AfterSession.from_entry(2.0, 1.5, None, "oz", NOTES, comfort=4, relaxation=5, dmer=False),
    )
    ids.append(played)

    clock.advance(hours=4)
    arm = store.start_session(
        routine="calm",
        routine_path="/routines/calm.yaml",
        routine_digest="f" * 64,
        planned_s=900.0,
        output="device",
        experiment=("cue", "lullaby"),
    )
    store.add_letdown(arm, number=1, t_s=61.0, phase="Calm", phase_kind="stimulation", cues=["x"])
    store.end_session(
        arm,
        status="finished_early",
        played_s=300.5,
        audio_problem="no device",
        ended_at=iso_time(clock.now + timedelta(seconds=301)),  # it lasted as long as it played
    )
    store.save_form(arm, AfterSession.from_entry(None, None, 80.0, "ml", dmer=True))
    ids.append(arm)

    clock.advance(hours=4)
    ids.append(start(store, "standard"))
    store.heartbeat(ids[-1], played_s=42.0)
    store.end_session(ids[-1], status="interrupted", played_s=42.0)

    clock.advance(hours=4)
    by_hand = manual_session(
        now=clock.now, minutes=20, left=60, right=55, unit="ml", letdowns=2, notes="at work"
    )
    store.add_sessions([by_hand])
    (manual_id,) = [r.id for r in store.sessions() if r.routine == "manual"]
    ids.append(manual_id)
    store.close()

    # An older calmflow wrote "+00:00" instead of "Z", without milliseconds.
    with sqlite3.connect(path) as conn:
        ids.append(
            conn.execute(
                "INSERT INTO sessions (uuid, routine, started_at, updated_at, ended_at, status,"
                " planned_s, played_s, output) VALUES ('0b9b0e4e-96d4-4ad5-8f14-3f3d6e0d2c10',"
                " 'standard', '2025-03-02T08:00:00+00:00', '2025-03-02T08:20:00+00:00',"
                " '2025-03-02T08:20:00+00:00', 'completed', 1200, 1200, 'device')"
            ).lastrowid
            or 0
        )
    conn.close()
    return ids


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Run with this machine's local time zone set to `name`."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("TZ", name)
        time.tzset()
        try:
            yield
        finally:
            m.undo()
            time.tzset()
