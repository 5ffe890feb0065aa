"""A reference model of a session, written from README.md ("While it plays") and
docs/routines.md ("Rules" and "The keys, moment by moment"), not from the code:
what a session does with each key and with the clock, and what its log holds.

It is plain on purpose, and shaped differently from calmflow.core.session: no
look-ahead and nothing placed in advance. A key is marked when it is pressed
(t) and changes the course when it can be heard (h = t + the render lead); the
rules act when their moment comes; everything happens in time order, at one
frame in this order: what keys do when heard (in the order pressed), then a
restimulation due, then a phase ending. So what the log holds follows from the
documented rules alone: a rule is logged when the phase it starts begins, and
only then.

Times are frames at `rate`; the wall clock (for the 5 s and 10 s windows) is in
milliseconds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from calmflow.core.routine import Routine

OPEN_FOR_S = 30 * 60
"""An open-ended last phase goes on at most 30 minutes past its duration (docs/routines.md)."""

SWITCH = "let-down marked: switch to expression mode"
RESTIM_NAME = "Stimulation again"
DOUBLE_PRESS_S = 5.0
UNDO_S = 10.0
VOLUME_STEP_DB = 3.0
VOLUME_MIN_DB = -30.0


@dataclass(frozen=True)
class Phase:
    name: str
    kind: str
    frames: int
    least: int | None = None
    """An open-ended phase: how long it lasts at the least (`frames`: at the most)."""


@dataclass(frozen=True)
class Seg:
    phase: int
    start: int
    end: int
    offset: int = 0
    """Frames of the phase played before this piece of it."""


@dataclass
class Mark:
    number: int
    frame: int
    phase: str
    heard: bool = False
    switch: tuple[list[Seg], int, int] | None = None
    """If it switched to expression: (course before, index cut, frame of the cut)."""
    switched_to: int | None = None
    """Index of the expression segment it switched to."""
    extended: tuple[list[Seg], int] | None = None
    """If it made the expression go on longer: the course before, and where
    that expression ended then."""
    version: int = -1
    """The course's version once it was heard."""


@dataclass
class Effect:
    """What a key does once it can be heard."""

    at: int
    key: str
    pressed: int
    number: int
    """Keys are numbered as pressed."""
    mark: Mark | None = None
    segment: int = 0


@dataclass
class SessionModel:
    phases: list[Phase]
    rate: int
    lead: int
    on_letdown_expression: bool
    restim_after: int | None
    restim_phase: int | None
    restim_message: str
    countdown: int
    countdown_message: str
    cap: int | None
    extends: int | None
    extends_message: str

    course: list[Seg] = field(default_factory=list)
    t: int = 0
    idx: int = 0
    ended: str | None = None
    reason: str = "completed"
    """How the session ends when it reaches its end."""
    end_frame: int | None = None
    wall_ms: int = 0
    unpaused_ms: int = 0
    paused: bool = False
    volume_db: float = 0.0
    muted: bool = False
    log: list[tuple[int, str, str]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    heard: list[Mark] = field(default_factory=list)
    """The marks heard and not taken back as heard: the quiet time counts from them."""
    last_mark_ms: int | None = None
    undoable: bool = False
    pending: list[Effect] = field(default_factory=list)
    presses: int = 0
    outcomes: dict[int, object] = field(default_factory=dict)
    """What each key did when heard, by its number."""
    announce: dict[tuple[int, int], str] = field(default_factory=dict)
    """A rule is told when the phase it starts begins: (frame, phase) -> rule."""
    run_start: int | None = None
    skipped_at: int | None = None
    restim_done_for: int | None = None
    f_pressed: bool = False
    flow_stopped: bool = False
    version: int = 0

    # --- building it -------------------------------------------------------------------

    @classmethod
    def of(cls, routine: Routine, rate: int, lead: int) -> SessionModel:
        def frames(seconds: float) -> int:
            return max(1, round(seconds * rate))

        phases = [
            Phase(p.name if n == 1 else f"{p.name} ({k} of {n})", p.kind, frames(p.duration))
            for p, k, n in routine.flat_phases
        ]
        if routine.open_ended:
            last = phases[-1]
            phases[-1] = Phase(last.name, last.kind, last.frames + OPEN_FOR_S * rate, last.frames)
        rules = routine.rules
        restim_phase = None
        restim_message = ""
        if rules.restimulate_after is not None:
            restim_phase = len(phases)
            phases.append(Phase(RESTIM_NAME, "stimulation", frames(rules.restimulate_for)))
            minutes = rules.restimulate_after / 60
            quiet = "a minute" if minutes == 1 else f"{minutes:g} minutes"
            restim_message = (
                f"no let-down for {quiet}: back to stimulation for {rules.restimulate_for:g} s"
            )
        countdown = round(rules.after_flow_stops * rate)
        seconds = countdown / rate
        if countdown == 0:
            countdown_message = "flow stopped: finishing"
        elif seconds >= 60:
            countdown_message = f"flow stopped: finishing in {seconds / 60:g} min"
        else:
            countdown_message = f"flow stopped: finishing in {seconds:g} s"
        model = cls(
            phases=phases,
            rate=rate,
            lead=lead,
            on_letdown_expression=rules.on_letdown == "expression",
            restim_after=None
            if rules.restimulate_after is None
            else round(rules.restimulate_after * rate),
            restim_phase=restim_phase,
            restim_message=restim_message,
            countdown=countdown,
            countdown_message=countdown_message,
            cap=None if rules.max_duration is None else round(rules.max_duration * rate),
            extends=None if rules.letdown_extends is None else frames(rules.letdown_extends),
            extends_message=_extends_message(rules.letdown_extends),
        )
        start = 0
        planned = len(phases) - (restim_phase is not None)
        for i in range(planned):
            model.course.append(Seg(i, start, start + phases[i].frames))
            start += phases[i].frames
        model.log.append((0, "phase", phases[0].name))
        model._entered(None)
        return model

    # --- what it says ----------------------------------------------------------------

    @property
    def end(self) -> int:
        """Where the session ends as things stand: the course's end, or the cap."""
        if self.end_frame is not None:
            return self.end_frame
        end = self.course[-1].end
        return end if self.cap is None else min(end, self.cap)

    @property
    def planned_end(self) -> int:
        """The end, or where an open-ended last phase has lasted its least."""
        seg = self.course[-1]
        least = self.phases[seg.phase].least
        if least is None:
            return self.end
        # where the phase's own frames reach its least, in whichever piece of it
        for piece in reversed(self.course):
            if piece.phase == seg.phase and piece.offset <= least:
                return min(self.end, seg.end, piece.start + least - piece.offset)
        return min(self.end, seg.start)

    @property
    def phase_name(self) -> str:
        return self.phases[self.course[self.idx].phase].name

    def kind(self, seg: Seg) -> str:
        return self.phases[seg.phase].kind

    def next_due(self) -> int | None:
        """When a restimulation would start if nothing is pressed (for the driver)."""
        return self._due()

    # --- the clock ---------------------------------------------------------------------

    def wait(self, ms: int) -> None:
        self.wall_ms += ms
        if not self.paused and self.ended is None:
            self.unpaused_ms += ms
            self._advance(self.unpaused_ms * self.rate // 1000)

    def _advance(self, to: int) -> None:
        while self.ended is None:
            at_effect = min((e.at for e in self.pending), default=None)
            due = self._due()
            seg_end = min(self.course[self.idx].end, self.end)
            x = min(v for v in (at_effect, due, seg_end) if v is not None)
            if x > to:
                break
            self.t = max(self.t, x)
            if at_effect == x:
                effect = next(e for e in self.pending if e.at == x)
                self.pending.remove(effect)
                getattr(self, f"_heard_{effect.key}")(effect)
            elif due == x:
                self._restimulate(x)
            else:
                self._leave()
        if self.ended is None:
            self.t = max(self.t, to)

    def _leave(self) -> None:
        """The segment playing ends: the next begins, or the session ends."""
        nxt = self.idx + 1
        if self.course[self.idx].end >= self.end or nxt >= len(self.course):
            self._end(self.reason, self.end)
            return
        before = self.phases[self.course[self.idx].phase]
        self.idx = nxt
        seg = self.course[nxt]
        rule = self.announce.pop((seg.start, seg.phase), None)
        if rule is not None:
            self.log.append((seg.start, "rule", rule))
        self.log.append((seg.start, "phase", self.phases[seg.phase].name))
        self._entered(before)

    def _entered(self, before: Phase | None) -> None:
        if self.kind(self.course[self.idx]) != "expression":
            self.run_start = None
        elif before is None or before.kind != "expression":
            self.run_start = self.course[self.idx].start

    def _end(self, reason: str, frame: int) -> None:
        self.ended = reason
        self.end_frame = frame
        self.t = frame
        self.pending.clear()

    # --- restimulation -----------------------------------------------------------------

    def _quiet_since(self) -> int | None:
        """Expression's start, the last let-down (once heard) or the last `n`."""
        if self.run_start is None:
            return None
        heard = [m.frame for m in self.heard]
        return max(self.run_start, heard[-1] if heard else 0, self.skipped_at or 0)

    def _run_end(self) -> int:
        end = self.course[self.idx].end
        for seg in self.course[self.idx + 1 :]:
            if seg.start != end or self.kind(seg) != "expression":
                break
            end = seg.end
        return min(end, self.end)

    def _due(self) -> int | None:
        quiet = self._quiet_since()
        if (
            self.restim_after is None
            or self.flow_stopped
            or quiet is None
            or quiet == self.restim_done_for
        ):
            return None
        due = max(quiet + self.restim_after, self.t)  # already due: at once
        return due if due < self._run_end() else None

    def _restimulate(self, at: int) -> None:
        assert self.restim_phase is not None
        self.restim_done_for = self._quiet_since()
        i = self._segment_at(at)
        seg = self.course[i]
        block = self.phases[self.restim_phase].frames
        then = [
            (self.restim_phase, block, 0),
            (seg.phase, seg.end - at, seg.offset + at - seg.start),
            *self._rest(self.course, i),
        ]
        self._cut(at, then)
        self.announce[(at, self.restim_phase)] = self.restim_message

    # --- the course --------------------------------------------------------------------

    def _segment_at(self, frame: int) -> int:
        """The segment that plays at `frame` (of those starting there, the last)."""
        found = self.idx
        for i in range(self.idx, len(self.course)):
            if self.course[i].start <= frame:
                found = i
            else:
                break
        return found

    @staticmethod
    def _rest(course: list[Seg], index: int) -> list[tuple[int, int, int]]:
        return [(s.phase, s.end - s.start, s.offset) for s in course[index + 1 :]]

    def _cut(self, at: int, then: list[tuple[int, int, int]]) -> None:
        """From `at` on, play `then`; what has begun stays (ending at `at`); a phase
        resumed right where it was cut stays one piece."""
        kept = [
            Seg(s.phase, s.start, min(s.end, at), s.offset)
            for i, s in enumerate(self.course)
            if s.start < at or i <= self.idx
        ]
        start = at
        for phase, frames, offset in then:
            last = kept[-1]
            if (
                phase == last.phase
                and last.end == start
                and offset == last.offset + last.end - last.start
            ):
                kept[-1] = Seg(phase, last.start, start + frames, last.offset)
            else:
                kept.append(Seg(phase, start, start + frames, offset))
            start += frames
        self.course = kept
        self.version += 1

    def _phase_last(self, index: int) -> int:
        """The last piece of the phase in segment `index` (it goes on after a
        restimulation placed in it)."""
        phase = self.course[index].phase
        last = index
        for j in range(index + 1, len(self.course)):
            seg = self.course[j]
            if seg.phase == phase:
                last = j
            elif not (
                seg.phase == self.restim_phase
                and j + 1 < len(self.course)
                and self.course[j + 1].phase == phase
            ):
                break
        return last

    # --- keys --------------------------------------------------------------------------

    def _press(self, key: str, **what: object) -> object:
        """Press `key` now; return what it does when heard (None if it is not).

        The log keeps some keys as pressed, with what they did, so what that
        is must be known now: nothing pressed later is heard before it, so a
        copy of the session played on to that moment tells."""
        self.presses += 1
        effect = Effect(self.t + self.lead, key, self.t, self.presses, **what)  # type: ignore[arg-type]
        self.pending.append(effect)
        self._advance(self.t)  # with no lead, it is heard at once
        if effect not in self.pending:
            return self.outcomes.get(effect.number)
        future = copy.deepcopy(self)
        future._advance(effect.at)
        return future.outcomes.get(effect.number)

    def space(self) -> bool:
        """A let-down; False if taken for a doubled key (or after the end)."""
        if self.ended is not None:
            return False
        if (
            self.marks
            and self.last_mark_ms is not None
            and self.wall_ms / 1000 - self.last_mark_ms / 1000 < DOUBLE_PRESS_S
        ):
            return False
        self.last_mark_ms = self.wall_ms
        self.undoable = True
        mark = Mark(len(self.marks) + 1, self.t, self.phase_name)
        self.marks.append(mark)
        self._press("letdown", mark=mark)
        return True

    def _heard_letdown(self, effect: Effect) -> None:
        mark = effect.mark
        assert mark is not None
        h = effect.at
        i = self._segment_at(h)
        seg = self.course[i]
        if (
            self.on_letdown_expression
            and self.kind(seg) == "stimulation"
            and h < min(seg.end, self.end)
        ):
            later = self.course[i + 1 :]
            first = next((k for k, s in enumerate(later) if self.kind(s) == "expression"), None)
            if first is not None:
                before = list(self.course)
                self._cut(h, self._rest(self.course, i + first))
                mark.switch = (before, i, h)
                mark.switched_to = self._segment_at(h)
                self.announce[(h, self.course[mark.switched_to].phase)] = SWITCH
        self._extend(mark, h)
        mark.heard = mark in self.marks
        if mark.heard:
            self.heard.append(mark)
        mark.version = self.version

    def _run_last(self, course: list[Seg], i: int) -> int:
        last = i
        for j in range(i + 1, len(course)):
            if course[j].start != course[j - 1].end or self.kind(course[j]) != "expression":
                break
            last = j
        return last

    def _extend(self, mark: Mark, h: int) -> None:
        """A let-down heard with less than `letdown_extends` left of the
        expression: its last phase goes on until that long after the let-down
        (not an open-ended one, which goes on anyway)."""
        i = self._segment_at(h)
        seg = self.course[i]
        if self.extends is None or self.kind(seg) != "expression" or h >= min(seg.end, self.end):
            return
        last = self._run_last(self.course, i)
        short = h + self.extends - self.course[last].end
        if self.phases[self.course[last].phase].least is not None or short <= 0:
            return
        before, old_end = list(self.course), self.course[last].end
        then = [(seg.phase, seg.end - h, seg.offset + h - seg.start), *self._rest(self.course, i)]
        phase, frames, offset = then[last - i]
        then[last - i] = (phase, frames + short, offset)
        self._cut(h, then)
        mark.extended = (before, old_end)
        told = (h, "rule", self.extends_message.replace("NAME", self.phases[phase].name))
        if told not in self.log:  # taken back and made again at once: told once
            self.log.append(told)

    def undo(self) -> bool:
        if self.ended is not None or not self.marks or not self.undoable:
            return False
        if self.last_mark_ms is None or self.wall_ms / 1000 - self.last_mark_ms / 1000 > UNDO_S:
            return False
        self.undoable = False
        self.last_mark_ms = None
        mark = self.marks.pop()
        pressed = self.t
        back_to = self._press("undo", mark=mark)
        detail = _undone(mark, self.rate, back_to if isinstance(back_to, str) else None)
        self.log.append((pressed, "letdown_undone", detail))
        return True

    def _heard_undo(self, effect: Effect) -> None:
        mark = effect.mark
        assert mark is not None
        h = effect.at
        mark.heard = False
        if mark in self.heard:  # the quiet time counts from the mark before, once heard
            self.heard.remove(mark)
        back_to = None
        unchanged = mark.version == self.version
        if mark.extended is not None and unchanged:
            before, old_end = mark.extended
            if h < old_end:  # not yet past where it would have ended
                self.course = before  # the same as now up to its old end
                self.version += 1
        if mark.switch is not None and unchanged:
            before, cut, cut_at = mark.switch
            i = self._segment_at(h)
            if i == mark.switched_to and h < min(self.course[i].end, self.end):
                seg = before[cut]
                then = [
                    (seg.phase, seg.end - cut_at, seg.offset + cut_at - seg.start),
                    *self._rest(before, cut),
                ]
                self._cut(h, then)
                back_to = self.phases[seg.phase].name
        self.outcomes[effect.number] = back_to

    def next(self) -> None:
        if self.ended is not None:
            return
        pressed, name = self.t, self.phase_name
        if self._press("next", segment=self.idx):
            self.log.append((pressed, "next", name))

    def _heard_next(self, effect: Effect) -> None:
        h = effect.at
        last = self._phase_last(effect.segment)
        if h >= min(self.course[last].end, self.end):
            return  # the phase ends on its own before n is heard
        self.outcomes[effect.number] = True
        early = h < self.planned_end
        self._cut(h, self._rest(self.course, last))
        self.skipped_at = h
        if h >= self.end and early:  # it was the last phase, before its least
            self.reason = "finished_early"

    def flow(self) -> None:
        if self.ended is not None or self.f_pressed:
            return
        self.f_pressed = True
        self._press("flow")

    def _heard_flow(self, effect: Effect) -> None:
        h = effect.at
        self.flow_stopped = True
        self.cap = h + self.countdown if self.cap is None else min(self.cap, h + self.countdown)
        self.log.append((h, "rule", self.countdown_message))

    def pause(self) -> None:
        if self.ended is not None:
            return
        self.paused = not self.paused
        self.log.append((self.t, "pause" if self.paused else "resume", ""))

    def volume(self, steps: int) -> None:
        level = min(0.0, max(VOLUME_MIN_DB, self.volume_db + steps * VOLUME_STEP_DB))
        if self.ended is not None or (level == self.volume_db and not self.muted):
            return
        self.volume_db = level
        self.muted = False
        self.log.append((self.t, "volume", f"{level:g} dB"))

    def mute(self) -> None:
        if self.ended is not None:
            return
        self.muted = not self.muted
        self.log.append((self.t, "mute" if self.muted else "unmute", ""))

    def quit(self) -> None:
        if self.ended is not None:
            return
        if self.t < self.end:
            self._end("finished_early" if self.t < self.planned_end else self.reason, self.t)
        else:
            self._end(self.reason, self.end)


def _undone(mark: Mark, rate: int, back_to: str | None) -> str:
    seconds = max(0, int(round(mark.frame / rate)))
    at = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    at = at if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"
    detail = f"let-down {mark.number} at {at}"
    return detail + (f"; back to {back_to}" if back_to else "")


def _extends_message(seconds: float | None) -> str:
    if seconds is None:
        return ""
    when = (
        "a minute"
        if seconds == 60
        else (f"{seconds / 60:g} minutes" if seconds % 60 == 0 else f"{seconds:g} s")
    )
    return f"let-down near the end: NAME goes on for {when}"
