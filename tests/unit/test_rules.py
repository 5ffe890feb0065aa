"""The routine's rules as a person lives them: restimulation, flow stopped, the
session cap and `on_letdown`, checked frame by frame.

Plans here run at 100 frames a second, so 1 s is 100 frames and 1 min 6000.
"""

from __future__ import annotations

from calmflow.core.session import Event, PhaseStarted, RuleApplied, SessionEnded
from calmflow.core.timeline import Segment
from tests.unit.session_driving import (
    EXPR,
    HANDS,
    MIN,
    RATE,
    RESTIM,
    STIM,
)
from tests.unit.session_driving import plan_of as _plan
from tests.unit.session_driving import play as _play
from tests.unit.session_driving import segments as _segments
from tests.unit.session_driving import started as _started


def _rules(events: list[Event]) -> list[tuple[int, str, str]]:
    return [(e.frame, e.rule, e.message) for e in events if isinstance(e, RuleApplied)]


# --- restimulation ---------------------------------------------------------------------


def test_restimulation_block_comes_after_6_min_without_a_letdown_then_expression_resumes():
    plan = _plan()
    assert plan.phases[RESTIM].name == "Stimulation again"
    assert plan.phases[RESTIM].duration_frames == 90 * RATE
    assert plan.duration_frames == 15 * MIN  # as planned: the rule only adds when it acts
    session = _started(plan)
    events = _play(session, 20 * MIN)
    assert _segments(session) == [
        (STIM, 0, 2 * MIN, 0),
        (EXPR, 2 * MIN, 8 * MIN, 0),
        (RESTIM, 8 * MIN, 9 * MIN + 30 * RATE, 0),
        # the 4 min of expression still to come, then hands-on 90 s later than planned
        (EXPR, 9 * MIN + 30 * RATE, 13 * MIN + 30 * RATE, 6 * MIN),
        (HANDS, 13 * MIN + 30 * RATE, 16 * MIN + 30 * RATE, 0),
    ]
    assert _rules(events) == [
        (8 * MIN, "restimulate", "no let-down for 6 minutes: back to stimulation for 90 s")
    ]
    started = [(e.frame, e.phase.name) for e in events if isinstance(e, PhaseStarted)]
    assert started == [
        (2 * MIN, "Expr"),
        (8 * MIN, "Stimulation again"),
        (9 * MIN + 30 * RATE, "Expr"),
        (13 * MIN + 30 * RATE, "Hands"),
    ]
    assert events[-1] == SessionEnded(16 * MIN + 30 * RATE, "completed")


def test_offline_advance_to_the_end_in_one_call_places_the_restimulation_exactly():
    live = _started(_plan())
    _play(live, 20 * MIN)
    offline = _started(_plan())
    events = offline.advance_to(20 * MIN)
    assert _segments(offline) == _segments(live)
    assert _rules(events)[0][0] == 8 * MIN
    assert offline.ended == "completed"


def test_restimulation_comes_again_after_each_further_6_quiet_minutes():
    session = _started(_plan(expression="20m"))
    session.advance_to(60 * MIN)
    block = 90 * RATE
    assert _segments(session) == [
        (STIM, 0, 2 * MIN, 0),
        (EXPR, 2 * MIN, 8 * MIN, 0),
        (RESTIM, 8 * MIN, 8 * MIN + block, 0),
        (EXPR, 8 * MIN + block, 14 * MIN + block, 6 * MIN),
        (RESTIM, 14 * MIN + block, 14 * MIN + 2 * block, 0),
        (EXPR, 14 * MIN + 2 * block, 20 * MIN + 2 * block, 12 * MIN),
        (RESTIM, 20 * MIN + 2 * block, 20 * MIN + 3 * block, 0),
        (EXPR, 20 * MIN + 3 * block, 22 * MIN + 3 * block, 18 * MIN),
        (HANDS, 22 * MIN + 3 * block, 25 * MIN + 3 * block, 0),
    ]


def test_a_letdown_in_expression_restarts_the_quiet_time():
    session = _started(_plan())
    _play(session, 5 * MIN)
    session.letdown()
    events = _play(session, 20 * MIN)
    # 6 min after the let-down at 5:00 is 11:00
    assert _rules(events)[0][0] == 11 * MIN
    assert _segments(session)[1:4] == [
        (EXPR, 2 * MIN, 11 * MIN, 0),
        (RESTIM, 11 * MIN, 12 * MIN + 30 * RATE, 0),
        (EXPR, 12 * MIN + 30 * RATE, 13 * MIN + 30 * RATE, 9 * MIN),
    ]


def test_no_restimulation_when_the_quiet_time_outlasts_the_expression_phase():
    session = _started(_plan())
    _play(session, 7 * MIN)
    session.letdown()  # 6 min later would be 13:00, after expression ends at 12:00
    events = _play(session, 20 * MIN)
    assert _rules(events) == []
    assert [s[0] for s in _segments(session)] == [STIM, EXPR, HANDS]


def test_a_letdown_during_restimulation_goes_back_to_expression_at_once():
    session = _started(_plan())
    _play(session, 8 * MIN + 20 * RATE)
    assert session.phase.name == "Stimulation again"
    events = session.letdown()
    assert _rules(events) == [
        (8 * MIN + 20 * RATE, "letdown_to_expression", "let-down marked: switch to expression mode")
    ]
    assert session.phase.name == "Expr"
    assert _segments(session)[2:] == [
        (RESTIM, 8 * MIN, 8 * MIN + 20 * RATE, 0),
        (EXPR, 8 * MIN + 20 * RATE, 12 * MIN + 20 * RATE, 6 * MIN),
        (HANDS, 12 * MIN + 20 * RATE, 15 * MIN + 20 * RATE, 0),
    ]


def test_no_restimulation_once_the_flow_has_stopped():
    session = _started(_plan({"after_flow_stops": "10m"}))
    _play(session, 3 * MIN)
    session.flow_stopped()
    events = _play(session, 20 * MIN)
    assert _rules(events) == []
    assert _segments(session) == [
        (STIM, 0, 2 * MIN, 0),
        (EXPR, 2 * MIN, 12 * MIN, 0),
        (HANDS, 12 * MIN, 13 * MIN, 0),
    ]


def test_the_session_cap_cuts_what_restimulation_pushed_later():
    session = _started(_plan({"max_duration": "15m"}))
    events = session.advance_to(60 * MIN)
    assert _segments(session)[-2:] == [
        (EXPR, 9 * MIN + 30 * RATE, 13 * MIN + 30 * RATE, 6 * MIN),
        (HANDS, 13 * MIN + 30 * RATE, 15 * MIN, 0),
    ]
    assert events[-1] == SessionEnded(15 * MIN, "completed")


def test_with_sound_rendered_ahead_restimulation_is_placed_on_time_when_seen_early():
    lead = 5 * RATE
    session = _started(_plan(), lead_frames=lead)
    events = _play(session, 10 * MIN)
    assert _rules(events)[0][0] == 8 * MIN
    assert _segments(session)[2][:3] == (RESTIM, 8 * MIN, 9 * MIN + 30 * RATE)


def test_with_sound_rendered_ahead_a_late_look_places_it_no_earlier_than_now_plus_lead():
    lead = 5 * RATE
    session = _started(_plan(), lead_frames=lead)
    _play(session, 7 * MIN)
    # The driver stalled: the next frames played are 10 s past the due time.
    events = session.advance_to(8 * MIN + 10 * RATE)
    at = 8 * MIN + 15 * RATE
    assert _segments(session)[1:4] == [
        (EXPR, 2 * MIN, at, 0),
        (RESTIM, at, at + 90 * RATE, 0),
        (EXPR, at + 90 * RATE, 13 * MIN + 30 * RATE, at - 2 * MIN),
    ]
    assert session.phase.name == "Expr"  # still: the block starts when it can be heard
    assert _rules(events) == []  # and is told then
    assert _rules(session.advance_to(at)) == [
        (at, "restimulate", "no let-down for 6 minutes: back to stimulation for 90 s")
    ]


# --- flow stopped, cap, on_letdown -----------------------------------------------------


def test_flow_stopped_finishes_after_the_countdown():
    session = _started(_plan({"after_flow_stops": "2m"}))
    _play(session, 5 * MIN)
    events = session.flow_stopped()
    assert _rules(events) == [(5 * MIN, "flow_stopped", "flow stopped: finishing in 2 min")]
    assert session.end_frame == 7 * MIN
    events = _play(session, 20 * MIN)
    assert events[-1] == SessionEnded(7 * MIN, "completed")


def test_flow_stopped_with_a_countdown_under_a_minute_says_seconds():
    session = _started(_plan({"after_flow_stops": "30s"}))
    _play(session, 5 * MIN)
    events = session.flow_stopped()
    assert _rules(events) == [(5 * MIN, "flow_stopped", "flow stopped: finishing in 30 s")]
    assert session.end_frame == 5 * MIN + 30 * RATE


def test_flow_stopped_with_no_countdown_ends_the_session_there():
    session = _started(_plan({"after_flow_stops": 0}))
    _play(session, 5 * MIN)
    events = session.flow_stopped()
    assert _rules(events) == [(5 * MIN, "flow_stopped", "flow stopped: finishing")]
    assert events[-1] == SessionEnded(5 * MIN, "completed")
    assert session.ended == "completed"
    assert session.flow_stopped() == []


def test_flow_stopped_counts_down_no_further_than_the_session_cap():
    session = _started(_plan({"after_flow_stops": "10m", "max_duration": "12m"}))
    _play(session, 5 * MIN)
    session.flow_stopped()
    assert session.end_frame == 12 * MIN


def test_max_duration_cuts_the_planned_routine():
    plan = _plan({"max_duration": "10m"})
    assert plan.duration_frames == 10 * MIN
    session = _started(plan)
    assert _segments(session) == [(STIM, 0, 2 * MIN, 0), (EXPR, 2 * MIN, 10 * MIN, 0)]


def test_on_letdown_stay_keeps_to_the_clock():
    session = _started(_plan({"on_letdown": "stay"}))
    _play(session, 1 * MIN)
    events = session.letdown()
    assert _rules(events) == []
    assert session.phase.name == "Stim"
    assert session.timeline.segments[0] == Segment(STIM, 0, 2 * MIN)


def test_on_letdown_expression_moves_on_from_stimulation():
    session = _started(_plan({"on_letdown": "expression"}))
    _play(session, 1 * MIN)
    session.letdown()
    assert session.phase.name == "Expr"
    assert _segments(session)[:2] == [(STIM, 0, 1 * MIN, 0), (EXPR, 1 * MIN, 11 * MIN, 0)]


def test_a_letdown_just_before_a_restimulation_placed_ahead_cancels_it():
    session = _started(_plan(), lead_frames=10)
    _play(session, 8 * MIN - 40)
    assert _segments(session)[2][:2] == (RESTIM, 8 * MIN)  # placed a moment ahead
    session.letdown()
    events = _play(session, 20 * MIN)
    assert _rules(events) == []  # 6 min after the let-down is past the phase's end
    assert _segments(session) == [
        (STIM, 0, 2 * MIN, 0),
        (EXPR, 2 * MIN, 12 * MIN, 0),
        (HANDS, 12 * MIN, 15 * MIN, 0),
    ]
