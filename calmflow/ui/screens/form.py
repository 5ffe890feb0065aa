"""What the small forms share, made for one hand: Enter saves from any box (or
says what is wrong and keeps the form open), even from a tick box or the unit
choice; a digit 1 to 5 fills a rating and moves on; Esc or the second button
leaves without saving, asking once first when something typed would be lost."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from calmflow.ui.safe import escape

ResultT = TypeVar("ResultT")

SCORES = "12345"
"""The keys a rating takes."""


class Form(ModalScreen[ResultT | None], Generic[ResultT]):
    """A form screen; `answers` gives its result or raises ValueError saying why not.
    It needs a Static with id "form-error" and a Button with id "save"."""

    _leave_asked = False

    def answers(self) -> ResultT:
        raise NotImplementedError

    def unsaved(self) -> str | None:
        """What leaving now would lose, in a sentence, so that Esc asks once first;
        None when nothing typed would be lost."""
        return None

    def say(self, words: str) -> None:
        """A line under the boxes: what is wrong, or what the next Esc does."""
        self.query_one("#form-error", Static).update(f"[b]{escape(words)}[/b]")

    def action_save(self) -> None:
        try:
            answers = self.answers()
        except ValueError as exc:
            self.say(str(exc))
            return
        self.dismiss(answers)

    def action_leave(self) -> None:
        lost = self.unsaved()
        if lost is not None and not self._leave_asked:
            self._leave_asked = True
            self.say(lost)
            return
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
    does from every other box (a plain Checkbox would tick it instead). Ticked
    shows ✓ and unticked is blank, which tells them apart without colour."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_button", "Tick", show=False),
        Binding("enter", "screen.save", "Save", show=False),
    ]

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button


class FormRadioButton(RadioButton):
    """One choice of a FormRadioSet: ● when chosen, blank when not."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return super()._button


class FormRadioSet(RadioSet, inherit_bindings=False):
    """A choice in a form (ml or oz): the arrows and Space choose at once, so what
    is shown chosen is what is saved; Enter saves the form, never chooses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,down", "choose(1)", "Next", show=False),
        Binding("left,up", "choose(-1)", "Previous", show=False),
        Binding("space", "choose(1)", "Next", show=False),
        Binding("enter", "screen.save", "Save", show=False),
    ]

    def action_choose(self, step: int) -> None:
        if step > 0:
            self.action_next_button()
        else:
            self.action_previous_button()
        self.action_toggle_button()


class ScoreInput(Input):
    """A rating from 1 to 5: one key fills it (replacing what was there) and moves
    on to the next box; other keys are not taken."""

    def __init__(self, *, id: str) -> None:
        super().__init__(restrict=f"[{SCORES}]", max_length=1, id=id, classes="score")

    async def _on_key(self, event: events.Key) -> None:
        if event.character and event.character in SCORES:
            event.stop()
            event.prevent_default()
            self.value = event.character
            self.screen.focus_next()
            return
        await super()._on_key(event)
