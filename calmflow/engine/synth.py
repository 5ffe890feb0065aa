"""Waveforms calmflow makes itself: the breath guides, the chime, a soft tone.

Everything here is computed once per plan, before playing; the mixer only
copies and adds slices of these arrays, which keeps the audio callback cheap
(see PITFALLS.md: calling np.sin per block lost half the audio under load).
"""

from __future__ import annotations

import math

import numpy as np

from calmflow.core.breathing import BELL_S
from calmflow.core.plan import BreathPlan
from calmflow.engine import loudness

BREATH_LOW_HZ = 220.0
"""Where the breath tone starts an inhale (A3) and ends an exhale."""
BREATH_HIGH_HZ = 330.0
"""Where it peaks at the top of the inhale (E4): a gentle fifth."""
BREATH_GAIN = 0.2
"""The tone's peak before its loudness is set (every voice is brought to one
loudness, `at_loudness`)."""
CHIME_HZ = 880.0
"""Chime fundamental (A5), above every partial of the breath tone, so each can be told apart."""
CHIME_GAIN = 0.1237
"""About -18.6 dBFS at its peak: 5 dB under the first chime calmflow had, which
startled more than it soothed (it stays clearly above the breath, docs/sound.md)."""
CHIME_S = 3.0
CHIME_ATTACK_S = 0.02
"""A bell struck softly: 20 ms to its full level (a struck bell's 4 ms is a tick)."""
WAVE_LOW_RMS = 0.06
"""The breath wave's body: noise darkened below about 700 Hz, like a swell far out."""
WAVE_HIGH_RMS = 0.025
"""Its hiss (about 1.5-6 kHz), which grows faster than the body, like a breaking crest."""
WAVE_CLOSE_S = 0.4
"""Before a hold the wave closes over this long, and opens again after it: holds are silent."""
WAVE_SEED = 20_240_601
"""Fixed, so a plan always sounds the same (and renders compare sample for sample)."""
BREATH_CHIME_IN_HZ = 587.33
"""The breath chime at each inhale (D5): below the phase chime's 880 Hz band."""
BREATH_CHIME_OUT_HZ = 392.0
"""The lower one at each exhale (G4)."""
BREATH_CHIME_GAIN = 0.12
BREATH_CHIME_S = BELL_S
"""Shorter than the shortest breath step (1 s), so one never rings into the next."""
MIN_RAMP_S = 0.005
"""The shortest fade anything gets: below it a start or stop is heard as a click."""


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


def breath_voice(breath: BreathPlan, rate: int, lufs: float | None = None) -> np.ndarray | None:
    """One cycle of the breath guide in its voice, or None for voice 'none'; at
    `lufs` (looped, in both channels) if given, so the voices sound equally loud."""
    if breath.voice == "wave":
        cycle = breath_wave_cycle(breath, rate)
    elif breath.voice == "chime":
        cycle = breath_chime_cycle(breath, rate)
    elif breath.voice == "none":
        return None
    else:
        cycle = breath_cycle(breath, rate)
    return cycle if lufs is None else at_loudness(cycle, rate, lufs)


STEREO_LU = 10 * math.log10(2)
"""A mono wave played in both channels measures this much louder than alone."""


def at_loudness(mono: np.ndarray, rate: int, lufs: float) -> np.ndarray:
    """`mono`, as a loop, scaled to measure `lufs` in both channels (float32).
    The gain is rounded to 0.01 dB, so the same wave always gets the same one."""
    measured = loudness.integrated(mono, rate, loop=True) + STEREO_LU
    if not math.isfinite(measured):
        return mono
    gain = loudness.db_gain(round(lufs - measured, 2))
    return (mono * np.float32(gain)).astype(np.float32)


def _shaped_noise(
    n: int, rng: np.random.Generator, lo_hz: float, hi_hz: float, rate: int
) -> np.ndarray:
    """`n` samples of noise of unit RMS, its spectrum rolled off outside [lo_hz, hi_hz].

    Shaped in the frequency domain over a power-of-two length (fast for any
    `n`) and cut to `n`; where it is cut the breath wave is silent anyway.
    """
    size = 1 << max(0, (n - 1).bit_length())
    spectrum = np.fft.rfft(rng.standard_normal(size))
    f = np.fft.rfftfreq(size, 1 / rate)
    # Second-order roll-offs each side, and 1/sqrt(f) inside (pink, softer than white).
    shape = 1 / np.sqrt(1 + (f / hi_hz) ** 4) / np.sqrt(1 + (lo_hz / np.maximum(f, 1.0)) ** 4)
    shape /= np.sqrt(np.maximum(f, lo_hz) / lo_hz)
    noise = np.fft.irfft(spectrum * shape, size)[:n]
    return noise / max(float(np.sqrt(np.mean(noise**2))), 1e-12)


def breath_wave_cycle(breath: BreathPlan, rate: int) -> np.ndarray:
    """One breathing cycle as a sea wave, mono float32, `breath.cycle_frames` long.

    Soft noise swells through the inhale and ebbs through the exhale, its hiss
    growing with the swell; holds are silent. The level is zero at the start of
    each inhale and the end of each exhale, and the wave closes before a hold
    and opens after it, so neither the loop point nor a hold clicks.
    """
    n = breath.cycle_frames
    env = np.zeros(n)
    inhale, hold_in, exhale = breath.inhale_frames, breath.hold_in_frames, breath.exhale_frames
    env[:inhale] = _raised_cosine(inhale)
    out_at = inhale + hold_in
    env[out_at : out_at + exhale] = _raised_cosine(exhale)[::-1]
    if hold_in:
        close = min(inhale // 2, exhale // 2, int(WAVE_CLOSE_S * rate))
        env[inhale - close : inhale] *= _raised_cosine(close)[::-1]
        env[out_at : out_at + close] *= _raised_cosine(close)
    rng = np.random.default_rng(WAVE_SEED)
    body = _shaped_noise(n, rng, 60.0, 700.0, rate)
    hiss = _shaped_noise(n, rng, 1500.0, 6000.0, rate)
    wave: np.ndarray = env * (WAVE_LOW_RMS * body + WAVE_HIGH_RMS * env * hiss)
    return wave.astype(np.float32)


def _bell(hz: float, rate: int) -> np.ndarray:
    """A short soft bell at `hz` with one inharmonic partial (none near 880 Hz for these notes)."""
    n = int(BREATH_CHIME_S * rate)
    t = np.arange(n) / rate
    wave = np.exp(-t / 0.3) * np.sin(2 * np.pi * hz * t)
    wave += 0.2 * np.exp(-t / 0.15) * np.sin(2 * np.pi * hz * 2.76 * t)
    attack = int(0.004 * rate)
    wave[:attack] *= _raised_cosine(attack)
    tail = int(0.2 * rate)
    wave[n - tail :] *= _raised_cosine(tail)[::-1]
    return BREATH_CHIME_GAIN / 1.2 * wave


def breath_chime_cycle(breath: BreathPlan, rate: int) -> np.ndarray:
    """One breathing cycle as two chimes, mono float32: a higher one where the
    inhale starts, a lower one where the exhale starts, silence otherwise."""
    n = breath.cycle_frames
    wave = np.zeros(n)
    out_at = breath.inhale_frames + breath.hold_in_frames
    for at, hz in ((0, BREATH_CHIME_IN_HZ), (out_at, BREATH_CHIME_OUT_HZ)):
        bell = _bell(hz, rate)
        room = (out_at if at == 0 else n) - at
        if room < bell.shape[0]:  # a step under BREATH_CHIME_S: end early, softly
            bell = bell[:room].copy()
            ramp = min(room, int(MIN_RAMP_S * rate))
            bell[room - ramp :] *= _raised_cosine(ramp)[::-1]
        wave[at : at + bell.shape[0]] += bell
    return wave.astype(np.float32)


def chime(rate: int) -> np.ndarray:
    """A soft bell: a few inharmonic partials, each decaying naturally, struck softly."""
    n = int(CHIME_S * rate)
    t = np.arange(n) / rate
    wave = np.zeros(n)
    for ratio, amp, decay_s in ((1.0, 1.0, 1.1), (2.01, 0.35, 0.6), (3.03, 0.12, 0.35)):
        wave += amp * np.exp(-t / decay_s) * np.sin(2 * np.pi * CHIME_HZ * ratio * t)
    attack = int(CHIME_ATTACK_S * rate)
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


def fade_out(n: int) -> np.ndarray:
    """The ramp used at every stop (float32, n samples, 1 down to 0)."""
    return fade_in(n)[::-1].copy()
