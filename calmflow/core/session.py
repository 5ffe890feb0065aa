"""Session: the pure state machine of one pumping session.

It knows nothing of clocks, sound cards or screens. Whoever drives it tells it
which frame has been played (`advance_to`) and what the person did (`letdown`,
`next_phase`, `finish`), and gets back the events that follow. Changes of course
take effect at a frame the caller chooses (`at_frame`), because live audio has
already rendered a little ahead of what was heard; offline, that is the same
frame as now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from calmflow.core.plan import BreathPosition, Plan, PlannedPhase
from calmflow.core.timeline import Segment, Timeline

EndReason = Literal["completed", "finished_early"]


@dataclass(frozen=True)
class PhaseStarted:
    frame: int
    segment: int
    phase: PlannedPhase


@dataclass(frozen=True)
class LetdownMarked:
    frame: int
    number: int
    """1 for the first let-down of the session, and so on."""
    phase: PlannedPhase
    cues: tuple[str, ...]
    """Cues on when it was marked."""


@dataclass(frozen=True)
class RuleApplied:
    frame: int
    rule: str
    message: str
    """What the person is told, e.g. 'let-down marked: switch to expression mode'."""


@dataclass(frozen=True)
class SessionEnded:
    frame: int
    reason: EndReason


Event = PhaseStarted | LetdownMarked | RuleApplied | SessionEnded


class Session:
    """One session of one routine, driven by frames played."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.timeline = Timeline.initial(plan)
        self.now_frame = 0
        self.segment_index = -1
        """Index in the timeline of the segment playing; -1 before `start`."""
        self.letdown_frames: list[int] = []
        self.ended: EndReason | None = None
        self._finish_reason: EndReason = "completed"

    # --- what is playing ------------------------------------------------------

    @property
    def segment(self) -> Segment:
        return self.timeline.segments[max(0, self.segment_index)]

    @property
    def phase(self) -> PlannedPhase:
        return self.timeline.phase_of(self.segment)

    @property
    def end_frame(self) -> int:
        return self.timeline.end_frame

    def phase_frames_left(self) -> int:
        return max(0, self.segment.end_frame - self.now_frame)

    def session_frames_left(self) -> int:
        return max(0, self.end_frame - self.now_frame)

    def breath(self) -> BreathPosition:
        return self.phase.breath.position(self.now_frame - self.segment.start_frame)

    def cues_now(self) -> tuple[str, ...]:
        return self.timeline.cues_at(self.now_frame)

    # --- driving it -----------------------------------------------------------

    def start(self) -> list[Event]:
        """Begin at frame 0."""
        if self.segment_index >= 0:
            return []
        self.segment_index = 0
        return [PhaseStarted(0, 0, self.phase)]

    def advance_to(self, frame: int) -> list[Event]:
        """Frames up to `frame` have been played: move on through the timeline."""
        if self.ended or self.segment_index < 0:
            return []
        self.now_frame = max(self.now_frame, min(frame, self.end_frame))
        events: list[Event] = []
        while self.now_frame >= self.segment.end_frame:
            if self.segment_index + 1 >= len(self.timeline.segments):
                self.ended = self._finish_reason
                events.append(SessionEnded(self.end_frame, self.ended))
                break
            self.segment_index += 1
            events.append(PhaseStarted(self.segment.start_frame, self.segment_index, self.phase))
        return events

    def letdown(self, at_frame: int | None = None) -> list[Event]:
        """A let-down was felt now; during stimulation, move on to expression.

        The let-down is placed at the frame played now. `at_frame` is the
        earliest frame from which a change of course can be heard.
        """
        if self.ended or self.segment_index < 0:
            return []
        self.letdown_frames.append(self.now_frame)
        events: list[Event] = [
            LetdownMarked(self.now_frame, len(self.letdown_frames), self.phase, self.cues_now())
        ]
        at = self._change_frame(at_frame)
        index = self.timeline.index_at(at)
        seg = self.timeline.segments[index]
        if self.timeline.phase_of(seg).kind == "stimulation" and at < seg.end_frame:
            # [ours] mirrors the pumps' let-down button (EVIDENCE.md: two-phase pumping)
            rest = self._phases_after(index)
            kinds = [self.plan.phases[p].kind for p in rest]
            if "expression" in kinds:
                self.timeline = self.timeline.cut(
                    at, rest[kinds.index("expression") :], keep=self.segment_index
                )
                events.append(
                    RuleApplied(
                        at, "letdown_to_expression", "let-down marked: switch to expression mode"
                    )
                )
        return events + self.advance_to(self.now_frame)

    def next_phase(self, at_frame: int | None = None) -> list[Event]:
        """Skip the rest of the phase playing now."""
        if self.ended or self.segment_index < 0:
            return []
        at = self._change_frame(at_frame)
        if self.timeline.index_at(at) != self.segment_index or at >= self.segment.end_frame:
            return []  # it is ending on its own before the change could be heard
        self.timeline = self.timeline.cut(
            at, self._phases_after(self.segment_index), keep=self.segment_index
        )
        if at >= self.timeline.end_frame:
            self._finish_reason = "finished_early"
        return self.advance_to(self.now_frame)

    def finish(self) -> list[Event]:
        """Stop now, before the routine's end."""
        if self.ended or self.segment_index < 0:
            return []
        if self.now_frame < self.end_frame:
            self._finish_reason = "finished_early"
            self.timeline = self.timeline.cut(self.now_frame, [], keep=self.segment_index)
        return self.advance_to(self.now_frame)

    # --- helpers --------------------------------------------------------------

    def _change_frame(self, at_frame: int | None) -> int:
        return self.now_frame if at_frame is None else max(self.now_frame, at_frame)

    def _phases_after(self, index: int) -> list[int]:
        return [s.phase for s in self.timeline.segments[index + 1 :]]
