"""A recording made ready for a routine: the silence at its ends trimmed (a soft
start kept), its loudness a baby sound's as pyloudnorm measures it, its true
peak under what the mixer allows (scipy's oversampling), and measured as
calmflow's mixer will measure the saved file, so it plays as it was saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from calmflow.engine import levels, recording
from tests.engine.listen import true_peak_db

RATE = 48_000
BABY_LUFS = levels.ROLE_LUFS["baby"]


def _tone(seconds: float, peak: float, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    n = round(seconds * rate)
    return (peak * np.sin(2 * np.pi * hz * np.arange(n) / rate)).astype(np.float32)


def _quiet(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.float32)


def _as_heard_lufs(mono: np.ndarray, rate: int = RATE) -> float:
    """pyloudnorm's loudness of a mono recording played, as calmflow plays it, in both channels."""
    stereo = np.column_stack([mono, mono]).astype(np.float64)
    return float(pyloudnorm.Meter(rate).integrated_loudness(stereo))


def test_silence_is_trimmed_to_a_tenth_of_a_second_either_side() -> None:
    audio = np.concatenate([_quiet(1.0), _tone(1.0, 0.2), _quiet(1.5)])
    start, end = recording.heard_span(audio, RATE)
    assert start / RATE == pytest.approx(0.9, abs=0.011)
    assert end / RATE == pytest.approx(2.1, abs=0.011)


def test_a_soft_start_is_kept() -> None:
    # A coo that begins 32 dB under its loudest: it is the sound, not the silence.
    soft, loud = _tone(0.4, 0.005, 300.0), _tone(0.6, 0.2)
    audio = np.concatenate([_quiet(1.0), soft, loud, _quiet(1.0)])
    start, end = recording.heard_span(audio, RATE)
    assert start / RATE == pytest.approx(0.9, abs=0.011)
    assert end / RATE == pytest.approx(2.1, abs=0.011)


def test_a_humming_room_is_trimmed_too() -> None:
    rng = np.random.default_rng(3)
    hum = (0.003 * rng.standard_normal(round(4.0 * RATE))).astype(np.float32)  # about -50 dBFS
    audio = hum.copy()
    audio[RATE : 2 * RATE] += _tone(1.0, 0.1)
    start, end = recording.heard_span(audio, RATE)
    assert start / RATE == pytest.approx(0.9, abs=0.011)
    assert end / RATE == pytest.approx(2.1, abs=0.011)


def test_a_recording_that_is_sound_throughout_is_kept_whole() -> None:
    audio = _tone(2.0, 0.2) * np.linspace(0.5, 1.0, 2 * RATE, dtype=np.float32)
    assert recording.heard_span(audio, RATE) == (0, audio.size)


@pytest.mark.parametrize(
    "audio",
    [
        _quiet(2.0),
        np.zeros(0, dtype=np.float32),
        (0.0002 * np.random.default_rng(1).standard_normal(RATE)).astype(np.float32),  # -74 dBFS
    ],
    ids=["digital silence", "nothing at all", "a muted microphone's hiss"],
)
def test_nothing_heard(audio: np.ndarray) -> None:
    with pytest.raises(recording.NothingHeard):
        recording.prepare(audio, RATE, "baby")


@pytest.mark.parametrize("peak", [0.02, 0.1, 0.9])
def test_the_loudness_is_a_baby_sounds_whatever_it_was_recorded_at(peak: float) -> None:
    audio = np.concatenate([_quiet(0.5), _tone(1.5, peak), _quiet(0.5)])
    prepared = recording.prepare(audio, RATE, "baby")
    assert prepared.matched
    assert _as_heard_lufs(prepared.samples) == pytest.approx(BABY_LUFS, abs=0.2)
    assert prepared.level.lufs == pytest.approx(BABY_LUFS, abs=0.05)
    assert prepared.trimmed_s == pytest.approx(0.8, abs=0.02)


def test_a_sharp_sound_is_kept_under_the_mixers_peak() -> None:
    # A soft hum with three sharp squeaks over it (2 ms each, -1 dBTP): raised
    # to the loudness target, the squeaks would pass -4 dBTP; they are held
    # there, and the loudness with them.
    audio = _tone(3.0, 0.01, 220.0)
    n = 96
    squeak = 0.9 * np.hanning(n) * np.sin(2 * np.pi * 3000 * np.arange(n) / RATE)
    for at in (0.5, 1.5, 2.5):
        audio[round(at * RATE) : round(at * RATE) + n] += squeak.astype(np.float32)
    assert true_peak_db(audio) > levels.PEAK_DBTP + 2
    prepared = recording.prepare(audio, RATE, "baby")
    assert true_peak_db(prepared.samples) == pytest.approx(levels.PEAK_DBTP, abs=0.1)
    assert _as_heard_lufs(prepared.samples) < BABY_LUFS - 1


def test_a_recording_too_quiet_to_match_is_kept_as_it_was() -> None:
    audio = np.concatenate([_quiet(0.5), _tone(1.0, 0.0015), _quiet(0.5)])  # -56 dBFS
    prepared = recording.prepare(audio, RATE, "baby")
    assert not prepared.matched
    assert prepared.needed_db > levels.MAX_GAIN_DB
    start, end = recording.heard_span(audio, RATE)
    assert np.array_equal(prepared.samples, audio[start:end])


@pytest.mark.parametrize("seconds", [2.0, 70.0], ids=["short", "measured on windows"])
def test_the_mixer_plays_a_saved_recording_as_it_was_saved(tmp_path: Path, seconds: float) -> None:
    rate = 16_000  # a minute and more at a rate quick to measure
    rng = np.random.default_rng(7)
    n = round(seconds * rate)
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * np.arange(n) / rate)
    audio = (0.05 * swell * rng.standard_normal(n)).astype(np.float32)
    prepared = recording.prepare(audio, rate, "baby")
    path = tmp_path / "coo.flac"
    recording.write_flac(prepared, path)
    measured = levels.measure_file(path)
    assert measured.lufs == pytest.approx(prepared.level.lufs, abs=0.05)
    gain = levels.matched_gain(measured, "baby")
    assert gain.matched and 20 * np.log10(gain.gain) == pytest.approx(0.0, abs=0.1)
    info = sf.info(str(path))
    assert (info.format, info.subtype, info.channels) == ("FLAC", "PCM_24", 1)
