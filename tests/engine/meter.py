"""Loudness as EBU R128 measures it, by software calmflow did not write.

pyloudnorm (ITU-R BS.1770-4: K-weighting, gated integrated loudness, loudness
range) and scipy (the true peak, 4× oversampled with a polyphase filter) hold
calmflow's mix to the targets in docs/sound.md. calmflow's own meter
(engine/loudness.py) is held against pyloudnorm in test_mix.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyloudnorm

from calmflow.core.plan import Plan, compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import PARTS, Engine

ROOT = Path(__file__).resolve().parents[2]
STEREO_LU = 10 * math.log10(2)
"""Both channels carry the same samples in these mixes: twice the power of one."""
MEASURE_RATE = 16_000
"""Whole routines are rendered at this rate to be measured: everything calmflow's
bundled routines play lies under 8 kHz, and pyloudnorm's time goes with the
number of 400 ms blocks, not the rate (an hour at 48 kHz is 1.4 GB of samples)."""


def lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of `audio` (frames × 2, both channels alike)."""
    mono = _mono(audio)
    return float(pyloudnorm.Meter(rate).integrated_loudness(mono)) + STEREO_LU


def lra(audio: np.ndarray, rate: int) -> float:
    """Loudness range (LU, EBU Tech 3342) of `audio`."""
    return float(pyloudnorm.Meter(rate).loudness_range(_mono(audio)))


HEAD_S = 20.0
"""A phase's first seconds: its chime, cues fading in, sounds ducked and back."""
PERIOD_S = 160.0
"""After them a bundled phase repeats itself: the breath every 10 s, the waves
every 32 s, both every 160 s."""


def programme_lufs(timeline: Timeline, audio: np.ndarray, rate: int) -> float:
    """Integrated loudness of the whole of `audio` (the render of `timeline`), as
    BS.1770 gates it, with pyloudnorm measuring each phase's head and one period
    after it: the rest of a long phase repeats that period, so its blocks are
    counted as many times over (weights) instead of measured again."""
    meter = pyloudnorm.Meter(rate)
    powers: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for seg in timeline.segments:
        length = seg.end_frame - seg.start_frame
        head, period = round(HEAD_S * rate), round(PERIOD_S * rate)
        if length <= 0:
            continue
        stop = seg.start_frame + min(length, head + period)
        meter.integrated_loudness(_mono(audio[seg.start_frame : stop]))
        levels = np.asarray(meter.blockwise_loudness, dtype=np.float64)
        block_powers = 10 ** ((levels + 0.691) / 10)
        weight = np.ones(levels.size)
        if length > head + period:  # blocks starting in the period stand for all its repeats
            hop = meter.block_size * (1 - meter.overlap) * rate
            starts = np.arange(levels.size) * hop
            weight[starts >= head] = (length - head) / period
        powers.append(block_powers)
        weights.append(weight)
    power, weight = np.concatenate(powers), np.concatenate(weights)
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(power)
    kept = level > -70.0
    relative = -0.691 + 10 * np.log10(np.average(power[kept], weights=weight[kept])) - 10.0
    kept &= level > relative
    return float(-0.691 + 10 * np.log10(np.average(power[kept], weights=weight[kept]))) + STEREO_LU


LRA_PHASE_S = 60.0
"""Of each phase, the loudness range looks at its first minute: the chime and
what starts with it, and the breath and the waves going round (ten breaths,
the waves twice)."""


def programme_lra(timeline: Timeline, audio: np.ndarray, rate: int) -> float:
    """Loudness range of `audio` (the render of `timeline`), pyloudnorm measuring
    each phase's first minute back to back (the rest of a phase repeats it)."""
    limit = round(LRA_PHASE_S * rate)
    parts = [
        audio[seg.start_frame : min(seg.end_frame, seg.start_frame + limit)]
        for seg in timeline.segments
        if seg.end_frame > seg.start_frame
    ]
    return lra(np.concatenate(parts), rate)


def momentary(audio: np.ndarray, rate: int) -> float:
    """The loudness of one 400 ms window (LUFS), ungated: -inf for silence."""
    mono = _mono(audio)
    assert mono.shape[0] == round(0.4 * rate), "one momentary window"
    meter = pyloudnorm.Meter(rate)
    meter.integrated_loudness(mono)
    return float(meter.blockwise_loudness[0]) + STEREO_LU


def _mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 1:
        return audio
    np.testing.assert_array_equal(audio[:, 0], audio[:, 1])
    return audio[:, 0]


def bundled_plan(name: str, rate: int, arm: str | None = None) -> Plan:
    routine = load_routine(ROOT / "routines" / f"{name}.yaml").routine
    return compile_plan(routine, rate, arm=arm)


def render(
    timeline: Timeline,
    start: int = 0,
    stop: int | None = None,
    parts: tuple[str, ...] = PARTS,
    engine: Engine | None = None,
) -> np.ndarray:
    """Frames [start, stop) of `timeline` (the whole of it by default), with only
    `parts` of the mix (or by `engine`, made for the timeline's plan)."""
    stop = timeline.end_frame if stop is None else stop
    own = engine is None
    if engine is None:
        engine = Engine(timeline.plan, max_block=65_536, parts=parts)
    out = np.zeros((stop - start, engine.channels), dtype=np.float32)
    for at in range(start, stop, 65_536):
        engine.render(timeline, at, out[at - start : min(at + 65_536, stop) - start])
    if own:
        engine.close()
    return out
