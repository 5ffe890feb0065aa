"""The session log as the player and the review use it.

A let-down is written when the key is pressed, so nothing is lost if calmflow is
killed; a session its process left behind is shown as interrupted, never as
still running; volumes are kept in ml whatever unit was typed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from calmflow.core.records import AfterSession
from calmflow.store.store import Store
from tests.store.log import WallClock, start


def _finished_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# --- written as it happens ------------------------------------------------------------


def test_each_letdown_is_on_disk_when_add_letdown_returns(store: Store, db_path: Path) -> None:
    sid = start(store)
    other = sqlite3.connect(db_path)  # another process would see the same
    query = "SELECT number, t_s, phase, phase_kind, cues FROM letdowns WHERE session_id = ? ORDER BY number"
    assert other.execute(query, (sid,)).fetchall() == []

    store.add_letdown(
        sid, number=1, t_s=101.5, phase="Stimulation", phase_kind="stimulation", cues=("picture",)
    )
    assert other.execute(query, (sid,)).fetchall() == [
        (1, 101.5, "Stimulation", "stimulation", json.dumps(["picture"]))
    ]
    store.add_letdown(
        sid, number=2, t_s=400.0, phase="Expression", phase_kind="expression", cues=[]
    )
    assert [r[0] for r in other.execute(query, (sid,))] == [1, 2]
    # The session has not ended: still running, with how far it got.
    assert other.execute(
        "SELECT status, played_s FROM sessions WHERE id = ?", (sid,)
    ).fetchone() == (
        "running",
        400.0,
    )
    other.close()


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from calmflow.store.store import Store
    store = Store(Path(sys.argv[1]))
    sid = store.start_session(routine="standard", routine_path=None, routine_digest=None,
                              planned_s=1200.0, output="device")
    store.add_letdown(sid, number=1, t_s=130.0, phase="Stimulation", phase_kind="stimulation",
                      cues=["picture"])
    store.heartbeat(sid, played_s=140.0)
    print(sid, flush=True)
    sys.stdin.read()  # playing, until the parent kills it
    """
)


def test_a_killed_player_loses_nothing_and_its_session_shows_as_interrupted(
    db_path: Path,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        sid = int(child.stdout.readline())  # type: ignore[union-attr]
        # While it plays, opening the log elsewhere (the home screen, `calmflow log`)
        # must not call it interrupted.
        watcher = Store(db_path)
        assert watcher.session(sid).status == "running"
        watcher.close()
        child.send_signal(signal.SIGKILL)
        # Dead but not yet reaped (a zombie): its pid still exists, and it must
        # not pass for a live player. WNOWAIT waits for the death without reaping.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        after = Store(db_path)
        record = after.session(sid)
        assert record.status == "interrupted"
        assert record.played_s == 140.0
        assert [(ld.number, ld.t_s, ld.cues) for ld in record.letdowns] == [
            (1, 130.0, ("picture",))
        ]
        after.close()
    finally:
        child.kill()
        child.wait()
        child.stdin.close()  # type: ignore[union-attr]
        child.stdout.close()  # type: ignore[union-attr]


def test_a_dead_owners_session_becomes_interrupted_a_live_ones_stays_running(
    db_path: Path, wall_clock: WallClock
) -> None:
    store = Store(db_path, clock=wall_clock)
    orphan = start(store)
    wall_clock.advance(minutes=7)
    store.heartbeat(orphan, played_s=420.0)
    last_heard = wall_clock.now
    playing = start(store)  # this process: alive
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE sessions SET pid = ? WHERE id = ?", (_finished_pid(), orphan))
    conn.commit()
    conn.close()

    wall_clock.advance(days=1)
    reopened = Store(db_path, clock=wall_clock)
    gone = reopened.session(orphan)
    assert gone.status == "interrupted"
    # It ended when it was last heard of, not when the log was next opened.
    assert gone.ended_at == last_heard
    assert reopened.session(playing).status == "running"
    reopened.close()


# --- the after-session form --------------------------------------------------------------


def test_volumes_typed_in_ounces_are_kept_in_ml(store: Store, db_path: Path) -> None:
    sid = start(store)
    store.save_form(sid, AfterSession.from_entry(4.0, 3.5, None, "oz", "  left side slower \n"))
    record = store.session(sid)
    assert record.volume_left_ml == pytest.approx(118.3)
    assert record.volume_right_ml == pytest.approx(103.5)
    assert record.volume_total_ml == pytest.approx(221.8)
    assert record.volume_unit == "oz"
    assert record.notes == "left side slower"
    # What is on disk is ml too (the review and exports read these columns).
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT volume_left_ml, volume_right_ml, volume_total_ml FROM sessions WHERE id = ?", (sid,)
    ).fetchone()
    conn.close()
    assert row == pytest.approx((118.3, 103.5, 221.8))


def test_volumes_typed_in_ml_are_kept_as_typed(store: Store) -> None:
    sid = start(store)
    store.save_form(sid, AfterSession.from_entry(None, None, 95.0, "ml"))
    record = store.session(sid)
    assert (record.volume_left_ml, record.volume_right_ml, record.volume_total_ml) == (
        None,
        None,
        95.0,
    )
    assert record.notes is None


def test_last_volume_unit_is_the_one_typed_most_recently(
    store: Store, wall_clock: WallClock
) -> None:
    assert store.last_volume_unit() is None
    first = start(store)
    store.save_form(first, AfterSession.from_entry(2, 2, None, "oz"))
    assert store.last_volume_unit() == "oz"
    wall_clock.advance(hours=3)
    second = start(store)
    store.save_form(second, AfterSession.from_entry(60, 70, None, "ml"))
    assert store.last_volume_unit() == "ml"
    wall_clock.advance(hours=3)
    start(store)  # no form filled in: the last unit typed still stands
    assert store.last_volume_unit() == "ml"


# --- reading back ----------------------------------------------------------------------------


def test_sessions_since_keeps_those_started_at_or_after_it(
    store: Store, wall_clock: WallClock
) -> None:
    starts = [
        datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        datetime(2025, 3, 5, 8, 0, tzinfo=UTC),
        datetime(2025, 3, 5, 21, 30, tzinfo=UTC),
        datetime(2025, 3, 10, 8, 0, tzinfo=UTC),
    ]
    ids = []
    for moment in starts:
        wall_clock.now = moment
        ids.append(start(store))
    store.add_letdown(
        ids[2], number=1, t_s=90.0, phase="Stimulation", phase_kind="stimulation", cues=[]
    )

    assert [r.id for r in store.sessions()] == ids
    # 23:00 on 5 March in UTC+2 is 21:00 UTC: the evening session is after it.
    evening = datetime(2025, 3, 5, 23, 0, tzinfo=timezone(timedelta(hours=2)))
    recent = store.sessions(since=evening)
    assert [r.id for r in recent] == ids[2:]
    assert [ld.t_s for ld in recent[0].letdowns] == [90.0]
    assert [r.id for r in store.sessions(since=starts[1])] == ids[1:]  # at the boundary: in
    assert store.sessions(since=datetime(2025, 4, 1, tzinfo=UTC)) == []


def test_records_read_back_what_was_written(store: Store, wall_clock: WallClock) -> None:
    sid = start(store)
    store.add_letdown(
        sid,
        number=1,
        t_s=75.25,
        phase="Stimulation",
        phase_kind="stimulation",
        cues=["waves", "picture"],
    )
    wall_clock.advance(minutes=20)
    store.end_session(sid, status="completed", played_s=1200.0, underruns=2)
    record = store.session(sid)
    assert record.status == "completed"
    assert record.started_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert record.ended_at == datetime(2025, 3, 1, 8, 20, tzinfo=UTC)
    assert (record.planned_s, record.played_s, record.underruns) == (1200.0, 1200.0, 2)
    assert record.first_letdown_s == 75.25
    assert record.letdowns[0].cues == ("waves", "picture")
    assert record.letdowns[0].marked_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_a_clock_set_back_during_a_session_never_ends_it_before_it_began(tmp_path):
    from datetime import UTC, datetime

    from tests.store.log import WallClock

    wall = WallClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    store = Store(tmp_path / "calmflow.sqlite3", clock=wall)
    sid = store.start_session(
        routine="standard", routine_path=None, routine_digest=None, planned_s=1200, output="null"
    )
    wall.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # an hour back, mid-session
    store.end_session(sid, status="completed", played_s=600)
    [session] = store.dump_sessions()
    assert session.ended_at == datetime(2026, 12, 7, 10, 10, tzinfo=UTC)
