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

from calmflow.core.plan import Plan, PlannedPhase


@dataclass(frozen=True)
class Segment:
    """One phase as placed in a session: [start_frame, end_frame)."""

    phase: int
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class CueSpan:
    """A cue sounding or showing over [start_frame, end_frame), over one or more phases."""

    cue: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Timeline:
    plan: Plan
    segments: tuple[Segment, ...]

    @classmethod
    def initial(cls, plan: Plan) -> Timeline:
        return cls(plan, _place(range(len(plan.phases)), 0, plan))

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

    def cut(self, at_frame: int, then: Sequence[int], *, keep: int = 0) -> Timeline:
        """End the segment playing at `at_frame` there and play phases `then` after it.

        Segments that start at or after `at_frame` are dropped, except the first
        `keep + 1`, which have begun already (they may end up zero frames long);
        `then` are phase indexes placed back to back from `at_frame`.
        """
        kept: list[Segment] = []
        for i, seg in enumerate(self.segments):
            if seg.start_frame >= at_frame and i > keep:
                break
            kept.append(Segment(seg.phase, seg.start_frame, min(seg.end_frame, at_frame)))
        return Timeline(self.plan, tuple(kept) + _place(then, at_frame, self.plan))


def _place(phases: Sequence[int] | range, start: int, plan: Plan) -> tuple[Segment, ...]:
    out = []
    for index in phases:
        end = start + plan.phases[index].duration_frames
        out.append(Segment(index, start, end))
        start = end
    return tuple(out)
