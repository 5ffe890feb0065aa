"""The player: one session on screen, one key per action."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from calmflow.core.plan import CueSpec
from calmflow.services.player import Player
from calmflow.store.db import StoreError
from calmflow.system.exits import EXIT_STORE
from calmflow.text.numbers import clock_text, skips_text
from calmflow.ui.safe import escape
from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.widgets.breath_guide import BreathGuide
from calmflow.ui.widgets.photo import Photo
from calmflow.ui.widgets.progress import SessionProgress, Shape

TICK_S = 1 / 12
"""The guide moves at 12 frames a second: smooth to soft eyes, and each frame costs
CPU (benchmarks/player_cpu.py: 10 a second saved ~0.5% of a core over 15)."""
CONFIRM_S = 3.0
PUMP_LARGE_S = 8.0
"""How long the pump setting stays large after a phase begins."""
STEP_WORDS = {"in": "breathe in", "out": "breathe out", "hold": "hold"}


VOLUME = Binding.Group("Volume", compact=True)


class PlayerScreen(Screen[None]):
    # The footer shows them in this order and cuts off what does not fit (at
    # 80 columns, up to q); ? lists them all, each with its tooltip if it has one.
    BINDINGS = [
        Binding("space", "letdown", "Let-down", id="letdown"),
        Binding(
            "u",
            "undo_letdown",
            "Undo",
            id="undo_letdown",
            tooltip="Undo the let-down just marked (within 10 seconds)",
        ),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("f", "flow_stopped", "Flow stopped", id="flow_stopped"),
        Binding("n", "next_phase", "Next", id="next_phase"),
        Binding("q", "finish", "Finish", id="finish"),
        Binding(
            "plus,equals_sign",
            "volume_up",
            "Louder",
            id="volume_up",
            key_display="+",
            group=VOLUME,
            tooltip="Sound louder, up to the routine's own level",
        ),
        Binding(
            "minus",
            "volume_down",
            "Quieter",
            id="volume_down",
            key_display="-",
            group=VOLUME,
            tooltip="Sound quieter; the level is kept for next time",
        ),
        Binding(
            "m",
            "mute",
            "Mute",
            id="mute",
            tooltip="Mute or unmute the sound; the guide on screen goes on",
        ),
        Binding("h", "toggle_photo", "Hide/show photo", id="toggle_photo"),
    ]

    def __init__(self, player: Player) -> None:
        super().__init__()
        self.player = player
        self._ticking = False
        self._finish_asked_at: float | None = None
        self._form_shown = False
        self._shown: dict[str, str] = {}
        self._volume_touched = False
        """Once a volume key is pressed, the level stays on the status line."""
        self.photo_on = True
        """Photo cues are shown; h hides them (and shows them again)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static(id="title")
            yield Static(id="times")
        yield SessionProgress(id="progress")
        with Horizontal(id="middle"):
            with Vertical(id="breathing"):
                yield BreathGuide(id="guide")
                yield Static(id="step")
            yield Photo(id="photo")
        # In one container: a redraw of the breathing guide then skips these widgets
        # (Textual renders every child of the screen whose clip meets the change).
        with Vertical(id="below"):
            yield Static(id="pump")
            yield Static(id="prompt")
            yield Static(id="cues")
            yield Static(id="letdowns")
            with Horizontal(id="bottombar"):
                yield Static("Starting sound…", id="status")
                yield Static(id="underruns")
        yield Footer(show_command_palette=False)  # ctrl+p still opens it; ? lists it

    def on_mount(self) -> None:
        # Looked up once: each tick (12 a second) uses them.
        self._guide = self.query_one(BreathGuide)
        self._progress = self.query_one(SessionProgress)
        self._photo = self.query_one(Photo)
        self._pump_fresh = False
        if getattr(self.app, "reduced_motion", False):
            # Nothing moves: the step and its count say the same in words.
            self.query_one(BreathGuide).display = False
            self.add_class("reduced-motion")
        # Draw the first phase now: opening the sound takes half a second or more.
        plan = self.player.plan
        first = plan.phases[0]
        self._show_title(first.name, 1, len(plan.sequence))
        self._show("#pump", escape(first.pump_hint))
        self._show("#prompt", escape(first.prompt))
        # The sound opens once this is on the screen: started at once, its thread
        # and process slowed the first frame by a tenth of a second.
        self.call_after_refresh(self.start_player)

    def _show_title(self, phase_name: str, number: int, count: int) -> None:
        self._show(
            "#title",
            f"[b]{escape(self.player.plan.routine_name)}[/b] · {escape(phase_name)}"
            f" [dim]({number} of {count})[/dim]",
        )

    @work(thread=True, exclusive=True, group="start")
    def start_player(self) -> None:
        # Opening a sound card can take a second or two: not on the UI thread.
        try:
            self.player.start()
        except StoreError as exc:
            self.app.call_from_thread(self._cannot_start, str(exc))
            return
        if self.player.session_id is not None:
            self.app.call_from_thread(self._started)

    def _cannot_start(self, why: str) -> None:
        self.app.exit(return_code=EXIT_STORE, message=f"calmflow: {why}")

    def _started(self) -> None:
        if not self.is_attached:  # the app closed while the sound was opening
            return
        self._ticking = True
        self.set_interval(TICK_S, self.tick)
        self.tick()

    def _status_line(self) -> str:
        if self.player.paused:
            return "[b]Paused[/b]: sound and clock are stopped; p resumes"
        if self.player.no_sound:
            return "No sound: playing silently; let-downs are logged as usual"
        if self.player.unsaved:
            return "[b]Not saved yet[/b] (the disk is full?): calmflow keeps trying"
        device = getattr(self.player.output, "device_name", None)
        level = ""
        if self.player.muted:
            level = "muted (m turns it on)"
        elif self._volume_touched or self.player.volume_db != 0:
            level = f"{round(100 * self.player.gain)}%"
        if device:
            line = f"sound: {escape(device)}" + (f" · {level}" if level else "")
        else:
            line = f"sound {level}" if level else ""
        return f"[dim]{line}[/dim]" if line else ""

    def _underrun_line(self) -> str:
        # Underruns, in a tired person's words: quiet, and absent while there are
        # none. Once the sound has stopped altogether the status line says so.
        count = self.player.underruns
        if count == 0 or self.player.no_sound:
            return ""
        return f"[dim]{skips_text(count)}[/dim]"

    # --- each frame -----------------------------------------------------------------

    def tick(self) -> None:
        if not self._ticking:
            return
        self.player.tick()
        self._show_notices()
        self.refresh_view()
        if self.player.ended and not self._form_shown:
            self._show_form()

    def _show(self, selector: str, text: str) -> None:
        # Redrawing is what costs CPU here: touch a widget only when its text changes,
        # and lay the screen out again only when the new text could change its size
        # (a layout pass repaints every widget: most of the player's CPU).
        before = self._shown.get(selector)
        if before == text:
            return
        self._shown[selector] = text
        widget = self.query_one(selector, Static)
        styles = widget.styles
        resizes = styles.height is None or styles.height.is_auto
        if styles.width is None or styles.width.is_auto:
            resizes = resizes or before is None or cell_len(before) != cell_len(text)
        widget.update(text, layout=resizes)

    def refresh_view(self) -> None:
        session = self.player.session
        plan = self.player.plan
        phase = session.phase
        self._show_title(phase.name, session.segment_index + 1, len(session.timeline.segments))
        # Countdowns show whole seconds still to go, as a kitchen timer does.
        phase_left = math.ceil(plan.seconds(session.phase_frames_left()))
        session_left = math.ceil(plan.seconds(session.session_frames_left()))
        self._show(
            "#times",
            f"phase {clock_text(phase_left)} left · session {clock_text(session_left)} left",
        )
        breath = session.breath()
        self._guide.set_fullness(breath.fullness if breath else 0.0)
        if self.player.paused:
            step = "paused"
        elif breath is None:
            step = "breathe as is comfortable"
        else:
            count = math.ceil(plan.seconds(breath.frames_left))
            step = f"{STEP_WORDS[breath.step]} · {count}"
        self._show("#step", step)
        self._show("#pump", escape(phase.pump_hint))
        # Large for the first seconds of a phase: the moment to change the pump.
        segment = session.timeline.segments[session.segment_index]
        fresh = plan.seconds(session.now_frame - segment.start_frame) < PUMP_LARGE_S
        fresh = fresh and not self.player.ended
        if fresh != self._pump_fresh:
            self._pump_fresh = fresh
            self.query_one("#pump").set_class(fresh, "fresh")
        timed = session.timeline.prompt_at(session.now_frame)
        self._show("#prompt", escape(timed.text if timed and timed.text else phase.prompt))
        # What shows now, looked up once a tick for the cue line and the photo.
        cues = [(name, plan.cue(name)) for name in session.cues_now()]
        self._show("#cues", self._cue_line(cues))
        self._show_progress()
        self._show_photo(cues)
        self._show("#letdowns", self._letdown_line())
        self._show("#status", self._status_line())
        self._show("#underruns", self._underrun_line())

    def _cue_line(self, cues: list[tuple[str, CueSpec]]) -> str:
        parts = []
        for name, cue in cues:
            if cue.kind == "text" and cue.text:
                parts.append(escape(cue.text))
            elif cue.kind == "photo" and self.photo_on:
                continue  # it is on the screen
            else:
                parts.append(f"{cue.kind}: {escape(name)}")
        return "  ·  ".join(parts)

    def _show_progress(self) -> None:
        session = self.player.session
        segments = session.timeline.segments
        self._progress.show(
            Shape(
                total=session.timeline.end_frame,
                now=session.now_frame,
                boundaries=tuple(
                    s.start_frame for s in segments[1:] if s.end_frame > s.start_frame
                ),
                letdowns=tuple(m.frame for m in self.player.letdowns),
            )
        )

    def _show_photo(self, cues: list[tuple[str, CueSpec]]) -> None:
        """The first photo cue showing now, unless photos are hidden (h)."""
        photo = self._photo
        shown = None
        for name, cue in cues:
            if cue.kind == "photo" and cue.file:
                shown = (Path(cue.file), name)
                break
        visible = shown is not None and self.photo_on
        if photo.display != visible:
            photo.display = visible
        if visible and shown is not None:
            photo.show(*shown)

    def _letdown_line(self) -> str:
        marks = self.player.letdowns
        if not marks:
            return "[dim]space when you feel the let-down[/dim]"
        plan = self.player.plan
        times = ", ".join(clock_text(plan.seconds(m.frame)) for m in marks)
        return f"[b]Let-downs: {len(marks)}[/b]  at {times}"

    def _show_notices(self) -> None:
        for notice in self.player.take_notices():
            if notice.kind == "warning":
                self.notify(escape(notice.text), severity="warning", timeout=8.0)
            else:
                self.notify(escape(notice.text), timeout=5.0)

    # --- keys ---------------------------------------------------------------------------

    def action_letdown(self) -> None:
        if not self._ticking or self.player.ended:
            return
        mark = self.player.letdown()
        if mark is not None:
            at = clock_text(self.player.plan.seconds(mark.frame))
            self.notify(f"Let-down {mark.number} marked at {at}", timeout=3.0)
        self._after_action()

    def action_toggle_photo(self) -> None:
        self.photo_on = not self.photo_on
        self.refresh_view()

    def action_undo_letdown(self) -> None:
        if not self._ticking or self.player.ended:
            return
        undone = self.player.undo_letdown()
        if undone is not None:
            message = f"Let-down mark removed · {len(self.player.letdowns)} so far"
            if undone.back_to is not None:
                message += f" · back to {undone.back_to.kind} mode"
            self.notify(message, timeout=3.0)
        self._after_action()

    def action_pause(self) -> None:
        self._act(self.player.toggle_pause)

    def action_volume_up(self) -> None:
        self._volume_touched = True
        self._act(lambda: self.player.change_volume(+1))

    def action_volume_down(self) -> None:
        self._volume_touched = True
        self._act(lambda: self.player.change_volume(-1))

    def action_mute(self) -> None:
        self._act(self.player.toggle_mute)

    def action_flow_stopped(self) -> None:
        self._act(self.player.flow_stopped)

    def action_next_phase(self) -> None:
        self._act(self.player.next_phase)

    def _act(self, step: Callable[[], object]) -> None:
        """Do what a key asks once the session is under way, then redraw."""
        if not self._ticking:
            return
        step()
        self._after_action()

    def action_finish(self) -> None:
        if not self._ticking:
            return
        now = time.monotonic()
        if self._finish_asked_at is None or now - self._finish_asked_at > CONFIRM_S:
            self._finish_asked_at = now
            self.notify("Press q again to finish the session", timeout=CONFIRM_S)
            return
        self.player.finish()
        self._after_action()

    def _after_action(self) -> None:
        self._show_notices()
        self.refresh_view()
        if self.player.ended and not self._form_shown:
            self._show_form()

    def _show_form(self) -> None:
        self._form_shown = True
        self._ticking = False
        unit = self.player.store.last_volume_unit() or "ml"
        self.app.push_screen(AfterSessionScreen(unit), self._form_done)

    def _form_done(self, answers: object) -> None:
        from calmflow.core.records import AfterSession

        if isinstance(answers, AfterSession):
            self.player.save_form(answers)
        problem = self.player.settle()
        if problem:
            self.app.unsaved_message = problem  # type: ignore[attr-defined]
            self.notify(escape(problem), severity="warning", timeout=30)
        self.dismiss(None)
