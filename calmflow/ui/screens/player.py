"""The player: one session on screen, one key per action."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.color import Color as RichColor
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen

from calmflow.core.plan import CueSpec
from calmflow.engine.video_proxy import Proxy
from calmflow.services.player import Player
from calmflow.store.db import StoreError
from calmflow.system.exits import EXIT_STORE
from calmflow.text.numbers import clock_text, skips_text
from calmflow.ui.safe import escape
from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.screens.player_videos import SessionVideos, VideoNow
from calmflow.ui.screens.player_words import (
    KEYS,
    NightSwitched,
    Notice,
    SessionSettled,
    saved_notice,
    silent_plan,
    times_text,
    title_markup,
)
from calmflow.ui.widgets.big_text import BigText, big
from calmflow.ui.widgets.breath_guide import BreathGuide
from calmflow.ui.widgets.key_bar import KeyBar
from calmflow.ui.widgets.line import Line
from calmflow.ui.widgets.photo import Photo
from calmflow.ui.widgets.progress import SessionProgress, Shape

TICK_S = 1 / 12
"""The guide moves at 12 frames a second: smooth to soft eyes, and each frame costs
CPU (benchmarks/player_cpu.py: 10 a second saved ~0.5% of a core over 15)."""
CONFIRM_S = 3.0
NOTICE_S = 4.0
"""How long a notice stays on its line, unless what it tells is undone or replaced."""
WARNING_S = 10.0
PHASE_BIG_ROWS = 32
"""Rows a screen needs for the phase's name in big letters as well as the pump
setting and the breathing word (each 3 rows) and the guide."""
PUMP_LARGE_S = 8.0
"""How long the pump setting is marked as new after a phase begins."""
BORDER_LEVELS = 5
"""Shades of the full-screen photo's border from empty to full lungs: few, as
each change redraws the photo."""
STEP_WORDS = {"in": "breathe in", "out": "breathe out", "hold": "hold"}


class PlayerScreen(Screen[None]):
    # ? lists them all, each with its tooltip if it has one; the key bar shows
    # as many as fit (KEYS), always ending with ?.
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
            "ctrl+c",
            "stop",
            "End now",
            id="stop",
            tooltip="End the session now, as q twice does: it is saved and the form opens",
        ),
        Binding(
            "plus,equals_sign",
            "volume_up",
            "Louder",
            id="volume_up",
            key_display="+",
            tooltip="Sound louder, up to the routine's own level",
        ),
        Binding(
            "minus",
            "volume_down",
            "Quieter",
            id="volume_down",
            key_display="-",
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
        Binding(
            "z",
            "full_photo",
            "Photo full screen",
            id="full_photo",
            tooltip="The photo fills the screen, the breathing guide as its border; z again: back",
        ),
        Binding(
            "d",
            "toggle_night",
            "Night colours",
            id="toggle_night",
            tooltip="Dim, warm night colours, or the usual ones again",
        ),
    ]

    notice: reactive[Notice | None] = reactive(None, init=False)
    """The one notice shown, on its own line away from the pump setting."""
    night: reactive[bool] = reactive(False, init=False)
    """Dim, warm colours for the dark (d switches)."""
    photo_full: reactive[bool] = reactive(False, init=False)
    """The photo fills the screen, the guide its border (z switches)."""

    def __init__(self, player: Player) -> None:
        super().__init__()
        self.player = player
        self.silent = silent_plan(player.plan)
        self._ticking = False
        self._finish_asked_at: float | None = None
        self._form_shown = False
        self._volume_touched = False
        """Once a volume key is pressed, the level stays on the status line."""
        self.photo_on = True
        """Photo and video cues are shown; h hides them (and shows them again)."""
        self.videos = SessionVideos(player)
        """The routine's videos, shown where the photo is (player_videos.py)."""
        self._border_theme: str | None = None
        self._colours: list[RichColor] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Line(id="title")
            yield Line(id="times")
        yield SessionProgress(id="progress")
        # The phase's name in big letters where there is room for it.
        yield BigText(id="phase")
        # The pump setting at the top, where no notice goes, for the whole phase.
        yield BigText(id="pump")
        with Horizontal(id="middle"):
            with Vertical(id="breathing"):
                yield BreathGuide(id="guide")
                yield BigText(joiner=" · ", id="step")
            yield Photo(id="photo")
        # In one container: a redraw of the breathing guide then skips these widgets
        # (Textual renders every child of the screen whose clip meets the change).
        with Vertical(id="below"):
            yield Line(id="prompt")
            yield Line(id="cues")
            yield Line(id="letdowns")
            yield Line(id="notice")
            with Horizontal(id="bottombar"):
                yield Line("Starting sound…", id="status")
                yield Line(id="underruns")
        yield KeyBar(KEYS, id="keys")

    def on_mount(self) -> None:
        # Looked up once: each tick (12 a second) uses them.
        self._guide = self.query_one(BreathGuide)
        self._progress = self.query_one(SessionProgress)
        self._photo = self.query_one(Photo)
        self._lines = {f"#{line.id}": line for line in self.query(Line)}
        self._pump = self.query_one("#pump", BigText)
        self._phase = self.query_one("#phase", BigText)
        self._phase.display = False
        self._step = self.query_one("#step", BigText)
        self._pump_fresh = False
        if getattr(self.app, "reduced_motion", False):
            # Nothing moves: the step and its count say the same in words.
            self.query_one(BreathGuide).display = False
            self.add_class("reduced-motion")
        self.set_reactive(PlayerScreen.night, bool(getattr(self.app, "night", False)))
        self.watch_night(self.night)
        if getattr(self.app, "night_by_clock", False):
            self.say("Night colours, as it is night: d for the usual ones")
        # Draw the first phase now: opening the sound takes half a second or more.
        plan = self.player.plan
        first = plan.phases[0]
        self._show_title(first.name, 1, len(plan.sequence))
        self._show_pump(first.pump_hint)
        self._show("#prompt", escape(first.prompt))
        # The sound opens once this is on the screen: started at once, its thread
        # and process slowed the first frame by a tenth of a second.
        self.call_after_refresh(self.start_player)
        # A video at the start is on the first screen too, as the sound opens.
        self.call_after_refresh(self._find_videos)

    def on_resize(self) -> None:
        small = self.size.height < 20 or self.size.width < 60
        self.set_class(small, "small")
        self.set_class(self.size.height < 16, "tiny")
        if self._ticking:
            self.refresh_view()

    def _show_title(self, phase_name: str, number: int, count: int) -> None:
        self._show("#title", self._title(phase_name, number, count))

    def _title(self, phase_name: str, number: int, count: int) -> str:
        room = self.size.width - 2 - cell_len(self._lines["#times"].words or "") - 2
        return title_markup(self.player.plan.routine_name, phase_name, number, count, room)

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
        if self.videos.waiting:
            names = ", ".join(Path(file).name for file in self.videos.waiting)
            self.say(
                f"Preparing {names} for the player (once): it shows when ready;"
                " its sound plays as planned"
            )
            self.videos.prepare(self.app, self._video_ready, self._video_failed)

    # --- videos -----------------------------------------------------------------------

    def _find_videos(self) -> None:
        """The routine's videos that are ready, a first picture drawn now if one
        is on at the start; the others are prepared once the session has
        started (`_started`; player_videos.py says why it does not wait)."""
        self.videos.find()
        if self.videos.clips and not self._ticking:
            plan = self.player.plan
            self._show_photo([(name, plan.cue(name)) for name in self.player.session.cues_now()])

    def _video_ready(self, file: str, proxy: Proxy) -> None:
        if self._ticking and self.is_attached:
            self.refresh_view()

    def _video_failed(self, file: str, why: str) -> None:
        if not self.is_attached:
            return
        self.notify(
            escape(f"Could not show {Path(file).name}: {why}. The rest of the routine plays on."),
            severity="warning",
            timeout=WARNING_S,
        )

    def _video_now(self, cues: list[tuple[str, CueSpec]]) -> VideoNow | None:
        # With reduced motion, a still picture (its first) instead.
        return self.videos.now(cues, still=bool(getattr(self.app, "reduced_motion", False)))

    def _status_line(self) -> str:
        if self.player.paused:
            return "[b]Paused[/b]: sound and clock are stopped; p resumes"
        if self.player.no_sound:
            return "No sound: playing silently; let-downs are logged as usual"
        if self.player.unsaved:
            return "[b]Not saved yet[/b] (the disk is full?): calmflow keeps trying"
        if self.silent:
            return "[dim]no sound in this routine[/dim]"
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
        self._lines[selector].words = text

    def _big_room(self) -> tuple[bool, bool]:
        """Whether the pump setting, and the breathing word, are drawn in big
        letters: where there are rows to spare for them."""
        height = self.size.height
        full = self.has_class("photo-full")
        return height >= (30 if full else 24), height >= 24 and not full

    def _show_pump(self, hint: str) -> None:
        """The pump setting: its mode in big letters, the rest small beneath."""
        words, _, detail = hint.partition(": ")
        pump_big, _ = self._big_room()
        self._pump.update(escape(words), escape(detail.strip()), allow_big=pump_big)
        self._pump.set_class(self._pump._drawn_big is True, "big")

    def _show_phase(self, name: str) -> None:
        """The phase's name in big letters, on a screen tall and wide enough for
        it beside the pump setting and the breathing word; else the title says it."""
        rows = big(name)
        room = (
            rows is not None
            and self.size.height >= PHASE_BIG_ROWS
            and cell_len(rows[0]) <= self.size.width - 4
            and not self.has_class("photo-full")
        )
        if room != self._phase.display:
            self._phase.display = room
        if room and self._phase.words != escape(name):
            self._phase.update(escape(name), allow_big=True)

    def _show_step(self, step: tuple[str, str]) -> None:
        words, count = step
        _, step_big = self._big_room()
        self._step.update(words, count, allow_big=step_big)

    def refresh_view(self) -> None:
        session = self.player.session
        plan = self.player.plan
        phase = session.phase
        # Countdowns show whole seconds still to go, as a kitchen timer does.
        phase_left = math.ceil(plan.seconds(session.phase_frames_left()))
        session_left = math.ceil(plan.seconds(session.session_frames_left()))
        on_for = -1
        if session.going_on:
            on_for = int(plan.seconds(session.now_frame - session.planned_end))
        self._show(
            "#times",
            times_text(
                phase_left, session_left, self.size.width, open_ended=plan.open_ended, on_for=on_for
            ),
        )
        self._show_title(phase.name, session.segment_index + 1, len(session.timeline.segments))
        self._show_phase(phase.name)
        breath = session.breath()
        self._guide.set_fullness(breath.fullness if breath else 0.0)
        if self.player.paused:
            step = ("paused", "")
        elif breath is None:
            step = ("breathe as is comfortable", "")
        else:
            count = math.ceil(plan.seconds(breath.frames_left))
            step = (STEP_WORDS[breath.step], str(count))
        self._show_step(step)
        self._show_pump(phase.pump_hint)
        # Brighter for the first seconds of a phase: the moment to change the pump.
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
        notice = self.notice
        if notice is not None and time.monotonic() > notice.until:
            self.notice = None

    def _cue_line(self, cues: list[tuple[str, CueSpec]]) -> str:
        parts = []
        for name, cue in cues:
            if cue.kind == "text" and cue.text:
                parts.append(escape(cue.text))
            elif cue.kind == "photo" and self.photo_on:
                continue  # it is on the screen
            elif cue.kind == "video" and self.photo_on and (cue.file or "") in self.videos.clips:
                continue  # so is it
            else:
                parts.append(f"{cue.kind}: {escape(name)}")
        return "  ·  ".join(parts)

    def _show_progress(self) -> None:
        session = self.player.session
        segments = session.timeline.segments
        self._progress.show(
            Shape(
                # an open-ended phase: full once it has lasted its least
                total=max(session.planned_end, session.now_frame),
                now=session.now_frame,
                boundaries=tuple(
                    s.start_frame for s in segments[1:] if s.end_frame > s.start_frame
                ),
                letdowns=tuple(m.frame for m in self.player.letdowns),
            )
        )

    def _photo_now(self) -> tuple[Path, str] | None:
        plan = self.player.plan
        cues = [(name, plan.cue(name)) for name in self.player.session.cues_now()]
        video = self._video_now(cues)
        if video is not None:
            return video.proxy.folder, video.name
        for name, cue in cues:
            if cue.kind == "photo" and cue.file:
                return Path(cue.file), name
        return None

    def _show_photo(self, cues: list[tuple[str, CueSpec]]) -> None:
        """The first photo cue showing now, unless photos are hidden (h); a
        video in its place while it plays (and after it, with no photo on)."""
        photo = self._photo
        shown = None
        for name, cue in cues:
            if cue.kind == "photo" and cue.file:
                shown = (Path(cue.file), name)
                break
        video = self._video_now(cues)
        if video is not None and not video.playing and shown is not None:
            video = None  # played through: the photo again
        visible = (shown is not None or video is not None) and self.photo_on
        if photo.display != visible:
            photo.display = visible
        full = visible and self.photo_full
        if full != self.has_class("photo-full"):
            self.set_class(full, "photo-full")
        if visible and video is not None:
            photo.show_frame(video.proxy, video.picture, video.name)
        elif visible and shown is not None:
            photo.show(*shown)
        if full:
            self._breathe_on_the_border()

    def _breathe_on_the_border(self) -> None:
        """With the photo full screen, its thin frame is the guide: brighter as the
        lungs fill, and the step's words on it (a change redraws only the frame)."""
        breath = self.player.session.breath()
        level = round((breath.fullness if breath else 0.0) * (BORDER_LEVELS - 1))
        self._photo.set_frame((self._border_colours()[level], self._step.words))

    def _border_colours(self) -> list[RichColor]:
        theme = self.app.theme
        if self._border_theme != theme:
            variables = self.app.theme_variables
            dim = Color.parse(variables.get("background", "#000000"))
            lit = Color.parse(variables.get("accent", "#888888"))
            steps = BORDER_LEVELS - 1
            self._colours = [
                dim.blend(lit, 0.3 + 0.7 * n / steps).rich_color for n in range(BORDER_LEVELS)
            ]
            self._border_theme = theme
        return self._colours

    def _letdown_line(self) -> str:
        marks = self.player.letdowns
        if not marks:
            return "[dim]space when you feel the let-down[/dim]"
        plan = self.player.plan
        times = ", ".join(clock_text(plan.seconds(m.frame)) for m in marks)
        return f"[b]Let-downs: {len(marks)}[/b]  at {times}"

    # --- notices --------------------------------------------------------------------

    def say(self, text: str, topic: str = "info", *, warning: bool = False) -> None:
        """Put `text` on the notice line (it replaces what was there)."""
        seconds = WARNING_S if warning else CONFIRM_S if topic == "finish" else NOTICE_S
        self.notice = Notice(text, topic, time.monotonic() + seconds, warning)

    def unsay(self, *topics: str) -> None:
        """Take the notice away if it tells of one of `topics` (undone, replaced)."""
        if self.notice is not None and self.notice.topic in topics:
            self.notice = None

    def watch_notice(self, notice: Notice | None) -> None:
        line = self._lines["#notice"]
        line.set_class(notice is not None and notice.warning, "warning")
        self._show("#notice", escape(notice.text) if notice else "")

    def watch_night(self, night: bool) -> None:
        self.set_class(night, "night")
        self._guide.outline = night
        self._photo.night = night
        self.app.post_message(NightSwitched(night))

    def _show_notices(self, *, skip_rules: bool = False) -> None:
        for notice in self.player.take_notices():
            if notice.kind == "warning":
                # Rare, and still true once the form opens: a pop-up, beside the
                # guide (calmflow.tcss), kept over the form.
                self.notify(escape(notice.text), severity="warning", timeout=WARNING_S)
            elif notice.kind != "rule" or not skip_rules:
                # A rule after a let-down: the pump setting above says where it went.
                self.say(notice.text, notice.kind)

    # --- keys ---------------------------------------------------------------------------

    def action_letdown(self) -> None:
        if not self._ticking or self.player.ended:
            return
        mark = self.player.letdown()
        self._show_notices(skip_rules=True)
        if mark is not None:
            at = clock_text(self.player.plan.seconds(mark.frame))
            self.say(f"Let-down {mark.number} marked at {at}", "letdown")
        self._after_action()

    def action_toggle_photo(self) -> None:
        self.photo_on = not self.photo_on
        if self._photo_now() is None:
            self.say(
                "Photos will show when one comes" if self.photo_on else "Photos will stay hidden"
            )
        else:
            self.say("Photo shown" if self.photo_on else "Photo hidden: h shows it again")
        self.refresh_view()

    def action_full_photo(self) -> None:
        self.photo_full = not self.photo_full
        if self.photo_full and not self.photo_on:
            self.photo_on = True
        if self.photo_full and self._photo_now() is None:
            self.say("No photo now: it fills the screen when one comes; z for the guide")
        elif self.photo_full:
            self.say("Photo full screen: the border breathes; z for the guide")
        else:
            self._photo.set_frame(None)
        self.refresh_view()

    def action_toggle_night(self) -> None:
        self.night = not self.night
        self.say("Night colours: d for the usual ones" if self.night else "Usual colours")

    def action_undo_letdown(self) -> None:
        if not self._ticking or self.player.ended:
            return
        undone = self.player.undo_letdown()
        self._show_notices()
        if undone is not None:
            self.unsay("letdown", "rule")
            message = f"Let-down mark removed · {len(self.player.letdowns)} so far"
            if undone.back_to is not None:
                message += f" · back to {undone.back_to.kind} mode"
            self.say(message, "undo")
        self._after_action()

    def action_pause(self) -> None:
        self._act(self.player.toggle_pause)

    def action_volume_up(self) -> None:
        self._volume(+1)

    def action_volume_down(self) -> None:
        self._volume(-1)

    def _volume(self, steps: int) -> None:
        if not self._ticking or self.player.ended:
            return
        self._volume_touched = True
        before, was_muted = self.player.volume_db, self.player.muted
        self.player.change_volume(steps)
        percent = f"{round(100 * self.player.gain)}%"
        if self.player.volume_db == before and not was_muted:
            edge = "as loud as the routine goes" if steps > 0 else "as quiet as it goes; m mutes"
            self.say(f"Volume {percent}: {edge}", "volume")
        elif self.silent or self.player.no_sound:
            self.say(f"No sound: volume kept for next time ({percent})", "volume")
        else:
            self.say(f"Volume {percent}", "volume")
        self._after_action()

    def action_mute(self) -> None:
        if not self._ticking or self.player.ended:
            return
        muted = self.player.toggle_mute()
        if self.silent or self.player.no_sound:
            state = "muted" if muted else "not muted"
            self.say(f"No sound: kept for next time ({state})", "volume")
        elif muted:
            self.say("Muted: m turns the sound on", "volume")
        else:
            self.say(f"Sound on ({round(100 * self.player.gain)}%)", "volume")
        self._after_action()

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
            self.say("Press q again to finish the session", "finish")
            return
        self.action_stop()

    def action_stop(self) -> None:
        """End the session now: the same end as q twice (saved, then the form)."""
        if not self._ticking:
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
        self.notice = None  # nothing it told is still to do
        unit = self.player.store.last_volume_unit() or "ml"
        self.app.push_screen(AfterSessionScreen(unit), self._form_done)

    def _form_done(self, answers: object) -> None:
        from calmflow.core.records import AfterSession

        if isinstance(answers, AfterSession):
            self.player.save_form(answers)
        problem = self.player.settle()
        self.app.post_message(SessionSettled(problem))
        if problem:
            self.app.notify(escape(problem), severity="warning", timeout=30)
        else:
            said, seconds = saved_notice(self.player)  # with the milk label, given a volume
            self.app.notify(said, timeout=seconds)
        self.dismiss(None)
