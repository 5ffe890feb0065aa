"""Loops go round without a seam and sounds end without a click, at 44.1 and 48 kHz.

A click is a step or a kink in the waveform: broadband energy where the sound
itself has none. Every loop point and every end is looked at above 5 kHz and
compared with the same sound away from it: no more than twice that, or under
-80 dBFS, far below hearing (a resampler restarted at a loop point measured
-41 dBFS; a step at a loop point, -40).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.core.timeline import Timeline
from calmflow.engine import media
from calmflow.engine.mixer import Engine
from calmflow.system.paths import bundled_media_dir
from tests.engine.listen import clicks, plan_from_yaml, render_all

INAUDIBLE = 1e-4
"""-80 dBFS above 5 kHz."""

LOOP = """
version: 1
name: loop
breathing: 'off'
chime: false
cues:
  pad: {{sound: {file}, volume: 1, loop: true, fade_in: 0s}}
phases:
  - {{name: Listen, kind: prep, duration: {seconds}s, cues: [pad]}}
"""


def _pad(path: Path, frames: int, rate: int = 44_100, periods: int = 110) -> None:
    """A soft pad of a few harmonics, whole periods in `frames`: a perfect loop
    at its own rate."""
    t = np.arange(frames) / frames
    wave = sum(
        a * np.sin(2 * np.pi * periods * k * t + k) for k, a in ((1, 0.5), (2, 0.2), (3, 0.1))
    )
    sf.write(str(path), wave.astype(np.float32), rate, subtype="FLOAT")


def _seams(audio: np.ndarray, rate: int, period: int, first: int) -> tuple[float, float]:
    """The loudest click at the loop points (from `first`, every `period`), and
    the loudest anywhere else (the sound away from them, the fades aside)."""
    high = clicks(audio, rate)
    at = [high[p - 200 : p + 200].max() for p in range(first, audio.shape[0] - 1000, period)]
    mask = np.ones(high.shape[0], dtype=bool)
    for p in range(first, audio.shape[0], period):
        mask[max(0, p - 2000) : p + 2000] = False
    mask[: rate // 2] = False
    mask[-2 * rate :] = False
    return float(max(at)), float(high[mask].max())


@pytest.mark.parametrize("rate", [44_100, 48_000])
@pytest.mark.parametrize("frames", [44_100, 44_107], ids=["1 s", "1 s and 7 samples"])
def test_a_pad_that_loops_perfectly_in_the_file_loops_perfectly_at_any_rate(
    tmp_path: Path, rate: int, frames: int
) -> None:
    _pad(tmp_path / "pad.wav", frames)
    plan = plan_from_yaml(tmp_path, LOOP.format(file="pad.wav", seconds=6), rate=rate)
    audio = render_all(Timeline.initial(plan))
    period = media.open_sound(tmp_path / "pad.wav", rate, loop=True).frames
    at, elsewhere = _seams(audio, rate, period, period)
    assert np.abs(audio).max() > 0.05
    assert at <= max(2 * elsewhere, INAUDIBLE), (at, elsewhere)


def test_a_long_looping_file_streamed_from_disk_loops_as_smoothly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Played from disk (over 60 s), the loop is resampled across its seam too.
    _pad(tmp_path / "pad.wav", 44_100 * 3, periods=330)
    monkeypatch.setattr(media, "STREAM_ABOVE_S", 2.0)
    plan = plan_from_yaml(tmp_path, LOOP.format(file="pad.wav", seconds=10), rate=48_000)
    engine = Engine(plan, max_block=4096)
    assert type(engine._sources[0]).__name__ == "StreamedSound"
    timeline = Timeline.initial(plan)
    audio = np.zeros((timeline.end_frame, 2), dtype=np.float32)
    for at in range(0, timeline.end_frame, 4096):
        engine.render(timeline, at, audio[at : at + 4096])
    engine.close()
    at, elsewhere = _seams(audio, 48_000, 3 * 48_000, 3 * 48_000)
    assert at <= max(2 * elsewhere, INAUDIBLE), (at, elsewhere)


def test_a_file_whose_end_does_not_meet_its_start_is_crossfaded(tmp_path: Path) -> None:
    # 1.003 s of 250 Hz: the end is mid-period, a step at every pass as it is.
    rate = 48_000
    t = np.arange(round(1.003 * rate)) / rate
    sf.write(
        str(tmp_path / "hum.wav"), (0.5 * np.sin(2 * np.pi * 250 * t)).astype(np.float32), rate
    )
    source = media.open_sound(tmp_path / "hum.wav", rate, loop=True)
    assert isinstance(source, media.InMemorySound) and source.lead_in is not None
    plan = plan_from_yaml(tmp_path, LOOP.format(file="hum.wav", seconds=6), rate=rate)
    audio = render_all(Timeline.initial(plan))
    at, elsewhere = _seams(audio, rate, source.frames, len(t))
    assert at <= max(2 * elsewhere, INAUDIBLE), (at, elsewhere)


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_the_bundled_waves_go_round_without_a_tick(tmp_path: Path, rate: int) -> None:
    waves = bundled_media_dir() / "waves.ogg"
    assert not media.seam_is_rough(sf.read(str(waves), dtype="float32", always_2d=True)[0])
    plan = plan_from_yaml(
        tmp_path, LOOP.format(file=str(waves), seconds=70).replace("volume: 1", "volume: 1"), rate
    )
    audio = render_all(Timeline.initial(plan))
    period = media.open_sound(waves, rate, loop=True).frames
    assert period == 32 * rate
    at, elsewhere = _seams(audio, rate, period, period)
    assert at <= max(2 * elsewhere, INAUDIBLE), (at, elsewhere)


ENDS = """
version: 1
name: ends
breathing: 'off'
chime: false
cues:
  once: {sound: loud.wav, volume: 1, loop: false, fade_in: 0s}
phases:
  - name: Listen
    kind: prep
    duration: 4s
    cues: [once]
    prompts: [{at: 2s, voice: loud.wav}]
"""


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_a_sound_that_ends_loud_fades_out_instead_of_clicking(tmp_path: Path, rate: int) -> None:
    # A one-shot and a voice whose last sample is at the top of a 300 Hz wave.
    frames = 24_000
    t = np.arange(frames) / 48_000
    wave = 0.9 * np.cos(2 * np.pi * 300 * (t - t[-1]))
    sf.write(str(tmp_path / "loud.wav"), wave.astype(np.float32), 48_000)
    plan = plan_from_yaml(tmp_path, ENDS, rate)
    audio = render_all(Timeline.initial(plan))
    high = clicks(audio, rate)
    body = max(high[rate // 10 : rate * 4 // 10].max(), 1e-6)
    for end_s in (0.5, 2.5):  # where each ends on its own
        end = round(end_s * rate)
        assert high[end - rate // 50 : end + rate // 50].max() < 3 * body + 1e-4, end_s
    # ...and it does end: silence after.
    assert np.abs(audio[round(0.52 * rate) : round(1.9 * rate)]).max() < 1e-4
