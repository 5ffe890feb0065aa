"""Experiments: arms given in turn, each session's arm kept, old logs still open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from calmflow.core.experiment import choose_arm
from calmflow.store import db as store_db
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from tests.store.log import start


def test_arms_come_in_turn_and_stay_balanced() -> None:
    arms = ["photo", "lullaby"]
    past: list[str] = []
    for _ in range(6):
        past.append(choose_arm(arms, past))
    assert past == ["photo", "lullaby"] * 3


def test_the_least_tried_arm_comes_next_even_after_a_new_arm_is_added() -> None:
    # Sessions with photo and lullaby so far; "waves" joined the experiment later.
    past = ["photo", "lullaby", "photo", "lullaby"]
    assert choose_arm(["photo", "lullaby", "waves"], past) == "waves"
    assert choose_arm(["photo", "lullaby", "waves"], [*past, "waves", "waves"]) == "photo"
    # An arm no longer in the experiment does not count.
    assert choose_arm(["photo", "waves"], ["lullaby", "lullaby", "photo"]) == "waves"


def test_each_session_keeps_its_arm(tmp_path: Path) -> None:
    store = Store(tmp_path / "log.sqlite3")
    for arm in ("photo", "lullaby", "photo"):
        store.start_session(
            routine="mine",
            routine_path=None,
            routine_digest=None,
            planned_s=60,
            output="null",
            experiment=("calm", arm),
        )
    start(store)  # a session of another routine, without an experiment
    assert store.experiment_arms("mine", "calm") == ["photo", "lullaby", "photo"]
    assert store.experiment_arms("mine", "other-slot") == []
    records = store.sessions()
    assert [(r.experiment, r.experiment_arm) for r in records] == [
        ("calm", "photo"),
        ("calm", "lullaby"),
        ("calm", "photo"),
        (None, None),
    ]
    store.close()


def test_a_log_from_the_first_schema_opens_with_everything_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(store_db, "MIGRATIONS", MIGRATIONS[:1])
        Store(path).close()
    # A session and its let-down as the first calmflow wrote them.
    with sqlite3.connect(path) as conn:
        sid = conn.execute(
            "INSERT INTO sessions (uuid, routine, started_at, updated_at, status, planned_s,"
            " played_s, output) VALUES ('u1', 'standard', '2025-03-01T08:00:00+00:00',"
            " '2025-03-01T08:20:00+00:00', 'completed', 1200, 1200, 'device')"
        ).lastrowid
        conn.execute(
            "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
            " VALUES (?, 1, 95.0, 'Stimulation', 'stimulation', '[\"waves\"]',"
            " '2025-03-01T08:01:35+00:00')",
            (sid,),
        )
    conn.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1

    store = Store(path)
    (record,) = store.sessions()
    assert record.id == sid
    assert [(ld.number, ld.t_s, ld.cues) for ld in record.letdowns] == [(1, 95.0, ("waves",))]
    assert (record.experiment, record.experiment_arm) == (None, None)
    store.close()
