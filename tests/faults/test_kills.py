"""SIGKILL in the middle of a session, inside each kind of write and at random
moments: every let-down, undo, end and answer the person was shown as done is
in the log afterwards, once; what was being written is there whole or not at
all; the database passes its integrity check; the session reads 'interrupted'.

Each session is a real child process (tests/faults/session_driver.py) playing
the standard routine headless against the real database file.
"""

from __future__ import annotations

import json
import random
import signal
from pathlib import Path

import pytest

from tests.faults.killing import (
    DB_NAME,
    Acked,
    check_after_kill,
    driver,
    full_run_seconds,
    kill_after,
    kill_when_shown,
    snapshot,
)
from tests.unit.sample_log import fill

RANDOM_KILLS = 10
"""In the suite; `python benchmarks/faults.py` runs as many as it is asked."""

INSIDE = {
    "making the session's row": "INSERT INTO sessions:1",
    "writing the first let-down": "INSERT INTO letdowns:1",
    "writing a let-down's time into the session": "UPDATE sessions SET played_s = max:2",
    "taking back a let-down (undo)": "DELETE FROM letdowns:1",
    "logging a phase": "INSERT INTO session_events:4",
    "ending the session": "UPDATE sessions SET status:1",
    "saving the after-session form": "UPDATE sessions SET volume_left_ml:1",
}


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long one whole session takes, unkilled (the window for random kills)."""
    folder = tmp_path_factory.mktemp("whole")
    return full_run_seconds(folder / "home", folder / "acks")


@pytest.fixture
def logged(home: Path) -> Path:
    """A log with sessions of every kind in it already: something to lose."""
    home.mkdir(parents=True, mode=0o700)
    fill(home / DB_NAME)
    return home


def test_the_check_sees_a_let_down_shown_but_not_logged(logged, tmp_path, played):
    # The check itself can fail: a let-down the person was shown, missing from the log.
    before = snapshot(logged)
    acks = tmp_path / "acks"
    kill_after(driver(logged, 5, acks), played * 0.7)
    state = Acked.read(acks).state
    assert state is not None and state["letdowns"], "no let-down was marked before the kill"
    state["letdowns"].append([99, 1.5])
    with acks.open("a") as f:
        f.write(json.dumps(state) + "\n")
    with pytest.raises(AssertionError, match="let-downs in the log"):
        check_after_kill(logged, before, acks)


@pytest.mark.parametrize("point", INSIDE)
def test_killed_inside_a_write(point, logged, tmp_path, faults):
    before = snapshot(logged)
    acks = tmp_path / "acks"
    proc = driver(logged, 7, acks, kill_at=INSIDE[point])
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the kill point was never reached: {err}"
    with faults.inject(f"SIGKILL while {point}") as fault:
        fault.checked(check_after_kill(logged, before, acks))


def test_killed_while_the_form_is_on_the_screen(logged, tmp_path, played, faults):
    rng = random.Random(3)
    for run in range(3):
        before = snapshot(logged)
        acks = tmp_path / f"form{run}.acks"
        proc = driver(logged, run, acks)
        ended = kill_when_shown(
            proc, acks, lambda a: bool(a.state and a.state["ended"]), rng.uniform(0, 0.4)
        )
        assert ended, "the session ended before it could be killed"
        with faults.inject("SIGKILL while the after-session form is open") as fault:
            fault.checked(check_after_kill(logged, before, acks))


def test_killed_at_random_moments_again_and_again(logged, tmp_path, played, faults):
    rng = random.Random(20261123)
    kills = 0
    for run in range(RANDOM_KILLS * 2):
        if kills == RANDOM_KILLS:
            break
        before = snapshot(logged)
        acks = tmp_path / f"{run}.acks"
        if kill_after(driver(logged, run, acks), rng.uniform(0.2, played)):
            kills += 1
            with faults.inject("SIGKILL at a random moment") as fault:
                fault.checked(check_after_kill(logged, before, acks))
        else:
            assert Acked.read(acks).done
    assert kills == RANDOM_KILLS
