"""The mixer: what a Timeline sounds like, written into the caller's buffer.

`Engine.render(timeline, start_frame, out)` is a pure function of the timeline
and the absolute frame, so rendering in blocks of any size gives the same
samples as rendering in one go, and the live player and the offline render
agree exactly.

What sounds:
- the breath guide of each segment, looping from the segment's start;
- a chime at the start of every segment (every phase change);
- each sound or tone cue over its span, faded in at its start.
A segment cut short (a let-down, `n`) lets its sounds ring out over a short
tail after the cut instead of stopping dead, so nothing clicks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calmflow.core.plan import BreathPlan, Plan
from calmflow.core.timeline import Timeline
from calmflow.engine import synth
from calmflow.engine.media import load_sound

BREATH_TAIL_S = 0.05
CUE_FADE_IN_S = 1.0
CUE_TAIL_S = 0.8
END_FADE_S = 1.5
"""Everything fades out over the last moments of a session and is silent after it."""
SOUND_GAIN = 0.5
"""Sound files are often mastered loud; at volume 1 they sit at half scale."""
TONE_GAIN = 0.15


class Engine:
    """Holds every waveform a plan needs, precomputed, and mixes blocks of it."""

    def __init__(self, plan: Plan, channels: int = 2, max_block: int = 8192) -> None:
        self.plan = plan
        self.rate = plan.rate
        self.channels = channels
        self._breath: dict[BreathPlan, np.ndarray] = {}
        for phase in plan.phases:
            if phase.breath is not None and phase.breath not in self._breath:
                self._breath[phase.breath] = synth.breath_cycle(phase.breath, self.rate)
        self._chime = synth.chime(self.rate)
        self._sounds: dict[str, np.ndarray] = {}
        self._gains: dict[str, float] = {}
        self._loops = {cue.name: cue.loop for cue in plan.cues}
        for cue in plan.cues:
            if cue.kind == "sound" and cue.file:
                self._sounds[cue.name] = load_sound(Path(cue.file), self.rate, channels)
                self._gains[cue.name] = SOUND_GAIN * cue.volume
            elif cue.kind == "tone" and cue.tone_hz:
                loop = synth.tone_loop(cue.tone_hz, self.rate)
                self._sounds[cue.name] = np.repeat(loop[:, None], channels, axis=1)
                self._gains[cue.name] = TONE_GAIN * cue.volume
        self._breath_tail = max(1, int(BREATH_TAIL_S * self.rate))
        self._cue_tail = max(1, int(CUE_TAIL_S * self.rate))
        self._cue_fade = max(1, int(CUE_FADE_IN_S * self.rate))
        self._ramp_down_breath = synth.fade_in(self._breath_tail)[::-1].copy()
        self._ramp_down_cue = synth.fade_in(self._cue_tail)[::-1].copy()
        self._ramp_up_cue = synth.fade_in(self._cue_fade)
        self._end_fade = max(1, int(END_FADE_S * self.rate))
        self._ramp_end = synth.fade_in(self._end_fade)[::-1].copy()
        self._mono = np.zeros(max_block, dtype=np.float32)
        self._stereo = np.zeros((max_block, channels), dtype=np.float32)

    def render(self, timeline: Timeline, start_frame: int, out: np.ndarray) -> None:
        """Fill `out` (frames × channels, float32) with the timeline from `start_frame`."""
        n = out.shape[0]
        if n > self._mono.shape[0]:
            for offset in range(0, n, self._mono.shape[0]):
                chunk = out[offset : offset + self._mono.shape[0]]
                self.render(timeline, start_frame + offset, chunk)
            return
        out.fill(0.0)
        end = start_frame + n
        horizon = max(self._breath_tail, self._cue_tail, self._chime.shape[0])
        for seg in timeline.segments:
            if seg.start_frame >= end:
                break
            if seg.end_frame + horizon <= start_frame:
                continue
            phase = timeline.plan.phases[seg.phase]
            if phase.breath is not None:
                self._add_mono(
                    out,
                    start_frame,
                    self._breath[phase.breath],
                    seg.start_frame,
                    seg.end_frame,
                    loop=True,
                    tail=self._ramp_down_breath,
                )
            if seg.end_frame > seg.start_frame:  # a phase cut before it began makes no chime
                self._add_mono(out, start_frame, self._chime, seg.start_frame, None, loop=False)
        for span in timeline.cue_spans:
            if span.start_frame >= end:
                break
            sound = self._sounds.get(span.cue)
            if sound is None or span.end_frame + self._cue_tail <= start_frame:
                continue
            self._add_cue(out, start_frame, span.cue, sound, span.start_frame, span.end_frame)
        self._fade_at_end(out, start_frame, timeline.end_frame)
        np.clip(out, -1.0, 1.0, out=out)

    def _fade_at_end(self, out: np.ndarray, block_start: int, stop: int) -> None:
        block_end = block_start + out.shape[0]
        fade_from = stop - self._end_fade
        if block_end <= fade_from:
            return
        lo, hi = max(block_start, fade_from), min(block_end, stop)
        if hi > lo:
            out[lo - block_start : hi - block_start] *= self._ramp_end[
                lo - fade_from : hi - fade_from, None
            ]
        if block_end > stop:
            out[max(0, stop - block_start) :] = 0.0

    # Each source is added over the overlap of the block with its own extent:
    # [start, stop) at full level, then `tail` more frames ramping down.

    def _add_mono(
        self,
        out: np.ndarray,
        block_start: int,
        wave: np.ndarray,
        start: int,
        stop: int | None,
        *,
        loop: bool,
        tail: np.ndarray | None = None,
    ) -> None:
        n = out.shape[0]
        length = wave.shape[0]
        extent = (
            (start + length) if stop is None else stop + (tail.shape[0] if tail is not None else 0)
        )
        if not loop:
            extent = min(extent, start + length)
        lo = max(block_start, start)
        hi = min(block_start + n, extent)
        if lo >= hi:
            return
        buf = self._mono[: hi - lo]
        _copy_looped(buf, wave, lo - start)
        if tail is not None and stop is not None and hi > stop:
            t0 = max(lo, stop)
            buf[t0 - lo : hi - lo] *= tail[t0 - stop : hi - stop]
        for c in range(out.shape[1]):
            out[lo - block_start : hi - block_start, c] += buf

    def _add_cue(
        self, out: np.ndarray, block_start: int, name: str, sound: np.ndarray, start: int, stop: int
    ) -> None:
        n = out.shape[0]
        loop = self._loops[name]
        extent = stop + self._cue_tail
        if not loop:
            extent = min(extent, start + sound.shape[0])
        lo = max(block_start, start)
        hi = min(block_start + n, extent)
        if lo >= hi:
            return
        buf = self._stereo[: hi - lo]
        _copy_looped(buf, sound, lo - start)
        buf *= self._gains[name]
        fade_end = start + self._cue_fade
        if lo < fade_end:
            t1 = min(hi, fade_end)
            buf[: t1 - lo] *= self._ramp_up_cue[lo - start : t1 - start, None]
        if hi > stop:
            t0 = max(lo, stop)
            buf[t0 - lo : hi - lo] *= self._ramp_down_cue[t0 - stop : hi - stop, None]
        out[lo - block_start : hi - block_start] += buf


def _copy_looped(dest: np.ndarray, wave: np.ndarray, offset: int) -> None:
    """dest[:] = wave[offset:], wrapping around the end of `wave` as often as needed."""
    length = wave.shape[0]
    pos = 0
    idx = offset % length
    total = dest.shape[0]
    while pos < total:
        take = min(total - pos, length - idx)
        dest[pos : pos + take] = wave[idx : idx + take]
        pos += take
        idx = 0
