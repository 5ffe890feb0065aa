"""Player: one session, played — the Session, its Output and the Store together.

The UI (or a test, or a script) calls `tick()` 10–20 times a second and the
action methods when keys are pressed; everything here runs on that caller's
thread. What the person does is written to the Store at once. If the database
cannot be written (a full disk), the writes wait in order in memory and are
retried on every tick, and the person is told once. If the sound stops, the
session goes on silently on the monotonic clock from the frame it reached.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calmflow.audio.output import NullOutput, Output, OutputUnavailable
from calmflow.core.plan import Plan
from calmflow.core.records import AfterSession
from calmflow.core.routine import LoadedRoutine
from calmflow.core.session import (
    Event,
    LetdownMarked,
    PhaseStarted,
    RuleApplied,
    Session,
    SessionEnded,
)
from calmflow.store.db import StoreError
from calmflow.store.store import Store

HEARTBEAT_S = 5.0


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
    ) -> None:
        self.loaded = loaded
        self.plan = plan
        self.store = store
        self.output: Output = output
        self.session = Session(plan)
        self.session_id: int | None = None
        self.paused = False
        self.notices: list[Notice] = []
        self.letdowns: list[LetdownMarked] = []
        self.no_sound: str | None = None
        """Why sound stopped, once it has (the session goes on silently)."""
        self._clock = clock
        self._sent_timeline = self.session.timeline
        self._backlog: list[tuple[Callable[..., None], tuple[Any, ...], dict[str, Any]]] = []
        self._store_failed = False
        self._last_heartbeat_frame = 0
        self._closed = False

    # --- life cycle ---------------------------------------------------------------

    def start(self) -> None:
        """Open the sound (or fall back to silence) and begin the session."""
        try:
            self.output.start(self.session.timeline)
        except OutputUnavailable as exc:
            self._fall_back(str(exc))
            self.output.start(self.session.timeline)
        self.session_id = self.store.start_session(
            routine=self.plan.routine_name,
            routine_path=str(self.loaded.path),
            routine_digest=self.loaded.digest,
            planned_s=self.plan.seconds(self.plan.duration_frames),
            output=self.output.name,
        )
        self._handle(self.session.start())

    @property
    def ended(self) -> bool:
        return self.session.ended is not None

    def tick(self) -> list[Event]:
        """Bring the session up to the frames the output has consumed."""
        if self.session_id is None or self._closed:
            return []
        frames = self.output.frames()
        problem = self.output.problem()
        if problem is not None:
            frames = self._fall_back(problem, frames)
        events = self.session.advance_to(frames)
        self._handle(events)
        if self.session.now_frame - self._last_heartbeat_frame >= HEARTBEAT_S * self.plan.rate:
            self._last_heartbeat_frame = self.session.now_frame
            self._write(
                self.store.heartbeat,
                self.session_id,
                played_s=self.played_s,
                underruns=self.output.underruns(),
            )
        self._retry_backlog()
        return events

    # --- what the person does -----------------------------------------------------------

    def letdown(self) -> LetdownMarked | None:
        """Mark a let-down now; it is written before this returns."""
        self.tick()
        events = self.session.letdown(self._change_frame())
        self._handle(events)
        marks = [e for e in events if isinstance(e, LetdownMarked)]
        return marks[0] if marks else None

    def next_phase(self) -> None:
        self.tick()
        self._log_event("next", self.session.phase.name)
        self._handle(self.session.next_phase(self._change_frame()))

    def toggle_pause(self) -> bool:
        """Pause or resume sound and clock together; return whether now paused."""
        if self.ended:
            return self.paused
        self.tick()
        self.paused = not self.paused
        if self.paused:
            self.output.pause()
        else:
            self.output.resume()
        self._log_event("pause" if self.paused else "resume")
        return self.paused

    def finish(self) -> None:
        """End the session now (the routine's end, or the person's choice)."""
        if not self.ended:
            self.tick()
            self._handle(self.session.finish())
        self._close()

    def save_form(self, answers: AfterSession) -> None:
        if self.session_id is not None:
            self._write(self.store.save_form, self.session_id, answers)
            self._retry_backlog()

    # --- reading ------------------------------------------------------------------

    @property
    def played_s(self) -> float:
        return self.plan.seconds(self.session.now_frame)

    def take_notices(self) -> list[Notice]:
        out, self.notices = self.notices, []
        return out

    @property
    def unsaved(self) -> int:
        """Writes waiting for the database (a full disk); 0 when all is on disk."""
        return len(self._backlog)

    # --- inner workings -------------------------------------------------------------

    def _change_frame(self) -> int:
        return self.session.now_frame + self.output.guard_frames

    def _fall_back(self, why: str, frames: int = 0) -> int:
        if not isinstance(self.output, NullOutput):
            with contextlib.suppress(Exception):
                self.output.close(self.session.timeline)
        self.no_sound = why
        self.output = NullOutput(self.plan.rate, clock=self._clock, start_frame=frames, name="null")
        if self.session_id is not None:
            self.output.start(self.session.timeline)
            if self.paused:
                self.output.pause()
            self._log_event("audio_lost", why)
        self.notices.append(
            Notice(
                f"No sound: {why}. The routine goes on silently; let-downs are logged as usual.",
                "warning",
            )
        )
        return frames

    def _handle(self, events: list[Event]) -> None:
        for event in events:
            t_s = self.plan.seconds(event.frame)
            if isinstance(event, LetdownMarked):
                self.letdowns.append(event)
                self._write(
                    self.store.add_letdown,
                    self.session_id,
                    number=event.number,
                    t_s=t_s,
                    phase=event.phase.name,
                    phase_kind=event.phase.kind,
                    cues=event.cues,
                )
            elif isinstance(event, PhaseStarted):
                self._log_event("phase", event.phase.name, t_s)
            elif isinstance(event, RuleApplied):
                self.notices.append(Notice(event.message, "rule"))
                self._log_event("rule", event.message, t_s)
            elif isinstance(event, SessionEnded):
                self._write(
                    self.store.end_session,
                    self.session_id,
                    status=event.reason,
                    played_s=t_s,
                    underruns=self.output.underruns(),
                    audio_problem=self.output.problem(),
                )
        # The cut that ends a session early is a record, not something to play:
        # the output fades out on close instead.
        if self.session.timeline is not self._sent_timeline and not self.ended:
            self._sent_timeline = self.session.timeline
            self.output.update(self.session.timeline)
        if self.ended:
            self._close()

    def _log_event(self, kind: str, detail: str = "", t_s: float | None = None) -> None:
        self._write(
            self.store.add_event,
            self.session_id,
            t_s=self.played_s if t_s is None else t_s,
            kind=kind,
            detail=detail,
        )

    def _write(self, fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        if self._backlog:
            self._backlog.append((fn, args, kwargs))
            return
        try:
            fn(*args, **kwargs)
        except StoreError as exc:
            self._backlog.append((fn, args, kwargs))
            self._warn_store(exc)

    def _retry_backlog(self) -> None:
        while self._backlog:
            fn, args, kwargs = self._backlog[0]
            try:
                fn(*args, **kwargs)
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
        self.output.close(self.session.timeline)
