"""Timeline: the phases of one session placed on its frame axis.

A Timeline is what was played so far plus what is planned from now on. When
the session changes course (a let-down, `n`, finishing early), the segment that
is playing is cut at a frame and the rest is placed again from there: frames
before the cut never change. So the last Timeline of a session is an exact
record of what it played, and rendering it offline gives what the person heard.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from calmflow.core.plan import Plan, PlannedPhase, PlannedPrompt


@dataclass(frozen=True)
class Segment:
    """One phase as placed in a session: [start_frame, end_frame)."""

    phase: int
    start_frame: int
    end_frame: int
    offset: int = 0
    """Frames of this phase played before this segment (the rest of a phase
    resumed after a block the rules inserted); its prompts do not come again."""


@dataclass(frozen=True)
class CueSpan:
    """A cue sounding or showing over [start_frame, end_frame), over one or more phases."""

    cue: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class PromptSpan:
    """A prompt of a phase as placed: shown over [start_frame, end_frame); its
    voice, if any, stops by `stop_frame` (the end of its segment)."""

    prompt: PlannedPrompt
    start_frame: int
    end_frame: int
    stop_frame: int


Then = Sequence[int | tuple[int, int, int]]
"""Phases to place: an index (the whole phase) or (index, frames, offset)."""


@dataclass(frozen=True)
class Timeline:
    plan: Plan
    segments: tuple[Segment, ...]

    @classmethod
    def initial(cls, plan: Plan) -> Timeline:
        """The routine as planned, within its `max_duration`."""
        return cls.planned(plan).capped(plan.rules.max_frames)

    @classmethod
    def planned(cls, plan: Plan) -> Timeline:
        """The routine as planned, however long (the course a session changes):
        an open-ended last phase placed at its longest, since it goes on until
        the person ends it."""
        phases: list[int | tuple[int, int, int]] = list(plan.sequence)
        if plan.open_ended:
            last = phases[-1]
            assert isinstance(last, int)
            frames = plan.phases[last].duration_frames + plan.rules.open_ended_frames
            phases[-1] = (last, frames, 0)
        return cls(plan, _place(phases, 0, plan))

    def least_end(self, index: int) -> int:
        """Where segment `index` ends at the least: its end, or, for an
        open-ended phase, where the phase has lasted its `duration`."""
        seg = self.segments[index]
        phase = self.phase_of(seg)
        if not phase.open_ended:
            return seg.end_frame
        # The piece of the phase in which its own frames reach `duration` (a
        # restimulation cuts it in pieces; an earlier one once they have).
        need = phase.duration_frames
        for piece in reversed(self.segments[: index + 1]):
            if piece.phase == seg.phase and piece.offset <= need:
                return min(seg.end_frame, piece.start_frame + need - piece.offset)
        return seg.start_frame

    def run_last(self, index: int) -> int:
        """The last segment of the expression that segment `index` is in
        (consecutive expression phases are one), or `index` itself."""
        last = index
        for j in range(index + 1, len(self.segments)):
            before, seg = self.segments[j - 1], self.segments[j]
            if seg.start_frame != before.end_frame or self.phase_of(seg).kind != "expression":
                break
            last = j
        return last

    @property
    def end_frame(self) -> int:
        return self.segments[-1].end_frame if self.segments else 0

    @cached_property
    def _starts(self) -> list[int]:
        return [s.start_frame for s in self.segments]

    def index_at(self, frame: int) -> int:
        """Index of the segment playing at `frame` (the last one past the end)."""
        return max(0, min(bisect.bisect_right(self._starts, frame) - 1, len(self.segments) - 1))

    def phase_of(self, segment: Segment) -> PlannedPhase:
        return self.plan.phases[segment.phase]

    @cached_property
    def cue_spans(self) -> tuple[CueSpan, ...]:
        """Each cue's spans, consecutive segments with the same cue merged so it plays on."""
        spans: list[CueSpan] = []
        open_spans: dict[str, CueSpan] = {}
        for seg in self.segments:
            cues = self.phase_of(seg).cues
            for name in list(open_spans):
                if name not in cues:
                    spans.append(open_spans.pop(name))
            for name in cues:
                span = open_spans.get(name)
                if span is not None and span.end_frame == seg.start_frame:
                    open_spans[name] = CueSpan(name, span.start_frame, seg.end_frame)
                else:
                    open_spans[name] = CueSpan(name, seg.start_frame, seg.end_frame)
        spans.extend(open_spans.values())
        return tuple(sorted(spans, key=lambda s: (s.start_frame, s.cue)))

    def cues_at(self, frame: int) -> tuple[str, ...]:
        """Names of the cues on at `frame`, in the routine's order."""
        on = {s.cue for s in self.cue_spans if s.start_frame <= frame < s.end_frame}
        return tuple(c.name for c in self.plan.cues if c.name in on)

    @cached_property
    def cue_occurrences(self) -> tuple[CueSpan, ...]:
        """Each time a cue starts and how long it may last, from its spans and
        its `at`, `every` and `duration`: what plays and what shows."""
        out: list[CueSpan] = []
        for span in self.cue_spans:
            cue = self.plan.cue(span.cue)
            start = span.start_frame + cue.at_frames
            while start < span.end_frame:
                end = span.end_frame
                if cue.every_frames is not None:
                    end = min(end, start + cue.every_frames)
                if cue.duration_frames is not None:
                    end = min(end, start + cue.duration_frames)
                out.append(CueSpan(span.cue, start, end))
                if cue.every_frames is None:
                    break
                start += cue.every_frames
        return tuple(sorted(out, key=lambda s: (s.start_frame, s.cue)))

    def showing_at(self, frame: int) -> tuple[str, ...]:
        """Names of the cues playing or shown at `frame`, in the routine's order."""
        on = {s.cue for s in self.cue_occurrences if s.start_frame <= frame < s.end_frame}
        return tuple(c.name for c in self.plan.cues if c.name in on)

    @cached_property
    def prompt_spans(self) -> tuple[PromptSpan, ...]:
        """Every timed prompt of every segment, placed."""
        out: list[PromptSpan] = []
        for seg in self.segments:
            prompts = self.phase_of(seg).prompts
            origin = seg.start_frame - seg.offset
            for i, prompt in enumerate(prompts):
                start = origin + prompt.at_frames
                if start < seg.start_frame or start >= seg.end_frame:
                    continue
                end = seg.end_frame
                if i + 1 < len(prompts):
                    end = min(end, origin + prompts[i + 1].at_frames)
                if prompt.duration_frames is not None:
                    end = min(end, start + prompt.duration_frames)
                out.append(PromptSpan(prompt, start, end, seg.end_frame))
        return tuple(out)

    def prompt_at(self, frame: int) -> PlannedPrompt | None:
        """The timed prompt showing at `frame`, if any."""
        for span in self.prompt_spans:
            if span.start_frame <= frame < span.end_frame:
                return span.prompt
        return None

    def rest_after(self, index: int) -> list[tuple[int, int, int]]:
        """The segments after `index`, to place again: (phase, frames, offset)."""
        return [
            (s.phase, s.end_frame - s.start_frame, s.offset) for s in self.segments[index + 1 :]
        ]

    def phase_last(self, index: int) -> int:
        """The last segment of the phase in segment `index`: a phase cut for a
        restimulation goes on after it."""
        phase = self.segments[index].phase
        inserted = self.plan.rules.restimulation_phase
        last = index
        for j in range(index + 1, len(self.segments)):
            if self.segments[j].phase == phase:
                last = j
            elif not (
                self.segments[j].phase == inserted
                and j + 1 < len(self.segments)
                and self.segments[j + 1].phase == phase
            ):
                break
        return last

    def capped(self, cap: int | None, *, keep: int = 0) -> Timeline:
        """This timeline ending at `cap` at the latest.

        Segments that start at or after `cap` are dropped, except the first
        `keep + 1`, which have begun already (they end at `cap`, maybe zero
        frames long), so the index of the segment playing stays valid.
        """
        if cap is None or self.end_frame <= cap:
            return self
        kept = tuple(
            Segment(s.phase, s.start_frame, max(s.start_frame, min(s.end_frame, cap)), s.offset)
            for i, s in enumerate(self.segments)
            if s.start_frame < cap or i <= keep
        )
        return Timeline(self.plan, kept)

    def without(self, index: int) -> Timeline:
        """This timeline without segment `index`, which has not begun: those
        after it move up, and a phase it had cut in two is joined again."""
        before, after = self.segments[:index], self.segments[index + 1 :]
        if before and after:
            last, first = before[-1], after[0]
            if first.phase == last.phase and first.offset == last.offset + (
                last.end_frame - last.start_frame
            ):
                frames = first.end_frame - first.start_frame
                joined = Segment(last.phase, last.start_frame, last.end_frame + frames, last.offset)
                before, after = (*before[:-1], joined), after[1:]
        start = before[-1].end_frame if before else self.segments[index].start_frame
        rest = [(s.phase, s.end_frame - s.start_frame, s.offset) for s in after]
        return Timeline(self.plan, (*before, *_place(rest, start, self.plan)))

    def cut(self, at_frame: int, then: Then, *, keep: int = 0) -> Timeline:
        """End the segment playing at `at_frame` there and play phases `then` after it.

        Segments that start at or after `at_frame` are dropped, except the first
        `keep + 1`, which have begun already (they may end up zero frames long);
        `then` are phases placed back to back from `at_frame`. A phase cut at
        `at_frame` and resumed there with nothing between stays one segment, so
        a change taken back before it was heard leaves no trace.
        """
        kept: list[Segment] = []
        for i, seg in enumerate(self.segments):
            if seg.start_frame >= at_frame and i > keep:
                break
            kept.append(
                Segment(seg.phase, seg.start_frame, min(seg.end_frame, at_frame), seg.offset)
            )
        placed = _place(then, at_frame, self.plan)
        if kept and placed and _continues(kept[-1], placed[0]):
            last, first = kept.pop(), placed[0]
            placed = (Segment(last.phase, last.start_frame, first.end_frame, last.offset),) + (
                placed[1:]
            )
        return Timeline(self.plan, tuple(kept) + placed)


def _continues(before: Segment, after: Segment) -> bool:
    """Whether `after` is the rest of the phase `before` was cut from, right after it."""
    return (
        after.phase == before.phase
        and after.start_frame == before.end_frame
        and after.offset == before.offset + (before.end_frame - before.start_frame)
    )


def _place(phases: Then, start: int, plan: Plan) -> tuple[Segment, ...]:
    out = []
    for item in phases:
        index, frames, offset = (
            item if isinstance(item, tuple) else (item, plan.phases[item].duration_frames, 0)
        )
        out.append(Segment(index, start, start + frames, offset))
        start += frames
    return tuple(out)
