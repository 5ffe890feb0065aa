"""The audio process's stream opened again mid-session: held silent, counting
nothing, until the player says where the session is; then the routine from
exactly that frame, faded in. The callback is driven directly, as PortAudio does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from calmflow.audio.shared import COUNTERS, FRAMES
from calmflow.audio.worker import FADE_S, _go, _Playback

RATE = 48_000
FADE = int(FADE_S * RATE)


class _RampEngine:
    """Stands in for the Engine: each sample is its own frame number (a pure
    function of the frame), so where the callback plays from shows."""

    channels = 2

    def __init__(self) -> None:
        self.seeks: list[int] = []

    def render(self, _timeline: Any, start_frame: int, out: np.ndarray) -> None:
        out[:] = np.arange(start_frame, start_frame + len(out), dtype=np.float32)[:, None]

    def seek(self, _timeline: Any, frame: int) -> bool:
        self.seeks.append(frame)
        return True

    def late_reads(self) -> int:
        return 0


class _Status:
    output_underflow = False


def _block(playback: _Playback, n: int = 1024) -> np.ndarray:
    buffer = np.full((n, 2), np.nan, dtype=np.float32)
    playback.callback(buffer, n, None, _Status())
    return buffer[:, 0].copy()


def _held() -> tuple[_Playback, Any, _RampEngine]:
    """A held stream that has played silence for a while (as it has by the time the
    player hears it is open): longer than the preroll, so no more silence is owed."""
    counters = np.zeros(COUNTERS, dtype=np.int64)
    engine = _RampEngine()
    timeline = SimpleNamespace(plan=SimpleNamespace(rate=RATE))
    playback = _Playback(engine, timeline, counters, held=True)  # type: ignore[arg-type]
    for _ in range(20):
        assert not _block(playback).any()
    return playback, counters, engine


def test_held_it_plays_silence_and_counts_no_frames():
    playback, counters, _ = _held()
    counters[FRAMES] = 777  # the parent's count stays as it set it
    for _ in range(20):
        assert not _block(playback).any()
    assert counters[FRAMES] == 777


def test_let_go_it_plays_from_the_sessions_frame_at_once_faded_in():
    playback, counters, engine = _held()
    frame = 5 * RATE
    _go(playback, playback.timeline, frame, False)
    assert engine.seeks == [frame]
    out = _block(playback, 4096)
    # From the frame given, the first FADE frames rising from silence.
    expected = np.arange(frame, frame + 4096, dtype=np.float32)
    assert 0 < out[FADE // 2] < expected[FADE // 2]
    np.testing.assert_array_equal(out[FADE:], expected[FADE:])
    assert counters[FRAMES] == frame + 4096


def test_let_go_paused_it_waits_at_the_frame_for_resume():
    playback, counters, _ = _held()
    frame = 3 * RATE
    counters[FRAMES] = frame
    _go(playback, playback.timeline, frame, True)
    assert not _block(playback).any()
    assert counters[FRAMES] == frame
    playback.want_paused = False
    _block(playback)
    assert counters[FRAMES] == frame + 1024


def test_a_second_go_is_ignored():
    playback, counters, engine = _held()
    _go(playback, playback.timeline, RATE, False)
    _block(playback)
    _go(playback, playback.timeline, 9 * RATE, False)
    _block(playback)
    assert engine.seeks == [RATE] and counters[FRAMES] == RATE + 2048
