"""Real sound: PortAudio → ALSA pulse plugin → PulseAudio null sink → parec.

The captured audio must carry the routine on its own: a chime for each phase
change at its planned time (core/breathing.py), and a tone that rises on the
inhale and falls on the exhale. Times are compared with each other, not with the wall clock (the
null sink does not keep wall-clock time exactly; PITFALLS.md).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from calmflow.core.breathing import chime_frames
from calmflow.core.plan import compile_plan
from calmflow.core.session import RuleApplied
from calmflow.core.timeline import Timeline
from calmflow.services.player import Player
from tests.e2e.conftest import RATE, chime_onsets, db_rows, dominant_hz, live_player
from tests.engine.listen import render_all

pytestmark = pytest.mark.e2e


def _play(short_routine, letdown_after_s: float | None = None) -> Player:  # type: ignore[no-untyped-def]
    player = live_player(short_routine)
    marked = False
    deadline = time.monotonic() + 30
    while not player.ended and time.monotonic() < deadline:
        player.tick()
        if letdown_after_s is not None and not marked and player.played_s >= letdown_after_s:
            player.letdown()
            marked = True
        time.sleep(0.02)
    player.finish()
    return player


def test_phase_chimes_and_breath_tone_are_heard_at_the_planned_times(home, short_routine, capture):
    player = _play(short_routine)
    audio = capture.stop()
    assert player.output.name == "device"

    onsets = chime_onsets(audio)
    assert len(onsets) == 3, f"one chime per phase, found {onsets}"
    # Phases are 3 s long: the chimes are 3 s apart to the millisecond.
    assert np.allclose(np.diff(onsets), 3.0, atol=0.005), np.diff(onsets)

    # Within the first phase: 1 s inhale (tone rising), 2 s exhale (falling).
    start = onsets[0]
    rising = [dominant_hz(audio, start + t) for t in (0.25, 0.45, 0.65)]
    falling = [dominant_hz(audio, start + t) for t in (1.3, 1.8, 2.3)]
    assert rising[0] < rising[1] < rising[2], rising
    assert falling[0] > falling[1] > falling[2], falling
    assert 210 < rising[0] < 300 and 280 < falling[0] < 340

    rows = db_rows(home, "SELECT status, output, played_s, underruns FROM sessions")
    assert rows[0][:3] == ("completed", "device", 9.0)


def test_a_letdown_in_stimulation_moves_the_sound_to_expression_on_the_planned_frame(
    home, short_routine, capture
):
    # 0.3 s into stimulation: mid-inhale, so the chime waits for the inhale's end
    # (4 s), well before the session's closing fade.
    player = _play(short_routine, letdown_after_s=3.3)
    audio = capture.stop()

    rules = [e for e in _rules(player)]
    assert rules, "the let-down during stimulation should switch to expression"
    switch_s = rules[0] / RATE
    planned = chime_frames(player.session.timeline)
    assert planned[2].change_frame == rules[0]
    chime_s = planned[2].frame / RATE
    onsets = chime_onsets(audio)
    assert len(onsets) == 3, onsets
    # The expression chime sounds exactly where the session placed it for the switch.
    assert abs((onsets[2] - onsets[0]) - chime_s) < 0.005, (onsets, chime_s)
    assert switch_s < 6.0  # earlier than the planned end of stimulation

    letdowns = db_rows(home, "SELECT number, phase_kind FROM letdowns")
    assert letdowns == [(1, "stimulation")]


def _rules(player: Player) -> list[int]:
    """Frames at which the session changed course (from its final timeline)."""
    segments = player.session.timeline.segments
    planned = compile_plan(player.loaded.routine).phases
    return [
        seg.start_frame
        for prev, seg in zip(segments, segments[1:], strict=False)
        if prev.end_frame - prev.start_frame < planned[prev.phase].duration_frames
    ]


def test_rule_event_is_logged(home, short_routine, pulse):
    # The rule's message is what the person sees; it is kept with the session.
    player = _play(short_routine, letdown_after_s=4.0)
    kinds = [(k, d) for _, k, d in player.store.events(player.session_id)]
    assert ("rule", "let-down marked: switch to expression mode") in kinds
    assert not any(isinstance(e, RuleApplied) for e in player.session.advance_to(10**9))


LONG_ROUTINE = """\
version: 1
name: long
breathing: {inhale_s: 4, exhale_s: 6}
phases:
  - {name: Settle, kind: prep, duration: 15s}
  - {name: Stimulation, kind: stimulation, duration: 12s}
  - {name: Expression, kind: expression, duration: 21s}
  - {name: Rest, kind: rest, duration: 14s}
  - {name: Expression again, kind: expression, duration: 12s}
"""
"""1:14 in phases of uneven length, so that no chime lands where another was due;
the last chime (at the breath's quiet point up to 6 s after 1:02) is over a minute
in, where a clock running apart from the sound's would show."""


@pytest.mark.timeout(300)
def test_chimes_over_a_minute_into_a_routine_still_sound_within_20_ms_of_the_plan(
    home, tmp_path: Path, capture
):
    routine = tmp_path / "long.yaml"
    routine.write_text(LONG_ROUTINE)
    player = live_player(routine)
    plan = player.plan
    # The null sink can run a third slower than the wall clock under load.
    deadline = time.monotonic() + 1.6 * plan.seconds(plan.duration_frames) + 20
    while not player.ended and time.monotonic() < deadline:
        player.tick()
        time.sleep(0.05)
    assert player.ended, f"stopped at {player.played_s:.1f} s"
    player.finish()
    audio = capture.stop()
    assert player.no_sound is None and player.take_notices() == []

    planned_s = np.array([plan.seconds(c.frame) for c in chime_frames(Timeline.initial(plan))])
    assert planned_s[-1] > 60  # the last chime is over a minute in
    onsets = chime_onsets(audio)
    assert len(onsets) == len(plan.phases), f"one chime per phase, found {onsets}"
    errors_ms = 1000 * ((onsets - onsets[0]) - (planned_s - planned_s[0]))
    assert np.all(np.abs(errors_ms) < 20), f"onsets off the plan by {errors_ms.round(1)} ms"

    rows = db_rows(home, "SELECT status, output, played_s, underruns FROM sessions")
    assert rows[0][:3] == ("completed", "device", plan.seconds(plan.duration_frames))


SWITCH_ROUTINE = """\
version: 1
name: switch
breathing: {inhale_s: 1, exhale_s: 2}
rules: {on_letdown: expression}
cues:
  hum: {tone: 300, volume: 1}
phases:
  - {name: Settle, kind: prep, duration: 2s}
  - {name: Stimulation, kind: stimulation, duration: 20s, cues: [hum]}
  - {name: Expression, kind: expression, duration: 3s}
"""
"""The hum stops (fades from its first frame) where the let-down switches to expression."""


@pytest.mark.timeout(120)
def test_a_letdown_is_heard_within_100_ms_and_live_is_the_offline_render(
    home, tmp_path: Path, stamped_capture
):
    routine = tmp_path / "switch.yaml"
    routine.write_text(SWITCH_ROUTINE)
    player = live_player(routine)
    pressed_at = None
    deadline = time.monotonic() + 40
    while not player.ended and time.monotonic() < deadline:
        player.tick()
        if pressed_at is None and player.played_s >= 4.3:
            pressed_at = time.monotonic()
            player.letdown()
        time.sleep(0.005)
    player.finish()
    audio = stamped_capture.stop()
    assert pressed_at is not None and player.no_sound is None

    timeline = player.session.timeline
    switch = timeline.segments[2].start_frame
    assert (
        switch < timeline.plan.phases[0].duration_frames + timeline.plan.phases[1].duration_frames
    )
    offline = render_all(timeline)[:, 0]
    planned = render_all(Timeline.initial(timeline.plan))[:, 0]
    n = min(offline.size, planned.size)
    changed = int(np.argmax(np.abs(offline[:n] - planned[:n]) > 1e-6))
    # The change starts at the switch (the hum's fade from its first frame, a few
    # ms before it measures), not before it.
    assert switch <= changed < switch + RATE // 200

    # Live is the offline render, sample for sample (to 16-bit rounding).
    rough = int(np.argmax(np.abs(audio) > 1e-3)) - int(np.argmax(np.abs(offline) > 1e-3))
    probe = offline[: RATE // 2]
    offset = min(
        range(rough - 20, rough + 21),
        key=lambda at: float(np.abs(audio[at : at + probe.size] - probe).max()),
    )
    live = audio[offset : offset + offline.size]
    assert live.size == offline.size
    assert np.abs(live - offline).max() < 2 / 32768

    # The key is heard within 100 ms (the recording's own 10 ms buffer allowed).
    heard_s = stamped_capture.arrived(offset + switch) - pressed_at
    assert heard_s <= 0.11, f"the let-down was heard {heard_s * 1000:.0f} ms after the key"
