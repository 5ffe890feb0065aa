"""Loudness as a listener hears it: ITU-R BS.1770 (EBU R128) in numpy.

The mix is set by loudness, not by sample values: each breath voice, the chime
and every sound file is brought to a target in LUFS (docs/sound.md). What is
measured here is the integrated, gated loudness of BS.1770-4 (K-weighting, 400
ms blocks overlapping by 75 %, an absolute gate at -70 LUFS and a relative one
10 LU under the ungated level) and the true peak (4× oversampled). The suite
holds these against pyloudnorm.

K-weighting is applied in the frequency domain, with the magnitude of the
standard's two biquads: loudness is a sum of energies, which the filters' phase
does not change. The signal is treated as one period of a loop (circular
filtering), which is exact for the loops measured here and a few milliseconds'
difference at the edges of anything else.
"""

from __future__ import annotations

import math

import numpy as np
import soxr

BLOCK_S = 0.4
HOP_S = 0.1
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
SILENT = -math.inf
"""The loudness of silence (nothing above the absolute gate)."""


def k_weighting_power(n: int, rate: int) -> np.ndarray:
    """|H(f)|² of BS.1770's K-weighting at the `np.fft.rfftfreq(n)` bins.

    The pre-filter (a +4 dB shelf above about 1.7 kHz) and the RLB high-pass
    (about 38 Hz), with the coefficients of the standard at 48 kHz derived for
    any rate (Brecht De Man's formulas, as pyloudnorm's "DeMan" filters).
    """
    w = 2 * np.pi * np.fft.rfftfreq(n, 1 / rate) / rate
    z1, z2 = np.exp(-1j * w), np.exp(-2j * w)

    def response(b: tuple[float, float, float], a: tuple[float, float, float]) -> np.ndarray:
        h = (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)
        power: np.ndarray = np.abs(h) ** 2
        return power

    k = math.tan(math.pi * 1681.9744509555319 / rate)
    q = 0.7071752369554193
    vh = 10 ** (3.99984385397 / 20)
    vb = vh**0.499666774155
    a0 = 1 + k / q + k * k
    shelf = response(
        ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
    )
    k = math.tan(math.pi * 38.13547087613982 / rate)
    q = 0.5003270373253953
    a0 = 1 + k / q + k * k
    highpass = response((1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0))
    weight: np.ndarray = shelf * highpass
    return weight


def block_powers(samples: np.ndarray, rate: int, *, loop: bool = False) -> np.ndarray:
    """The K-weighted mean square of each 400 ms block (100 ms apart), summed over
    the channels (left and right weigh 1, as BS.1770 has them). A sound shorter
    than a block is one block of its own length. A `loop` has blocks across its
    end into its start too, as it is heard going round."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    if n == 0:
        return np.zeros(0)
    weight = k_weighting_power(n, rate)
    spectrum = np.fft.rfft(x, axis=0)
    weighted = np.fft.irfft(spectrum * np.sqrt(weight)[:, None], n, axis=0)
    energy = np.square(weighted).sum(axis=1)
    block = round(BLOCK_S * rate)
    if n <= block:
        return np.array([energy.mean()])
    hop = round(HOP_S * rate)
    if loop:
        energy = np.concatenate([energy, energy[:block]])
    cumulative = np.concatenate([[0.0], np.cumsum(energy)])
    starts = np.arange(0, n if loop else n - block + 1, hop)
    powers: np.ndarray = (cumulative[starts + block] - cumulative[starts]) / block
    return powers


def gated_loudness(powers: np.ndarray) -> float:
    """Integrated loudness (LUFS) from block powers, gated as BS.1770-4 says."""
    if powers.size == 0:
        return SILENT
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(powers)
    kept = powers[levels > ABSOLUTE_GATE_LUFS]
    if kept.size == 0:
        return SILENT
    relative = -0.691 + 10 * math.log10(float(kept.mean())) + RELATIVE_GATE_LU
    with np.errstate(divide="ignore"):
        kept_levels = -0.691 + 10 * np.log10(kept)
    kept = kept[kept_levels > relative]
    if kept.size == 0:
        return SILENT
    return -0.691 + 10 * math.log10(float(kept.mean()))


def integrated(samples: np.ndarray, rate: int, *, loop: bool = False) -> float:
    """Integrated loudness of `samples` (frames, or frames × channels) in LUFS;
    of it going round and round if `loop`."""
    return gated_loudness(block_powers(samples, rate, loop=loop))


def true_peak_db(samples: np.ndarray, rate: int) -> float:
    """The true peak in dBTP: the highest magnitude of the signal oversampled 4×
    (2× from 96 kHz), where the peaks between samples show (BS.1770-4 annex 2)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return SILENT
    factor = 4 if rate < 96_000 else 2
    x = soxr.resample(x, rate, rate * factor, quality="HQ")
    peak = max(float(x.max(initial=0.0)), -float(x.min(initial=0.0)))
    return 20 * math.log10(peak) if peak > 0 else SILENT


def db_gain(db: float) -> float:
    """The linear gain of `db` decibels."""
    return float(10 ** (db / 20))
