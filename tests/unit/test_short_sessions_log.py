"""A session ended in its first minute, as the log keeps it: left out of the review
and of the schedule unless kept, changed afterwards with `edit_session`, and
marked in `calmflow log`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calmflow import cli
from calmflow.core.records import AfterSession
from calmflow.store.store import Store
from calmflow.system import paths
from tests.unit.cli_clock import Clock, clocked_cli


@pytest.fixture
def clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return clocked_cli(home, monkeypatch)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def _session(clock: Clock, status: str, played_s: float, routine: str = "standard") -> int:
    store = Store(paths.database_path(), clock=clock)
    sid = store.start_session(
        routine=routine, routine_path=None, routine_digest=None, planned_s=1200, output="null"
    )
    clock.now += timedelta(seconds=played_s)
    store.end_session(sid, status=status, played_s=played_s)
    store.close()
    clock.now += timedelta(hours=3)
    return sid


def _in_review(store: Store) -> list[int]:
    return [row.id for row in store.review_rows()]


def _in_schedule(store: Store, clock: Clock) -> list[str]:
    return [s.routine for s in store.started_since(clock.now - timedelta(days=1))]


def test_a_session_ended_in_its_first_minute_is_kept_in_the_log_only(home, clock):
    full = _session(clock, "completed", 1200, routine="standard")
    short = _session(clock, "finished_early", 20, routine="quick-letdown")
    minute = _session(clock, "finished_early", 75, routine="hands-on")
    store = Store(paths.database_path(), clock=clock)
    assert [r.id for r in store.sessions()] == [full, short, minute]
    assert [r.counts_in_review for r in store.sessions()] == [True, False, True]
    assert [r.in_review for r in store.sessions()] == [None, None, None]  # the rule decides
    assert _in_review(store) == [full, minute]
    assert _in_schedule(store, clock) == ["standard", "hands-on"]


def test_the_form_keeps_it_and_an_edit_flips_it_both_ways(home, clock):
    sid = _session(clock, "finished_early", 20)
    store = Store(paths.database_path(), clock=clock)
    store.save_form(sid, AfterSession(in_review=True))
    assert _in_review(store) == [sid]
    assert _in_schedule(store, clock) == ["standard"]

    store.edit_session(sid, in_review=False)
    assert _in_review(store) == []
    assert _in_schedule(store, clock) == []
    assert store.session(sid).in_review is False

    store.edit_session(sid, in_review=True)
    assert _in_review(store) == [sid]
    assert store.session(sid).in_review is True

    store.save_form(sid, AfterSession(comfort=3))  # a form that does not ask changes nothing
    assert _in_review(store) == [sid]


def test_an_edit_that_says_nothing_about_it_leaves_it_as_it_is(home, clock):
    sid = _session(clock, "finished_early", 20)
    store = Store(paths.database_path(), clock=clock)
    store.edit_session(sid, notes="tried the new flange")
    assert store.session(sid).counts_in_review is False
    store.edit_session(sid, in_review=True)
    store.edit_session(sid, in_review=None)  # back to the rule: ended in its first minute
    assert (store.session(sid).in_review, store.session(sid).counts_in_review) == (None, False)
    assert store.session(sid).notes == "tried the new flange"


def test_the_edit_can_wait_in_the_journal_as_the_other_writes_do(home, clock):
    sid = _session(clock, "finished_early", 20)
    store = Store(paths.database_path(), clock=clock)
    line = {"op": "edit_session", "args": {"session_id": sid, "in_review": True}}
    store.journal(json.dumps(line) + "\n")
    store.close()
    reopened = Store(paths.database_path(), clock=clock)  # replays the journal
    assert _in_review(reopened) == [sid]


def test_calmflow_log_marks_a_session_left_out_and_json_carries_it(home, clock):
    full = _session(clock, "completed", 1200)
    short = _session(clock, "finished_early", 20)
    done = _run("log")
    assert done.exit_code == 0, done.output
    lines = {int(line.split()[0]): line for line in done.output.splitlines()}
    assert lines[short].endswith("left out of the review")
    assert "finished_early" in lines[short]
    assert "left out" not in lines[full]

    shown = {s["id"]: s for s in json.loads(_run("log", "--json").output)}
    # Null: the rule decides (left out only when ended by the person in its first minute).
    assert (shown[full]["in_review"], shown[short]["in_review"]) == (None, None)

    Store(paths.database_path(), clock=clock).edit_session(short, in_review=True)
    assert "left out" not in _run("log").output
    assert json.loads(_run("log", "--json").output)[1]["in_review"] is True
