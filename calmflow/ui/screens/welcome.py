"""The very first start: what calmflow is for, what to play when the milk will not
come, and how to make a routine of your own with your baby's photo and sound.

Shown once, over the home screen, when nothing is logged yet and it was never
shown before; any key closes it. Having been shown is remembered by a small file
beside the log (WELCOMED), so that deleting every session does not bring it back.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Static

from calmflow.ui.safe import escape

WELCOMED = "welcomed"
"""The file, beside the log, that says the welcome was shown."""

QUICK_ROUTINE = "quick-letdown"
"""For when the milk will not come."""
OWN_COMMAND = "calmflow new mine --from standard"


def welcome_seen(log_path: Path) -> bool:
    return (log_path.parent / WELCOMED).exists()


def remember_welcome(log_path: Path) -> None:
    """Remember that the welcome was shown; a folder that cannot be written only
    means it is shown again next time."""
    with contextlib.suppress(OSError):
        (log_path.parent / WELCOMED).touch(mode=0o600)


def welcome_text(routines_dir: str) -> str:
    """The welcome, in markup; `routines_dir` where a routine of your own goes."""
    return "\n".join(
        [
            "[b]Welcome to calmflow[/b]",
            "",
            "For the moment you sit down with the pump, full, and the milk will not come."
            " calmflow guides you with slow breathing, a soft tone that follows it, the"
            " pump setting for each phase, and calm pictures and sounds. Press space at"
            " each let-down; everything stays on this computer.",
            "",
            "[b]standard[/b] is a good first routine: choose it and press Enter.",
            f"When the milk will not come, try [b]{QUICK_ROUTINE}[/b].",
            "",
            "The routines are made to hold your own baby's photo and sound, and the"
            " review then shows whether they help you. To make your own, run in a terminal:",
            "",
            f"    [b]{OWN_COMMAND}[/b]",
            "",
            f"then put the photo (and a recording, if you like) in {escape(routines_dir)}"
            " and name them in mine.yaml, under photo: and sound:. It is then listed here"
            " as yours.",
            "",
            "[dim]Press any key to start. ? shows the keys at any time.[/dim]",
        ]
    )


class WelcomeScreen(ModalScreen[None]):
    """Once, on the very first start; any key closes it."""

    BINDINGS = [Binding("escape,enter", "close", "Start", id="close_welcome")]

    def __init__(self, routines_dir: str) -> None:
        super().__init__()
        self.routines_dir = routines_dir

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="welcome"):
            yield Static(welcome_text(self.routines_dir), id="welcome-text")

    def action_close(self) -> None:
        self.dismiss(None)

    def on_key(self, event: Key) -> None:
        if event.key in ("up", "down", "pageup", "pagedown", "home", "end"):
            return  # scrolls the welcome at a small size
        event.stop()
        self.dismiss(None)
