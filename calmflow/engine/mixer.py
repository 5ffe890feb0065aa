"""The mixer: what a Timeline sounds like, written into the caller's buffer.

`Engine.render(timeline, start_frame, out)` is a pure function of the timeline
and the absolute frame, so rendering in blocks of any size gives the same
samples as rendering in one go, and the live player and the offline render
agree exactly. One cohesive thing, the `Engine` class, so over 400 lines.

What sounds, each at the loudness docs/sound.md sets (engine/levels.py):
- the breath guide in its voice (tone, wave or chimes), one rhythm running on
  across phase changes (core/breathing.py: a new pattern or level takes over
  at the end of an exhale);
- a chime for every phase change, unless the routine says `chime: false`, at
  the first quiet point of the breath (core/breathing.py), with sound cues
  ducked under it;
- each sound, video or tone cue at each of its occurrences (`at`, `every`,
  `duration`), faded in over its `fade_in` at every start. A tone, and a sound
  that loops, sounds for the whole occurrence; a sound that does not loop plays
  once from its start, or back to back until `min_length` has passed and then
  to the end of the play under way (a cry is not cut off mid-sound);
- each voice prompt once from where it comes, and background cues ducked to
  `plan.ducking` while any voice plays.
Whatever is still sounding when its occurrence or prompt ends rings out over a
fade after that frame instead of stopping dead, and a sound that ends on its
own fades over its last few milliseconds, so nothing clicks. Loops go round
without a seam (engine/media.py).

A sound file that fails partway (cut short, damaged) falls silent over its
fade-out while the rest plays on. With `skip_bad`, one that cannot be opened
at all is left out, its cues silent; `problems()` says which files, and why.
Without it (`calmflow render`), either is a MediaError.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calmflow.core.breathing import (
    CHIME_CLEAR_S,
    CHIME_DUCK_HOLD_S,
    CHIME_DUCK_S,
    BreathSpan,
    breath_spans,
    chime_frames,
)
from calmflow.core.plan import BreathPlan, CueSpec, Plan, PlannedPhase
from calmflow.core.timeline import Timeline
from calmflow.engine import levels, loudness, synth, video_proxy
from calmflow.engine.media import (
    InMemorySound,
    MediaError,
    SoundSource,
    copy_looped,
    damaged,
    open_sound,
)
from calmflow.engine.problems import FAILED_WHILE_PLAYING, SoundProblem

END_FADE_S = 1.5
"""Everything fades out over the last moments of a session and is silent after it."""
UNMEASURED_GAIN = 0.5
"""A file whose loudness could not be measured plays at half scale, as files
did before they were matched."""
VOICE_STOP_S = 0.1
"""A voice still speaking when its phase ends stops over this long."""
SOUND_END_S = 0.01
"""A sound that ends on its own (a voice, a one-shot) fades over its last 10 ms."""
CHIME_DUCK = 0.25
"""Sound cues playing at a phase change go 12 dB down under its chime."""
CEILING = 10 ** (-1.5 / 20)
"""The loudest sample: 1.5 dB under full scale, so that peaks between samples
stay under -1 dBTP (EBU R128), with room for a converter's own overshoot."""
LIMIT_KNEE = 10 ** (levels.PEAK_DBTP / 20)
"""Below this the mix passes untouched; above it the soft limiter bends it under CEILING."""
FULL_SCALE = 32767 / 32768
"""The top of 16-bit: a converter given no more than this never wraps."""
PARTS = ("breath", "chime", "cues", "voices")
"""What can be rendered alone (`Engine(parts=...)`), to measure each part of the mix."""
DUCK_RAMP_S = 0.3
"""Background cues go down this smoothly when a voice starts, and back up after it."""
SEEK_WAIT_S = 1.0
"""How long `seek` waits for long files to be read from where they will be heard."""


@dataclass(frozen=True)
class _Sound:
    """A sound ready to place: samples at the output rate and how it starts and stops."""

    source: SoundSource
    gain: float
    loop: bool
    play_frames: int
    """Without `loop`: how long one start plays (whole plays of `wave`)."""
    ramp_in: np.ndarray
    ramp_out: np.ndarray
    background: bool = False
    end_ramp: np.ndarray | None = None
    """Without `loop`: the fade over the last frames of its plays."""
    voice: bool = False
    """A voice prompt (not ducked under the chime; the part 'voices')."""


@dataclass(frozen=True)
class _Placed:
    """What sounds on one timeline, as (start, stop, extent, sound), sorted by start.

    [start, stop) at full level, then the sound's `ramp_out` until `extent`.
    `reach` is the running maximum of the extents, so the first one that can
    still sound at a frame is found by bisection.
    """

    sounds: list[tuple[int, int, int, _Sound]]
    reach: list[int]
    ducks: list[tuple[int, int]]
    """[start, end) of each voice that plays, sorted by start."""
    duck_reach: list[int]
    breaths: tuple[BreathSpan, ...]
    """The breath, one span after another."""
    breath_ends: list[int]
    chimes: list[int]
    """Where each chime starts, in order."""
    chime_ducks: list[tuple[int, int]]
    """[start, end) of the stretches where sound cues are ducked under a chime."""
    chime_duck_reach: list[int]


class Engine:
    """Holds every waveform a plan needs, precomputed, and mixes blocks of it."""

    def __init__(
        self,
        plan: Plan,
        channels: int = 2,
        max_block: int = 8192,
        *,
        live: bool = False,
        skip_bad: bool = False,
        leave_out: Collection[str] = (),
        levels_cache: Path | None = None,
        parts: Collection[str] = PARTS,
    ) -> None:
        """`live`: render() will be called from a real-time callback, so long
        files are read ahead by threads instead of as each block needs them.
        `skip_bad`: a sound file that cannot be played is left out, and said
        in `problems()`, instead of raising MediaError (a session plays on
        without it). `leave_out`: files known to be bad, not even opened.
        `levels_cache`: where sound files' loudness is kept between runs
        (`levels.default_cache()`); None measures them in this process only.
        `parts`: what of PARTS is heard (all of it but to measure the mix)."""
        self.plan = plan
        self.rate = plan.rate
        self.channels = channels
        self._levels_cache = levels_cache
        self._parts = frozenset(parts)
        self._ramps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._breath: dict[BreathPlan, np.ndarray] = {}
        for phase in plan.phases:
            if phase.breath is not None and phase.breath not in self._breath:
                cycle = synth.breath_voice(phase.breath, self.rate, levels.BREATH_LUFS)
                if cycle is not None:
                    self._breath[phase.breath] = cycle
        self._chime = synth.chime(self.rate)
        self._sound_end = max(2, self._frames(SOUND_END_S))
        self._files: list[tuple[str, SoundSource]] = []
        """Each sound file opened, with its source (for `problems`)."""
        self._skip_bad = skip_bad
        self._leave_out = frozenset(leave_out)
        self._left_out: dict[str, SoundProblem] = {}
        """Files that could not be opened (`skip_bad`), by file."""
        self._cues: dict[str, _Sound] = {}
        self._loudness: dict[str, float] = {}
        """Each sound cue's loudness as it plays at full level (LUFS)."""
        for cue in plan.cues:
            sound = self._cue_sound(cue)
            if sound is not None:
                self._cues[cue.name] = sound
        self._voices: dict[str, _Sound] = {}
        voice_in, _ = self._ramp_pair(0)
        _, voice_out = self._ramp_pair(self._frames(VOICE_STOP_S))
        for phase in plan.phases:
            for prompt in phase.prompts:
                if prompt.voice is not None and prompt.voice not in self._voices:
                    source = self._open(prompt.voice)
                    if source is None:
                        continue
                    gain, _ = self._matched(prompt.voice, "voice")
                    self._voices[prompt.voice] = _Sound(
                        source,
                        gain,
                        False,
                        source.frames,
                        voice_in,
                        voice_out,
                        end_ramp=self._end_ramp(source.frames),
                        voice=True,
                    )
        self._breath_db = {i: self._breath_level(phase) for i, phase in enumerate(plan.phases)}
        """Each phase's breath level, in dB from BREATH_LUFS."""
        self._breath_gain = {
            i: np.float32(loudness.db_gain(db)) for i, db in self._breath_db.items()
        }
        self._has_background = any(s.background for s in self._cues.values())
        self._chime_duck_ramp = max(1, self._frames(CHIME_DUCK_S))
        self._chime_duck_up = synth.fade_in(self._chime_duck_ramp)
        self._chime_duck_down = synth.fade_out(self._chime_duck_ramp)
        self._duck_ramp = max(1, self._frames(DUCK_RAMP_S))
        self._duck_up = synth.fade_in(self._duck_ramp)
        self._duck_down = synth.fade_out(self._duck_ramp)
        self._end_fade = max(1, self._frames(END_FADE_S))
        self._ramp_end = synth.fade_out(self._end_fade)
        self._mono = np.zeros(max_block, dtype=np.float32)
        self._duck = np.zeros(max_block, dtype=np.float32)
        self._chime_duck = np.zeros(max_block, dtype=np.float32)
        self._both = np.zeros(max_block, dtype=np.float32)
        self._stereo = np.zeros((max_block, channels), dtype=np.float32)
        self._level = np.zeros((max_block, channels), dtype=np.float32)
        self._over = np.zeros((max_block, channels), dtype=bool)
        # Written and read only by the thread that calls render(): the timeline
        # last rendered and what sounds on it, worked out once per timeline.
        self._placed_for: Timeline | None = None
        self._placed = _Placed([], [], [], [], (), [], [], [], [])
        # Written by prepare() in another thread (one assignment), read by render().
        self._prepared: tuple[Timeline, _Placed] | None = None
        self._sources = [s.source for s in (*self._cues.values(), *self._voices.values())]
        self._streamed = [s for s in self._sources if not isinstance(s, InMemorySound)]
        """The sources that can be read too late: the callback sums only theirs."""
        self._live = live
        self._failed_at: dict[SoundSource, int] = {}
        """The frame from which each source whose file failed fades out (live)."""
        if live:
            for source in self._sources:
                source.start()

    def late_reads(self) -> int:
        """Reads of long files that found their samples not there yet (live only)."""
        total = 0
        for source in self._streamed:
            total += source.misses
        return total

    def problems(self) -> list[SoundProblem]:
        """Each sound file left out (`skip_bad`) or that failed while playing,
        once, in the order of the routine: it is silent from then on, and the
        rest plays on. For the thread that tells the person, never the audio
        callback (it builds objects)."""
        found = dict(self._left_out)
        for path, source in self._files:
            if source.failed is not None and path not in found:
                found[path] = SoundProblem(
                    path,
                    FAILED_WHILE_PLAYING,
                    while_playing=True,
                    at_frame=self._failed_at.get(source),
                )
        return list(found.values())

    def close(self) -> None:
        """Stop reading files (streams' threads)."""
        for source in self._sources:
            source.close()

    def _frames(self, seconds: float) -> int:
        return round(seconds * self.rate)

    def _ramp_pair(self, frames: int) -> tuple[np.ndarray, np.ndarray]:
        """Fade-in and fade-out ramps of `frames` (at least MIN_RAMP_S), shared by length."""
        frames = max(frames, self._frames(synth.MIN_RAMP_S), 1)
        if frames not in self._ramps:
            self._ramps[frames] = (synth.fade_in(frames), synth.fade_out(frames))
        return self._ramps[frames]

    def _open(
        self, file: str, *, loop: bool = False, read: Path | None = None
    ) -> SoundSource | None:
        """The sound in `file` (read from `read` if given: a video's decoded
        sound), or None if it is left out (`leave_out`, `skip_bad`)."""
        if file in self._leave_out or file in self._left_out:
            return None
        try:
            source = open_sound(read or Path(file), self.rate, self.channels, loop=loop)
        except Exception as exc:
            if not self._skip_bad:
                raise
            # A decoder can fail in ways of its own: the file is what failed.
            why = exc.reason if isinstance(exc, MediaError) else damaged(exc)
            self._left_out[file] = SoundProblem(file, why)
            return None
        self._files.append((file, source))
        return source

    def _cue_sound(self, cue: CueSpec) -> _Sound | None:
        source: SoundSource | None
        if cue.kind == "sound" and cue.file:
            # Plays back to back (`min_length`) meet as a loop's passes do.
            source = self._open(cue.file, loop=cue.loop or cue.min_frames > 0)
            if source is None:
                return None
            gain, lufs = self._matched(cue.file, cue.role, cue.volume)
            loop = cue.loop
        elif cue.kind == "video" and cue.file:
            # Its sound decoded once with its pictures (engine/video_proxy.py),
            # or, until they are, read from the video itself.
            read = video_proxy.sound_of(Path(cue.file))
            if read is None:  # a video with no sound: only seen
                return None
            source = self._open(cue.file, loop=cue.loop, read=read)
            if source is None:
                return None
            gain, lufs = self._matched(str(read), cue.role, cue.volume)
            loop = cue.loop
        elif cue.kind == "tone" and cue.tone_hz:
            period = synth.at_loudness(
                synth.tone_loop(cue.tone_hz, self.rate),
                self.rate,
                levels.ROLE_LUFS[levels.TONE_ROLE],
            )
            source = InMemorySound(np.repeat(period[:, None], self.channels, axis=1))
            # A tone has no end of its own: it sounds for its whole occurrence.
            gain, loop = cue.volume, True
            lufs = levels.ROLE_LUFS[levels.TONE_ROLE] + 20 * math.log10(max(cue.volume, 1e-9))
        else:
            return None
        if gain > 0:
            self._loudness[cue.name] = lufs
        length = source.frames
        # Sources are never empty (media refuses them), but an empty one must be
        # silence, not a division by zero in the audio process.
        plays = max(1, -(-cue.min_frames // max(length, 1)))
        ramp_in, _ = self._ramp_pair(cue.fade_in_frames)
        _, ramp_out = self._ramp_pair(cue.fade_out_frames)
        end_ramp = None if loop else self._end_ramp(plays * length)
        return _Sound(
            source, gain, loop, plays * length, ramp_in, ramp_out, cue.background, end_ramp
        )

    def _matched(self, file: str, role: str, volume: float = 1.0) -> tuple[float, float]:
        """The gain that brings `file` to its role's loudness at `volume`, and the
        loudness it then has (LUFS); a file that cannot be measured plays at half
        scale."""
        try:
            level = levels.file_level(Path(file), self._levels_cache)
        except Exception:  # read once already: whatever fails now, the file plays on
            return UNMEASURED_GAIN * volume, levels.ROLE_LUFS[role]
        gain = levels.matched_gain(level, role, volume).gain
        if gain <= 0 or not math.isfinite(level.lufs):
            return gain, -math.inf
        return gain, level.lufs + 20 * math.log10(gain)

    def _breath_level(self, phase: PlannedPhase) -> float:
        """The breath's level in `phase`, in dB from BREATH_LUFS: softer in a rest,
        and under the loudest looping ambience the phase has."""
        ambience = [
            self._loudness[name]
            for name in phase.cues
            if name in self._loudness
            and self.plan.cue(name).kind in ("sound", "video")
            and self.plan.cue(name).role == "ambience"
            and self.plan.cue(name).loop
        ]
        level = levels.breath_level_db(phase.kind, max(ambience) if ambience else None)
        return round(level - levels.BREATH_LUFS, 2)

    def _end_ramp(self, frames: int) -> np.ndarray:
        """The fade over the last frames of a sound `frames` long that ends on its own."""
        return synth.fade_out(max(1, min(self._sound_end, frames // 2)))

    def prepare(self, timeline: Timeline) -> None:
        """Work out what sounds on `timeline` before it is rendered, so that the
        first render() of it, in the audio callback, does not (it is Python
        loops over every cue occurrence: milliseconds for an hour's routine)."""
        self._prepared = (timeline, self._placing(timeline))

    def seek(self, timeline: Timeline, frame: int, timeout_s: float = SEEK_WAIT_S) -> bool:
        """Get ready to play `timeline` live from `frame` rather than from its
        start (the sound opened again mid-session): the long files sounding
        there are read ahead from where they will be heard, so the first blocks
        are not silence. Waits up to `timeout_s`; returns whether all were ready.
        Call it before render() from `frame`, not while render() runs."""
        prepared = self._prepared
        placed = prepared[1] if prepared and prepared[0] is timeline else self._placing(timeline)
        sounding = [
            (s.source, frame - start) for start, _, end, s in placed.sounds if start <= frame < end
        ]
        deadline = time.monotonic() + timeout_s
        while True:
            ready = all([source.prefetch(offset) for source, offset in sounding])
            if ready or time.monotonic() >= deadline:
                return ready
            time.sleep(0.01)

    def _place(self, timeline: Timeline) -> _Placed:
        if timeline is self._placed_for:
            return self._placed
        prepared = self._prepared
        if prepared is not None and prepared[0] is timeline:
            self._placed = prepared[1]
        else:
            self._placed = self._placing(timeline)
        self._placed_for = timeline
        return self._placed

    def _placing(self, timeline: Timeline) -> _Placed:
        sounds: list[tuple[int, int, int, _Sound]] = []
        for occ in timeline.cue_occurrences:
            cue = self._cues.get(occ.cue)
            if cue is not None:
                sounds.append(
                    (
                        occ.start_frame,
                        occ.end_frame,
                        _extent(occ.start_frame, occ.end_frame, cue),
                        cue,
                    )
                )
        ducks: list[tuple[int, int]] = []
        for span in timeline.prompt_spans:
            voice = self._voices.get(span.prompt.voice) if span.prompt.voice else None
            if voice is not None:
                extent = _extent(span.start_frame, span.stop_frame, voice)
                sounds.append((span.start_frame, span.stop_frame, extent, voice))
                ducks.append((span.start_frame, extent))
        sounds.sort(key=lambda s: s[0])
        ducks.sort()
        breaths = breath_spans(timeline, level=lambda phase: self._breath_db[phase])
        chimes = chime_frames(timeline)
        clear, hold = self._frames(CHIME_CLEAR_S), self._frames(CHIME_DUCK_HOLD_S)
        chime_ducks = [(max(c.change_frame, c.frame - clear), c.frame + hold) for c in chimes]
        return _Placed(
            sounds,
            _running_max(s[2] for s in sounds),
            ducks,
            _running_max(self._duck_extent(*d, self._duck_ramp) for d in ducks),
            breaths,
            [span.end_frame for span in breaths],
            [c.frame for c in chimes],
            chime_ducks,
            _running_max(self._duck_extent(*d, self._chime_duck_ramp) for d in chime_ducks),
        )

    @staticmethod
    def _duck_extent(start: int, end: int, ramp: int) -> int:
        return max(end, start + ramp) + ramp

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
        placed = self._place(timeline)
        parts = self._parts
        if "breath" in parts:
            breaths = placed.breaths
            for i in range(bisect.bisect_right(placed.breath_ends, start_frame), len(breaths)):
                span = breaths[i]
                if span.start_frame >= end:
                    break
                cycle = self._breath.get(span.breath)
                if cycle is not None:
                    self._add_breath(out, start_frame, cycle, span)
        if "chime" in parts:
            chimes = placed.chimes
            length = self._chime.shape[0]
            for i in range(bisect.bisect_right(chimes, start_frame - length), len(chimes)):
                if chimes[i] >= end:
                    break
                self._add_mono(out, start_frame, self._chime, chimes[i], None, loop=False)
        duck = (
            self._duck_gain(
                placed.ducks,
                placed.duck_reach,
                start_frame,
                self._duck[:n],
                self._duck_ramp,
                (self._duck_up, self._duck_down),
            )
            if self._has_background
            else None
        )
        chime_duck = (
            self._duck_gain(
                placed.chime_ducks,
                placed.chime_duck_reach,
                start_frame,
                self._chime_duck[:n],
                self._chime_duck_ramp,
                (self._chime_duck_up, self._chime_duck_down),
                depth=CHIME_DUCK,
            )
            if self._cues
            else None
        )
        for i in range(bisect.bisect_right(placed.reach, start_frame), len(placed.sounds)):
            start, stop, extent, sound = placed.sounds[i]
            if start >= end:
                break
            if extent > start_frame and ("voices" if sound.voice else "cues") in parts:
                self._add_sound(out, start_frame, sound, start, stop, extent, duck, chime_duck)
        self._fade_at_end(out, start_frame, timeline.end_frame)
        self._soft_limit(out)

    def _soft_limit(self, out: np.ndarray) -> None:
        """Bend samples beyond LIMIT_KNEE smoothly towards full scale (a tanh
        knee: the same slope at the knee, never reaching 1), so a loud mix is
        rounded off instead of clipped flat. Sample by sample, so blocks of any
        size agree; a mix under the knee (the usual case) costs one pass."""
        if max(float(out.max(initial=0.0)), -float(out.min(initial=0.0))) <= LIMIT_KNEE:
            return
        n = out.shape[0]
        level, over = self._level[:n], self._over[:n]
        np.abs(out, out=level)
        np.greater(level, LIMIT_KNEE, out=over)
        room = CEILING - LIMIT_KNEE
        level -= LIMIT_KNEE
        level /= room
        np.tanh(level, out=level)
        level *= room
        level += LIMIT_KNEE
        np.copysign(level, out, out=level)
        np.copyto(out, level, where=over)
        np.clip(out, -CEILING, CEILING, out=out)  # float32 rounding at the very top

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

    def _duck_gain(
        self,
        ducks: list[tuple[int, int]],
        reach: list[int],
        block_start: int,
        buffer: np.ndarray,
        ramp: int,
        curves: tuple[np.ndarray, np.ndarray],
        *,
        depth: float | None = None,
    ) -> np.ndarray | None:
        """The gain of ducked cues over the block (`buffer`'s length), or None
        where nothing ducks them: under voices (background cues, to
        `plan.ducking`) or under chimes (every sound cue, to `depth`).

        How far ducked is the largest of one trapezoid per duck (down over
        `ramp` from its start, up over `ramp` after it ends): smooth however
        they overlap, and a duck only changes frames from its start on, so one
        placed at a cut leaves what was already played alone.
        """
        n = buffer.shape[0]
        block_end = block_start + n
        found: np.ndarray | None = None
        up, down = curves
        for i in range(bisect.bisect_right(reach, block_start), len(ducks)):
            start, end = ducks[i]
            if start >= block_end:
                break
            low_from = start + ramp
            up_from = max(end, low_from)
            extent = up_from + ramp
            if extent <= block_start:
                continue
            if found is None:
                found = buffer
                found.fill(0.0)
            for a, b, curve, origin in (
                (start, low_from, up, start),
                (up_from, extent, down, up_from),
            ):
                lo, hi = max(a, block_start), min(b, block_end)
                if lo < hi:
                    part = found[lo - block_start : hi - block_start]
                    np.maximum(part, curve[lo - origin : hi - origin], out=part)
            lo, hi = max(low_from, block_start), min(up_from, block_end)
            if lo < hi:
                found[lo - block_start : hi - block_start] = 1.0
        if found is not None:
            found *= (self.plan.ducking if depth is None else depth) - 1.0
            found += 1.0
        return found

    # Each source is added over the overlap of the block with its own extent:
    # [start, stop) at full level, then a ramp down.

    def _add_breath(
        self, out: np.ndarray, block_start: int, cycle: np.ndarray, span: BreathSpan
    ) -> None:
        """The breath over the block, in cycles counted from the span's origin."""
        lo = max(block_start, span.start_frame)
        hi = min(block_start + out.shape[0], span.end_frame)
        if lo >= hi:
            return
        buf = self._mono[: hi - lo]
        copy_looped(buf, cycle, lo - span.origin_frame)
        gain = self._breath_gain[span.phase]
        if gain != 1.0:
            buf *= gain
        for c in range(out.shape[1]):
            out[lo - block_start : hi - block_start, c] += buf

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
        copy_looped(buf, wave, lo - start)
        if tail is not None and stop is not None and hi > stop:
            t0 = max(lo, stop)
            buf[t0 - lo : hi - lo] *= tail[t0 - stop : hi - stop]
        for c in range(out.shape[1]):
            out[lo - block_start : hi - block_start, c] += buf

    def _add_sound(
        self,
        out: np.ndarray,
        block_start: int,
        sound: _Sound,
        start: int,
        stop: int,
        extent: int,
        duck: np.ndarray | None,
        chime_duck: np.ndarray | None = None,
    ) -> None:
        lo = max(block_start, start)
        hi = min(block_start + out.shape[0], extent)
        if lo >= hi:
            return
        source = sound.source
        failed_at = None
        if source.failed is not None:
            # Its file failed under it (cut short, damaged): it fades out from
            # the first block that sees it, on what was read ahead, and is
            # silent after, which is one fault, not a skip at every block.
            failed_at = self._failed_at.get(source)
            if failed_at is None:
                failed_at = self._failed_at[source] = lo  # once per file: the fault path
            hi = min(hi, failed_at + sound.ramp_out.shape[0])
            if lo >= hi:
                return
        buf = self._stereo[: hi - lo]
        try:
            source.read(lo - start, buf)
        except Exception as exc:
            self._read_failed(source, exc)
            return
        if not self._live and failed_at is None and source.failed is not None:
            # Offline, this read found the file bad: what was there is in `buf`.
            self._read_failed(source, None)
        buf *= sound.gain
        fade_end = start + sound.ramp_in.shape[0]
        if lo < fade_end:
            t1 = min(hi, fade_end)
            buf[: t1 - lo] *= sound.ramp_in[lo - start : t1 - start, None]
        if hi > stop:
            t0 = max(lo, stop)
            buf[t0 - lo : hi - lo] *= sound.ramp_out[t0 - stop : hi - stop, None]
        end_ramp = sound.end_ramp
        if end_ramp is not None:
            fade_from = start + sound.play_frames - end_ramp.shape[0]
            if hi > fade_from:
                t0 = max(lo, fade_from)
                buf[t0 - lo : hi - lo] *= end_ramp[t0 - fade_from : hi - fade_from, None]
        if failed_at is not None:
            buf *= sound.ramp_out[lo - failed_at : hi - failed_at, None]
        if duck is not None and sound.background:
            ducked = duck[lo - block_start : hi - block_start]
            if chime_duck is not None and not sound.voice:
                ducked = np.minimum(
                    ducked,
                    chime_duck[lo - block_start : hi - block_start],
                    out=self._both[: hi - lo],
                )
            buf *= ducked[:, None]
        elif chime_duck is not None and not sound.voice:
            buf *= chime_duck[lo - block_start : hi - block_start, None]
        out[lo - block_start : hi - block_start] += buf

    def _read_failed(self, source: SoundSource, exc: Exception | None) -> None:
        """A long file's read failed while rendering (it was cut short or
        damaged after it was checked). Offline without `skip_bad`, that is the
        render's error, in plain words; otherwise the sound fades out from the
        next block and `problems()` says so (live, the callback must go on: a
        string is built once, on this fault only)."""
        if exc is not None and source.failed is None:
            source.failed = damaged(exc)
        if not self._live and not self._skip_bad:
            path = next((Path(f) for f, s in self._files if s is source), Path("sound file"))
            raise MediaError(path, source.failed or damaged(Exception()))


def _extent(start: int, stop: int, sound: _Sound) -> int:
    """Where a sound placed at [start, stop) falls silent: its fade after `stop`,
    or sooner when it does not loop and its plays end first."""
    extent = stop + int(sound.ramp_out.shape[0])
    return extent if sound.loop else min(extent, start + sound.play_frames)


def _running_max(values: Iterable[int]) -> list[int]:
    out: list[int] = []
    top = -(2**62)
    for v in values:
        top = max(top, v)
        out.append(top)
    return out
