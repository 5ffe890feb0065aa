"""Plans in frames, and the Session's rules as a person feels them."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmflow.core.plan import BreathPlan, BreathPosition, compile_plan
from calmflow.core.routine import Routine
from calmflow.core.routine_loading import load_routine
from calmflow.core.session import (
    LetdownMarked,
    PhaseStarted,
    Session,
    SessionEnded,
)
from calmflow.core.timeline import CueSpan, Segment, Timeline
from calmflow.core.yamlsource import SourceError

RATE = 48_000
PHASE = 3 * RATE
"""Each phase of the short routine lasts 3 s."""


@pytest.fixture
def short_plan(short_routine: Path):
    return compile_plan(load_routine(short_routine).routine, RATE)


@pytest.fixture
def standard_plan(standard_routine: Path):
    return compile_plan(load_routine(standard_routine).routine, RATE)


def _started(plan) -> Session:
    session = Session(plan)
    session.start()
    return session


def _names(events) -> list[tuple[str, int, str | None]]:
    """Events as (type, frame, phase name or end reason), to compare at a glance."""
    out = []
    for e in events:
        if isinstance(e, PhaseStarted | LetdownMarked):
            out.append((type(e).__name__, e.frame, e.phase.name))
        elif isinstance(e, SessionEnded):
            out.append(("SessionEnded", e.frame, e.reason))
        else:
            out.append((type(e).__name__, e.frame, e.rule))
    return out


def _before(timeline: Timeline, frame: int) -> list[Segment]:
    """What the timeline plays before `frame`: the part a cut must never change."""
    return [
        Segment(s.phase, s.start_frame, min(s.end_frame, frame))
        for s in timeline.segments
        if s.start_frame < frame and s.end_frame > s.start_frame
    ]


def _routine(phases: list[dict], cues: dict | None = None) -> Routine:
    return Routine.model_validate({"name": "t", "cues": cues or {}, "phases": phases})


# --- the plan ------------------------------------------------------------------------


def test_standard_plan_in_frames_at_48000(standard_plan):
    plan = standard_plan
    assert plan.rate == 48_000
    assert [(p.kind, p.duration_frames) for p in plan.phases] == [
        ("prep", 5_760_000),
        ("stimulation", 5_760_000),
        ("expression", 37_440_000),
        ("hands_on", 8_640_000),
        ("stimulation", 4_320_000),  # placed only by the restimulation rule
    ]
    assert list(plan.sequence) == [0, 1, 2, 3]
    assert plan.rules.restimulation_phase == 4
    assert plan.duration_frames == 57_600_000
    assert plan.seconds(plan.duration_frames) == 1200.0
    assert all(p.breath == BreathPlan(192_000, 0, 288_000, 0) for p in plan.phases)
    assert [p.pump_mode for p in plan.phases] == [
        "off",
        "stimulation",
        "expression",
        "expression",
        "stimulation",
    ]
    assert plan.phases[1].pump_hint == "stimulation mode: fast, light suction"
    assert plan.phases[0].cues == ("waves", "picture", "warmth", "water")


@pytest.mark.parametrize("rate", [44_100, 22_050, 8_000])
def test_plan_frames_at_other_rates(short_routine, rate):
    plan = compile_plan(load_routine(short_routine).routine, rate)
    assert plan.rate == rate
    assert [p.duration_frames for p in plan.phases] == [3 * rate] * 3
    assert plan.duration_frames == 9 * rate
    assert plan.phases[0].breath == BreathPlan(rate, 0, 2 * rate, 0)
    assert plan.seconds(plan.duration_frames) == 9.0


def test_half_second_breath_steps_are_whole_frames_at_22050():
    routine = Routine.model_validate(
        {
            "name": "t",
            "breathing": {"inhale_s": 4.5, "exhale_s": 6.5, "hold_out_s": 0.5},
            "phases": [{"name": "a", "kind": "prep", "duration": "1m30s"}],
        }
    )
    plan = compile_plan(routine, 22_050)
    assert plan.phases[0].duration_frames == 90 * 22_050
    assert plan.phases[0].breath == BreathPlan(99_225, 0, 143_325, 11_025)
    assert plan.phases[0].breath.cycle_frames == round(11.5 * 22_050)


def test_plan_cues_carry_what_the_engine_and_screen_need(standard_plan):
    waves = standard_plan.cue("waves")
    assert (waves.kind, waves.volume, waves.loop) == ("sound", pytest.approx(0.631, abs=1e-3), True)
    assert waves.role == "ambience"  # a looping sound: matched to the ambience's loudness
    assert Path(waves.file).is_absolute() and Path(waves.file).name == "waves.ogg"
    water = standard_plan.cue("water")
    assert (water.kind, water.file, water.text) == ("text", None, "A glass of water within reach.")
    with pytest.raises(KeyError):
        standard_plan.cue("nothing")


def test_plan_is_picklable_for_the_audio_process(standard_plan):
    import pickle

    assert pickle.loads(pickle.dumps(standard_plan)) == standard_plan


# --- breathing position -----------------------------------------------------------


def test_breath_position_through_a_cycle_with_holds():
    # 4 in, 1 hold, 6 out, 2 hold, at 10 frames a second: 40 + 10 + 60 + 20 = 130 frames.
    breath = BreathPlan.from_breathing(
        Routine.model_validate(
            {
                "name": "t",
                "breathing": {"inhale_s": 4, "hold_in_s": 1, "exhale_s": 6, "hold_out_s": 2},
                "phases": [{"name": "a", "kind": "prep", "duration": 60}],
            }
        ).breathing,
        10,
    )
    assert breath == BreathPlan(40, 10, 60, 20)
    assert breath.cycle_frames == 130
    assert breath.position(0) == BreathPosition("in", 0.0, 40, 0.0)
    assert breath.position(20) == BreathPosition("in", 0.5, 20, 0.5)
    # Holding after the inhale: full lungs.
    assert breath.position(45) == BreathPosition("hold", 0.5, 5, 1.0)
    assert breath.position(50) == BreathPosition("out", 0.0, 60, 1.0)
    assert breath.position(80) == BreathPosition("out", 0.5, 30, 0.5)
    # Holding after the exhale: empty lungs.
    assert breath.position(115) == BreathPosition("hold", 0.25, 15, 0.0)
    # The next cycle starts over.
    assert breath.position(130) == BreathPosition("in", 0.0, 40, 0.0)
    assert breath.position(130 * 7 + 20) == breath.position(20)


def test_breath_position_skips_holds_of_zero_length():
    breath = BreathPlan(4, 0, 6, 0)
    assert [breath.position(i).step for i in range(10)] == ["in"] * 4 + ["out"] * 6
    assert breath.position(4) == BreathPosition("out", 0.0, 6, 1.0)
    assert breath.position(9).frames_left == 1


def test_breath_guide_runs_on_across_a_letdown(short_plan):
    # Breathing 1 s in, 2 s out: a let-down half-way through an exhale does not
    # start a new breath; the exhale goes on (core/breathing.py).
    session = _started(short_plan)
    session.advance_to(PHASE + RATE // 2)
    assert session.breath() == BreathPosition("in", 0.5, RATE // 2, 0.5)
    session.advance_to(PHASE + 2 * RATE)
    session.letdown()
    assert session.phase.kind == "expression"
    assert session.breath() == BreathPosition("out", 0.5, RATE, 0.5)


# --- the session, played to the end ----------------------------------------------


def test_phases_start_at_their_frames_and_the_session_completes(short_plan):
    session = Session(short_plan)
    assert session.advance_to(RATE) == []  # not started yet
    assert _names(session.start()) == [("PhaseStarted", 0, "Settle")]
    assert session.start() == []
    assert session.advance_to(PHASE - 1) == []
    assert _names(session.advance_to(PHASE)) == [("PhaseStarted", PHASE, "Stimulation")]
    assert session.phase.kind == "stimulation"
    assert session.phase_frames_left() == PHASE
    assert session.session_frames_left() == 2 * PHASE
    assert _names(session.advance_to(10 * PHASE)) == [
        ("PhaseStarted", 2 * PHASE, "Expression"),
        ("SessionEnded", 3 * PHASE, "completed"),
    ]
    assert session.ended == "completed"
    assert session.now_frame == 3 * PHASE
    assert session.advance_to(20 * PHASE) == []
    assert session.letdown() == []
    assert session.finish() == []


def test_events_carry_the_segment_index(short_plan):
    session = Session(short_plan)
    events = session.start() + session.advance_to(3 * PHASE)
    assert [(e.segment, e.phase.index) for e in events if isinstance(e, PhaseStarted)] == [
        (0, 0),
        (1, 1),
        (2, 2),
    ]


def test_time_never_runs_backwards(short_plan):
    session = _started(short_plan)
    session.advance_to(PHASE + 10)
    assert session.advance_to(5) == []
    assert session.now_frame == PHASE + 10
    assert session.phase.name == "Stimulation"


# --- let-downs ------------------------------------------------------------------


def test_letdown_in_stimulation_switches_to_expression_at_at_frame(short_plan):
    session = _started(short_plan)
    session.advance_to(PHASE + RATE)  # 1 s into stimulation
    before = session.timeline
    at = PHASE + RATE + 4_800  # audio already rendered 0.1 s ahead

    events = session.letdown(at_frame=at)

    # The switch is told when it is heard, not before.
    assert _names(events) == [("LetdownMarked", PHASE + RATE, "Stimulation")]
    assert session.letdown_frames == [PHASE + RATE]
    assert session.timeline.segments == (
        Segment(0, 0, PHASE),
        Segment(1, PHASE, at),
        Segment(2, at, at + PHASE),
    )
    assert _before(session.timeline, at) == _before(before, at)
    # Stimulation goes on until the change can be heard, then expression starts.
    assert session.phase.kind == "stimulation"
    assert session.advance_to(at - 1) == []
    heard = session.advance_to(at)
    assert _names(heard) == [
        ("RuleApplied", at, "letdown_to_expression"),
        ("PhaseStarted", at, "Expression"),
    ]
    assert heard[0].message == "let-down marked: switch to expression mode"
    assert session.phase.pump_hint == "expression mode: slow, strongest comfortable suction"
    assert _names(session.advance_to(at + PHASE)) == [("SessionEnded", at + PHASE, "completed")]


def test_letdown_in_stimulation_without_at_frame_switches_now(short_plan):
    session = _started(short_plan)
    now = PHASE + 1234
    session.advance_to(now)
    assert _names(session.letdown()) == [
        ("LetdownMarked", now, "Stimulation"),
        ("RuleApplied", now, "letdown_to_expression"),
        ("PhaseStarted", now, "Expression"),
    ]
    assert session.end_frame == now + PHASE


def test_letdown_skips_phases_between_stimulation_and_expression():
    plan = compile_plan(
        _routine(
            [
                {"name": "Stim", "kind": "stimulation", "duration": 2},
                {"name": "Rest", "kind": "rest", "duration": 2},
                {"name": "Express", "kind": "expression", "duration": 2},
                {"name": "Finish", "kind": "hands_on", "duration": 2},
            ]
        ),
        10,
    )
    session = _started(plan)
    session.advance_to(5)
    session.letdown()
    assert [(s.phase, s.start_frame, s.end_frame) for s in session.timeline.segments] == [
        (0, 0, 5),
        (2, 5, 25),
        (3, 25, 45),
    ]


def test_letdown_without_an_expression_phase_after_changes_nothing():
    plan = compile_plan(
        _routine(
            [
                {"name": "Settle", "kind": "prep", "duration": 2},
                {"name": "Stim", "kind": "stimulation", "duration": 2},
                {"name": "Rest", "kind": "rest", "duration": 2},
            ]
        ),
        10,
    )
    session = _started(plan)
    session.advance_to(25)
    before = session.timeline
    assert _names(session.letdown()) == [("LetdownMarked", 25, "Stim")]
    assert session.timeline == before


@pytest.mark.parametrize(("frame", "phase"), [(RATE, "Settle"), (2 * PHASE + RATE, "Expression")])
def test_letdown_in_prep_or_expression_is_only_recorded(short_plan, frame, phase):
    session = _started(short_plan)
    session.advance_to(frame)
    before = session.timeline
    events = session.letdown()
    assert _names(events) == [("LetdownMarked", frame, phase)]
    assert events[0].number == 1
    assert session.timeline == before
    assert session.end_frame == 3 * PHASE


def test_letdowns_are_numbered_and_record_the_cues_on(standard_plan):
    session = _started(standard_plan)
    minute = 60 * RATE
    session.advance_to(minute)
    first = session.letdown()[0]
    assert (first.number, first.phase.kind) == (1, "prep")
    assert first.cues == ("waves", "picture", "warmth", "water")

    session.advance_to(3 * minute)
    second = session.letdown()[0]
    assert (second.number, second.phase.kind) == (2, "stimulation")
    assert second.cues == ("picture",)

    session.advance_to(5 * minute)
    third = session.letdown()[0]
    assert (third.number, third.phase.kind, third.cues) == (3, "expression", ())
    assert session.letdown_frames == [minute, 3 * minute, 5 * minute]


def test_letdown_late_in_prep_heard_in_stimulation_still_moves_on(short_plan):
    # Pressed in the last instant of prep; by the time it can be heard,
    # stimulation has begun: it must end there and expression follow.
    session = _started(short_plan)
    session.advance_to(PHASE - 100)
    at = PHASE + 4_700
    events = session.letdown(at_frame=at)
    assert _names(events) == [("LetdownMarked", PHASE - 100, "Settle")]
    assert session.timeline.segments == (
        Segment(0, 0, PHASE),
        Segment(1, PHASE, at),
        Segment(2, at, at + PHASE),
    )
    assert _names(session.advance_to(at)) == [
        ("PhaseStarted", PHASE, "Stimulation"),
        ("RuleApplied", at, "letdown_to_expression"),
        ("PhaseStarted", at, "Expression"),
    ]


def test_letdown_at_the_very_start_of_stimulation(short_plan):
    session = _started(short_plan)
    session.advance_to(PHASE)  # stimulation has just begun
    events = session.letdown()
    assert _names(events) == [
        ("LetdownMarked", PHASE, "Stimulation"),
        ("RuleApplied", PHASE, "letdown_to_expression"),
        ("PhaseStarted", PHASE, "Expression"),
    ]
    # Stimulation is left as a zero-length segment; the index points past it.
    assert session.timeline.segments[1] == Segment(1, PHASE, PHASE)
    assert 0 <= session.segment_index < len(session.timeline.segments)
    assert session.phase.kind == "expression"
    assert session.phase_frames_left() == PHASE
    assert session.breath().step == "in"
    assert session.timeline.index_at(PHASE) == session.segment_index
    assert _names(session.advance_to(2 * PHASE)) == [("SessionEnded", 2 * PHASE, "completed")]


def test_second_letdown_after_the_switch_changes_nothing_more(short_plan):
    session = _started(short_plan)
    session.advance_to(PHASE + RATE)
    session.letdown()
    after_first = session.timeline
    events = session.letdown()
    assert _names(events) == [("LetdownMarked", PHASE + RATE, "Expression")]
    assert events[0].number == 2
    assert session.timeline == after_first


# --- next phase and finishing early ----------------------------------------------


def test_next_phase_skips_the_rest_of_the_phase(short_plan):
    session = _started(short_plan)
    session.advance_to(RATE)
    assert _names(session.next_phase()) == [("PhaseStarted", RATE, "Stimulation")]
    assert session.timeline.segments == (
        Segment(0, 0, RATE),
        Segment(1, RATE, RATE + PHASE),
        Segment(2, RATE + PHASE, RATE + 2 * PHASE),
    )
    assert session.end_frame == RATE + 2 * PHASE


def test_next_phase_takes_effect_at_at_frame(short_plan):
    session = _started(short_plan)
    session.advance_to(RATE)
    at = RATE + 4_800
    assert session.next_phase(at_frame=at) == []
    assert session.phase.name == "Settle"
    assert _names(session.advance_to(at)) == [("PhaseStarted", at, "Stimulation")]


def test_next_phase_too_late_to_be_heard_does_not_skip_two(short_plan):
    # The phase ends on its own before the change could be heard: skipping
    # now would skip the phase after it, which the person never chose.
    session = _started(short_plan)
    session.advance_to(PHASE - 100)
    before = session.timeline
    assert session.next_phase(at_frame=PHASE + 4_700) == []
    assert session.timeline == before


def test_next_in_the_last_phase_ends_the_session_early(short_plan):
    session = _started(short_plan)
    session.advance_to(2 * PHASE + RATE)
    assert _names(session.next_phase()) == [("SessionEnded", 2 * PHASE + RATE, "finished_early")]
    assert session.ended == "finished_early"


def test_next_in_the_last_phase_with_at_frame_ends_early_when_heard(short_plan):
    session = _started(short_plan)
    session.advance_to(2 * PHASE + RATE)
    at = 2 * PHASE + RATE + 4_800
    assert session.next_phase(at_frame=at) == []
    assert session.ended is None
    assert _names(session.advance_to(at)) == [("SessionEnded", at, "finished_early")]


def test_finish_ends_now_and_keeps_what_was_played(short_plan):
    session = _started(short_plan)
    now = PHASE + RATE
    session.advance_to(now)
    before = session.timeline
    assert _names(session.finish()) == [("SessionEnded", now, "finished_early")]
    assert session.ended == "finished_early"
    assert session.end_frame == now
    assert list(session.timeline.segments) == _before(before, now)
    assert session.finish() == []
    assert session.next_phase() == []


def test_finish_at_a_phase_boundary(short_plan):
    session = _started(short_plan)
    session.advance_to(PHASE)
    assert _names(session.finish()) == [("SessionEnded", PHASE, "finished_early")]
    assert all(s.end_frame >= s.start_frame for s in session.timeline.segments)


def test_finish_before_any_sound_ends_at_zero(short_plan):
    session = _started(short_plan)
    assert _names(session.finish()) == [("SessionEnded", 0, "finished_early")]


def test_finish_after_completion_changes_nothing(short_plan):
    session = _started(short_plan)
    session.advance_to(3 * PHASE)
    assert session.finish() == []
    assert session.ended == "completed"


# --- the timeline ---------------------------------------------------------------


def test_cut_at_a_segments_very_start_keeps_indexes_valid(short_plan):
    timeline = Timeline.initial(short_plan)
    cut = timeline.cut(PHASE, [2], keep=1)
    assert cut.segments == (
        Segment(0, 0, PHASE),
        Segment(1, PHASE, PHASE),
        Segment(2, PHASE, 2 * PHASE),
    )
    for frame in (0, PHASE - 1, PHASE, 2 * PHASE - 1, 2 * PHASE, 5 * PHASE):
        index = cut.index_at(frame)
        assert 0 <= index < len(cut.segments)
    # At the cut, what plays is the segment with frames in it, not the empty one.
    assert cut.index_at(PHASE) == 2
    assert cut.end_frame == 2 * PHASE


def test_cut_never_makes_segments_of_negative_length(short_plan):
    timeline = Timeline.initial(short_plan)
    for at in (0, 1, PHASE - 1, PHASE, PHASE + 1, 3 * PHASE):
        # `keep` is the segment playing, which has begun by `at`.
        for keep in range(timeline.index_at(at) + 1):
            cut = timeline.cut(at, [2], keep=keep)
            assert all(s.end_frame >= s.start_frame for s in cut.segments), (at, keep)
            assert _before(cut, at) == _before(timeline, at)


def test_cue_present_in_consecutive_phases_plays_on_as_one_span(standard_plan):
    timeline = Timeline.initial(standard_plan)
    two_minutes = 120 * RATE
    assert timeline.cue_spans == (
        CueSpan("picture", 0, 2 * two_minutes),
        CueSpan("warmth", 0, two_minutes),
        CueSpan("water", 0, two_minutes),
        CueSpan("waves", 0, two_minutes),
    )
    assert timeline.cues_at(two_minutes) == ("picture",)
    assert timeline.cues_at(2 * two_minutes) == ()


def test_cue_spans_follow_the_cut_after_a_letdown(standard_plan):
    session = _started(standard_plan)
    at = 150 * RATE
    session.advance_to(at)
    session.letdown()
    assert CueSpan("picture", 0, at) in session.timeline.cue_spans
    assert session.cues_now() == ()


def test_cue_missing_from_the_phase_between_gets_two_spans():
    plan = compile_plan(
        _routine(
            [
                {"name": "a", "kind": "prep", "duration": 2, "cues": ["hum"]},
                {"name": "b", "kind": "stimulation", "duration": 2},
                {"name": "c", "kind": "expression", "duration": 2, "cues": ["hum"]},
            ],
            {"hum": {"tone": 220}},
        ),
        10,
    )
    assert Timeline.initial(plan).cue_spans == (CueSpan("hum", 0, 20), CueSpan("hum", 40, 60))


def test_cue_listed_twice_in_a_phase_still_plays_in_the_phase_before(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(
        "name: twice\ncues:\n  hum: {tone: 220}\nphases:\n"
        "  - {name: a, kind: prep, duration: 2, cues: [hum]}\n"
        "  - {name: b, kind: stimulation, duration: 2, cues: [hum, hum]}\n"
    )
    # Either `check` refuses the repeated name, or the cue plays throughout.
    try:
        routine = load_routine(path).routine
    except SourceError as exc:
        assert exc.problems[0].line == 6
    else:
        timeline = Timeline.initial(compile_plan(routine, 10))
        assert timeline.cues_at(0) == ("hum",)
        assert timeline.cue_spans == (CueSpan("hum", 0, 40),)
