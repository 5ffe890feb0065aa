"""The review's fast path through SQLite gives exactly what the records give."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmflow.core.review import review, review_rows, row_of
from calmflow.store.store import Store
from tests.store.log import WallClock
from tests.unit.sample_log import fill


def _varied_log(path: Path, sessions: int = 120) -> None:
    """Sessions with and without let-downs and cues (some after the let-down), arms,
    volumes, running and interrupted ones, and the sample log's odd ones."""
    fill(path)
    rng = random.Random(7)
    clock = WallClock(datetime(2025, 4, 1, 6, 0, tzinfo=UTC))
    store = Store(path, clock=clock)
    for i in range(sessions):
        clock.now = datetime(2025, 4, 1, 6, 0, tzinfo=UTC) + timedelta(hours=3 * i)
        arm = rng.choice(("lullaby", "waves", None))
        sid = store.start_session(
            routine=rng.choice(("standard", "quick")),
            routine_path=None,
            routine_digest=None,
            planned_s=900,
            output="device",
            experiment=("music", arm) if arm else None,
        )
        for name in rng.sample(["baby-photo", "waves", "hum"], rng.randint(0, 2)):
            store.add_event(sid, t_s=rng.choice((0.0, 100.0, 400.0)), kind="cue", detail=name)
        for number in range(1, rng.randint(0, 3) + 1):
            store.add_letdown(
                sid,
                number=number,
                t_s=rng.uniform(30, 800),
                phase="Expression",
                phase_kind="expression",
                cues=[],
            )
        if i % 17 == 0:
            continue  # still running: left out by both
        store.end_session(sid, status=rng.choice(("completed", "finished_early")), played_s=900)
    store.close()


def test_rows_from_sqlite_equal_rows_from_records(tmp_path):
    path = tmp_path / "calmflow.sqlite3"
    _varied_log(path)
    store = Store(path)
    records = store.sessions()
    from_records = [row_of(r) for r in records if r.status != "running"]
    assert store.review_rows() == from_records
    assert len(from_records) > 100
    since = datetime(2025, 4, 5, tzinfo=UTC)
    assert store.review_rows(since=since) == [
        row_of(r) for r in store.sessions(since=since) if r.status != "running"
    ]
    assert review_rows(store.review_rows()).as_dict() == review(records).as_dict()


def test_the_last_sessions_are_the_tail_of_all_of_them(tmp_path):
    path = tmp_path / "calmflow.sqlite3"
    _varied_log(path, sessions=30)
    store = Store(path)
    assert store.last_sessions(12) == store.sessions()[-12:]
    assert store.last_sessions(1000) == store.sessions()
