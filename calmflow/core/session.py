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
class LetdownUndone:
    frame: int
    """When it was undone (the frame played then)."""
    number: int
    """The number the removed let-down had; the next one marked gets it again."""
    marked_frame: int
    back_to: PlannedPhase | None
    """The phase the session goes back to, when the mark had changed course."""


@dataclass(frozen=True)
class SessionEnded:
    frame: int
    reason: EndReason


Event = PhaseStarted | LetdownMarked | LetdownUndone | RuleApplied | SessionEnded


@dataclass(frozen=True)
class _Undo:
    """What the last let-down changed, so that it can be taken back."""

    quiet_before: int | None
    """The quiet time's start to restore (for restimulation)..."""
    quiet_set: int | None
    """...if it is still the one the let-down set."""
    after: Timeline
    """The timeline the let-down left: its change of course is undone only if
    nothing has changed course since."""
    switch: tuple[Timeline, int, int] | None
    """If it switched to expression: (timeline before, index of the segment it
    cut there, frame of the cut)."""


class Session:
    """One session of one routine, driven by frames played.

    `lead_frames` is how far ahead of the frames played the sound has already
    been rendered: a change the rules make on their own is placed no earlier,
    so it is heard when it is shown (0 offline).
    """

    def __init__(self, plan: Plan, lead_frames: int = 0) -> None:
        self.plan = plan
        self.timeline = Timeline.initial(plan)
        self.lead_frames = lead_frames
        self.now_frame = 0
        self.segment_index = -1
        """Index in the timeline of the segment playing; -1 before `start`."""
        self.letdown_frames: list[int] = []
        self.ended: EndReason | None = None
        self.flow_stopped_at: int | None = None
        self._finish_reason: EndReason = "completed"
        self._cap = plan.rules.max_frames
        self._quiet_since: int | None = None
        """Since when no let-down has come in expression (for restimulation)."""
        self._undo: _Undo | None = None
        """How to take back the last let-down, until it is taken back."""

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

    def breath(self) -> BreathPosition | None:
        """Where the breathing guide is, or None in a phase without one."""
        breath = self.phase.breath
        if breath is None:
            return None
        return breath.position(self.now_frame - self.segment.start_frame)

    def cues_now(self) -> tuple[str, ...]:
        """The cues playing or shown now."""
        return self.timeline.showing_at(self.now_frame)

    # --- driving it -----------------------------------------------------------

    def start(self) -> list[Event]:
        """Begin at frame 0."""
        if self.segment_index >= 0:
            return []
        self.segment_index = 0
        self._entered(None)
        return [PhaseStarted(0, 0, self.phase), *self.advance_to(0)]

    def advance_to(self, frame: int) -> list[Event]:
        """Frames up to `frame` have been played: move on through the timeline,
        applying the routine's rules on the way."""
        if self.ended or self.segment_index < 0:
            return []
        target = max(self.now_frame, frame)
        events: list[Event] = []
        while not self.ended:
            due = self._restimulation_due()
            # Look a second ahead, so a change is placed before it is rendered.
            if due is not None and due <= target + self.lead_frames + self.plan.rate:
                events += self._walk_to(min(due, target))
                if not self.ended:
                    events += self._restimulate(max(due, self._rendered_to(target)))
                continue
            # One segment at a time: the rules apply in each phase walked through.
            index = self.segment_index
            events += self._walk_to(min(target, self.segment.end_frame))
            if self.segment_index == index:
                break
        return events

    def _rendered_to(self, target: int) -> int:
        """The first frame a change can still reach once `target` has been played.

        Live, the sound is out up to `target + lead_frames`. Offline (no lead)
        nothing is rendered before the timeline is final, so a change made on
        the way to `target` lands exactly where it is due.
        """
        return target + self.lead_frames if self.lead_frames else self.now_frame

    def _walk_to(self, frame: int) -> list[Event]:
        self.now_frame = max(self.now_frame, min(frame, self.end_frame))
        events: list[Event] = []
        while self.now_frame >= self.segment.end_frame:
            if self.segment_index + 1 >= len(self.timeline.segments):
                self.ended = self._finish_reason
                events.append(SessionEnded(self.end_frame, self.ended))
                break
            before = self.phase
            self.segment_index += 1
            self._entered(before)
            events.append(PhaseStarted(self.segment.start_frame, self.segment_index, self.phase))
        return events

    def _entered(self, before: PlannedPhase | None) -> None:
        """Keep count of the quiet time in expression as a segment starts."""
        if self.phase.kind != "expression":
            self._quiet_since = None
        elif before is None or before.kind != "expression":
            self._quiet_since = self.segment.start_frame

    def _restimulation_due(self) -> int | None:
        """The frame at which the restimulation rule would act, in this segment."""
        rules = self.plan.rules
        if (
            rules.restimulate_after_frames is None
            or self._quiet_since is None
            or self.flow_stopped_at is not None
        ):
            return None
        due = self._quiet_since + rules.restimulate_after_frames
        return due if due < self.segment.end_frame else None

    def _restimulate(self, at: int) -> list[Event]:
        """Insert the stimulation block at `at` and resume this phase after it."""
        rules = self.plan.rules
        assert rules.restimulation_phase is not None and rules.restimulate_after_frames
        seg = self.segment
        if at >= seg.end_frame:
            self._quiet_since = None  # too late in this phase to be heard
            return []
        block = self.plan.phases[rules.restimulation_phase].duration_frames
        then = [
            (rules.restimulation_phase, block, 0),
            (seg.phase, seg.end_frame - at, seg.offset + at - seg.start_frame),
            *self._rest_after(self.segment_index),
        ]
        self._set_timeline(self.timeline.cut(at, then, keep=self.segment_index))
        self._quiet_since = None
        minutes = rules.restimulate_after_frames / self.plan.rate / 60
        seconds = block / self.plan.rate
        quiet = f"{minutes:g} minutes" if minutes != 1 else "a minute"
        return [
            RuleApplied(
                at,
                "restimulate",
                f"no let-down for {quiet}: back to stimulation for {seconds:g} s",
            )
        ]

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
        quiet_before = self._quiet_since
        if self._quiet_since is not None:
            self._quiet_since = at
        nxt = self.segment_index + 1
        segments = self.timeline.segments
        if (
            self.phase.kind == "expression"
            and nxt < len(segments)
            and segments[nxt].phase == self.plan.rules.restimulation_phase
            and segments[nxt].start_frame >= at
        ):
            # A restimulation placed a moment ahead is not wanted any more.
            # Were the mark undone, it would be due again from its frame.
            after_frames = self.plan.rules.restimulate_after_frames or 0
            quiet_before = segments[nxt].start_frame - after_frames
            self._set_timeline(self.timeline.without(nxt))
            self._quiet_since = at
        switch = None
        index = self.timeline.index_at(at)
        seg = self.timeline.segments[index]
        if (
            self.plan.rules.letdown_to_expression
            and self.timeline.phase_of(seg).kind == "stimulation"
            and at < seg.end_frame
        ):
            # [ours] mirrors the pumps' let-down button (EVIDENCE.md: two-phase pumping)
            rest = self._rest_after(index)
            kinds = [self.plan.phases[p].kind for p, _, _ in rest]
            if "expression" in kinds:
                switch = (self.timeline, index, at)
                self._set_timeline(
                    self.timeline.cut(
                        at, rest[kinds.index("expression") :], keep=self.segment_index
                    )
                )
                events.append(
                    RuleApplied(
                        at, "letdown_to_expression", "let-down marked: switch to expression mode"
                    )
                )
        self._undo = _Undo(quiet_before, self._quiet_since, self.timeline, switch)
        return events + self.advance_to(self.now_frame)

    @property
    def can_undo_letdown(self) -> bool:
        """Whether the last let-down can still be taken back (once, and not after the end)."""
        return self._undo is not None and not self.ended

    def undo_letdown(self, at_frame: int | None = None) -> list[Event]:
        """Take back the last let-down, marked by mistake.

        The mark is removed and the next one gets its number. The rules go on
        as if it had never been marked: restimulation counts from the let-down
        before it again, and if the mark had switched stimulation to expression,
        stimulation comes back at `at_frame` for the time it had left, followed
        by what was to follow it. What has been played stays as played; if the
        session has changed course since the mark (`n`, a restimulation) or
        moved past the phase it switched to, only the mark is removed.
        """
        undo = self._undo
        if undo is None or self.ended or self.segment_index < 0:
            return []
        self._undo = None
        marked = self.letdown_frames.pop()
        number = len(self.letdown_frames) + 1
        at = self._change_frame(at_frame)
        if self._quiet_since == undo.quiet_set:
            self._quiet_since = undo.quiet_before
        back_to = None
        if undo.switch is not None and self.timeline is undo.after:
            before, cut_index, cut_at = undo.switch
            switched_to = self.timeline.index_at(cut_at)
            if (
                self.timeline.index_at(at) == switched_to
                and at < self.timeline.segments[switched_to].end_frame
            ):
                seg = before.segments[cut_index]
                then = [
                    (seg.phase, seg.end_frame - cut_at, seg.offset + cut_at - seg.start_frame),
                    *_rest_of(before, cut_index),
                ]
                self._set_timeline(self.timeline.cut(at, then, keep=self.segment_index))
                back_to = self.plan.phases[seg.phase]
        events: list[Event] = [LetdownUndone(self.now_frame, number, marked, back_to)]
        return events + self.advance_to(self.now_frame)

    def next_phase(self, at_frame: int | None = None) -> list[Event]:
        """Skip the rest of the phase playing now."""
        if self.ended or self.segment_index < 0:
            return []
        at = self._change_frame(at_frame)
        if self.timeline.index_at(at) != self.segment_index or at >= self.segment.end_frame:
            return []  # it is ending on its own before the change could be heard
        self._set_timeline(
            self.timeline.cut(at, self._rest_after(self.segment_index), keep=self.segment_index)
        )
        if at >= self.timeline.end_frame:
            self._finish_reason = "finished_early"
        return self.advance_to(self.now_frame)

    def flow_stopped(self, at_frame: int | None = None) -> list[Event]:
        """The milk has stopped flowing: finish after the routine's countdown
        (`after_flow_stops`), with no more restimulation."""
        if self.ended or self.segment_index < 0 or self.flow_stopped_at is not None:
            return []
        at = self._change_frame(at_frame)
        self.flow_stopped_at = at
        countdown = self.plan.rules.after_flow_stops_frames
        self._cap = at + countdown if self._cap is None else min(self._cap, at + countdown)
        self._set_timeline(self.timeline)
        seconds = countdown / self.plan.rate
        when = f"in {seconds / 60:g} min" if seconds >= 60 else f"in {seconds:g} s"
        message = f"flow stopped: finishing {when}" if countdown else "flow stopped: finishing"
        events: list[Event] = [RuleApplied(at, "flow_stopped", message)]
        return events + self.advance_to(self.now_frame)

    def finish(self) -> list[Event]:
        """Stop now, before the routine's end."""
        if self.ended or self.segment_index < 0:
            return []
        if self.now_frame < self.end_frame:
            self._finish_reason = "finished_early"
            self._set_timeline(self.timeline.cut(self.now_frame, [], keep=self.segment_index))
        return self.advance_to(self.now_frame)

    # --- helpers --------------------------------------------------------------

    def _change_frame(self, at_frame: int | None) -> int:
        return self.now_frame if at_frame is None else max(self.now_frame, at_frame)

    def _rest_after(self, index: int) -> list[tuple[int, int, int]]:
        """The segments after `index`, to place again: (phase, frames, offset)."""
        return _rest_of(self.timeline, index)

    def _set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline.capped(self._cap)


def _rest_of(timeline: Timeline, index: int) -> list[tuple[int, int, int]]:
    """The segments of `timeline` after `index`, to place again: (phase, frames, offset)."""
    return [
        (s.phase, s.end_frame - s.start_frame, s.offset) for s in timeline.segments[index + 1 :]
    ]
