"""Help: every key of the screen beneath, and the keys that work everywhere.

The keys are read from the screens' bindings when help opens, so a key added to
a screen later shows up here without anyone remembering to write it down. A
binding's tooltip is its sentence; failing that, a sentence from SENTENCES, and
failing that, its short description.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.keys import key_to_character
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from calmflow.ui.safe import escape

SCREEN_NAMES = {
    "HomeScreen": "Home",
    "PlayerScreen": "Player",
    "AfterSessionScreen": "After the session",
    "ReviewScreen": "Review",
    "SessionsScreen": "Sessions",
    "VolumeScreen": "Volume",
    "LetdownsScreen": "Let-downs",
}

SENTENCES = {
    "letdown": "Mark a let-down, the moment you feel it",
    "pause": "Pause or go on: the sound and the clock stop together",
    "flow_stopped": "The milk has stopped: finish after a short countdown",
    "next_phase": "Go on to the next phase now",
    "finish": "Finish the session (press twice)",
    "toggle_photo": "Hide or show the photo",
    "app.focus_next": "Go to the next field",
    "app.focus_previous": "Go back to the previous field",
}
"""Sentences for keys whose binding has no tooltip of its own."""

LEFT_OUT = {"screen.copy_text", "help_quit", "app.help_quit"}
"""Textual's own keys that mean nothing here (copying a selection, a reminder)."""

APP_ORDER = ["help", "command_palette", "quit"]
"""The keys that work everywhere, in the order they are told."""

FIELD_KEYS = {"app.focus_next", "app.focus_previous"}
"""Only worth telling where there is more than one field to move between."""

KEY_NAMES = {
    "space": "Space",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "delete": "Del",
    "backspace": "Backspace",
}


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    """How the key or keys are written, e.g. '? or F1'."""
    text: str


def key_name(key: str) -> str:
    """A key as a person reads it: 'Space', 'Ctrl+P', '?', '+'."""
    *modifiers, base = key.split("+")
    name = KEY_NAMES.get(base)
    if name is None:
        char = key_to_character(base)
        name = char if char and char.isprintable() and not char.isspace() else base.upper()
        if len(name) == 1 and modifiers:
            name = name.upper()
    return "+".join([*(m.capitalize() for m in modifiers), name])


def keys_of(node: DOMNode, *, fields: int = 0) -> list[KeyHelp]:
    """The keys `node` binds (a screen's or the app's), one line per action, in order."""
    by_action: dict[str, tuple[list[str], Binding]] = {}
    for key, binding in node._bindings:  # its BINDINGS and those it inherits
        action = binding.action
        if binding.system or action in LEFT_OUT or not binding.description:
            continue
        if action in FIELD_KEYS and fields < 2:
            continue
        shown = binding.key_display or key_name(key)
        names, _ = by_action.setdefault(action, ([], binding))
        if shown not in names:
            names.append(shown)
    # The screen's own keys first, then those it inherits (moving between fields).
    order = sorted(
        by_action,
        key=lambda a: (a in FIELD_KEYS, APP_ORDER.index(a) if a in APP_ORDER else -1),
    )
    lines = []
    for action in order:
        names, binding = by_action[action]
        text = binding.tooltip or SENTENCES.get(action) or binding.description
        lines.append(KeyHelp(" or ".join(names), text))
    return lines


def screen_name(screen: Screen[object]) -> str:
    return SCREEN_NAMES.get(type(screen).__name__, "This screen")


class HelpScreen(ModalScreen[None]):
    """Every key of the screen it was opened over; Esc or ? closes it."""

    BINDINGS = [Binding("escape", "close", "Close", id="close_help")]

    def __init__(
        self,
        title: str,
        screen_keys: list[KeyHelp],
        app_keys: list[KeyHelp],
        about: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.about = about
        """A few words on the screen (its HELP), above its keys."""
        self.screen_keys = screen_keys
        self.app_keys = app_keys

    @classmethod
    def for_screen(cls, screen: Screen[object]) -> HelpScreen:
        fields = len(screen.focus_chain)
        return cls(
            screen_name(screen),
            keys_of(screen, fields=fields),
            keys_of(screen.app),
            about=screen.HELP,
        )

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = f"Keys · {self.title_text}"
            box.border_subtitle = "Esc or ? closes"
            if self.about:
                yield Static(escape(self.about), id="help-about")
            yield Static(self._table(self.screen_keys), id="help-screen-keys")
            yield Static("[b]Everywhere[/b]", classes="help-heading")
            yield Static(self._table(self.app_keys), id="help-app-keys")

    def _table(self, lines: list[KeyHelp]) -> Table:
        # Both tables' keys in one column width, so that the sentences line up.
        width = max((len(line.keys) for line in self.screen_keys + self.app_keys), default=0)
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold", min_width=width)
        table.add_column(ratio=1)
        for line in lines:
            table.add_row(escape(line.keys), escape(line.text))
        return table

    def action_close(self) -> None:
        self.dismiss(None)

    @property
    def text(self) -> str:
        """What the help says, as plain text (for tests and for reading aloud)."""
        return "\n".join(f"{line.keys}  {line.text}" for line in self.screen_keys + self.app_keys)
