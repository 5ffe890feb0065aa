"""When you pump, set from the home screen: fixed times, or an interval with a night gap.

The same words and checks as `calmflow schedule`: a box left empty keeps what
was there; a mistake is said under the boxes and nothing is changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from calmflow.services.schedule import schedule_from_text
from calmflow.store.db import StoreError
from calmflow.store.planning import load_schedule, save_schedule
from calmflow.text.schedule import describe
from calmflow.ui.safe import escape
from calmflow.ui.screens.form import Form

if TYPE_CHECKING:
    from calmflow.ui.app import CalmflowApp


class ScheduleScreen(Form[bool]):
    """Dismissed with True when a schedule was saved (None when left)."""

    BINDINGS = [
        Binding("escape", "leave", "Cancel", id="cancel", tooltip="Change nothing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static("[b]When you pump[/b]", id="form-title")
            yield Static(id="schedule-now")
            with Horizontal(classes="form-row"):
                yield Label("Times")
                yield Input(placeholder="06:00, 09:00, 12:00, 15:00, 18:00, 21:00", id="times")
            yield Static("[dim]or[/dim]", classes="form-or")
            with Horizontal(classes="form-row"):
                yield Label("Every")
                yield Input(placeholder="3h", id="every", classes="short")
                yield Label("Night off")
                yield Input(placeholder="23:00-05:00", id="night", classes="short")
                yield Label("From")
                yield Input(placeholder="05:00", id="from", classes="short")
            with Horizontal(classes="form-row"):
                yield Label("On time up to")
                yield Input(placeholder="45m late", id="grace", classes="short")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    @property
    def calm_app(self) -> CalmflowApp:
        return cast("CalmflowApp", self.app)

    def on_mount(self) -> None:
        kept = load_schedule(self.calm_app.store)
        now = self.query_one("#schedule-now", Static)
        if kept is None:
            now.update("No schedule yet: give fixed times, or an interval.")
        else:
            now.update(escape(f"Now: {describe(kept[0])}."))
        self.query_one("#times", Input).focus()

    def unsaved(self) -> str | None:
        typed = any(field.value.strip() for field in self.query(Input))
        return "Esc again leaves without saving the schedule" if typed else None

    def _value(self, field: str) -> str | None:
        return self.query_one(f"#{field}", Input).value.strip() or None

    def answers(self) -> bool:
        store = self.calm_app.store
        try:
            kept = load_schedule(store)
            new = schedule_from_text(
                kept[0] if kept else None,
                self._value("times"),
                self._value("every"),
                self._value("night"),
                self._value("grace"),
                self._value("from"),
            )
            save_schedule(store, new)
        except StoreError as exc:
            raise ValueError(str(exc)) from None
        self.notify(f"Schedule set: {describe(new)}.", timeout=5)
        return True
