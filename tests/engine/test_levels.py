"""Every sound file level-matched: measured once (the measurement cached beside
the cache of files found good, and measured again when the file changes),
brought to the loudness of its role, its `volume` relative to that; one too
quiet to match plays as it is, and `calmflow check` says so."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.core.timeline import Timeline
from calmflow.engine import levels
from calmflow.engine.mixer import Engine
from tests.e2e.conftest import run_cli
from tests.engine.listen import plan_from_yaml, render_all, seconds, true_peak_db
from tests.engine.meter import lufs

RATE = 48_000


def _speech_like(path: Path, peak: float, seconds_long: float = 3.0, seed: int = 1) -> None:
    """Noise shaped and chopped like speech (syllables of 200 ms), normalised so its
    highest sample is `peak`."""
    rng = np.random.default_rng(seed)
    n = round(seconds_long * RATE)
    noise = np.convolve(rng.standard_normal(n), np.hanning(24), mode="same")
    syllables = (np.sin(np.pi * np.arange(n) / (0.2 * RATE)) ** 2) * (
        rng.random(n // 9600 + 1) > 0.3
    ).repeat(9600)[:n]
    wave = noise * syllables
    sf.write(
        str(path), (peak * wave / np.abs(wave).max()).astype(np.float32), RATE, subtype="FLOAT"
    )


VOICE = """
version: 1
name: voice
breathing: 'off'
chime: false
phases:
  - name: Listen
    kind: prep
    duration: 5s
    prompt: {text: Breathe out slowly, voice: voice.wav}
"""


def test_a_voice_normalised_to_full_scale_is_matched_and_stays_under_minus_1_dbtp(
    tmp_path: Path,
) -> None:
    _speech_like(tmp_path / "voice.wav", peak=1.0)
    assert levels.measure_file(tmp_path / "voice.wav").peak_db > -0.5  # loud as recorded
    audio = render_all(Timeline.initial(plan_from_yaml(tmp_path, VOICE)))
    voice = audio[: seconds(3.0)]
    assert lufs(voice, RATE) == pytest.approx(levels.ROLE_LUFS["voice"], abs=1.0)
    assert true_peak_db(audio) <= -1.0


TWO = """
version: 1
name: two
breathing: 'off'
chime: false
cues:
  soft: {{sound: soft.wav, volume: 1, loop: false, role: {role}}}
  loud: {{sound: loud.wav, volume: 1, loop: false, role: {role}}}
phases:
  - {{name: A, kind: prep, duration: 4s, cues: [soft]}}
  - {{name: B, kind: prep, duration: 4s, cues: [loud]}}
"""


@pytest.mark.parametrize("role", ["baby", "music"])
def test_two_recordings_12_db_apart_play_equally_loud_at_their_roles_level(
    tmp_path: Path, role: str
) -> None:
    _speech_like(tmp_path / "soft.wav", peak=0.2, seed=2)
    _speech_like(tmp_path / "loud.wav", peak=0.8, seed=2)
    audio = render_all(Timeline.initial(plan_from_yaml(tmp_path, TWO.format(role=role))))
    soft, loud = lufs(audio[: seconds(3)], RATE), lufs(audio[seconds(4) : seconds(7)], RATE)
    assert soft == pytest.approx(loud, abs=0.2)
    assert soft == pytest.approx(levels.ROLE_LUFS[role], abs=1.0)


def test_volume_is_relative_to_the_matched_level(tmp_path: Path) -> None:
    _speech_like(tmp_path / "soft.wav", peak=0.5)
    _speech_like(tmp_path / "loud.wav", peak=0.5)
    text = TWO.format(role="music").replace(
        "loud: {sound: loud.wav, volume: 1", "loud: {sound: loud.wav, volume: -6dB"
    )
    audio = render_all(Timeline.initial(plan_from_yaml(tmp_path, text)))
    full, half = lufs(audio[: seconds(3)], RATE), lufs(audio[seconds(4) : seconds(7)], RATE)
    assert full - half == pytest.approx(6.0, abs=0.2)


FAINT = """
version: 1
name: faint
breathing: 'off'
chime: false
cues:
  faint: {sound: faint.wav, volume: 1, loop: true, fade_in: 0s}
phases:
  - {name: A, kind: prep, duration: 3s, cues: [faint]}
"""


def test_a_file_too_quiet_to_match_plays_as_it_is_and_check_says_so(
    tmp_path: Path, home: Path
) -> None:
    # -60 dBFS of noise: it would need over 30 dB to reach ambience's level.
    rng = np.random.default_rng(4)
    sf.write(
        str(tmp_path / "faint.wav"), (0.001 * rng.standard_normal(RATE)).astype(np.float32), RATE
    )
    plan = plan_from_yaml(tmp_path, FAINT)
    audio = render_all(Timeline.initial(plan))
    played_rms = float(np.sqrt(np.mean(audio[seconds(0.5) : seconds(1.5), 0] ** 2)))
    assert played_rms == pytest.approx(0.001, rel=0.1)  # as recorded, not raised
    done = run_cli("check", str(tmp_path / "routine.yaml"))
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if "note:" in line]
    assert len(notes) == 1 and "faint.wav: note: too quiet" in notes[0], done.stdout
    assert "it plays as it is" in notes[0]


def test_a_files_loudness_is_measured_once_and_again_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _speech_like(tmp_path / "voice.wav", peak=0.5)
    plan = plan_from_yaml(tmp_path, VOICE)
    cache = tmp_path / "cache" / "loudness.json"
    cache.parent.mkdir()
    measured: list[Path] = []
    real = levels.measure_file

    def counting(path: Path) -> levels.FileLevel:
        measured.append(path)
        return real(path)

    monkeypatch.setattr(levels, "measure_file", counting)
    monkeypatch.setattr(levels, "_memo", {})  # as a new process would start
    Engine(plan, levels_cache=cache).close()
    assert len(measured) == 1
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    first = cache.read_text()
    monkeypatch.setattr(levels, "_memo", {})
    Engine(plan, levels_cache=cache).close()
    assert len(measured) == 1, "measured again though the file did not change"
    _speech_like(tmp_path / "voice.wav", peak=0.25)  # re-recorded: 6 dB softer
    monkeypatch.setattr(levels, "_memo", {})
    Engine(plan, levels_cache=cache).close()
    assert len(measured) == 2
    assert cache.read_text() != first


def test_a_damaged_cache_is_measured_again_not_trusted(tmp_path: Path) -> None:
    _speech_like(tmp_path / "voice.wav", peak=0.5)
    cache = tmp_path / "loudness.json"
    cache.write_text("{not json")
    level = levels.file_level(tmp_path / "voice.wav", cache)
    assert level == levels.measure_file(tmp_path / "voice.wav")
