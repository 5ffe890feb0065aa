"""Long recordings (a guided audio, an hour of music) play from disk.

A file longer than STREAM_ABOVE_S is never decoded whole: the engine keeps its
first seconds and a bounded ring filled ahead of the play position. It must
still sound exactly like the file, in blocks of any size, live and offline.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.core.plan import Plan
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine import media
from calmflow.engine.mixer import Engine
from calmflow.engine.stream import HEAD_S, StreamedSound
from tests.engine.listen import RATE, plan_from_yaml, seconds

FILE_S = 150
FILE_RATE = 16_000
SESSION_S = 200  # the background loops once, at 150 s

ROUTINE = f"""
version: 1
name: long
breathing: off
chime: false
background: [guide]
cues:
  guide: {{sound: guide.flac, volume: 1, loop: true, fade_in: 0s}}
phases:
  - {{name: Listen, kind: prep, duration: {SESSION_S}s}}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 150 s recording: noise, so any sample out of place shows."""
    folder = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(7)
    data = 0.4 * rng.uniform(-1, 1, FILE_S * FILE_RATE).astype(np.float32)
    sf.write(str(folder / "guide.flac"), data, FILE_RATE, subtype="PCM_16")
    return folder


@pytest.fixture(scope="module")
def plan(folder: Path) -> Plan:
    return plan_from_yaml(folder, ROUTINE)


@pytest.fixture(scope="module")
def timeline(plan: Plan) -> Timeline:
    session = Session(plan)
    session.start()
    return session.timeline


def _render(engine: Engine, timeline: Timeline, start: int, stop: int, block: int) -> np.ndarray:
    out = np.zeros((stop - start, engine.channels), dtype=np.float32)
    for at in range(start, stop, block):
        engine.render(timeline, at, out[at - start : min(at + block, stop) - start])
    return out


def _guide(engine: Engine) -> StreamedSound:
    (source,) = engine._sources
    assert isinstance(source, StreamedSound), "a 150 s file should be streamed"
    return source


def test_a_long_file_is_played_without_being_decoded_whole(plan: Plan, timeline: Timeline) -> None:
    decoded_bytes = seconds(FILE_S) * 2 * 4  # what the whole file takes at 48 kHz stereo float
    tracemalloc.start()
    try:
        engine = Engine(plan, max_block=4096)
        _guide(engine)
        out = np.zeros((4096, 2), dtype=np.float32)
        loudest = 0.0
        for at in range(0, timeline.end_frame, 4096):
            engine.render(timeline, at, out[: min(4096, timeline.end_frame - at)])
            loudest = max(loudest, float(np.abs(out).max()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    engine.close()
    assert loudest > 0.1, "the recording should be heard"
    assert peak < decoded_bytes / 3, (
        f"peak {peak / 1e6:.0f} MB for a {decoded_bytes / 1e6:.0f} MB file"
    )


def test_a_streamed_file_sounds_like_the_file_decoded_whole(
    plan: Plan, timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = Engine(plan, max_block=65_536)
    _guide(streamed)
    got = _render(streamed, timeline, 0, timeline.end_frame, 65_536)
    monkeypatch.setattr(media, "STREAM_ABOVE_S", 10 * FILE_S)
    whole = Engine(plan, max_block=65_536)
    assert not isinstance(whole._sources[0], StreamedSound)
    expected = _render(whole, timeline, 0, timeline.end_frame, 65_536)
    assert np.abs(expected).max() > 0.1
    # the same samples, through the loop at 150 s, to soxr's rounding
    np.testing.assert_allclose(got, expected, atol=1e-5)
    loop = seconds(FILE_S)
    after_fade_in = 1000
    np.testing.assert_allclose(
        got[loop + after_fade_in : loop + 2000], got[after_fade_in:2000], atol=1e-5
    )
    streamed.close()


@pytest.mark.parametrize(
    ("start_s", "stop_s"),
    [(HEAD_S - 0.5, HEAD_S + 1.5), (148.5, 151.5)],
    ids=["from the kept start into the ring", "over the loop point"],
)
@pytest.mark.parametrize("block", [64, 65, 1024, 4097])
def test_blocks_of_any_size_give_the_same_samples(
    plan: Plan, timeline: Timeline, start_s: float, stop_s: float, block: int
) -> None:
    start, stop = seconds(start_s), seconds(stop_s)
    one_go = _render(Engine(plan, max_block=stop - start), timeline, start, stop, stop - start)
    assert np.abs(one_go).max() > 0.1
    np.testing.assert_array_equal(_render(Engine(plan), timeline, start, stop, block), one_go)


def test_blocks_of_one_frame_give_the_same_samples(plan: Plan, timeline: Timeline) -> None:
    start, stop = seconds(HEAD_S - 0.1), seconds(HEAD_S + 0.1)  # the ring takes over there
    one_go = _render(Engine(plan, max_block=stop - start), timeline, start, stop, stop - start)
    np.testing.assert_array_equal(_render(Engine(plan), timeline, start, stop, 1), one_go)


def test_live_the_reader_keeps_ahead_of_a_callback_reading_in_time(
    plan: Plan, timeline: Timeline
) -> None:
    """Read the first minute block by block at about 30x real time, as a callback
    would (never waiting): nothing is missing and it equals the offline render."""
    live = Engine(plan, max_block=1024, live=True)
    guide = _guide(live)
    stop = seconds(60)
    out = np.zeros((stop, 2), dtype=np.float32)
    for at in range(0, stop, 1024):
        live.render(timeline, at, out[at : at + 1024])
        time.sleep(1024 / RATE / 30)
    live.close()
    assert guide.misses == 0
    assert guide.failed is None
    offline = Engine(plan, max_block=65_536)
    np.testing.assert_array_equal(out, _render(offline, timeline, 0, stop, 65_536))


def test_live_a_jump_the_ring_cannot_serve_is_silence_until_the_reader_catches_up(
    plan: Plan, timeline: Timeline
) -> None:
    live = Engine(plan, max_block=1024, live=True)
    guide = _guide(live)
    at = seconds(100)
    block = np.zeros((1024, 2), dtype=np.float32)
    live.render(timeline, at, block)
    assert guide.misses == 1
    assert live.late_reads() == 1, "the player counts it as the sound skipping"
    assert not block.any(), "what is not there yet is silence, never old samples"
    deadline = time.monotonic() + 5
    while guide.misses and time.monotonic() < deadline:
        time.sleep(0.05)
        before = guide.misses
        live.render(timeline, at, block)
        if guide.misses == before:
            break
    live.close()
    expected = _render(Engine(plan), timeline, at, at + 1024, 1024)
    np.testing.assert_allclose(block, expected, atol=1e-5)


def test_live_a_seek_reads_ahead_so_playing_from_the_middle_skips_nothing(
    plan: Plan, timeline: Timeline
) -> None:
    """The sound opened again mid-session plays a long file from the middle: after
    `seek` the first blocks from there are whole, not silence while the reader
    catches up."""
    live = Engine(plan, max_block=1024, live=True)
    guide = _guide(live)
    at = seconds(100)
    assert live.seek(timeline, at)
    out = _render(live, timeline, at, at + 8 * 1024, 1024)
    live.close()
    assert guide.misses == 0
    np.testing.assert_allclose(
        out, _render(Engine(plan), timeline, at, at + 8 * 1024, 1024), atol=1e-5
    )
