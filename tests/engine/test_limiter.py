"""A loud mix is rounded off under full scale, never clipped flat; a quiet one is untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calmflow.core.session import Session
from calmflow.engine.mixer import FULL_SCALE, LIMIT_KNEE, SOUND_GAIN
from tests.engine.listen import plan_from_yaml, render_all, seconds, write_tone

LOUD = """
version: 1
name: loud
breathing: off
chime: false
cues:
  a: {sound: a.wav, volume: 1, loop: true, fade_in: 0s}
  b: {sound: b.wav, volume: 1, loop: true, fade_in: 0s}
  c: {sound: c.wav, volume: 1, loop: true, fade_in: 0s}
phases:
  - {name: Quiet, kind: prep, duration: 2s, cues: [a]}
  - {name: Loud, kind: stimulation, duration: 2s, cues: [a, b, c]}
"""


def test_three_full_scale_sounds_together_are_bent_under_full_scale_not_clipped(
    tmp_path: Path,
) -> None:
    for name, hz in (("a", 200.0), ("b", 300.0), ("c", 500.0)):
        write_tone(tmp_path / f"{name}.wav", seconds=1.0, rate=48_000, hz=hz, amplitude=1.0)
    session = Session(plan_from_yaml(tmp_path, LOUD))
    session.start()
    audio = render_all(session.timeline)[:, 0]
    quiet = audio[seconds(0.5) : seconds(1.5)]
    loud = audio[seconds(2.5) : seconds(3.5)]

    # alone, one sound plays at its own level: the limiter leaves it be
    assert abs(np.abs(quiet).max() - SOUND_GAIN) < 0.01
    # together they would reach 1.5; they stay under full scale...
    peak = np.abs(loud).max()
    assert LIMIT_KNEE < peak <= FULL_SCALE
    # ...rounded, not flattened: a hard clip would hold the top for dozens of samples
    at_top = np.abs(loud) >= peak - 1e-4
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], at_top, [0]]))))[::2]
    assert runs.max() <= 4, f"the top held for {runs.max()} samples: clipped flat"
    # and the bend is smooth: no sample-to-sample jump bigger than the tones make
    assert np.abs(np.diff(loud)).max() < 0.1
