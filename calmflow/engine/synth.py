"""Waveforms calmflow makes itself: the breath guide, the chime, a soft tone.

Everything here is computed once per plan, before playing; the mixer only
copies and adds slices of these arrays, which keeps the audio callback cheap
(see PITFALLS.md: calling np.sin per block lost half the audio under load).
"""

from __future__ import annotations

import numpy as np

from calmflow.core.plan import BreathPlan

BREATH_LOW_HZ = 220.0
"""Where the breath tone starts an inhale (A3) and ends an exhale."""
BREATH_HIGH_HZ = 330.0
"""Where it peaks at the top of the inhale (E4): a gentle fifth."""
BREATH_GAIN = 0.2
CHIME_HZ = 880.0
"""Chime fundamental (A5), above every partial of the breath tone, so each can be told apart."""
CHIME_GAIN = 0.22
CHIME_S = 3.0


def _raised_cosine(n: int) -> np.ndarray:
    """A smooth 0→1 ramp of n samples (no corner at either end)."""
    if n <= 0:
        return np.zeros(0)
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)


def _swell(n: int, rate: int, rise_s: float, fall_s: float) -> np.ndarray:
    env = np.ones(n)
    rise = min(n // 2, int(rise_s * rate))
    fall = min(n - rise, int(fall_s * rate))
    env[:rise] = _raised_cosine(rise)
    if fall:
        env[n - fall :] = _raised_cosine(fall)[::-1]
    return env


def _glide(n: int, f_from: float, f_to: float) -> np.ndarray:
    x = _raised_cosine(n) if n else np.zeros(0)
    return f_from + (f_to - f_from) * x


def breath_cycle(breath: BreathPlan, rate: int) -> np.ndarray:
    """One breathing cycle, mono float32, `breath.cycle_frames` long.

    The tone swells and glides up through the inhale and back down through the
    exhale; holds are silent. Each step starts and ends at zero amplitude, so
    the cycle loops, and a cut between steps, without a click.
    """
    freq = np.zeros(breath.cycle_frames)
    env = np.zeros(breath.cycle_frames)
    pos = 0
    for length, glide in (
        (breath.inhale_frames, (BREATH_LOW_HZ, BREATH_HIGH_HZ)),
        (breath.hold_in_frames, None),
        (breath.exhale_frames, (BREATH_HIGH_HZ, BREATH_LOW_HZ)),
        (breath.hold_out_frames, None),
    ):
        if glide is not None and length:
            freq[pos : pos + length] = _glide(length, *glide)
            env[pos : pos + length] = _swell(length, rate, rise_s=0.6, fall_s=0.9)
        pos += length
    phase = 2 * np.pi * np.cumsum(freq) / rate
    wave = np.sin(phase) + 0.18 * np.sin(2 * phase)
    return (BREATH_GAIN / 1.18 * env * wave).astype(np.float32)


def chime(rate: int) -> np.ndarray:
    """A soft bell: a few inharmonic partials, each decaying naturally."""
    n = int(CHIME_S * rate)
    t = np.arange(n) / rate
    wave = np.zeros(n)
    for ratio, amp, decay_s in ((1.0, 1.0, 1.1), (2.01, 0.35, 0.6), (3.03, 0.12, 0.35)):
        wave += amp * np.exp(-t / decay_s) * np.sin(2 * np.pi * CHIME_HZ * ratio * t)
    attack = int(0.004 * rate)
    wave[:attack] *= _raised_cosine(attack)
    tail = int(0.3 * rate)
    wave[n - tail :] *= _raised_cosine(tail)[::-1]
    return (CHIME_GAIN / 1.47 * wave).astype(np.float32)


def tone_loop(hz: float, rate: int) -> np.ndarray:
    """A soft sustained tone as a loop of whole periods (about one second)."""
    periods = max(1, round(hz))
    n = round(periods * rate / hz)
    phase = 2 * np.pi * periods * np.arange(n) / n
    return (0.5 * (np.sin(phase) + 0.1 * np.sin(2 * phase)) / 1.1).astype(np.float32)


def fade_in(n: int) -> np.ndarray:
    """The ramp used at every start of a cue (float32, n samples)."""
    return _raised_cosine(n).astype(np.float32)
