"""The engine's output must not depend on how the sound card asks for it.

The live player renders in whatever block size the device wants (and the
offline render in 64k blocks); if the samples depended on the block size, the
WAV a test listens to would not be what the person heard, and a block edge
could click. Same idea as pedalboard's tests/test_fixed_block_size.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from calmflow.core.plan import Plan
from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine
from tests.engine.listen import plan_from_yaml, played, render_all, seconds, write_tone

MIX_ROUTINE = """
version: 1
name: mix
breathing: {inhale_s: 1, exhale_s: 2}
cues:
  sea: {sound: sea-44k.wav, volume: 0.8, loop: true}
  hum: {tone: 150, volume: 0.6}
phases:
  - {name: Settle, kind: prep, duration: 3s, cues: [sea]}
  - {name: Stimulation, kind: stimulation, duration: 3s, cues: [sea, hum]}
  - {name: Expression, kind: expression, duration: 3s, cues: [hum]}
"""

LANGUAGE_ROUTINE = """
version: 1
name: language
background: [sea]
ducking: -12dB
breathing: {inhale_s: 1, exhale_s: 2, voice: wave}
cues:
  sea: {sound: sea-44k.wav, volume: 0.8, loop: true, fade_in: 0s}
  hum: {tone: 150, volume: 0.6, fade_in: 2s, fade_out: 0s}
  cry: {sound: cry.wav, volume: 0.7, at: 0.5s, every: 5s, duration: 1.2s, loop: false,
        fade_out: 0.3s}
  rattle: {sound: cry.wav, min_length: 1s, at: 0.2s, fade_in: 0s}
phases:
  - name: Settle
    kind: prep
    duration: 3s
    cues: [cry, rattle]
    prompts: [{at: 1s, text: Soften your shoulders, voice: voice.wav}]
  - name: Stimulation
    kind: stimulation
    duration: 3s
    cues: [hum, cry]
    breathing: {inhale_s: 1, hold_in_s: 0.5, exhale_s: 1, voice: chime}
    prompt: {text: Pump on, voice: voice.wav}
  - {name: Expression, kind: expression, duration: 3s, cues: [hum], breathing: even-5}
"""
"""Every sound the routine language added: the wave and chime breath voices, cues
starting at occurrences (at, every, duration, min_length) with their own fades, voice
prompts (one stopped by each cut) and the background ducking under them."""

ROUTINES = {"mix": MIX_ROUTINE, "language": LANGUAGE_ROUTINE}

LETDOWN_S = 3.5
"""Half a second into stimulation, mid-inhale: breath, sea and hum all sounding."""
NEXT_S = 1.7


@pytest.fixture(scope="module", params=list(ROUTINES))
def mix_plan(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    folder = tmp_path_factory.mktemp(request.param)
    # 0.7 s at 44.1 kHz: loops several times per phase and must be resampled.
    write_tone(folder / "sea-44k.wav", seconds=0.7, rate=44_100, hz=(5000.0, 3100.0))
    write_tone(folder / "cry.wav", seconds=0.3, rate=44_100, hz=(700.0, 2300.0))
    write_tone(folder / "voice.wav", seconds=1.0, rate=44_100, hz=1000.0)
    return plan_from_yaml(folder, ROUTINES[request.param])


def _letdown_timeline(plan: Plan) -> Timeline:
    return played(plan, "letdown", seconds(LETDOWN_S))


def _next_timeline(plan: Plan) -> Timeline:
    return played(plan, "next_phase", seconds(NEXT_S))


TIMELINES = {
    "as planned": Timeline.initial,
    "cut by a let-down in stimulation": _letdown_timeline,
    "cut by n in settle": _next_timeline,
}


@pytest.fixture(scope="module", params=list(TIMELINES))
def timeline(request: pytest.FixtureRequest, mix_plan: Plan) -> Timeline:
    return TIMELINES[request.param](mix_plan)


@pytest.fixture(scope="module")
def one_go(timeline: Timeline) -> np.ndarray:
    return render_all(timeline)


def _in_blocks(
    engine: Engine, timeline: Timeline, start: int, stop: int, block: int, order: str = "forward"
) -> np.ndarray:
    # Garbage in the buffer: render must overwrite every sample, not add to it.
    out = np.full((stop - start, engine.channels), 7.0, dtype=np.float32)
    starts = list(range(start, stop, block))
    if order == "shuffled":
        np.random.default_rng(5).shuffle(starts)
    for s in starts:
        engine.render(timeline, s, out[s - start : min(s + block, stop) - start])
    return out


def test_the_cut_timelines_really_are_cut(mix_plan: Plan) -> None:
    letdown = _letdown_timeline(mix_plan)
    assert [s.start_frame for s in letdown.segments] == [0, seconds(3), seconds(LETDOWN_S)]
    skipped = _next_timeline(mix_plan)
    assert [s.start_frame for s in skipped.segments] == [0, seconds(NEXT_S), seconds(NEXT_S + 3)]


def test_one_go_is_not_silent(one_go: np.ndarray) -> None:
    # Guards the comparisons below from comparing two silences.
    assert np.abs(one_go).max() > 0.1


@pytest.mark.parametrize("block", [64, 65, 1024, 4097])
def test_blocks_give_the_same_samples(timeline: Timeline, one_go: np.ndarray, block: int) -> None:
    engine = Engine(timeline.plan)
    got = _in_blocks(engine, timeline, 0, timeline.end_frame, block)
    np.testing.assert_array_equal(got, one_go)


def test_default_engine_splitting_long_requests_gives_the_same_samples(
    timeline: Timeline, one_go: np.ndarray
) -> None:
    # Blocks larger than the engine's scratch buffers are split inside render().
    engine = Engine(timeline.plan, max_block=1000)
    got = _in_blocks(engine, timeline, 0, timeline.end_frame, 4097)
    np.testing.assert_array_equal(got, one_go)


@pytest.mark.parametrize(
    ("around_s", "what"),
    [
        (0.0, "first chime, sea fading in"),
        (0.5, "a repeating cue starts"),
        (1.0, "a voice prompt starts, the background ducks"),
        (2.0, "the voice ends, the background comes back"),
        (3.0, "phase change: chime, hum fading in"),
        (LETDOWN_S, "let-down cut"),
        (NEXT_S, "n cut"),
    ],
)
def test_one_frame_blocks_give_the_same_samples(
    timeline: Timeline, one_go: np.ndarray, around_s: float, what: str
) -> None:
    start = max(0, seconds(around_s) - 1200)
    stop = seconds(around_s) + 2400
    got = _in_blocks(Engine(timeline.plan), timeline, start, stop, 1)
    np.testing.assert_array_equal(got, one_go[start:stop], err_msg=what)


def test_blocks_rendered_out_of_order_give_the_same_samples(
    timeline: Timeline, one_go: np.ndarray
) -> None:
    # The live player may render a stretch again after the course changed.
    engine = Engine(timeline.plan)
    got = _in_blocks(engine, timeline, 0, timeline.end_frame, 3000, order="shuffled")
    np.testing.assert_array_equal(got, one_go)


def test_what_was_played_before_a_cut_does_not_change(mix_plan: Plan) -> None:
    """Live audio renders the old timeline up to the cut, then the new one from it.

    Spliced together they must equal the new timeline rendered whole, or the
    splice is a discontinuity the person hears.
    """
    before = Timeline.initial(mix_plan)
    after = _letdown_timeline(mix_plan)
    cut = seconds(LETDOWN_S)
    engine = Engine(mix_plan)
    spliced = np.concatenate(
        [
            _in_blocks(engine, before, 0, cut, 1024),
            _in_blocks(engine, after, cut, after.end_frame, 1024),
        ]
    )
    np.testing.assert_array_equal(spliced, render_all(after))
