"""Player: one session, played — the Session, its Output and the Store together.

The UI (or a test, or a script) calls `tick()` 10–20 times a second and the
action methods when keys are pressed; everything here runs on that caller's
thread. What the person does is written to the Store at once. If the database
cannot be written (a full disk), the writes wait in order in memory and are
retried on every tick, and the person is told once; whatever still cannot be
written when the session is over goes to the store's journal file, replayed the
next time the log is opened (`settle`). What happens when the sound goes wrong
is sound_watch.py's: the session goes on silently, and the sound plays on from
the session's frame when it comes back.

One cohesive thing, the `Player` class, so over 400 lines.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calmflow.audio.output import Output
from calmflow.core.plan import Plan, PlannedPhase
from calmflow.core.records import AfterSession
from calmflow.core.routine_loading import LoadedRoutine
from calmflow.core.session import (
    Event,
    LetdownMarked,
    LetdownUndone,
    PhaseStarted,
    RuleApplied,
    Session,
    SessionEnded,
)
from calmflow.services.schedule import note_missed
from calmflow.services.sound_watch import SoundWatch
from calmflow.store.db import StoreError
from calmflow.store.store import Store
from calmflow.text.numbers import clock_text

HEARTBEAT_S = 5.0
LETDOWN_DEBOUNCE_S = 5.0
"""A second press this soon after a let-down is a held or doubled key, not a new
let-down (each one lasts 45 s or more: EVIDENCE.md)."""
UNDO_WINDOW_S = 10.0
"""A let-down mark can be taken back this long after its key press (wall clock)."""
VOLUME_STEP_DB = 3.0
VOLUME_MIN_DB = -30.0
"""The quietest the sound goes before `m` mutes it altogether."""
VOLUME_MAX_DB = 0.0
"""The routine's own level, as it was mixed: `+` goes no louder (and the default)."""


@dataclass(frozen=True)
class Notice:
    """Something to tell the person, once."""

    text: str
    kind: str = "info"
    """'info', 'rule' or 'warning'."""


class Player:
    def __init__(
        self,
        loaded: LoadedRoutine,
        plan: Plan,
        store: Store,
        output: Output,
        *,
        clock: Callable[[], float] = time.monotonic,
        trial: tuple[int, int] | None = None,
    ) -> None:
        """`trial` is the experiment drawn at random that gave the plan its arm, and
        the session's place in its allocation."""
        self.loaded = loaded
        self.plan = plan
        self.store = store
        self.trial = trial
        self.sound = SoundWatch(
            output,
            plan.rate,
            tell=lambda text, kind: self.notices.append(Notice(text, kind)),
            log=self._sound_event,
            clock=clock,
        )
        self.session = Session(plan, lead_frames=output.guard_frames)
        self.session_id: int | None = None
        self.paused = False
        self.notices: list[Notice] = []
        self.letdowns: list[LetdownMarked] = []
        self._clock = clock
        self._sent_timeline = self.session.timeline
        self._backlog: list[tuple[str, dict[str, Any]]] = []
        """Writes the database refused, in order: (Store method, JSON-able arguments)."""
        self._store_failed = False
        self._last_heartbeat_frame = 0
        self._cues_seen: set[str] = set()
        self._last_mark_at: float | None = None
        """When (on the clock) the last let-down key press was taken."""
        self.volume_db = VOLUME_MAX_DB
        """The sound's level, set by `+` and `-`; remembered for the next session."""
        self.muted = False
        """`m`: no sound, while the guide on screen and the session go on."""
        self._closed = False
        self._aborted = False

    # --- life cycle ---------------------------------------------------------------

    def start(self) -> None:
        """Open the sound (or fall back to silence) and begin the session.

        Raises StoreError (after closing the sound) if the session's row cannot
        be written: better to say so now than to play a session nobody keeps.
        """
        with contextlib.suppress(StoreError):
            self.volume_db = self._clamp(self.store.last_sound_volume_db() or VOLUME_MAX_DB)
        self.sound.open(self.session.timeline)
        self._send_gain()
        if self._aborted:  # the person quit while the sound was opening
            self._close()
            return
        try:
            self.session_id = self.store.start_session(
                routine=self.plan.routine_name,
                routine_path=str(self.loaded.path),
                routine_digest=self.loaded.digest,
                planned_s=self.plan.seconds(self.plan.duration_frames),
                output=self.output.name,
                experiment=self.plan.experiment,
                trial=self.trial,
            )
        except StoreError:
            self._close()
            raise
        if self.no_sound:
            self._log_event("audio_lost", self.no_sound)
        self._handle(self.session.start())

    def abort(self) -> None:
        """Quit before the session started: nothing is logged, the sound closes."""
        self._aborted = True
        if self.session_id is None:
            self._closed = True
            with contextlib.suppress(Exception):
                self.output.close(self.session.timeline)

    @property
    def ended(self) -> bool:
        return self.session.ended is not None

    def tick(self) -> list[Event]:
        """Bring the session up to the frames the output has consumed."""
        if self.session_id is None or self._closed:
            return []
        output = self.output
        frames = self.sound.frames(self.session.timeline, paused=self.paused, gain=self.gain)
        if self.output is not output:  # told the session's course as it is now
            self._sent_timeline = self.session.timeline
        events = self.session.advance_to(frames)
        self._handle(events)
        self._note_cues()
        if self.session.now_frame - self._last_heartbeat_frame >= HEARTBEAT_S * self.plan.rate:
            self._last_heartbeat_frame = self.session.now_frame
            self._write(
                "heartbeat",
                session_id=self.session_id,
                played_s=self.played_s,
                underruns=self.underruns,
            )
        self._retry_backlog()
        return events

    # --- what the person does -----------------------------------------------------------

    def letdown(self) -> LetdownMarked | None:
        """Mark a let-down now; it is written before this returns.

        A press within LETDOWN_DEBOUNCE_S of the last let-down is taken for a
        held or doubled key: nothing is marked and the person is told. The
        interval is wall-clock time, as a doubled key is: session time can lag
        it while the sound starts.
        """
        self.tick()
        if self.ended or self.session_id is None:
            return None
        now = self._clock()
        if (
            self.letdowns
            and self._last_mark_at is not None
            and now - self._last_mark_at < LETDOWN_DEBOUNCE_S
        ):
            last = self.letdowns[-1]
            at = clock_text(self.plan.seconds(last.frame))
            self.notices.append(Notice(f"Let-down {last.number} is already marked ({at})"))
            return None
        self._last_mark_at = now
        events = self.session.letdown(self._change_frame())
        self._handle(events)
        marks = [e for e in events if isinstance(e, LetdownMarked)]
        return marks[0] if marks else None

    def undo_letdown(self) -> LetdownUndone | None:
        """Take back the let-down just marked, within UNDO_WINDOW_S of its key press.

        It is removed from the session and the log (through the same queue as
        every write, so on a full disk it is removed after it is added), and if
        it had switched stimulation to expression, stimulation comes back. Later,
        or a second time, the person is told the mark stays.
        """
        self.tick()
        if self.ended or self.session_id is None:
            return None
        now = self._clock()
        if not self.letdowns:
            self.notices.append(Notice("No let-down is marked: nothing to undo"))
            return None
        last = self.letdowns[-1]
        at = clock_text(self.plan.seconds(last.frame))
        if not self.session.can_undo_letdown or self._last_mark_at is None:
            self.notices.append(
                Notice(f"Let-down {last.number} ({at}) stays marked: u undoes only the latest mark")
            )
            return None
        if now - self._last_mark_at > UNDO_WINDOW_S:
            self.notices.append(
                Notice(f"Too late to undo: let-down {last.number} ({at}) stays marked")
            )
            return None
        events = self.session.undo_letdown(self._change_frame())
        self._last_mark_at = None  # the next press of space is a new let-down
        self._handle(events)
        undone = [e for e in events if isinstance(e, LetdownUndone)]
        return undone[0] if undone else None

    def next_phase(self) -> None:
        """Skip the rest of this phase, from when that can be heard; in the last
        phase, that finishes the session."""
        self.tick()
        if self.ended or self.session_id is None:
            return
        skipped = self.session.phase.name
        events = self.session.next_phase(self._change_frame())
        if self.session.timeline is not self._sent_timeline:
            self._log_event("next", skipped)
        self._handle(events)

    def flow_stopped(self) -> None:
        """The milk has stopped: finish after the routine's countdown."""
        self.tick()
        if self.ended or self.session_id is None:
            return
        self._handle(self.session.flow_stopped(self._change_frame()))

    def toggle_pause(self) -> bool:
        """Pause or resume sound and clock together; return whether now paused.
        A session that has reached its end by now is not paused."""
        self.tick()
        if self.ended or self.session_id is None:
            return self.paused
        self.paused = not self.paused
        if self.paused:
            self.output.pause()
        else:
            self.output.resume()
        self._log_event("pause" if self.paused else "resume")
        return self.paused

    def change_volume(self, steps: int) -> float:
        """Turn the sound up (+) or down (-) by VOLUME_STEP_DB a step, within
        [VOLUME_MIN_DB, VOLUME_MAX_DB]; this unmutes. Return the new level in dB.

        Only the loudness changes: the audio process ramps to it over a few
        milliseconds, and the session's timing does not move."""
        self.tick()
        level = self._clamp(self.volume_db + steps * VOLUME_STEP_DB)
        if self.ended or self.session_id is None or (level == self.volume_db and not self.muted):
            return self.volume_db
        self.volume_db = level
        self.muted = False
        self._send_gain()
        self._log_event("volume", f"{level:g} dB")
        return level

    def toggle_mute(self) -> bool:
        """Silence the sound, or bring it back; the guide and the clock go on.
        Return whether muted now."""
        self.tick()
        if self.ended or self.session_id is None:
            return self.muted
        self.muted = not self.muted
        self._send_gain()
        self._log_event("mute" if self.muted else "unmute")
        return self.muted

    @property
    def gain(self) -> float:
        """The factor the sound is multiplied by (0 when muted)."""
        return 0.0 if self.muted else 10 ** (self.volume_db / 20)

    def finish(self) -> None:
        """End the session now (the routine's end, or the person's choice)."""
        if not self.ended:
            self.tick()
            self._handle(self.session.finish())
        self._close()

    def save_form(self, answers: AfterSession) -> None:
        if self.session_id is not None:
            self._write("save_form", session_id=self.session_id, answers=answers.model_dump())
            self._retry_backlog()

    def settle(self) -> str | None:
        """After the session: write what is still waiting, or keep it in the journal.

        Returns None when everything is in the database; otherwise what the
        person must be told: where the entries are kept (the journal, added to
        the log the next time it opens) or, if even that failed, the entries
        themselves, so that they are never silently lost.
        """
        self._retry_backlog()
        if not self._backlog:
            return None
        count = len(self._backlog)
        lines = "".join(json.dumps({"op": op, "args": args}) + "\n" for op, args in self._backlog)
        try:
            self.store.journal(lines)
        except OSError as exc:
            return (
                f"{count} entries of this session could not be saved ({exc.strerror}). "
                f"Keep this text; it holds them:\n{lines}"
            )
        self._backlog.clear()
        return (
            f"The log could not be written (is the disk full?): {count} entries of this "
            f"session are kept in {self.store.journal_path} and will be added to your log "
            "the next time calmflow starts."
        )

    # --- reading ------------------------------------------------------------------

    @property
    def played_s(self) -> float:
        return self.plan.seconds(self.session.now_frame)

    def take_notices(self) -> list[Notice]:
        out, self.notices = self.notices, []
        return out

    @property
    def output(self) -> Output:
        """Where the sound goes now: silence while the sound card is lost."""
        return self.sound.output

    @property
    def no_sound(self) -> str | None:
        """Why there is no sound now (the session goes on silently); None once it is back."""
        return self.sound.no_sound

    @property
    def sound_lost(self) -> str | None:
        """Why the sound last stopped in this session, kept after it came back."""
        return self.sound.sound_lost

    @property
    def underruns(self) -> int:
        return self.sound.underruns

    @property
    def unsaved(self) -> int:
        """Writes waiting for the database (a full disk); 0 when all is on disk."""
        return len(self._backlog)

    # --- inner workings -------------------------------------------------------------

    def _change_frame(self) -> int:
        return self.session.now_frame + self.output.guard_frames

    @staticmethod
    def _clamp(level_db: float) -> float:
        return min(VOLUME_MAX_DB, max(VOLUME_MIN_DB, level_db))

    def _send_gain(self) -> None:
        if not self._closed:
            self.output.set_gain(self.gain)

    def _handle(self, events: list[Event]) -> None:
        # The sound first: a change of course must reach the audio process before
        # its frame is rendered, whatever the disk's speed. The cut that ends a
        # session early is a record, not something to play (the output fades out).
        if self.session.timeline is not self._sent_timeline and not self.ended:
            self._sent_timeline = self.session.timeline
            self.output.update(self.session.timeline)
        for event in events:
            t_s = self.plan.seconds(event.frame)
            if isinstance(event, LetdownMarked):
                self.letdowns.append(event)
                self._write(
                    "add_letdown",
                    session_id=self.session_id,
                    number=event.number,
                    t_s=t_s,
                    phase=event.phase.name,
                    phase_kind=event.phase.kind,
                    cues=list(event.cues),
                    marked_at=self.store.now_iso(),
                )
            elif isinstance(event, LetdownUndone):
                self.letdowns.pop()
                self._write("remove_letdown", session_id=self.session_id, number=event.number)
                detail = f"let-down {event.number} at {clock_text(self.plan.seconds(event.marked_frame))}"
                if event.back_to is not None:
                    detail += f"; back to {event.back_to.name}"
                self._log_event("letdown_undone", detail, t_s)
            elif isinstance(event, PhaseStarted):
                self._log_event("phase", event.phase.name, t_s)
                if event.phase.caution and event.segment == self._first_with(event.phase):
                    self.notices.append(Notice(event.phase.caution, "warning"))
            elif isinstance(event, RuleApplied):
                self.notices.append(Notice(event.message, "rule"))
                self._log_event("rule", event.message, t_s)
            elif isinstance(event, SessionEnded):
                self._write(
                    "end_session",
                    session_id=self.session_id,
                    status=event.reason,
                    played_s=t_s,
                    underruns=self.underruns,
                    audio_problem=self.sound_lost,
                    ended_at=self.store.now_iso(),
                )
        if self.ended:
            self._close()

    def _note_cues(self) -> None:
        """Log each cue the first time it shows: the review compares the sessions
        that had it before their first let-down with those that did not."""
        if self.session_id is None:
            return
        for name in self.session.cues_now():
            if name not in self._cues_seen:
                self._cues_seen.add(name)
                self._log_event("cue", name)

    def _first_with(self, phase: PlannedPhase) -> int:
        """The segment where a phase with this caution first plays: it is said once."""
        for i, seg in enumerate(self.session.timeline.segments):
            if self.plan.phases[seg.phase].caution == phase.caution:
                return i
        return -1

    def _sound_event(self, kind: str, detail: str, t_s: float) -> None:
        if self.session_id is not None:  # before it starts, `start` logs what matters
            self._log_event(kind, detail, t_s)

    def _log_event(self, kind: str, detail: str = "", t_s: float | None = None) -> None:
        self._write(
            "add_event",
            session_id=self.session_id,
            t_s=self.played_s if t_s is None else t_s,
            kind=kind,
            detail=detail,
        )

    def _write(self, op: str, **args: Any) -> None:
        if self._backlog:
            self._backlog.append((op, args))
            return
        try:
            self.store.apply(op, args)
        except StoreError as exc:
            self._backlog.append((op, args))
            self._warn_store(exc)

    def _retry_backlog(self) -> None:
        while self._backlog:
            op, args = self._backlog[0]
            try:
                self.store.apply(op, args)
            except StoreError:
                return
            self._backlog.pop(0)
        if self._store_failed:
            self._store_failed = False
            self.notices.append(Notice("The log is saved again; nothing was lost."))

    def _warn_store(self, exc: StoreError) -> None:
        if not self._store_failed:
            self._store_failed = True
            self.notices.append(
                Notice(f"Could not save to the log: {exc} calmflow keeps trying.", "warning")
            )

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.sound.close(self.session.timeline, self.session.now_frame)
        if self.session_id is not None and not self._backlog:
            # Now that this session keeps its slot (a late one too), the slots
            # missed before it are noted; a note only: the session matters more.
            with contextlib.suppress(StoreError):
                note_missed(self.store)
