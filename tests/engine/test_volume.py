"""The volume keys in the audio process's callback: a change ramps over about
30 ms so it never clicks, mute is silence while the frames go on being counted,
and the block size does not change a sample. The callback is driven directly,
with buffers as PortAudio hands them over."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from calmflow.audio.shared import COUNTERS, FAULTS, FRAMES
from calmflow.audio.worker import FADE_S, _Playback

RATE = 48_000
FADE = int(FADE_S * RATE)
TONE_HZ = 440.0
LEVEL = 0.5


class _ToneEngine:
    """Stands in for the Engine: a steady 440 Hz tone at half scale, a pure
    function of the frame, on two channels."""

    channels = 2

    def render(self, _timeline: Any, start_frame: int, out: np.ndarray) -> None:
        t = np.arange(start_frame, start_frame + len(out)) / RATE
        out[:] = (LEVEL * np.sin(2 * np.pi * TONE_HZ * t))[:, None]

    def late_reads(self) -> int:
        return 0


class _Status:
    output_underflow = False


def _playback() -> tuple[_Playback, Any]:
    counters = np.zeros(COUNTERS, dtype=np.int64)
    timeline = SimpleNamespace(plan=SimpleNamespace(rate=RATE))
    playback = _Playback(_ToneEngine(), timeline, counters)  # type: ignore[arg-type]
    playback.preroll = 0
    return playback, counters


def _play(playback: _Playback, frames: int, block: int) -> np.ndarray:
    """`frames` of what the callback writes, in blocks of `block` frames."""
    out = []
    done = 0
    while done < frames:
        n = min(block, frames - done)
        buffer = np.full((n, 2), np.nan, dtype=np.float32)  # every sample must be written
        playback.callback(buffer, n, None, _Status())
        out.append(buffer[:, 0].copy())
        done += n
    return np.concatenate(out)


def _natural_step() -> float:
    """The largest change from one sample to the next in the tone itself."""
    return LEVEL * 2 * np.pi * TONE_HZ / RATE


def test_a_volume_change_ramps_over_30_ms_without_a_click():
    playback, _ = _playback()
    before = _play(playback, 4800, 1024)
    playback.want_gain = 10 ** (-12 / 20)  # four presses of -
    after = _play(playback, 9600, 1024)

    gain = 10 ** (-12 / 20)
    assert np.abs(before).max() == pytest.approx(LEVEL, rel=1e-3)
    # Settled at the new level within the fade, and exactly there after it.
    assert np.abs(after[FADE:]).max() == pytest.approx(LEVEL * gain, rel=1e-3)
    # Gently: no step between samples larger than the tone makes on its own.
    whole = np.concatenate([before, after])
    assert np.abs(np.diff(whole)).max() <= _natural_step() * 1.01
    # And it does go down over the ramp, not at once.
    assert np.abs(after[: FADE // 4]).max() > LEVEL * 0.8


def test_mute_is_silence_after_a_ramp_and_the_frames_keep_counting():
    playback, counters = _playback()
    _play(playback, 4800, 1024)
    playback.want_gain = 0.0
    muted = _play(playback, 48_000, 1024)
    assert counters[FRAMES] == 4800 + 48_000  # the session's clock goes on
    assert np.all(muted[FADE:] == 0.0)
    assert np.abs(muted[: FADE // 4]).max() > 0.3  # faded, not cut
    assert np.abs(np.diff(muted)).max() <= _natural_step() * 1.01

    playback.want_gain = 1.0  # m again
    back = _play(playback, 4800, 1024)
    assert counters[FRAMES] == 4800 + 48_000 + 4800
    assert np.abs(back[FADE:]).max() == pytest.approx(LEVEL, rel=1e-3)
    assert np.abs(np.diff(np.concatenate([muted, back]))).max() <= _natural_step() * 1.01
    assert counters[FAULTS] == 0


def test_a_change_in_the_middle_of_a_ramp_goes_on_from_where_the_gain_is():
    playback, _ = _playback()
    _play(playback, 1024, 1024)
    playback.want_gain = 0.0
    first = _play(playback, FADE // 2, 64)
    playback.want_gain = 1.0  # m pressed twice quickly
    second = _play(playback, 4800, 64)
    whole = np.concatenate([first, second])
    assert np.abs(np.diff(whole)).max() <= _natural_step() * 1.01
    assert np.abs(second[FADE:]).max() == pytest.approx(LEVEL, rel=1e-3)


@pytest.mark.parametrize("block", [1, 64, 65, 1024, 4097])
def test_the_ramp_does_not_depend_on_the_block_size(block):
    reference, _ = _playback()
    tested, _ = _playback()
    for playback in (reference, tested):
        playback.want_gain = 0.25
    expected = _play(reference, 8192, 8192)
    np.testing.assert_array_equal(_play(tested, 8192, block), expected)


def test_while_paused_or_before_the_sound_starts_the_level_is_taken_at_once():
    playback, _ = _playback()
    playback.preroll = 2048
    playback.want_gain = 0.5
    silence = _play(playback, 2048, 1024)
    assert np.all(silence == 0.0)
    start = _play(playback, 1024, 1024)
    assert np.abs(start).max() == pytest.approx(LEVEL * 0.5, rel=1e-3)  # no ramp heard


class _SteadyEngine:
    """A constant level, written in place: it allocates nothing itself."""

    channels = 2

    def render(self, _timeline: Any, _start_frame: int, out: np.ndarray) -> None:
        out.fill(LEVEL)

    def late_reads(self) -> int:
        return 0


def test_the_gain_is_applied_without_allocating_a_block_of_samples():
    playback, _ = _playback()
    playback.engine = _SteadyEngine()
    buffer = np.zeros((1024, 2), dtype=np.float32)
    status = _Status()
    playback.callback(buffer, 1024, None, status)
    tracemalloc.start()
    try:
        for gain in (0.3, 0.0, 1.0, 0.5):  # ramps, and steady blocks between them
            playback.want_gain = gain
            for _ in range(4):
                playback.callback(buffer, 1024, None, status)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert buffer[0, 0] == pytest.approx(LEVEL * 0.5)
    # A block of samples would be 4 KB or more; views and scalars are far less.
    assert peak < 2048, peak
