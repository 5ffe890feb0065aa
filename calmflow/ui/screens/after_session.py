"""The short form after a session: volume per side or total, how it felt, notes.

Tab moves between fields, Enter saves from any box, Esc skips the form (the
session itself is already saved). Comfort and relaxation take one key, 1 to 5;
space ticks D-MER. Everything is optional.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from calmflow.core.records import AfterSession


class VolumeForm(ModalScreen[AfterSession | None]):
    """What the volume forms share: Enter saves from any box (or says what is wrong
    and keeps the form), Esc or the second button leaves it without saving."""

    def answers(self) -> AfterSession:
        raise NotImplementedError

    def _number(self, field: str) -> float | None:
        text = self.query_one(f"#{field}", Input).value.strip()
        return float(text) if text else None

    def action_save(self) -> None:
        try:
            answers = self.answers()
        except ValueError as exc:
            self.query_one("#form-error", Static).update(f"[b]{escape(str(exc))}[/b]")
            return
        self.dismiss(answers)

    def action_leave(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_leave()


class AfterSessionScreen(VolumeForm):
    BINDINGS = [
        Binding(
            "escape",
            "leave",
            "Skip",
            id="skip",
            tooltip="Skip these questions; the session is already saved",
        )
    ]

    def __init__(self, unit: str = "ml") -> None:
        super().__init__()
        self.unit = unit

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static("[b]How did it go?[/b]  All optional.", id="form-title")
            with Horizontal(classes="form-row"):
                yield Label("Left")
                yield Input(type="number", id="left")
                yield Label("Right")
                yield Input(type="number", id="right")
                yield Label("or total")
                yield Input(type="number", id="total")
            with Horizontal(classes="form-row"):
                yield Label("Unit")
                with RadioSet(id="unit"):
                    yield RadioButton("ml", value=self.unit == "ml", id="unit-ml")
                    yield RadioButton("oz", value=self.unit == "oz", id="unit-oz")
            with Horizontal(classes="form-row"):
                yield Label("Comfort 1-5")
                yield Input(restrict="[1-5]", max_length=1, id="comfort", classes="score")
                yield Label("Relaxed 1-5")
                yield Input(restrict="[1-5]", max_length=1, id="relaxation", classes="score")
                yield Checkbox("D-MER felt", id="dmer")
            with Horizontal(classes="form-row"):
                yield Label("Notes")
                yield Input(id="notes")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Skip (Esc)", id="skip")

    def on_mount(self) -> None:
        self.query_one("#left", Input).focus()

    def _score(self, field: str) -> int | None:
        text = self.query_one(f"#{field}", Input).value.strip()
        return int(text) if text else None

    def answers(self) -> AfterSession:
        unit = "oz" if self.query_one("#unit-oz", RadioButton).value else "ml"
        return AfterSession.from_entry(
            self._number("left"),
            self._number("right"),
            self._number("total"),
            unit,
            self.query_one("#notes", Input).value,
            comfort=self._score("comfort"),
            relaxation=self._score("relaxation"),
            dmer=self.query_one("#dmer", Checkbox).value,  # asked, so unticked is a no
        )
