"""Counts that do not mislead: a number of let-downs not given is unknown, not
zero; a session ended in its first minute is left out unless kept; `review
--json` keeps every field it shipped with, with the same meaning."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from calmflow.cli import main
from calmflow.core.records import SessionRecord
from calmflow.core.review import review
from calmflow.core.values import MANUAL
from calmflow.store.store import Store
from tests.conftest import ROOT
from tests.store.log import start
from tests.unit.review_records import session

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

SHIPPED_FIGURES = {
    "label",
    "sessions",
    "with_letdown",
    "share_with_letdown",
    "share_interval",
    "timed_sessions",
    "median_first_letdown_s",
    "median_interval",
    "mean_letdowns",
    "volume_sessions",
    "mean_volume_ml",
    "time_of_day",
}
SHIPPED_COMPARISON = {"subject", "first", "second", "logrank_p", "enough", "sentence"}
SHIPPED_REVIEW = {
    "filters",
    "sessions",
    "overall",
    "routines",
    "cues",
    "comparisons",
    "typical_letdown_s",
    "typical_of",
    "weekly",
    "daily_volume",
}


def _manual(id: int, count: int | None) -> SessionRecord:
    at = START + timedelta(hours=id)
    return SessionRecord(
        id=id,
        routine=MANUAL,
        started_at=at,
        ended_at=at + timedelta(minutes=20),
        status="completed",
        planned_s=1200.0,
        played_s=1200.0,
        output=MANUAL,
        volume_total_ml=100.0,
        counted_letdowns=count,
    )


def test_a_session_logged_without_a_count_is_unknown_not_no_letdown():
    records = [_manual(1, 2), _manual(2, 0), _manual(3, None), _manual(4, None)]
    (manual,) = review(records).routines
    assert (manual.sessions, manual.counted_sessions) == (4, 2)
    assert manual.share_with_letdown == 0.5  # 1 of the 2 counted, not 1 of 4
    assert manual.mean_letdowns == 1.0
    assert manual.mean_volume_ml == 100.0  # volumes still count, all four
    assert records[2].letdown_count is None


def test_a_session_ended_in_its_first_minute_is_left_out_unless_kept(tmp_path: Path):
    store = Store(tmp_path / "log.sqlite3")
    ids = []
    for played, status in (
        (12.0, "finished_early"),
        (59.0, "finished_early"),
        (61.0, "finished_early"),
        (20.0, "completed"),
        (15.0, "interrupted"),
    ):
        sid = start(store)
        store.end_session(sid, status=status, played_s=played)
        ids.append(sid)
    in_review = {r.id for r in store.review_rows()}
    # Ended by the person within a minute: left out. A session that ran its course
    # (a routine that short) or was cut off by a crash is not a false start.
    assert in_review == {ids[2], ids[3], ids[4]}
    assert {s.counts_in_review for s in store.sessions()} == {True, False}  # all kept in the log
    assert len(store.sessions()) == 5
    from calmflow.core.records import AfterSession

    store.save_form(ids[0], AfterSession(in_review=True))  # "keep it in my review"
    assert ids[0] in {r.id for r in store.review_rows()}
    store.close()


def test_review_json_keeps_every_field_it_shipped_with(home):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from review_speed import make_database  # cues, arms in turn, an experiment drawn

    home.mkdir(mode=0o700)
    make_database(home / "calmflow.sqlite3", 400)
    result = CliRunner().invoke(main, ["review", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data.keys() >= SHIPPED_REVIEW
    assert data["overall"].keys() >= SHIPPED_FIGURES
    for figures in data["routines"] + data["cues"]:
        assert figures.keys() >= SHIPPED_FIGURES
    assert data["comparisons"], "the sample log has something to compare"
    for c in data["comparisons"]:
        assert c.keys() >= SHIPPED_COMPARISON
        assert c["first"].keys() >= SHIPPED_FIGURES and c["second"].keys() >= SHIPPED_FIGURES
        # logrank_p stays the log-rank p-value; the adjusted one is beside it.
        if c["logrank_p"] is not None:
            assert c["adjusted_p"] >= c["logrank_p"]
    (drawn,) = data["experiments"]
    assert drawn["state"] == "answered" and drawn["answer"]["method"] == "exact (256 allocations)"


def test_a_half_exactly_is_a_half():
    # 400 sessions, the 200th let-down at 165 s: S(165) = 200/400 exactly. A running
    # float product lands a hair above one half and moved the median to 168 s.
    times = [60.0 + i * 0.5 for i in range(199)] + [165.0] + [168.0 + i for i in range(200)]
    result = review([session(t, id=i, played_s=1200.0) for i, t in enumerate(times)])
    assert result.overall.median_first_letdown_s == 165.0


def test_a_direction_is_said_only_when_the_medians_agree_with_the_test():
    # With the bell: many let-downs early, but nearly half with none at all; without
    # it: every session has one, a little later. The medians say "sooner", the
    # log-rank test "later": no direction is stated.
    bell = (("bell", 0.0),)
    records = [session(100.0 + i % 7, id=i, cues=bell) for i in range(33)]
    records += [session(None, id=100 + i, cues=bell) for i in range(27)]
    records += [session(150.0 + i % 9, id=200 + i) for i in range(60)]
    (c,) = review(records).comparisons
    assert c.logrank_p is not None and c.logrank_p < 0.05
    assert c.logrank_z is not None and c.logrank_z < 0  # fewer let-downs than expected
    assert (c.first.median_first_letdown_s or 0) < (c.second.median_first_letdown_s or 0)
    assert c.direction is None
    assert c.sentence.startswith(
        "With bell: let-down times differ, but not simply sooner or later: median 1 m 46 s"
        " vs 2 m 34 s without it, 60 vs 60 sessions."
    )


def test_only_the_latest_trial_of_a_routine_reports_progress(tmp_path: Path):
    import yaml

    from calmflow.core.routine import Routine
    from calmflow.services.experiments import arm_for, experiment_reports

    store = Store(tmp_path / "log.sqlite3")

    def routine(seconds: int) -> Routine:
        return Routine.model_validate(
            yaml.safe_load(
                "name: mine\ncues: {a: {text: A}, b: {text: B}}\n"
                "experiment: {slot: calm, arms: [a, b]}\n"
                f"phases: [{{name: S, kind: prep, duration: {seconds}, cues: [calm]}}]\n"
            )
        )

    for seconds in (120, 180, 240):  # the phases changed twice: three trials
        assert arm_for(store, routine(seconds)) is not None
    (said,) = experiment_reports(store)
    assert said.sentence.startswith("Experiment in mine (a or b): block 1 of 16;")
    store.close()
