"""Experiments: arms drawn at random in blocks from a kept seed, each session's arm
and trial kept, a session that does not count giving its arm again, old logs still open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from calmflow.core.routine import Routine
from calmflow.core.trial import arm_at, block_order
from calmflow.services.experiments import arm_for
from calmflow.store import db as store_db
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from calmflow.store.trials import trial_sessions, trials


def test_arms_come_in_permuted_blocks_drawn_from_the_seed() -> None:
    arms = ("photo", "lullaby", "waves")
    orders = [[arm_at(7, arms, 3 * b + i) for i in range(3)] for b in range(40)]
    assert all(sorted(order) == sorted(arms) for order in orders)  # each block: every arm once
    # Drawn, not in turn: the blocks do not all come in one order.
    assert len({tuple(order) for order in orders}) > 3
    # The seed kept in the log draws them again, the same.
    assert orders == [block_order(7, arms, b) for b in range(40)]
    assert orders != [block_order(8, arms, b) for b in range(40)]


def _play(store: Store, routine: Routine, *, first: float | None, played: float = 900.0) -> str:
    """A session played as the app plays one: the arm drawn, the session logged."""
    drawn = arm_for(store, routine)
    assert drawn is not None
    arm, trial, place = drawn
    sid = store.start_session(
        routine=routine.name,
        routine_path=None,
        routine_digest=None,
        planned_s=900,
        output="null",
        experiment=("calm", arm),
        trial=(trial, place),
    )
    if first is not None:
        store.add_letdown(
            sid, number=1, t_s=first, phase="Stimulation", phase_kind="stimulation", cues=[]
        )
    status = "finished_early" if played < 900 else "completed"
    store.end_session(sid, status=status, played_s=played)
    return arm


def _routine(arms: list[str], phases_s: int = 120, blocks: int = 3) -> Routine:
    cues = {name: {"text": name} for name in arms}
    return Routine.model_validate(
        {
            "name": "mine",
            "cues": cues,
            "experiment": {"slot": "calm", "arms": arms, "blocks": blocks},
            "phases": [
                {
                    "name": "Stimulation",
                    "kind": "stimulation",
                    "duration": phases_s,
                    "cues": ["calm"],
                }
            ],
        }
    )


def test_each_session_gets_the_drawn_arm_and_a_short_one_gives_it_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "log.sqlite3")
    routine = _routine(["photo", "lullaby"])
    given = [_play(store, routine, first=100.0) for _ in range(3)]
    # A session ended within its first minute does not count: its arm comes again.
    again = _play(store, routine, first=None, played=20.0)
    after = _play(store, routine, first=100.0)
    assert after == again
    (trial,) = trials(store)
    assert [*given, after] == [arm_at(trial.seed, trial.arms, k) for k in range(4)]
    # In the review: the short one is not; each kept its place in the allocation.
    assert [(p, a) for p, a, _, _ in trial_sessions(store, trial.id)] == [
        (0, given[0]),
        (1, given[1]),
        (2, given[2]),
        (3, after),
    ]
    records = store.sessions()
    assert [(r.experiment, r.experiment_arm, r.counts_in_review) for r in records] == [
        *(("calm", arm, True) for arm in given),
        ("calm", again, False),
        ("calm", after, True),
    ]
    store.close()


def test_a_changed_experiment_starts_a_new_trial_and_more_blocks_do_not(tmp_path: Path) -> None:
    store = Store(tmp_path / "log.sqlite3")
    _play(store, _routine(["photo", "lullaby"]), first=50.0)
    _play(store, _routine(["photo", "lullaby"], blocks=6), first=50.0)  # more blocks: the same
    _play(store, _routine(["photo", "lullaby"], phases_s=180), first=50.0)  # phases changed
    _play(store, _routine(["photo", "waves"], phases_s=180), first=50.0)  # arms changed
    found = trials(store)
    assert [len(trial_sessions(store, t.id)) for t in found] == [2, 1, 1]
    assert [t.blocks for t in found] == [6, 3, 3]
    assert len({t.seed for t in found}) == 3
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
