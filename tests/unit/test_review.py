"""The review: what a person's own sessions say about each routine.

Kaplan–Meier by hand, for reading the examples below: sort the times; at each
time t with d let-downs among the n sessions still "at risk" (no let-down yet
and not yet ended), S(t) = S(before) * (1 - d / n). A session that ended with
no let-down leaves the risk set at its length (censored) without lowering S.
At a tie, let-downs come first: a session that ended at t without one was still
at risk at t. The median is the first t with S(t) <= 0.5; if S never gets
there, it is "not reached" (None).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calmflow.core.records import LetdownRecord, SessionRecord
from calmflow.core.review import Figures, summarize
from calmflow.core.survival import KaplanMeier

START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def _session(
    letdowns: tuple[float, ...] = (),
    *,
    routine: str = "standard",
    played_s: float = 1200.0,
    status: str = "completed",
    id: int = 1,
) -> SessionRecord:
    return SessionRecord(
        id=id,
        routine=routine,
        started_at=START,
        ended_at=None if status == "running" else START + timedelta(seconds=played_s),
        status=status,
        planned_s=1200.0,
        played_s=played_s,
        output="null",
        letdowns=tuple(
            LetdownRecord(
                number=i + 1,
                t_s=t,
                phase="Expression",
                phase_kind="expression",
                cues=(),
                marked_at=START + timedelta(seconds=t),
            )
            for i, t in enumerate(letdowns)
        ),
    )


def _only(records: list[SessionRecord]) -> Figures:
    [summary] = summarize(records)
    return summary


def test_median_without_censoring_is_the_ordinary_median():
    # 60, 120, 180, 240, 300, all let-downs, n = 5:
    # S(60) = 4/5 = 0.8, S(120) = 0.8 * 3/4 = 0.6, S(180) = 0.6 * 2/3 = 0.4 -> 180.
    records = [_session((t,), id=i) for i, t in enumerate([240, 60, 300, 180, 120])]
    assert _only(records).median_first_letdown_s == 180.0


def test_sessions_without_a_letdown_are_censored_at_their_length():
    # Let-downs at 60, 90 and 300 s; two sessions stopped at 120 s without one.
    #   t=60:  n=5, d=1 -> S = 4/5          = 0.8
    #   t=90:  n=4, d=1 -> S = 0.8 * 3/4    = 0.6
    #   t=120: two censored, S stays 0.6, n drops from 3 to 1
    #   t=300: n=1, d=1 -> S = 0.6 * 0/1    = 0   -> median 300.
    # Dropping the censored ones would say 90; counting them as let-downs
    # at 120 would say 120. Both flatter the routine.
    records = [
        _session((60,), id=1),
        _session((90, 400), id=2),
        _session((), played_s=120, status="finished_early", id=3),
        _session((), played_s=120, status="finished_early", id=4),
        _session((300,), id=5),
    ]
    summary = _only(records)
    assert summary.median_first_letdown_s == 300.0
    assert (summary.sessions, summary.with_letdown) == (5, 3)


def test_tied_letdown_times():
    # Let-downs at 100, 100, 200, 400; one session ended at 300 s without one.
    #   t=100: n=5, d=2 -> S = 3/5        = 0.6
    #   t=200: n=3, d=1 -> S = 0.6 * 2/3  = 0.4 -> median 200.
    records = [
        _session((100,), id=1),
        _session((100,), id=2),
        _session((200,), id=3),
        _session((400,), id=4),
        _session((), played_s=300, id=5),
    ]
    assert _only(records).median_first_letdown_s == 200.0


def test_letdown_and_censoring_at_the_same_time():
    # A let-down at 100 s, a session that ended at 100 s without one, a
    # let-down at 200 s. The ended one was still at risk at 100 s:
    #   t=100: n=3, d=1 -> S = 2/3 (> 0.5)
    #   t=200: n=1, d=1 -> S = 0          -> median 200.
    # (Removing the censored session first would give S(100) = 1/2 -> 100.)
    records = [
        _session((100,), id=1),
        _session((), played_s=100, status="finished_early", id=2),
        _session((200,), id=3),
    ]
    assert _only(records).median_first_letdown_s == 200.0


def test_median_not_reached_when_fewer_than_half_had_a_letdown():
    # Let-downs at 100 and 200 s in 2 of 5 sessions; 3 went the full 1200 s.
    #   t=100: S = 4/5 = 0.8;  t=200: S = 0.8 * 3/4 = 0.6; then only censoring.
    # S never reaches 0.5: not reached, not 200 and not 1200.
    records = [
        _session((100,), id=1),
        _session((200,), id=2),
        _session((), id=3),
        _session((), id=4),
        _session((), id=5),
    ]
    summary = _only(records)
    assert summary.median_first_letdown_s is None
    assert summary.share_with_letdown == pytest.approx(0.4)


def test_no_letdown_at_all():
    summary = _only([_session((), id=1), _session((), played_s=600, id=2)])
    assert summary.median_first_letdown_s is None
    assert (summary.with_letdown, summary.share_with_letdown, summary.mean_letdowns) == (
        0,
        0.0,
        0.0,
    )


def test_median_from_the_curve_directly():
    # Same as the censoring example above, in any order.
    assert KaplanMeier.fit([300.0, 60.0, 90.0], [120.0, 120.0]).median() == 300.0
    assert KaplanMeier.fit([], []).median() is None
    assert KaplanMeier.fit([], [50.0]).median() is None


def test_first_letdown_is_the_earliest_one():
    record = _session((300, 45, 120))
    assert record.first_letdown_s == 45
    assert _only([record]).median_first_letdown_s == 45.0


def test_share_and_mean_letdowns_count_sessions_without_any():
    # 3 + 1 + 0 + 0 let-downs in 4 sessions: 1.0 per session; 2 of 4 had one.
    records = [
        _session((100, 400, 700), id=1),
        _session((150,), id=2),
        _session((), id=3),
        _session((), played_s=300, status="finished_early", id=4),
    ]
    summary = _only(records)
    assert summary.sessions == 4
    assert summary.with_letdown == 2
    assert summary.share_with_letdown == 0.5
    assert summary.mean_letdowns == 1.0


def test_running_sessions_are_left_out():
    records = [
        _session((100,), id=1),
        _session((200,), id=2),
        _session((), id=3),
        # Still playing: its one early let-down must not count yet, and it is
        # not a session without a let-down either.
        _session((10,), status="running", played_s=30, id=4),
        _session((), status="running", played_s=30, id=5),
    ]
    summary = _only(records)
    assert summary.sessions == 3
    assert summary.with_letdown == 2
    # t=100: S = 2/3; t=200: S = 2/3 * 1/2 = 1/3 -> 200.
    assert summary.median_first_letdown_s == 200.0
    assert summary.mean_letdowns == pytest.approx(2 / 3)


def test_only_running_sessions_give_no_summary():
    assert summarize([_session((10,), status="running")]) == []


def test_routines_are_kept_apart_and_sorted_by_name():
    records = [
        _session((60,), routine="standard", id=1),
        _session((300,), routine="mine", id=2),
        _session((90,), routine="standard", id=3),
        _session((), routine="mine", id=4),
        _session((120,), routine="standard", id=5),
        _session((), routine="mine", id=6),
    ]
    mine, standard = summarize(records)
    assert (mine.label, mine.sessions, mine.with_letdown) == ("mine", 3, 1)
    # mine: S(300) = 2/3, then censored at 1200 -> not reached.
    assert mine.median_first_letdown_s is None
    assert (standard.label, standard.sessions, standard.with_letdown) == ("standard", 3, 3)
    # standard: 60, 90, 120 -> S = 2/3, 1/3 -> 90.
    assert standard.median_first_letdown_s == 90.0
    assert standard.share_with_letdown == 1.0


def test_summary_as_json_ready_dict():
    records = [_session((t,), id=i) for i, t in enumerate([100, 200, 300])]
    records += [_session((), id=3), _session((), id=4)]
    out = _only(records).as_dict()
    assert sum(out.pop("time_of_day").values()) == 5  # by the local clock: tested apart
    assert out == {
        "label": "standard",
        "sessions": 5,
        "with_letdown": 3,
        "share_with_letdown": 0.6,
        # Wilson, p = 0.6, n = 5, z² = 3.8415: centre (0.6 + 0.3841) / 1.7683 = 0.5566,
        # half 1.96 · √(0.048 + 0.0384) / 1.7683 = 0.3258.
        "share_interval": pytest.approx((0.2307, 0.8824), abs=1e-4),
        "timed_sessions": 5,
        # S = 0.8, 0.6, 0.4 at 100, 200, 300 -> 300.
        "median_first_letdown_s": 300.0,
        # The log-log band's lower edge is at 0.20 already at 100 s; its upper edge
        # stays at 0.75 after 300 s (only censoring follows): not reached.
        "median_interval": (100.0, None),
        "mean_letdowns": 0.6,
        "volume_sessions": 0,
        "mean_volume_ml": None,
        "counted_sessions": 5,
        "timed_with_letdown": 3,
    }
