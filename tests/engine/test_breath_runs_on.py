"""Breaths never break: the breath cycle runs on across phase changes and
let-downs; a new pattern takes over at the end of the exhale under way; the
screen follows the same breath as the sound; and all of it sample-exact, the
same in blocks of any size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calmflow.core.breathing import breath_at, breath_spans, exhale_end
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine
from tests.engine.listen import plan_from_yaml, played, render_all
from tests.engine.meter import bundled_plan, render

RATE = 48_000


@pytest.mark.parametrize("at_s", [197.3, 150.0, 239.9])
def test_a_letdown_mid_breath_carries_the_breath_on(at_s: float) -> None:
    # Stimulation and expression breathe alike: the let-down changes the phase,
    # not one sample of the breath.
    plan = bundled_plan("standard", RATE)
    planned = Timeline.initial(plan)
    cut = played(plan, "letdown", round(at_s * RATE))
    assert cut.segments[2].start_frame == round(at_s * RATE)
    start, stop = round((at_s - 12) * RATE), round((at_s + 30) * RATE)
    breath = render(cut, start, stop, parts=("breath",))
    assert np.abs(breath).max() > 0.01
    np.testing.assert_array_equal(breath, render(planned, start, stop, parts=("breath",)))


PATTERNS = """
version: 1
name: patterns
chime: false
phases:
  - {name: Slow, kind: stimulation, duration: 30s, breathing: {inhale_s: 4, exhale_s: 6}}
  - {name: Even, kind: expression, duration: 30s, breathing: {inhale_s: 3, exhale_s: 3}}
  - {name: Rest, kind: rest, duration: 30s, breathing: {inhale_s: 3, exhale_s: 3}}
"""


def test_a_new_pattern_takes_over_at_the_end_of_the_exhale(tmp_path: Path) -> None:
    plan = plan_from_yaml(tmp_path, PATTERNS)
    cut_at = round(12.0 * RATE)  # `n` 2 s into the second breath's inhale
    timeline = played(plan, "next_phase", cut_at)
    slow, even = plan.phases[0].breath, plan.phases[1].breath
    assert slow is not None and even is not None
    spans = breath_spans(timeline)
    # The slow breath goes on to the end of its exhale (20 s), then the even one
    # starts there with its inhale.
    assert (spans[0].breath, spans[0].end_frame) == (slow, round(20.0 * RATE))
    assert (spans[1].breath, spans[1].origin_frame) == (even, round(20.0 * RATE))
    audio = render_all(timeline)
    alone = render_all(Timeline.initial(plan))
    # What sounds until then is the slow breath as it would have gone on.
    np.testing.assert_array_equal(audio[: round(20.0 * RATE)], alone[: round(20.0 * RATE)])
    # The new pattern's first inhale starts there, from silence.
    edge = round(20.0 * RATE)
    assert np.abs(audio[edge - RATE // 100 : edge + RATE // 100]).max() < 0.005
    assert np.abs(audio[edge + RATE : edge + 2 * RATE]).max() > 0.02


def test_a_rest_changes_the_level_at_the_end_of_an_exhale_keeping_the_rhythm(
    tmp_path: Path,
) -> None:
    plan = plan_from_yaml(tmp_path, PATTERNS)
    timeline = Timeline.initial(plan)
    engine = Engine(plan, max_block=timeline.end_frame)
    spans = breath_spans(timeline, level=lambda phase: engine._breath_db[phase])
    rest = spans[-1]
    assert plan.phases[rest.phase].kind == "rest"
    # Even breathing from 30 s (the exhale ending then), the same rhythm into the
    # rest at 60 s: 5 cycles of 6 s, so the rest's level starts right at 60 s.
    assert rest.start_frame == round(60.0 * RATE)
    assert rest.origin_frame == round(30.0 * RATE)


def test_the_screen_follows_the_breath_the_sound_plays(tmp_path: Path) -> None:
    plan = plan_from_yaml(tmp_path, PATTERNS)
    session = Session(plan)
    session.start()
    session.advance_to(round(12.0 * RATE))
    session.next_phase()
    # Phase "Even" has begun, but the slow breath is still in its inhale...
    session.advance_to(round(13.0 * RATE))
    assert session.phase.name == "Even"
    position = session.breath()
    assert position is not None and (position.step, position.frames_left) == ("in", RATE)
    # ...and its exhale, to 20 s; then the even breath starts with an inhale.
    session.advance_to(round(19.5 * RATE))
    assert session.breath() is not None and session.breath().step == "out"  # type: ignore[union-attr]
    session.advance_to(round(20.0 * RATE))
    position = session.breath()
    assert position is not None and (position.step, position.fraction) == ("in", 0.0)
    assert breath_at(session.timeline, round(20.0 * RATE)) == position


@pytest.mark.parametrize("voice", ["tone", "wave", "chime"])
def test_the_exhale_end_is_where_every_voice_is_silent(tmp_path: Path, voice: str) -> None:
    # Where a new pattern or level takes over: nothing sounding there to cut
    # (the chime voice's next bell may start right there, with the new pattern).
    plan = plan_from_yaml(
        tmp_path,
        f"""
version: 1
name: v
chime: false
phases:
  - name: A
    kind: expression
    duration: 20s
    breathing: {{inhale_s: 2, hold_in_s: 1, exhale_s: 3, voice: {voice}}}
""",
    )
    breath = plan.phases[0].breath
    assert breath is not None
    audio = render_all(Timeline.initial(plan))[:, 0]
    for cycle in range(2):
        at = cycle * breath.cycle_frames + exhale_end(breath)
        assert np.abs(audio[at - RATE // 100 : at]).max() < 2e-3
