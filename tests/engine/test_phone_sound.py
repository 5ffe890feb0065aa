"""A phone's recordings play as any other sound: an M4A voice memo, the sound of
an MP4 or MOV clip.

Heard at its planned sample, as it was recorded (to AAC's coding error, so
compared by correlation and level, not sample by sample), as loud as the same
sound in a WAV, exactly as long as what was recorded (AAC's priming and
padding left out), round a loop without a click, streamed from disk when long
with what is heard live equal to a render, and with FFmpeg saying nothing on
file descriptor 2 (where the player draws) whatever the file holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.core.timeline import Timeline
from calmflow.engine import containers, levels, media, stream
from calmflow.engine.mixer import Engine
from calmflow.engine.readers import open_reader
from calmflow.engine.stream import StreamedSound
from tests.conftest import ROOT
from tests.engine.listen import plan_from_yaml, render_all, seconds
from tests.engine.meter import lufs
from tests.engine.test_seams import INAUDIBLE, LOOP, _seams
from tests.phone_media import write_aac

RATE = 48_000


def _memo(seconds_long: float, rate: int) -> np.ndarray:
    """Something like a baby's voice: a few harmonics gliding in pitch, in
    bursts (tonal, as AAC codes well; a glide, so a lag shows)."""
    n = round(seconds_long * rate)
    t = np.arange(n) / rate
    pitch = 300 + 150 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voice = sum(a * np.sin(k * phase) for k, a in ((1, 0.5), (2, 0.25), (3, 0.12), (5, 0.05)))
    bursts = np.sin(np.pi * t / 0.4) ** 2  # syllables of 0.4 s
    return (0.6 * voice * bursts).astype(np.float32)


@pytest.mark.parametrize("suffix", [".m4a", ".mp4", ".mov"])
def test_a_phone_file_is_exactly_as_long_as_what_was_recorded(tmp_path: Path, suffix: str) -> None:
    # 2 s and 37 samples: not a whole number of AAC frames, whose last is padded.
    rate = 44_100
    recorded = _memo(2 + 37 / rate, rate)
    path = tmp_path / f"memo{suffix}"
    write_aac(path, recorded, rate, video=suffix != ".m4a")
    assert media.probe(path) * rate == pytest.approx(recorded.shape[0], abs=1e-6)
    with open_reader(path) as reader:
        assert reader.frames == recorded.shape[0]
        decoded = reader.read(dtype="float32", always_2d=True)
    assert decoded.shape == (recorded.shape[0], 1)
    # the first sample decoded is the first recorded (the priming is left out)...
    assert np.corrcoef(decoded[:, 0], recorded)[0, 1] > 0.999
    # ...and played at 48 kHz it is as long as the recording is at that rate
    assert media.load_sound(path, RATE).shape[0] == round(recorded.shape[0] * RATE / rate)


def test_a_header_in_milliseconds_gives_the_length_to_within_one(tmp_path: Path) -> None:
    # FFmpeg's own files state their length in milliseconds: the padding after
    # the recording is left out to within one, and nothing recorded is lost.
    rate = 44_100
    recorded = _memo(2 + 37 / rate, rate)  # 2000.84 ms
    write_aac(tmp_path / "memo.m4a", recorded, rate, timescale=1000)
    frames = containers.scan(tmp_path / "memo.m4a").frames
    assert recorded.shape[0] <= frames <= recorded.shape[0] + rate // 1000


PLACED = """
version: 1
name: memo
breathing: 'off'
chime: false
cues:
  memo: {{sound: {file}, volume: 1, loop: false, fade_in: 0s, at: 1.5s, role: baby}}
phases:
  - {{name: Listen, kind: prep, duration: 5s, cues: [memo]}}
"""


def _render(folder: Path, file: str) -> np.ndarray:
    return render_all(Timeline.initial(plan_from_yaml(folder, PLACED.format(file=file))))


def _lag(audio: np.ndarray, reference: np.ndarray, start: int, within: int = 200) -> int:
    """Where `reference` lies in `audio` near `start` (the best correlation)."""
    span = reference.shape[0]
    scores = [
        float(np.dot(audio[start + lag : start + lag + span], reference))
        for lag in range(-within, within + 1)
    ]
    return int(np.argmax(scores)) - within


def test_an_m4a_is_heard_at_its_planned_sample_as_recorded_and_as_loud_as_a_wav(
    tmp_path: Path,
) -> None:
    recorded = _memo(2.0, RATE)
    write_aac(tmp_path / "memo.m4a", recorded, RATE)
    sf.write(str(tmp_path / "memo.wav"), recorded, RATE, subtype="FLOAT")
    from_m4a, from_wav = _render(tmp_path, "memo.m4a")[:, 0], _render(tmp_path, "memo.wav")[:, 0]
    planned = seconds(1.5)
    assert np.abs(from_m4a[: planned - 10]).max() < 1e-6, "nothing before its time"
    assert _lag(from_m4a, recorded, planned) == 0, "heard on its planned sample"
    assert _lag(from_wav, recorded, planned) == 0
    heard = from_m4a[planned : planned + recorded.shape[0]]
    assert np.corrcoef(heard, recorded)[0, 1] > 0.999, "as it was recorded"
    # matched to a baby's sound as the WAV is: the same loudness, within what
    # two recordings of one sound are held to (test_levels.py)
    m4a_lufs = lufs(np.repeat(heard[:, None], 2, axis=1), RATE)
    wav_lufs = lufs(np.repeat(from_wav[planned : planned + recorded.shape[0], None], 2, 1), RATE)
    assert m4a_lufs == pytest.approx(wav_lufs, abs=0.2)
    assert m4a_lufs == pytest.approx(levels.ROLE_LUFS["baby"], abs=1.0)
    measured = levels.measure_file(tmp_path / "memo.m4a")
    assert measured.lufs == pytest.approx(levels.measure_file(tmp_path / "memo.wav").lufs, abs=0.2)


def _pad(frames: int, rate: int, periods: int) -> np.ndarray:
    """test_seams' soft pad: whole periods in `frames`, a perfect loop."""
    t = np.arange(frames) / frames
    wave = sum(
        a * np.sin(2 * np.pi * periods * k * t + k) for k, a in ((1, 0.5), (2, 0.2), (3, 0.1))
    )
    return np.asarray(wave, dtype=np.float32)


def test_an_m4a_that_loops_goes_round_without_a_click(tmp_path: Path) -> None:
    write_aac(tmp_path / "pad.m4a", _pad(44_100, 44_100, 110), 44_100)
    plan = plan_from_yaml(tmp_path, LOOP.format(file="pad.m4a", seconds=6), rate=RATE)
    audio = render_all(Timeline.initial(plan))
    period = media.open_sound(tmp_path / "pad.m4a", RATE, loop=True).frames
    at, elsewhere = _seams(audio, RATE, period, period)
    assert np.abs(audio).max() > 0.05
    assert at <= max(2 * elsewhere, INAUDIBLE), (at, elsewhere)


LONG = """
version: 1
name: long
breathing: 'off'
chime: false
background: [memo]
cues:
  memo: {sound: memo.m4a, volume: 1, loop: true, fade_in: 0s}
phases:
  - {name: Listen, kind: prep, duration: 14s}
"""


@pytest.fixture
def streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 6 s memo at 44.1 kHz that the engine streams from disk (as one over a
    minute is), keeping only its first second in memory: played at 48 kHz, it
    loops twice in a 14 s session."""
    write_aac(tmp_path / "memo.m4a", _pad(6 * 44_100, 44_100, 6 * 110), 44_100)
    monkeypatch.setattr(media, "STREAM_ABOVE_S", 2.0)
    monkeypatch.setattr(stream, "HEAD_S", 1.0)
    return tmp_path


def _blocks(engine: Engine, timeline: Timeline, block: int, pace_s: float = 0.0) -> np.ndarray:
    out = np.zeros((timeline.end_frame, 2), dtype=np.float32)
    for at in range(0, timeline.end_frame, block):
        engine.render(timeline, at, out[at : at + block])
        if pace_s:
            time.sleep(pace_s)
    return out


def test_a_long_m4a_streams_from_disk_and_live_play_equals_a_render(
    streamed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_from_yaml(streamed, LONG, rate=RATE)
    timeline = Timeline.initial(plan)
    live = Engine(plan, max_block=1024, live=True)
    (source,) = live._sources
    assert isinstance(source, StreamedSound), "streamed, not loaded whole"
    heard = _blocks(live, timeline, 1024, pace_s=1024 / RATE / 20)  # a callback at 20x
    live.close()
    assert source.misses == 0 and source.failed is None
    offline = Engine(plan, max_block=4096)
    rendered = _blocks(offline, timeline, 4096)
    offline.close()
    assert np.abs(rendered).max() > 0.1
    period = source.frames
    np.testing.assert_array_equal(heard[:period], rendered[:period])  # the same samples
    # ...and through two loops, where a render seeks where live play does not,
    # to the resampler's rounding (as for a WAV: 1e-7); AAC's noise drawn anew
    # at a seek would differ by 1e-2
    np.testing.assert_allclose(heard, rendered, atol=1e-6)
    # ...and it goes round as a WAV of the same sound does (streamed loops are
    # joined as the file's end meets its start, whatever the format)
    with open_reader(streamed / "memo.m4a") as reader:
        decoded = reader.read(dtype="float32", always_2d=True)
    sf.write(str(streamed / "memo.wav"), decoded, 44_100, subtype="FLOAT")
    as_wav = Engine(plan_from_yaml(streamed, LONG.replace("memo.m4a", "memo.wav"), rate=RATE))
    assert isinstance(as_wav._sources[0], StreamedSound)
    np.testing.assert_allclose(rendered, _blocks(as_wav, timeline, 4096), atol=1e-6)
    as_wav.close()
    # ...and, before the seam, what the file decoded whole into memory makes
    monkeypatch.setattr(media, "STREAM_ABOVE_S", 60.0)
    whole = Engine(plan, max_block=timeline.end_frame)
    assert not isinstance(whole._sources[0], StreamedSound)
    first_pass = period - seconds(media.LOOP_CROSSFADE_S)  # where memory crossfades
    np.testing.assert_allclose(
        rendered[:first_pass], render_all(timeline, whole)[:first_pass], atol=1e-4
    )


def test_a_read_after_a_seek_is_what_decoding_from_the_start_gives(tmp_path: Path) -> None:
    # AAC's noise substitution draws on a state that runs from frame to frame: a
    # decoder started at a seek would give a render and live play other noise.
    rng = np.random.default_rng(3)
    write_aac(tmp_path / "hiss.m4a", 0.2 * rng.standard_normal(3 * RATE), RATE, bitrate=64_000)
    with open_reader(tmp_path / "hiss.m4a") as reader:
        whole = reader.read(dtype="float32", always_2d=True)
        for at, n in [(RATE + 123, 8192), (2 * RATE, 100), (RATE // 2, 4096), (3 * RATE - 50, 50)]:
            assert reader.seek(at) == at  # back, forward, into the end kept from the scan
            np.testing.assert_array_equal(
                reader.read(n, dtype="float32", always_2d=True), whole[at : at + n]
            )
            assert reader.tell() == at + n
        assert reader.read(10).shape[0] == 0, "nothing past its end"


QUIET_CHILD = """
import os, sys
from pathlib import Path
import av, av.logging
# as if PyAV, or a library, had FFmpeg's own logger print everything to fd 2
av.logging.restore_default_callback()
av.logging.set_libav_level(av.logging.DEBUG)
from calmflow.system import native_stderr
native_stderr.keep_in_log()  # as in the audio process: nothing silences fd 2
from calmflow.engine import containers, media
for name in sys.argv[1:]:
    try:
        media.verify(Path(name))
    except media.MediaError as exc:
        print("refused:", exc.reason)
reader = containers.TrackReader(Path(sys.argv[1]))
print("scanned:", reader.frames)
"""


def test_ffmpeg_writes_nothing_to_fd_2_whatever_the_file(tmp_path: Path) -> None:
    write_aac(tmp_path / "good.m4a", _memo(1.0, RATE), RATE, faststart=True)
    good = (tmp_path / "good.m4a").read_bytes()
    damaged = bytearray(good)
    for i in range(len(good) // 2, len(good) // 2 + 400):
        damaged[i] ^= 0x5A
    (tmp_path / "damaged.m4a").write_bytes(bytes(damaged))
    (tmp_path / "cut.m4a").write_bytes(good[: len(good) * 2 // 3])
    (tmp_path / "cut.aac").write_bytes(b"\xff\xf1" + os.urandom(300))
    files = [tmp_path / name for name in ("good.m4a", "damaged.m4a", "cut.m4a", "cut.aac")]
    done = subprocess.run(
        [sys.executable, "-c", QUIET_CHILD, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    refused = [line for line in done.stdout.splitlines() if line.startswith("refused:")]
    assert len(refused) == 3, done.stdout  # it did decode the damaged ones
    assert done.stderr == "", "FFmpeg wrote to fd 2, where the player draws"


def test_a_file_damaged_after_it_was_checked_fails_as_it_plays_saying_so(
    streamed: Path,
) -> None:
    path = streamed / "memo.m4a"
    plan = plan_from_yaml(streamed, LONG, rate=RATE)
    timeline = Timeline.initial(plan)
    engine = Engine(plan, max_block=4096, skip_bad=True)  # as a session plays
    (source,) = engine._sources
    assert isinstance(source, StreamedSound)
    data = bytearray(path.read_bytes())
    info = path.stat()
    for i in range(len(data) // 2, len(data)):  # its second half overwritten, same size
        data[i] = 0x5A
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # as checked: not scanned again
    out = _blocks(engine, timeline, 4096)
    engine.close()
    assert source.failed is not None and "damaged" in source.failed, source.failed
    (problem,) = engine.problems()
    assert problem.while_playing and problem.file == str(path)
    assert np.abs(out[: seconds(1.5)]).max() > 0.1, "what was read before it still plays"


def test_the_scan_of_a_track_is_kept_per_version_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "memo.m4a"
    write_aac(path, _memo(1.0, RATE), RATE)
    first = containers.scan(path)
    assert containers.scan(path) is first
    write_aac(path, _memo(0.5, RATE), RATE)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert containers.scan(path).frames == RATE // 2
