"""A loud mix is rounded off under the ceiling (-1.5 dBFS, so under -1 dBTP), never
clipped flat; a sound alone is matched under the limiter's knee and left untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from calmflow.core.session import Session
from calmflow.engine.mixer import CEILING, LIMIT_KNEE
from tests.engine.listen import RATE, plan_from_yaml, render_all, seconds, true_peak_db

LOUD = """
version: 1
name: loud
breathing: off
chime: false
cues:
  a: {sound: a.wav, volume: 1, loop: true, fade_in: 0s, role: music}
  b: {sound: b.wav, volume: 1, loop: true, fade_in: 0s, role: music}
  c: {sound: c.wav, volume: 1, loop: true, fade_in: 0s, role: music}
phases:
  - {name: Quiet, kind: prep, duration: 2s, cues: [a]}
  - {name: Loud, kind: stimulation, duration: 2s, cues: [a, b, c]}
"""


def _bursts(path: Path, hz: float) -> None:
    """A second of silence with a 20 ms burst at full scale in it: quiet to the
    ear (its loudness is low), loud in its peaks, so matching it leaves its peaks
    as high as calmflow lets a file's go."""
    sound = np.zeros(RATE, dtype=np.float32)
    t = np.arange(seconds(0.02)) / RATE
    sound[seconds(0.3) : seconds(0.32)] = np.sin(2 * np.pi * hz * t) * np.hanning(t.size)
    sf.write(str(path), sound, RATE, subtype="FLOAT")


def test_three_loud_sounds_together_are_bent_under_the_ceiling_not_clipped(
    tmp_path: Path,
) -> None:
    for name, hz in (("a", 1000.0), ("b", 1250.0), ("c", 1500.0)):
        _bursts(tmp_path / f"{name}.wav", hz)
    session = Session(plan_from_yaml(tmp_path, LOUD))
    session.start()
    audio = render_all(session.timeline)[:, 0]
    quiet = audio[seconds(0.1) : seconds(1.9)]
    loud = audio[seconds(2.1) : seconds(3.9)]

    # alone, one sound peaks at the knee at most: the limiter leaves it be
    assert 0.8 * LIMIT_KNEE < np.abs(quiet).max() <= LIMIT_KNEE
    # together they would reach three times that; they stay under the ceiling...
    peak = np.abs(loud).max()
    assert LIMIT_KNEE < peak <= CEILING
    assert true_peak_db(loud) <= -1.0
    # ...rounded, not flattened: a hard clip would hold the top for dozens of samples
    at_top = np.abs(loud) >= peak - 1e-4
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], at_top, [0]]))))[::2]
    assert runs.max() <= 4, f"the top held for {runs.max()} samples: clipped flat"
    # and the bend is smooth: no sample-to-sample jump bigger than the three
    # bursts' own steepest slopes together (each at most the knee, 1.5 kHz at most)
    assert np.abs(np.diff(loud)).max() < 3 * LIMIT_KNEE * 2 * np.pi * 1500 / RATE
