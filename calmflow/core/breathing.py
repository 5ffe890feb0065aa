"""The breath through a whole session, and where each phase's chime goes.

A person breathing with the guide does not start a new breath because the pump
changes mode: the breath cycle runs on across phase changes, let-downs and
inserted blocks. When a phase wants another pattern (or another level, or
none), the change waits for the end of the exhale under way, where every voice
is silent, and the new pattern starts there with its inhale; a phase that only
changes the level keeps the rhythm and changes the level there.

The chime that marks a phase change is not dropped onto the breath wherever the
change falls: it sounds at the first quiet point of the breath from the change
on (a step's end for the tone, the end of the exhale for the wave, between the
bells for the chimes), and where a sound cue is playing, after long enough for
it to be ducked under the chime. So it never lands on a breath's peak, and the
400 ms before it are soft enough for it to be heard (docs/sound.md).

Pure functions of the timeline: the screen, the offline render and live
playback all get the same breath and the same chime frames, and nothing before
a change of course moves when the course changes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from calmflow.core.plan import BreathPlan, BreathPosition
from calmflow.core.timeline import Timeline

BELL_S = 0.9
"""How long one bell of the chime voice rings (engine/synth.py makes it so)."""
BEFORE_CHIME_S = 0.4
"""The stretch before a chime that must be quiet for it to stand out (one
momentary-loudness window)."""
CHIME_DUCK_S = 0.3
"""Sound cues playing at a phase change go down this smoothly under its chime."""
CHIME_DUCK_HOLD_S = 1.2
"""...stay down this long after the chime starts, and come back over CHIME_DUCK_S."""
CHIME_CLEAR_S = CHIME_DUCK_S + BEFORE_CHIME_S
"""A chime comes at least this long after a change where a sound is playing."""


@dataclass(frozen=True)
class BreathSpan:
    """One breathing pattern as it sounds: cycles of `breath` counted from
    `origin_frame`, over [start_frame, end_frame), at the level of `phase`."""

    breath: BreathPlan
    origin_frame: int
    start_frame: int
    end_frame: int
    phase: int
    """The index in `Plan.phases` of the phase whose level it has."""

    def position(self, frame: int) -> BreathPosition:
        return self.breath.position(frame - self.origin_frame)


@dataclass(frozen=True)
class PlacedChime:
    """The chime of the phase change at `change_frame`, heard from `frame`."""

    change_frame: int
    frame: int


Level = Callable[[int], Hashable]
"""What a phase's breath sounds at, by phase index (spans of equal levels and
patterns are one run); the screen needs none."""


def _no_level(_phase: int) -> Hashable:
    return None


def exhale_end(breath: BreathPlan) -> int:
    """Where in the cycle the exhale ends."""
    return breath.inhale_frames + breath.hold_in_frames + breath.exhale_frames


def frames_to_handover(breath: BreathPlan, offset: int) -> int:
    """Frames from `offset` (into a cycle run) until the breath can hand over: 0
    at a cycle's start or in the hold after the exhale, else the exhale's end."""
    p = offset % breath.cycle_frames
    end = exhale_end(breath)
    return 0 if p == 0 or p >= end else end - p


@dataclass
class _Run:
    breath: BreathPlan
    level: Hashable
    phase: int
    origin: int
    start: int


def breath_spans(timeline: Timeline, level: Level = _no_level) -> tuple[BreathSpan, ...]:
    """The breath of every segment of `timeline`, run on across its changes."""
    plan = timeline.plan
    spans: list[BreathSpan] = []
    run: _Run | None = None
    want: tuple[BreathPlan, Hashable, int] | None = None
    handover: int | None = None

    def switch(at: int) -> _Run | None:
        if run is not None and at > run.start:
            spans.append(BreathSpan(run.breath, run.origin, run.start, at, run.phase))
        if want is None:
            return None
        breath, lvl, phase = want
        origin = run.origin if run is not None and run.breath == breath else at
        return _Run(breath, lvl, phase, origin, at)

    for seg in timeline.segments:
        if seg.end_frame <= seg.start_frame:
            continue  # cut before it began: nothing of it plays
        start = seg.start_frame
        if handover is not None and handover <= start:
            run, handover = switch(handover), None
        breath = plan.phases[seg.phase].breath
        want = None if breath is None else (breath, level(seg.phase), seg.phase)
        if (run is None and want is None) or (
            run is not None and want is not None and (run.breath, run.level) == want[:2]
        ):
            handover = None
            continue
        if run is None:
            run, handover = switch(start), None
            continue
        handover = start + frames_to_handover(run.breath, start - run.origin)
        if handover == start:
            run, handover = switch(start), None
    end = timeline.end_frame
    if handover is not None and handover < end:
        run = switch(handover)
    if run is not None and end > run.start:
        spans.append(BreathSpan(run.breath, run.origin, run.start, end, run.phase))
    return tuple(spans)


_cache: tuple[Timeline, tuple[BreathSpan, ...]] | None = None


def _spans(timeline: Timeline) -> tuple[BreathSpan, ...]:
    """`breath_spans` with no levels, worked out once per timeline (the screen asks
    10-20 times a second)."""
    global _cache
    cached = _cache
    if cached is not None and cached[0] is timeline:
        return cached[1]
    spans = breath_spans(timeline)
    _cache = (timeline, spans)
    return spans


def breath_at(timeline: Timeline, frame: int) -> BreathPosition | None:
    """Where the breath is at `frame`, or None where there is none (at or past
    the end, where it was last)."""
    spans = _spans(timeline)
    if spans and frame >= spans[-1].end_frame:
        return spans[-1].position(frame) if frame >= timeline.end_frame else None
    for span in spans:
        if span.start_frame <= frame < span.end_frame:
            return span.position(frame)
    return None


def frames_to_quiet(breath: BreathPlan, offset: int, rate: int) -> int:
    """Frames from `offset` (into a cycle run) to where a chime can land on this
    breath: where its voice is silent or about to be, never on a peak."""
    n = breath.cycle_frames
    p = offset % n
    inhale, out_at = breath.inhale_frames, breath.inhale_frames + breath.hold_in_frames
    end = exhale_end(breath)
    if breath.voice == "none":
        return 0
    if breath.voice == "chime":
        # Between the bells, once the last one has rung out.
        clear = round((BELL_S + BEFORE_CHIME_S) * rate)
        at, length = (0, out_at) if p < out_at else (out_at, n - out_at)
        return max(0, at + min(clear, length - 1) - p)
    if p == 0 or p >= end:
        return 0
    if breath.voice == "wave":  # the wave swells to the top of the inhale: only its ebb is quiet
        return end - p
    if p < inhale:  # the tone: silent at every step's end and through the holds
        return inhale - p
    if p <= out_at:
        return 0
    return end - p


def _quiet_from(spans: tuple[BreathSpan, ...], frame: int, rate: int) -> int:
    t = frame
    for span in spans:
        if span.end_frame <= t:
            continue
        if span.start_frame > t:
            return t  # no breath sounds here
        wait = frames_to_quiet(span.breath, t - span.origin_frame, rate)
        if t + wait < span.end_frame:
            return t + wait
        t = span.end_frame  # the next pattern takes over there
    return t


def _sounding_before(timeline: Timeline, frame: int, rate: int) -> bool:
    """Whether a sound or tone cue is heard just before `frame`, or rings on past it."""
    plan = timeline.plan
    window = round(BEFORE_CHIME_S * rate)
    for occ in timeline.cue_occurrences:
        if occ.start_frame >= frame:
            break
        cue = plan.cue(occ.cue)
        if cue.kind not in ("sound", "tone"):
            continue
        if occ.end_frame + cue.fade_out_frames + window > frame:
            return True
    return False


def chime_frames(
    timeline: Timeline, spans: tuple[BreathSpan, ...] | None = None
) -> tuple[PlacedChime, ...]:
    """Where the chime of each phase change of `timeline` sounds (none if the
    routine has `chime: false`); `spans` are its breath, if already worked out."""
    plan = timeline.plan
    if not plan.chime:
        return ()
    rate = plan.rate
    spans = _spans(timeline) if spans is None else spans
    clear = round(CHIME_CLEAR_S * rate)
    end = timeline.end_frame
    placed: list[PlacedChime] = []
    for seg in timeline.segments:
        if seg.end_frame <= seg.start_frame:
            continue  # a phase cut before it began: no chime
        start = seg.start_frame
        earliest = start + clear if _sounding_before(timeline, start, rate) else start
        frame = _quiet_from(spans, earliest, rate)
        if frame >= end or (placed and placed[-1].frame >= frame):
            continue  # one chime for changes that come together
        placed.append(PlacedChime(start, frame))
    return tuple(placed)
