"""A recording made ready to play: silence trimmed at both ends, loudness set for its role.

A recording of a baby is mostly the room: silence (or the room's hum) before
the sound and after it. What is heard is found by the level of short windows
against the recording's own: within `BELOW_LOUDEST_DB` of its loudest window,
and, in a room that hums, clear of its quietest windows by `ABOVE_FLOOR_DB`.
MARGIN_S of what comes before and after is kept, so the soft start of a coo is
not clipped. Nothing above `HEARD_DBFS` anywhere is nothing heard.

The loudness is then set as calmflow's mixer sets every sound file
(engine/levels.py): measured as it will be (a mono file played in both
channels, a long one on windows spread over it), brought to its role's target
by `levels.matched_gain`, with its true peak kept under `levels.PEAK_DBTP`; the
mixer then plays it as it is. A recording so quiet that it would need more
than `levels.MAX_GAIN_DB` is kept as it was recorded, as the mixer would play it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from calmflow.engine import levels, loudness

WINDOW_S = 0.01
MARGIN_S = 0.1
"""Kept before the first sound heard and after the last: the soft start of a coo, its breath."""
BELOW_LOUDEST_DB = 40.0
"""What is this far under the loudest window is not the sound (in digital silence)."""
ABOVE_FLOOR_DB = 10.0
"""In a room that hums, the sound stands this far above the quietest windows..."""
WITHIN_LOUDEST_DB = 10.0
"""...but a recording that is sound throughout keeps all within this of its loudest."""
HEARD_DBFS = -60.0
"""No window louder than this: nothing was heard (a microphone muted or unplugged)."""
FLOOR_PERCENTILE = 10
SILENCE_POWER = 1e-20
"""Digital silence, as a level (-200 dBFS) that arithmetic can use."""
PEAK_CHUNK_S = 30.0
"""True peaks are found a piece at a time, so a long recording does not take
four times its size in memory."""
SUBTYPE = "PCM_24"


class NothingHeard(ValueError):
    """The recording holds no sound: silence, or too little to tell from it."""


def window_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    """The RMS level (dBFS) of each WINDOW_S window; the last, partial one included."""
    size = max(1, round(WINDOW_S * rate))
    n = samples.size
    padded = np.zeros(-(-n // size) * size, dtype=np.float64)
    padded[:n] = samples
    power = np.square(padded).reshape(-1, size).mean(axis=1)
    result: np.ndarray = 10 * np.log10(np.maximum(power, SILENCE_POWER))
    return result


def heard_span(samples: np.ndarray, rate: int) -> tuple[int, int]:
    """The frames [start, end) to keep: from the first window heard to the
    last, MARGIN_S more at each side (within the recording). Raise
    NothingHeard if no window reaches HEARD_DBFS."""
    if samples.size == 0:
        raise NothingHeard("nothing was recorded")
    db = window_levels(samples, rate)
    loudest = float(db.max())
    if loudest < HEARD_DBFS:
        raise NothingHeard(f"the loudest moment was {loudest:.0f} dBFS")
    floor = float(np.percentile(db, FLOOR_PERCENTILE))
    threshold = max(
        loudest - BELOW_LOUDEST_DB, min(floor + ABOVE_FLOOR_DB, loudest - WITHIN_LOUDEST_DB)
    )
    heard = np.flatnonzero(db >= threshold)
    size = max(1, round(WINDOW_S * rate))
    margin = round(MARGIN_S * rate)
    start = max(0, int(heard[0]) * size - margin)
    end = min(samples.size, (int(heard[-1]) + 1) * size + margin)
    return start, end


def level_of(samples: np.ndarray, rate: int) -> levels.FileLevel:
    """The level of mono `samples` as `levels.measure_file` measures a mono file
    (played in both channels; one over a minute on windows spread over it),
    with its true peak found over all of it."""
    n = samples.size
    if n <= levels.STREAMED_ABOVE_S * rate:
        powers = 2 * loudness.block_powers(samples, rate)
    else:
        window = round(levels.MEASURE_WINDOW_S * rate)
        stride = (n - window) / (levels.MEASURE_WINDOWS - 1)
        starts = [round(i * stride) for i in range(levels.MEASURE_WINDOWS)]
        powers = np.concatenate(
            [2 * loudness.block_powers(samples[s : s + window], rate) for s in starts]
        )
    lufs = loudness.gated_loudness(powers)
    chunk = round(PEAK_CHUNK_S * rate)
    overlap = 64  # a peak between two samples at a seam is seen from both sides
    peak = max(
        loudness.true_peak_db(samples[max(0, s - overlap) : s + chunk], rate)
        for s in range(0, max(n, 1), chunk)
    )
    return levels.FileLevel(lufs, peak)


@dataclass(frozen=True)
class Prepared:
    """A recording made ready to save."""

    samples: np.ndarray
    """Mono float32, trimmed and at its level."""
    rate: int
    trimmed_s: float
    """Seconds of silence taken off, both ends together."""
    gain_db: float
    level: levels.FileLevel
    """Its level as it is now (what `levels.file_level` finds in the saved file)."""
    matched: bool
    """False: too quiet to bring to its role's level; kept as recorded."""
    needed_db: float
    """The gain its role's level would have needed."""


def prepare(samples: np.ndarray, rate: int, role: str) -> Prepared:
    """Trim `samples` (mono) and set its loudness for `role` (levels.ROLE_LUFS).
    Raise NothingHeard if nothing in it is sound."""
    start, end = heard_span(samples, rate)
    kept = np.asarray(samples[start:end], dtype=np.float32)
    before = level_of(kept, rate)
    match = levels.matched_gain(before, role)
    gain_db = 20 * math.log10(match.gain) if match.matched and match.gain > 0 else 0.0
    out = (kept * np.float32(match.gain if match.matched else 1.0)).astype(np.float32)
    after = levels.FileLevel(
        before.lufs + gain_db if math.isfinite(before.lufs) else before.lufs,
        before.peak_db + gain_db if math.isfinite(before.peak_db) else before.peak_db,
    )
    return Prepared(
        out,
        rate,
        (samples.size - kept.size) / rate,
        gain_db,
        after,
        match.matched,
        match.needed_db,
    )


def write_flac(prepared: Prepared, path: Path) -> None:
    """Write the recording to `path` as 24-bit FLAC (whatever `path`'s ending:
    it is written under a `.part` name first). Raises OSError or soundfile's
    errors (a full disk)."""
    sf.write(str(path), prepared.samples, prepared.rate, format="FLAC", subtype=SUBTYPE)
