"""The mix, measured as an audio engineer would, against docs/sound.md's targets.

pyloudnorm measures every bundled routine that makes sound: integrated loudness
in -24 to -19 LUFS, a loudness range of a calm programme, and each phase's
parts (the breath voice at its level, softer in rests, under the ambience where
there is one). scipy's 4× oversampling finds the true peaks, at most -1 dBTP.
Whole routines are rendered at 16 kHz (meter.MEASURE_RATE) and true peaks at
48 kHz around the loudest moments (every chime, with the breath and the cues).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calmflow.core.breathing import chime_frames
from calmflow.core.plan import Plan
from calmflow.core.timeline import Timeline
from calmflow.engine import levels, loudness
from calmflow.engine.mixer import Engine
from tests.engine.listen import plan_from_yaml, render_all, true_peak_db
from tests.engine.meter import (
    MEASURE_RATE,
    bundled_plan,
    lufs,
    programme_lra,
    programme_lufs,
    render,
)

SOUNDING = [
    ("standard", None),
    ("quick-letdown", None),
    ("power-pumping", None),
    ("catch-up", None),
    ("hands-on", None),
    ("photo-or-waves", "picture"),
    ("photo-or-waves", "waves"),
]
IDS = [name if arm is None else f"{name}-{arm}" for name, arm in SOUNDING]
RATE = MEASURE_RATE
EXCERPT_S = 60.0
"""Each phase is measured on its first minute after its chime has rung out:
six breaths, and the waves (a 32 s loop) round almost twice."""
SETTLE_S = 5.0
PUMPING = ("prep", "stimulation", "expression", "hands_on", "pump")


@pytest.fixture(scope="module", params=SOUNDING, ids=IDS)
def routine(request: pytest.FixtureRequest) -> Timeline:
    name, arm = request.param
    return Timeline.initial(bundled_plan(name, RATE, arm))


@pytest.fixture(scope="module")
def mix(routine: Timeline) -> np.ndarray:
    return render(routine)


def test_every_bundled_routine_is_mixed_to_its_loudness_target(
    routine: Timeline, mix: np.ndarray
) -> None:
    integrated = programme_lufs(routine, mix, RATE)
    assert -24.0 <= integrated <= -19.0, f"{integrated:.2f} LUFS"


def test_the_loudness_range_is_that_of_a_calm_programme(routine: Timeline, mix: np.ndarray) -> None:
    assert 0.5 <= programme_lra(routine, mix, RATE) <= 6.0


def test_measuring_phase_by_phase_is_measuring_the_whole() -> None:
    # What the two tests above rest on, held once against the whole programme.
    timeline = Timeline.initial(bundled_plan("standard", RATE))
    audio = render(timeline)
    assert programme_lufs(timeline, audio, RATE) == pytest.approx(lufs(audio, RATE), abs=0.05)


def _excerpts(timeline: Timeline) -> list[tuple[int, int, int]]:
    """(segment index, start, stop) of each phase's measured minute."""
    out = []
    for i, seg in enumerate(timeline.segments):
        start = seg.start_frame + round(SETTLE_S * RATE)
        stop = min(seg.end_frame, start + round(EXCERPT_S * RATE))
        if stop - start >= 20 * RATE:
            out.append((i, start, stop))
    return out


def test_each_phase_has_its_breath_level(routine: Timeline) -> None:
    plan = routine.plan
    breath = Engine(plan, max_block=65_536, parts=("breath",))
    cues = Engine(plan, max_block=65_536, parts=("cues",))
    measured = []
    for i, start, stop in _excerpts(routine):
        phase = plan.phases[routine.segments[i].phase]
        guide = lufs(render(routine, start, stop, engine=breath), RATE)
        ambience = [
            name
            for name in phase.cues
            if plan.cue(name).kind == "sound" and plan.cue(name).role == "ambience"
        ]
        bed = lufs(render(routine, start, stop, engine=cues), RATE) if ambience else None
        measured.append((phase.kind, guide, bed))
        if bed is not None:
            # Under the ambience, so that the waves carry the phase.
            assert 4.0 <= bed - guide <= 6.0, (phase.name, guide, bed)
        elif phase.kind in PUMPING:
            assert guide == pytest.approx(levels.BREATH_LUFS, abs=1.0), (phase.name, guide)
    pumping = [g for kind, g, bed in measured if kind in PUMPING and bed is None]
    for kind, guide, _ in measured:
        if kind == "rest" and pumping:
            assert guide <= min(pumping) - 3.0, (guide, pumping)


def test_a_phase_with_ambience_is_as_loud_as_one_without(
    routine: Timeline, mix: np.ndarray
) -> None:
    # The whole mix of each phase, chime aside, within the programme's range.
    for _, start, stop in _excerpts(routine):
        assert -24.0 <= lufs(mix[start:stop], RATE) <= -20.0


def test_true_peak_stays_under_minus_1_dbtp_at_the_loudest_moments(routine: Timeline) -> None:
    # At 48 kHz: every chime, landing on the breath and the cues, and ten seconds
    # (a whole breath) in the middle of each phase.
    plan = bundled_plan(routine.plan.routine_name, 48_000, _arm(routine.plan))
    timeline = Timeline.initial(plan)
    rate = plan.rate
    engine = Engine(plan, max_block=65_536)
    windows = [(c.frame - rate // 2, c.frame + 2 * rate) for c in chime_frames(timeline)]
    middles = [(s.start_frame + s.end_frame) // 2 for s in timeline.segments]
    windows += [(m - 5 * rate, m + 5 * rate) for m in middles]
    for start, stop in windows:
        start, stop = max(0, start), min(timeline.end_frame, stop)
        peak = true_peak_db(render(timeline, start, stop, engine=engine), rate)
        assert peak <= -1.0, (start / rate, peak)
    engine.close()


def _arm(plan: Plan) -> str | None:
    return plan.experiment[1] if plan.experiment else None


def test_silent_stays_silent() -> None:
    plan = bundled_plan("silent", RATE)
    timeline = Timeline.initial(plan)
    stop = min(timeline.end_frame, 300 * RATE)
    assert not np.any(render(timeline, 0, stop))


# --- the three breath voices ----------------------------------------------------------

VOICES = """
version: 1
name: voices
chime: false
phases:
  - {{name: Tone, kind: expression, duration: 40s, breathing: {{{pattern}, voice: tone}}}}
  - {{name: Wave, kind: expression, duration: 40s, breathing: {{{pattern}, voice: wave}}}}
  - {{name: Chime, kind: expression, duration: 40s, breathing: {{{pattern}, voice: chime}}}}
"""


@pytest.mark.parametrize(
    "pattern",
    ["inhale_s: 4, exhale_s: 6", "preset: box", "preset: 4-7-8", "inhale_s: 2, exhale_s: 3"],
)
def test_the_three_breath_voices_are_equally_loud(tmp_path: Path, pattern: str) -> None:
    plan = plan_from_yaml(tmp_path, VOICES.format(pattern=pattern), rate=48_000)
    timeline = Timeline.initial(plan)
    audio = render_all(timeline)
    found = []
    for span in _spans_by_voice(timeline):
        start, stop = span
        found.append(lufs(audio[start:stop], 48_000))
    assert max(found) - min(found) <= 1.0, found
    assert np.mean(found) == pytest.approx(levels.BREATH_LUFS, abs=1.0)


def _spans_by_voice(timeline: Timeline) -> list[tuple[int, int]]:
    """Each phase's frames once its voice has taken over (at most one breath in)."""
    from calmflow.core.breathing import breath_spans

    spans = breath_spans(timeline)
    return [
        (s.start_frame, s.end_frame) for s in spans if s.end_frame - s.start_frame > 20 * 48_000
    ]


# --- calmflow's own meter, held against pyloudnorm ------------------------------------


def test_calmflows_meter_agrees_with_pyloudnorm(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rate = 44_100
    t = np.arange(8 * rate) / rate
    signals = {
        "noise": 0.05 * rng.standard_normal(t.size),
        "low sine": 0.3 * np.sin(2 * np.pi * 80 * t),
        "high sine": 0.1 * np.sin(2 * np.pi * 6000 * t),
        "bursts": 0.3 * np.sin(2 * np.pi * 440 * t) * ((t % 1.0) < 0.3),
    }
    for name, mono in signals.items():
        stereo = np.stack([mono, mono], axis=1)
        ours = loudness.integrated(stereo, rate)
        assert ours == pytest.approx(lufs(stereo, rate), abs=0.1), name


def test_a_breath_voice_is_set_to_its_loudness_at_any_rate() -> None:
    # The same routine at 44.1 and 48 kHz: the same loudness.
    found = []
    for rate in (44_100, 48_000):
        plan = bundled_plan("hands-on", rate)
        timeline = Timeline.initial(plan)
        start = plan.phases[0].duration_frames + 10 * rate
        audio = render(timeline, start, start + 40 * rate, parts=("breath",))
        found.append(lufs(audio, rate))
    assert found[0] == pytest.approx(found[1], abs=0.1)
    assert found[0] == pytest.approx(levels.BREATH_LUFS, abs=0.5)


def test_engine_parts_add_up_to_the_mix() -> None:
    plan = bundled_plan("standard", RATE)
    timeline = Timeline.initial(plan)
    stop = 140 * RATE  # the waves, the chime at the change, the breath
    whole = render(timeline, 0, stop)
    parts = sum(render(timeline, 0, stop, parts=(p,)) for p in ("breath", "chime", "cues"))
    np.testing.assert_allclose(whole, parts, atol=1e-6)
    assert Engine(plan, parts=()).plan is plan
