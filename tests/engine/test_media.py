"""Sound files a person points a cue at: decoded, in stereo, at the output's rate.

A file that cannot be used must say which file and why, because the person has
to go and fix that file (often a recording of their baby).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.engine.media import MediaError, load_sound, probe
from tests.conftest import ROOT
from tests.engine.listen import dominant_hz, write_tone

BUNDLED_WAVES = ROOT / "media" / "waves.ogg"


def test_mono_file_plays_on_both_channels(tmp_path: Path) -> None:
    path = tmp_path / "mono.wav"
    written = write_tone(path, seconds=0.5, rate=48_000, hz=440.0, subtype="FLOAT")
    data = load_sound(path, 48_000)
    assert data.shape == (24_000, 2)
    assert data.dtype == np.float32
    np.testing.assert_array_equal(data[:, 0], data[:, 1])
    np.testing.assert_allclose(data[:, 0], written[:, 0], atol=1e-6)


def test_stereo_file_keeps_left_and_right(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    write_tone(path, seconds=0.5, rate=48_000, hz=(300.0, 700.0), subtype="FLOAT")
    data = load_sound(path, 48_000)
    assert data.shape == (24_000, 2)
    assert dominant_hz(data[:, 0], 100, 1000, 48_000) == pytest.approx(300, abs=2)
    assert dominant_hz(data[:, 1], 100, 1000, 48_000) == pytest.approx(700, abs=2)


def test_surround_file_keeps_its_front_pair(tmp_path: Path) -> None:
    path = tmp_path / "quad.wav"
    write_tone(path, seconds=0.5, rate=48_000, hz=(300.0, 700.0, 1100.0, 1500.0))
    data = load_sound(path, 48_000)
    assert data.shape == (24_000, 2)
    assert dominant_hz(data[:, 1], 100, 2000, 48_000) == pytest.approx(700, abs=2)


def test_one_second_at_44100_becomes_48000_frames_at_the_same_pitch(tmp_path: Path) -> None:
    path = tmp_path / "cd.wav"
    write_tone(path, seconds=1.0, rate=44_100, hz=1000.0, subtype="FLOAT")
    data = load_sound(path, 48_000)
    assert abs(data.shape[0] - 48_000) <= 1
    assert dominant_hz(data[:, 0], 200, 5000, 48_000) == pytest.approx(1000, abs=1)
    # Resampled with care: no loss of level in the middle of the file.
    middle = data[12_000:36_000, 0]
    assert np.abs(middle).max() == pytest.approx(0.5, abs=0.01)


def test_bundled_waves_decode_at_the_output_rate() -> None:
    assert probe(BUNDLED_WAVES) == pytest.approx(32.0)
    data = load_sound(BUNDLED_WAVES, 48_000)
    assert abs(data.shape[0] - 32 * 48_000) <= 1
    assert 0.05 < np.abs(data).max() <= 1.0


def test_probe_gives_seconds(tmp_path: Path) -> None:
    path = tmp_path / "short.flac"
    sf.write(str(path), np.zeros(22_050, dtype=np.float32), 44_100, format="FLAC")
    assert probe(path) == pytest.approx(0.5)


def _not_audio(folder: Path) -> Path:
    path = folder / "notes.wav"  # the name says WAV, the content does not
    path.write_text("remember: bring the small flanges\n" * 20)
    return path


def _empty(folder: Path) -> Path:
    path = folder / "empty.mp3"
    path.write_bytes(b"")
    return path


def _no_frames(folder: Path) -> Path:
    path = folder / "silence.wav"
    sf.write(str(path), np.zeros((0, 1), dtype=np.float32), 48_000)
    return path


def _missing(folder: Path) -> Path:
    return folder / "moved-away.ogg"


def _folder(folder: Path) -> Path:
    path = folder / "recordings.wav"
    path.mkdir()
    return path


BAD = {
    "not audio": (_not_audio, "not a sound file"),
    "empty file": (_empty, "not a sound file"),
    "no frames": (_no_frames, "no sound"),
    # A cue's file moved or deleted after `calmflow check`: say so, not "not a sound file".
    "missing": (_missing, "not found"),
    "a folder": (_folder, "not a sound file"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("read", [probe, lambda p: load_sound(p, 48_000)], ids=["probe", "load"])
def test_unusable_file_names_the_file_and_the_reason(
    tmp_path: Path, case: str, read: Callable[[Path], object]
) -> None:
    make, reason = BAD[case]
    path = make(tmp_path)
    with pytest.raises(MediaError) as err:
        read(path)
    message = str(err.value)
    assert str(path) in message
    assert reason in message


FORMATS = [
    ("wav", "WAV", "PCM_16"),
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
]


@pytest.mark.parametrize("streamed", [False, True], ids=["in memory", "streamed"])
@pytest.mark.parametrize(("suffix", "container", "subtype"), FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_plays_at_its_pitch_and_length_at_the_output_rate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    container: str,
    subtype: str,
    streamed: bool,
) -> None:
    """A 440 Hz recording at 44.1 kHz sounds at 440 Hz, as long, at 48 kHz:
    read whole, or streamed as a long file is (the threshold lowered for the test)."""
    from calmflow.engine import media
    from calmflow.engine.stream import StreamedSound

    path = tmp_path / f"tone.{suffix}"
    t = np.arange(3 * 44_100) / 44_100
    sf.write(
        str(path),
        (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
        44_100,
        format=container,
        subtype=subtype,
    )
    monkeypatch.setattr(media, "STREAM_ABOVE_S", 1.0 if streamed else 60.0)
    source = media.open_sound(path, 48_000)
    assert isinstance(source, StreamedSound) == streamed
    # MP3 pads its start and end by a few milliseconds
    assert abs(source.frames - 3 * 48_000) < (0.1 * 48_000 if suffix == "mp3" else 2)
    out = np.zeros((source.frames, 2), dtype=np.float32)
    source.read(0, out)
    source.close()
    middle = out[48_000:96_000, 0]
    assert dominant_hz(middle, 100, 2000) == pytest.approx(440, abs=1)
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.4 / np.sqrt(2), rel=0.1)
