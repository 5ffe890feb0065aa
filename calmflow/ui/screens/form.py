"""What the small forms share: Enter saves from any box (or says what is wrong and
keeps the form open), Esc or the second button leaves without saving."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from calmflow.ui.safe import escape

ResultT = TypeVar("ResultT")


class Form(ModalScreen[ResultT | None], Generic[ResultT]):
    """A form screen; `answers` gives its result or raises ValueError saying why not.
    It needs a Static with id "form-error" and a Button with id "save"."""

    def answers(self) -> ResultT:
        raise NotImplementedError

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


class FormCheckbox(Checkbox, inherit_bindings=False):
    """A box to tick in a form: Space ticks it, and Enter saves the form, as it
    does from every other box (a plain Checkbox would tick it instead)."""

    BINDINGS = [
        Binding("space", "toggle_button", "Tick", show=False),
        Binding("enter", "screen.save", "Save", show=False),
    ]
