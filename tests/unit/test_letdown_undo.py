"""Taking back a let-down marked by mistake (`u`): the mark goes, and the rules go
on as if it had never been pressed, from the frame the undo can be heard.

Plans here run at 100 frames a second, so 1 s is 100 frames and 1 min 6000.
"""

from __future__ import annotations

from calmflow.core.session import (
    Event,
    LetdownMarked,
    LetdownUndone,
    PhaseStarted,
    RuleApplied,
    Session,
)
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

S = RATE


def _rules(events: list[Event]) -> list[tuple[int, str]]:
    return [(e.frame, e.rule) for e in events if isinstance(e, RuleApplied)]


def _undone(events: list[Event]) -> LetdownUndone:
    found = [e for e in events if isinstance(e, LetdownUndone)]
    assert len(found) == 1, events
    return found[0]


# --- the switch to expression, taken back ------------------------------------------------


def test_undo_after_the_switch_puts_stimulation_back_for_the_time_it_had_left():
    session = _started(_plan())
    _play(session, 1 * MIN)
    session.letdown()
    assert session.phase.name == "Expr"
    _play(session, 1 * MIN + 5 * S)

    events = session.undo_letdown()

    undone = _undone(events)
    assert (undone.frame, undone.number, undone.marked_frame) == (65 * S, 1, 1 * MIN)
    assert undone.back_to is not None and undone.back_to.name == "Stim"
    assert [(e.frame, e.phase.name) for e in events if isinstance(e, PhaseStarted)] == [
        (65 * S, "Stim")
    ]
    assert session.letdown_frames == []
    assert _segments(session) == [
        (STIM, 0, 1 * MIN, 0),
        (EXPR, 1 * MIN, 65 * S, 0),  # what was played stays as played
        (STIM, 65 * S, 125 * S, 1 * MIN),  # the minute of stimulation it had left
        (EXPR, 125 * S, 125 * S + 10 * MIN, 0),
        (HANDS, 125 * S + 10 * MIN, 125 * S + 13 * MIN, 0),
    ]
    assert session.phase.name == "Stim" and session.phase_frames_left() == 1 * MIN


def test_undo_is_heard_at_at_frame_with_sound_rendered_ahead():
    lead = 10
    session = _started(_plan(), lead_frames=lead)
    _play(session, 1 * MIN)
    session.letdown(at_frame=1 * MIN + lead)
    _play(session, 1 * MIN + 3 * S)
    at = 1 * MIN + 3 * S + lead

    events = session.undo_letdown(at_frame=at)

    assert not [e for e in events if isinstance(e, PhaseStarted)]  # not heard yet
    assert _segments(session)[:3] == [
        (STIM, 0, 1 * MIN + lead, 0),
        (EXPR, 1 * MIN + lead, at, 0),
        (STIM, at, at + 1 * MIN - lead, 1 * MIN + lead),
    ]
    assert session.phase.name == "Expr"
    assert [(e.frame, e.phase.name) for e in _play(session, at)] == [(at, "Stim")]


def test_undo_before_the_switch_is_heard_keeps_stimulation_as_it_was():
    # Undone while paused, before the expression phase it switched to has begun.
    lead = 10
    session = _started(_plan(), lead_frames=lead)
    _play(session, 1 * MIN)
    original = _segments(session)
    session.letdown(at_frame=1 * MIN + lead)
    session.undo_letdown(at_frame=1 * MIN + lead)
    # Stimulation plays on as one phase: no chime, no phase change, no rule told.
    assert _segments(session) == original
    assert session.phase.name == "Stim"
    events = _play(session, 3 * MIN)
    assert _rules(events) == []
    assert [(e.frame, e.phase.name) for e in events if isinstance(e, PhaseStarted)] == [
        (2 * MIN, "Expr")
    ]


def test_undo_after_a_letdown_during_restimulation_goes_back_to_the_block():
    session = _started(_plan())
    _play(session, 8 * MIN + 20 * S)
    assert session.phase.name == "Stimulation again"
    session.letdown()
    _play(session, 8 * MIN + 25 * S)

    undone = _undone(session.undo_letdown())

    assert undone.back_to is not None and undone.back_to.name == "Stimulation again"
    assert _segments(session)[2:] == [
        (RESTIM, 8 * MIN, 8 * MIN + 20 * S, 0),
        (EXPR, 8 * MIN + 20 * S, 8 * MIN + 25 * S, 6 * MIN),
        (RESTIM, 8 * MIN + 25 * S, 9 * MIN + 35 * S, 20 * S),  # its 70 s still to come
        (EXPR, 9 * MIN + 35 * S, 13 * MIN + 35 * S, 6 * MIN),
        (HANDS, 13 * MIN + 35 * S, 16 * MIN + 35 * S, 0),
    ]


def test_after_n_since_the_mark_only_the_mark_is_removed():
    session = _started(_plan())
    _play(session, 1 * MIN)
    session.letdown()
    _play(session, 1 * MIN + 2 * S)
    session.next_phase()  # on to hands-on: the person changed course herself
    course = _segments(session)

    undone = _undone(session.undo_letdown())

    assert undone.back_to is None
    assert _segments(session) == course
    assert session.letdown_frames == []


def test_once_past_the_phase_it_switched_to_only_the_mark_is_removed():
    session = _started(_plan(expression="5s"))
    _play(session, 1 * MIN)
    session.letdown()
    _play(session, 1 * MIN + 8 * S)
    assert session.phase.name == "Hands"
    course = _segments(session)
    assert _undone(session.undo_letdown()).back_to is None
    assert _segments(session) == course


def test_on_letdown_stay_the_undo_changes_no_course():
    session = _started(_plan({"on_letdown": "stay"}))
    _play(session, 1 * MIN)
    session.letdown()
    course = _segments(session)
    _play(session, 1 * MIN + 5 * S)
    events = session.undo_letdown()
    assert _undone(events).back_to is None
    assert _segments(session) == course


# --- the restimulation timer -------------------------------------------------------------


def test_undo_in_expression_lets_restimulation_count_from_before_the_mark():
    session = _started(_plan())
    _play(session, 5 * MIN)
    session.letdown()  # would push restimulation from 8:00 to 11:00
    _play(session, 5 * MIN + 5 * S)
    session.undo_letdown()
    events = _play(session, 20 * MIN)
    assert _rules(events) == [(8 * MIN, "restimulate")]


def test_undo_after_the_quiet_time_has_run_out_restimulates_now():
    session = _started(_plan())
    _play(session, 7 * MIN + 55 * S)
    session.letdown()
    _play(session, 8 * MIN + 3 * S)
    assert session.phase.name == "Expr"
    events = session.undo_letdown()
    # 6 min since the start of expression at 2:00 have passed: stimulation at once.
    assert _rules(events) == [(8 * MIN + 3 * S, "restimulate")]
    assert session.phase.name == "Stimulation again"


def test_undo_brings_back_a_restimulation_the_mark_had_cancelled():
    lead = 10
    session = _started(_plan(), lead_frames=lead)
    _play(session, 8 * MIN - 40)
    assert _segments(session)[2][:2] == (RESTIM, 8 * MIN)  # placed a moment ahead
    session.letdown(at_frame=session.now_frame + lead)
    assert [s[0] for s in _segments(session)] == [STIM, EXPR, HANDS]
    _play(session, 8 * MIN + 2 * S)

    events = session.undo_letdown(at_frame=session.now_frame + lead)

    at = 8 * MIN + 2 * S + lead
    assert _segments(session)[2][:3] == (RESTIM, at, at + 90 * S)
    assert _rules(events) == []  # told when it is heard
    assert _rules(_play(session, at)) == [(at, "restimulate")]


def test_a_later_letdown_again_counts_the_quiet_time_from_itself():
    session = _started(_plan())
    _play(session, 3 * MIN)
    session.letdown()
    session.undo_letdown()
    _play(session, 4 * MIN)
    session.letdown()
    events = _play(session, 20 * MIN)
    assert _rules(events) == [(10 * MIN, "restimulate")]


# --- once, and only the latest --------------------------------------------------------


def test_only_the_latest_mark_can_be_undone_and_only_once():
    session = _started(_plan())
    _play(session, 3 * MIN)
    session.letdown()
    _play(session, 4 * MIN)
    session.letdown()
    assert session.can_undo_letdown
    assert _undone(session.undo_letdown()).number == 2
    assert not session.can_undo_letdown
    assert session.undo_letdown() == []
    assert session.letdown_frames == [3 * MIN]
    # The next let-down takes the number the removed one had.
    _play(session, 5 * MIN)
    marked = [e for e in session.letdown() if isinstance(e, LetdownMarked)]
    assert marked[0].number == 2
    assert session.letdown_frames == [3 * MIN, 5 * MIN]


def test_nothing_to_undo_before_a_mark_before_the_start_or_after_the_end():
    session = Session(_plan())
    assert session.undo_letdown() == []
    session.start()
    assert not session.can_undo_letdown
    assert session.undo_letdown() == []
    _play(session, 1 * MIN)
    session.letdown()
    session.finish()
    assert not session.can_undo_letdown
    assert session.undo_letdown() == []
    assert session.letdown_frames == [1 * MIN]
