"""Session: the pure state machine of one pumping session.

It knows nothing of clocks, sound cards or screens. Whoever drives it tells it
which frame has been played (`advance_to`) and what the person did (`letdown`,
`next_phase`, `flow_stopped`, `finish`), and gets back the events that follow.
Changes of course take effect at a frame the caller chooses (`at_frame`),
because live audio has already rendered a little ahead of what was heard;
offline, that is the same frame as now. The rules look further ahead still: a
restimulation is placed a second before it is due, so that it is heard when it
is shown.

An event is given when its frame has been played, never before, so the log is
in time order and holds only what happened: a change placed ahead that a key
withdraws before it is heard (a let-down just before a restimulation, `n`,
`f`) is never told. The course is kept whole, as if the session had no end;
what plays (`timeline`) is that course cut at the end that `max_duration` and
the `f` countdown set, so moving on (a let-down, `n`) never moves the end.

One state machine, the `Session` class, so over 400 lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from calmflow.core.breathing import breath_at
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

    after: Timeline
    """The course the let-down left: its change of course is undone only if
    nothing has changed course since."""
    switch: tuple[Timeline, int, int] | None
    """If it switched to expression: (course before, index of the segment it
    cut there, frame of the cut)."""
    extended: tuple[Timeline, int] | None = None
    """If it made the expression go on longer (`letdown_extends`): the course
    before, and where that expression ended then."""


class Session:
    """One session of one routine, driven by frames played.

    `lead_frames` is how far ahead of the frames played the sound has already
    been rendered: a change the rules make on their own is placed no earlier,
    so it is heard when it is shown (0 offline).
    """

    def __init__(self, plan: Plan, lead_frames: int = 0) -> None:
        self.plan = plan
        self.lead_frames = lead_frames
        self._cap = plan.rules.max_frames
        self._course = Timeline.planned(plan)
        """What is played and planned, as if the session had no end."""
        self.timeline = self._course.capped(self._cap)
        """The course as it plays: cut at the session's end."""
        self.now_frame = 0
        self.segment_index = -1
        """Index in the timeline of the segment playing; -1 before `start`."""
        self.letdown_frames: list[int] = []
        self.ended: EndReason | None = None
        self.flow_stopped_at: int | None = None
        self._finish_reason: EndReason = "completed"
        self._run_start: int | None = None
        """Where the expression playing began (consecutive expression phases are
        one); None outside expression."""
        self._skipped_at: int | None = None
        """Where the last `n` was heard: the quiet time counts from it too."""
        self._restimulated_for: int | None = None
        """The start of the quiet time whose restimulation has been placed (or
        came too late to be heard): each quiet time gets one."""
        self._pending: list[RuleApplied] = []
        """Rules placed ahead of the frames played, told when their frame is."""
        self._undo: _Undo | None = None
        """How to take back the last let-down, until it is taken back."""
        self._switched_to: dict[int, int] = {}
        """The expression phase a let-down switched to, by the frame of the switch."""

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

    @property
    def planned_end(self) -> int:
        """Where the session ends as planned now: its end, or where an
        open-ended last phase has lasted its `duration` (it goes on after)."""
        if not self.timeline.segments:
            return 0
        # The course, not the timeline: a cap can end the timeline in a
        # restimulation placed ahead, after which the open phase would go on.
        course = self._course
        return min(self.end_frame, course.least_end(len(course.segments) - 1))

    @property
    def going_on(self) -> bool:
        """Whether an open-ended phase is playing past its `duration`: it goes
        on while milk flows, until `f` or `q`."""
        return (
            self.phase.open_ended
            and self.now_frame >= self.timeline.least_end(max(0, self.segment_index))
            and not self.ended
        )

    def phase_frames_left(self) -> int:
        """Until the phase ends (an open-ended one: until it has lasted its `duration`)."""
        return max(0, self.timeline.least_end(max(0, self.segment_index)) - self.now_frame)

    def session_frames_left(self) -> int:
        return max(0, self.planned_end - self.now_frame)

    def breath(self) -> BreathPosition | None:
        """Where the breathing guide is, or None where there is none: the breath
        runs on across phase changes (core/breathing.py), as the sound does."""
        return breath_at(self.timeline, self.now_frame)

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
                self._restimulate(max(due, self._rendered_to(target)))
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
            events += self._release(self.segment.end_frame)
            if self.segment_index + 1 >= len(self.timeline.segments):
                self.ended = self._finish_reason
                events.append(SessionEnded(self.end_frame, self.ended))
                self._pending.clear()  # never heard
                return events
            before = self.phase
            self.segment_index += 1
            self._entered(before)
            events.append(PhaseStarted(self.segment.start_frame, self.segment_index, self.phase))
        return events + self._release(self.now_frame)

    def _release(self, frame: int) -> list[Event]:
        """The rules placed ahead whose frame has come, if they still happen."""
        if not any(rule.frame <= frame for rule in self._pending):
            return []
        come = sorted((r for r in self._pending if r.frame <= frame), key=lambda r: r.frame)
        self._pending = [r for r in self._pending if r.frame > frame]
        told: list[Event] = []
        for rule in come:
            # A change taken back and made again before it was heard is told once.
            if self._happens(rule) and all(
                (e.frame, e.rule) != (rule.frame, rule.rule)
                for e in told
                if isinstance(e, RuleApplied)
            ):
                told.append(rule)
        return told

    def _happens(self, rule: RuleApplied) -> bool:
        """Whether the change of course `rule` tells is still in the timeline."""
        if rule.rule in ("flow_stopped", "letdown_extends"):
            return True  # told when heard, as the let-down it answers is
        for seg in self.timeline.segments[max(0, self.segment_index) :]:
            if seg.start_frame > rule.frame:
                break
            if seg.start_frame == rule.frame and seg.end_frame > seg.start_frame:
                if rule.rule == "restimulate":
                    return seg.phase == self.plan.rules.restimulation_phase and seg.offset == 0
                # the expression phase it switched to (not one `n` moved on to there)
                return seg.phase == self._switched_to.get(rule.frame)
        return False

    def _entered(self, before: PlannedPhase | None) -> None:
        """Keep count of the quiet time in expression as a segment starts."""
        if self.phase.kind != "expression":
            self._run_start = None
        elif before is None or before.kind != "expression":
            self._run_start = self.segment.start_frame

    def _quiet_since(self) -> int | None:
        """Since when no let-down has come in the expression playing: its start,
        the last let-down or the last `n`, whichever is latest."""
        if self._run_start is None:
            return None
        last = self.letdown_frames[-1] if self.letdown_frames else 0
        return max(self._run_start, last, self._skipped_at or 0)

    def _run_end(self) -> int:
        """Where the expression playing ends (consecutive expression phases are
        one), within the session's end."""
        end = self.segment.end_frame
        for seg in self.timeline.segments[self.segment_index + 1 :]:
            if seg.start_frame != end or self.timeline.phase_of(seg).kind != "expression":
                break
            end = seg.end_frame
        return end

    def _restimulation_due(self) -> int | None:
        """The frame at which the restimulation rule would act, in this expression."""
        rules = self.plan.rules
        quiet = self._quiet_since()
        if (
            rules.restimulate_after_frames is None
            or quiet is None
            or self.flow_stopped_at is not None
            or quiet == self._restimulated_for
        ):
            return None
        due = quiet + rules.restimulate_after_frames
        return due if due < self._run_end() else None

    def _restimulate(self, at: int) -> None:
        """Insert the stimulation block at `at` and resume the expression after it."""
        rules = self.plan.rules
        assert rules.restimulation_phase is not None and rules.restimulate_after_frames
        self._restimulated_for = self._quiet_since()
        if at >= self._run_end():
            return  # too late in this expression to be heard
        course = self._course
        index = course.index_at(at)
        seg = course.segments[index]
        block = self.plan.phases[rules.restimulation_phase].duration_frames
        then = [
            (rules.restimulation_phase, block, 0),
            (seg.phase, seg.end_frame - at, seg.offset + at - seg.start_frame),
            *course.rest_after(index),
        ]
        self._set_course(course.cut(at, then, keep=self.segment_index))
        minutes = rules.restimulate_after_frames / self.plan.rate / 60
        seconds = block / self.plan.rate
        quiet = f"{minutes:g} minutes" if minutes != 1 else "a minute"
        self._pending.append(
            RuleApplied(
                at,
                "restimulate",
                f"no let-down for {quiet}: back to stimulation for {seconds:g} s",
            )
        )

    def _call_off_restimulation(self, at: int) -> None:
        """A restimulation placed ahead that has not begun by `at` is not wanted."""
        restim = self.plan.rules.restimulation_phase
        segments = self._course.segments
        for i in range(self.segment_index + 1, len(segments)):
            seg = segments[i]
            if seg.phase == restim and seg.offset == 0 and seg.start_frame >= at:
                self._set_course(self._course.without(i))
                self._restimulated_for = None  # were the key undone, it would be due again
                return

    def letdown(self, at_frame: int | None = None) -> list[Event]:
        """A let-down was felt now; during stimulation, move on to expression.

        The let-down is placed at the frame played now, and the quiet time
        before a restimulation counts from it. `at_frame` is the earliest frame
        from which a change of course can be heard: a restimulation placed to
        begin from there is called off, and if stimulation plays there, the
        next expression phase starts there.
        """
        if self.ended or self.segment_index < 0:
            return []
        self.letdown_frames.append(self.now_frame)
        events: list[Event] = [
            LetdownMarked(self.now_frame, len(self.letdown_frames), self.phase, self.cues_now())
        ]
        at = self._change_frame(at_frame)
        self._call_off_restimulation(at)
        switch = None
        course = self._course
        index = course.index_at(at)
        seg = course.segments[index]
        if (
            self.plan.rules.letdown_to_expression
            and course.phase_of(seg).kind == "stimulation"
            and at < min(seg.end_frame, self.end_frame)
        ):
            # [ours] mirrors the pumps' let-down button (EVIDENCE.md: two-phase pumping)
            rest = course.rest_after(index)
            kinds = [self.plan.phases[p].kind for p, _, _ in rest]
            if "expression" in kinds:
                switch = (course, index, at)
                self._switched_to[at] = rest[kinds.index("expression")][0]
                self._set_course(
                    course.cut(at, rest[kinds.index("expression") :], keep=self.segment_index)
                )
                self._pending.append(
                    RuleApplied(
                        at, "letdown_to_expression", "let-down marked: switch to expression mode"
                    )
                )
        extended = self._extend_for(at)
        self._undo = _Undo(self._course, switch, extended)
        return events + self.advance_to(self.now_frame)

    def _extend_for(self, at: int) -> tuple[Timeline, int] | None:
        """A let-down heard at `at` with less than `letdown_extends` left of the
        expression playing makes the expression go on that long after it (its
        last phase grows; what follows moves later). Returns the course before
        and where its expression ended."""
        window = self.plan.rules.letdown_extends_frames
        course = self._course
        index = course.index_at(at)
        seg = course.segments[index]
        if window is None or course.phase_of(seg).kind != "expression":
            return None
        if at >= min(seg.end_frame, self.end_frame):
            return None  # the expression ends before the let-down could change it
        last = course.run_last(index)
        if course.phase_of(course.segments[last]).open_ended:
            return None  # it goes on anyway
        old_end = course.segments[last].end_frame
        short = at + window - old_end
        if short <= 0:
            return None
        then = [(seg.phase, seg.end_frame - at, seg.offset + at - seg.start_frame)]
        then += course.rest_after(index)
        phase, frames, offset = then[last - index]
        then[last - index] = (phase, frames + short, offset)
        self._set_course(course.cut(at, then, keep=self.segment_index))
        name = self.plan.phases[phase].name
        self._pending.append(
            RuleApplied(
                at,
                "letdown_extends",
                f"let-down near the end: {name} goes on for {_spoken(window / self.plan.rate)}",
            )
        )
        return course, old_end

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
        by what was to follow it (a switch not heard yet is simply undone).
        What has been played stays as played; if the session has changed course
        since the mark (`n`, a restimulation) or moved past the phase it
        switched to, only the mark is removed.
        """
        undo = self._undo
        if undo is None or self.ended or self.segment_index < 0:
            return []
        self._undo = None
        marked = self.letdown_frames.pop()
        number = len(self.letdown_frames) + 1
        at = self._change_frame(at_frame)
        back_to = None
        course = self._course
        unchanged = course is undo.after
        if undo.extended is not None and unchanged:
            before, old_end = undo.extended
            if at < old_end:  # not yet past where it would have ended
                self._set_course(before)  # the same as now up to its old end
                course = before
        if undo.switch is not None and unchanged:
            before, cut_index, cut_at = undo.switch
            switched_to = course.index_at(cut_at)
            if course.index_at(at) == switched_to and at < min(
                course.segments[switched_to].end_frame, self.end_frame
            ):
                seg = before.segments[cut_index]
                then = [
                    (seg.phase, seg.end_frame - cut_at, seg.offset + cut_at - seg.start_frame),
                    *before.rest_after(cut_index),
                ]
                self._set_course(course.cut(at, then, keep=self.segment_index))
                back_to = self.plan.phases[seg.phase]
        events: list[Event] = [LetdownUndone(self.now_frame, number, marked, back_to)]
        return events + self.advance_to(self.now_frame)

    def next_phase(self, at_frame: int | None = None) -> list[Event]:
        """Skip the rest of the phase playing now, with any restimulation placed
        in it; the quiet time before a restimulation counts from the skip."""
        if self.ended or self.segment_index < 0:
            return []
        at = self._change_frame(at_frame)
        last = self._course.phase_last(self.segment_index)
        if at >= min(self._course.segments[last].end_frame, self.end_frame):
            return []  # it is ending on its own before the change could be heard
        early = at < self.planned_end
        self._set_course(
            self._course.cut(at, self._course.rest_after(last), keep=self.segment_index)
        )
        self._skipped_at = at
        if at >= self.end_frame and early:
            self._finish_reason = "finished_early"
        return self.advance_to(self.now_frame)

    def flow_stopped(self, at_frame: int | None = None) -> list[Event]:
        """The milk has stopped flowing: finish after the routine's countdown
        (`after_flow_stops`) from `at_frame`, with no more restimulation (one
        placed ahead that has not begun by then is called off)."""
        if self.ended or self.segment_index < 0 or self.flow_stopped_at is not None:
            return []
        at = self._change_frame(at_frame)
        self.flow_stopped_at = at
        self._call_off_restimulation(at)
        countdown = self.plan.rules.after_flow_stops_frames
        self._cap = at + countdown if self._cap is None else min(self._cap, at + countdown)
        self._set_course(self._course)
        seconds = countdown / self.plan.rate
        when = f"in {seconds / 60:g} min" if seconds >= 60 else f"in {seconds:g} s"
        message = f"flow stopped: finishing {when}" if countdown else "flow stopped: finishing"
        self._pending.append(RuleApplied(at, "flow_stopped", message))
        return self.advance_to(self.now_frame)

    def finish(self) -> list[Event]:
        """Stop now, before the routine's end."""
        if self.ended or self.segment_index < 0:
            return []
        if self.now_frame < self.end_frame:
            if self.now_frame < self.planned_end:
                self._finish_reason = "finished_early"
            self._set_course(self._course.cut(self.now_frame, [], keep=self.segment_index))
        return self.advance_to(self.now_frame)

    # --- helpers --------------------------------------------------------------

    def _change_frame(self, at_frame: int | None) -> int:
        return self.now_frame if at_frame is None else max(self.now_frame, at_frame)

    def _set_course(self, course: Timeline) -> None:
        self._course = course
        self.timeline = course.capped(self._cap, keep=max(0, self.segment_index))


def _spoken(seconds: float) -> str:
    """'a minute', '2 minutes', '45 s': a length as the notices say it."""
    if seconds == 60:
        return "a minute"
    return f"{seconds / 60:g} minutes" if seconds % 60 == 0 else f"{seconds:g} s"
