"""The Textual app: one factory builds it for the CLI and for tests.

Store, output and clock are injected, so tests pass a null output, a store in
a temporary folder and a clock they move by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from calmflow.system.exits import EXIT_INTERNAL
from calmflow.text.numbers import length_text
from calmflow.ui import night as night_palette
from calmflow.ui.safe import plain
from calmflow.ui.screens.help import HelpScreen

if TYPE_CHECKING:
    from calmflow.audio.output import Output
    from calmflow.core.plan import Plan
    from calmflow.core.routine_loading import LoadedRoutine
    from calmflow.services.player import Player
    from calmflow.store.store import Store
    from calmflow.ui.screens.player_words import NightSwitched, SessionSettled

OutputFactory = Callable[["Plan"], "Output"]
"""Makes the sound output for the plan of the session about to start."""


QUIT_NOTICE_S = 1.5
"""How long ctrl+q's 'Session saved' stays on the screen before calmflow closes."""

OVERLAYS = (HelpScreen, CommandPalette)
"""Screens a person opens for a moment over another: help and the command palette."""


class CalmflowApp(App[None]):
    CSS_PATH = Path(__file__).with_name("calmflow.tcss")
    TITLE = "calmflow"
    BINDINGS = [
        # Priority, so that it works on the form too; while a text field has the
        # focus, ? is typed into it and F1 still opens help.
        Binding(
            "question_mark,f1",
            "help",
            "Help",
            id="help",
            key_display="?",
            priority=True,
            tooltip="Show or close this list of keys (F1 too)",
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            id="command_palette",
            show=False,
            priority=True,
            tooltip="Commands: start a routine by name, show help, quit",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="quit",
            show=False,
            priority=True,
            tooltip="Quit calmflow (a session playing is saved as it stands)",
        ),
    ]

    def __init__(
        self,
        *,
        store: Store,
        output_factory: OutputFactory,
        loaded: LoadedRoutine | None = None,
        clock: Callable[[], float] = time.monotonic,
        night: bool | None = None,
    ) -> None:
        super().__init__()
        self.register_theme(night_palette.THEME)
        self.night_by_clock = night is None and night_palette.is_night()
        """No one chose: it is night on the person's clock, so the night palette."""
        self.night = night if night is not None else self.night_by_clock
        """The dim, warm night palette is on (--night, CALMFLOW_NIGHT, d while playing)."""
        self._day_theme: str | None = None
        self._quitting = False
        """ctrl+q has ended the session and calmflow is about to close."""
        self.store = store
        self.output_factory = output_factory
        self.loaded = loaded
        self.clock = clock
        self.player: Player | None = None
        self.session_id: int | None = None
        """The last session played, once it has started."""
        self.reduced_motion = False
        """A plain count instead of the growing and shrinking shape."""
        self.unsaved_message: str | None = None
        """What could not be written to the log, for the command to report."""

    def on_mount(self) -> None:
        self._end_on_hang_up()
        if self.night:
            self.set_night(True)
        if self.loaded is not None:
            self.play(self.loaded, then_exit=True)
        else:
            from calmflow.ui.screens.home import HomeScreen

            self.push_screen(HomeScreen())
        if self.store.cut_off:  # on the screen just pushed, once it is there
            text = cut_off_text(len(self.store.cut_off))
            self.call_after_refresh(lambda: self.notify(text, timeout=12.0))

    def play(self, loaded: LoadedRoutine, *, then_exit: bool = False) -> None:
        """Start a session of `loaded` on a new player screen."""
        # Imported here: the home screen opens without the player's modules.
        from calmflow.core.plan import compile_plan
        from calmflow.services.experiments import arm_for
        from calmflow.services.player import Player
        from calmflow.store.db import StoreError
        from calmflow.ui.screens.player import PlayerScreen

        try:
            drawn = arm_for(self.store, loaded.routine)
        except StoreError:  # the log is busy or full: the player's start says so
            drawn = None
        plan = compile_plan(loaded.routine, arm=drawn.arm if drawn else None)
        self.player = Player(
            loaded,
            plan,
            self.store,
            self.output_factory(plan),
            clock=self.clock,
            trial=(drawn.trial, drawn.place) if drawn else None,
        )

        def done(_: object) -> None:
            self.session_id = self.player.session_id if self.player else None
            self.player = None  # over: ctrl+q from here on has no session to end
            if then_exit:
                self.exit()

        self.push_screen(PlayerScreen(self.player), done)

    def on_night_switched(self, message: NightSwitched) -> None:
        self.set_night(message.night)

    def on_session_settled(self, message: SessionSettled) -> None:
        if message.problem:
            self.unsaved_message = message.problem

    def set_night(self, on: bool) -> None:
        """The night palette on, or the theme from before it back."""
        self.night = on
        if on and self.theme != night_palette.NAME:
            self._day_theme = self.theme
            self.theme = night_palette.NAME
        elif not on and self.theme == night_palette.NAME:
            self.theme = self._day_theme or "textual-dark"

    # --- help and commands --------------------------------------------------------------

    def action_help(self) -> None:
        """Open help on the keys of the screen in front, or close it if it is open."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
        elif not isinstance(screen, CommandPalette):
            self.push_screen(HelpScreen.for_screen(screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette's commands (ctrl+p): start a routine, review, help, quit."""
        from calmflow.ui.screens.home import HomeScreen

        if isinstance(screen, HomeScreen):
            for row in screen.rows:
                if row.loaded is None:
                    continue
                routine = row.loaded.routine
                yield SystemCommand(
                    f"Start {plain(row.entry.name)}",
                    f"{length_text(routine)} · {plain(_first_words(routine.description))}",
                    lambda name=row.entry.name: screen.start_by_name(name),
                )
            yield SystemCommand(
                "Review",
                "How your routines and cues compare, from your own sessions",
                screen.action_review,
            )
            yield SystemCommand(
                "Sessions",
                "Your sessions: delete one, fix its volume or a let-down marked by mistake",
                screen.action_sessions,
            )
        yield SystemCommand("Help", "The keys of this screen and what they do", self.action_help)
        yield SystemCommand(
            "Quit", "Quit calmflow; a session that is playing is saved", self.action_quit
        )

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        # A screen that comes by itself (the form at the end of a session) takes
        # the place of help or the palette; otherwise the form, once done, would
        # dismiss them instead of the player beneath.
        stack = self.screen_stack
        if stack and isinstance(stack[-1], OVERLAYS) and not isinstance(screen, OVERLAYS):
            self.pop_screen()
        return super().push_screen(screen, *args, **kwargs)

    async def action_quit(self) -> None:
        # ctrl+q in the middle of a session ends it properly in the log, and says
        # so before calmflow closes; while the sound is still opening, nothing is
        # logged at all.
        player = self.player
        playing = player is not None and player.session_id is not None
        self._end_player()
        if not playing or player is None or self._quitting:  # ctrl+q again: at once
            self.exit()
            return
        self._quitting = True
        from calmflow.ui.screens.player_words import saved_text

        said = saved_text(player)
        self.notify(f"{said} Closing calmflow.", timeout=QUIT_NOTICE_S + 1)
        # `calmflow play` prints the same line once the screen is gone; the home
        # screen's calmflow leaves it on the terminal here.
        message = None if self.loaded is not None else said
        self.set_timer(QUIT_NOTICE_S, lambda: self.exit(message=message))

    def _end_on_hang_up(self) -> None:
        """The terminal closed (SIGHUP) or the machine shutting down (SIGTERM): the
        session is ended in the log as ctrl+q ends it, and calmflow exits 128 + the
        signal's number."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, self._hung_up, int(number))

    def _hung_up(self, number: int) -> None:
        with contextlib.suppress(Exception):
            self._end_player()
        self.exit(return_code=128 + number)

    def _end_player(self) -> None:
        player = self.player
        if player is None:
            return
        if player.session_id is None:
            player.abort()
            return
        player.finish()
        self.session_id = player.session_id
        self.unsaved_message = player.settle() or self.unsaved_message

    def _fatal_error(self) -> None:
        # A bug must not cost the session or show a traceback: end the session
        # in the log, keep the details in a file, and say one line.
        from calmflow.system.crash import record_crash

        with contextlib.suppress(Exception):
            self._end_player()
        log = record_crash()
        self._return_code = EXIT_INTERNAL
        self._exit_renderables.append(
            f"calmflow: unexpected error; details are in {log}. Your logged sessions are safe."
        )
        self._close_messages_no_wait()


def cut_off_text(count: int) -> str:
    """What to say at the start after sessions were cut off (calmflow killed, the
    power gone): they are kept as far as they went."""
    which = "Your last session was" if count == 1 else f"{count} sessions were"
    return (
        f"{which} cut off before it ended (calmflow was stopped). Everything marked "
        "until then is saved; it is listed as interrupted."
    )


def _first_words(text: str, limit: int = 56) -> str:
    """The start of a description, to fit on the command palette's one line of help."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip(" ,;:") + "…"


def make_app(
    *,
    store: Store,
    loaded: LoadedRoutine | None = None,
    output_factory: OutputFactory | None = None,
    clock: Callable[[], float] = time.monotonic,
    night: bool | None = None,
) -> CalmflowApp:
    """Build the app; by default sound goes to the sound card. `night`: the night
    palette on or off; None: on between 22:00 and 06:00 on the person's clock."""
    if output_factory is None:
        output_factory = device_output
    return CalmflowApp(
        store=store, output_factory=output_factory, loaded=loaded, clock=clock, night=night
    )


def device_output(plan: Plan) -> Output:
    from calmflow.audio.device import DeviceOutput
    from calmflow.system import paths

    return DeviceOutput(plan, log_path=paths.log_dir() / "audio.log")
