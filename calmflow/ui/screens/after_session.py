"""The short form after a session: volume per side or total, how it felt, notes.

Tab moves between fields, Enter saves from any box (the D-MER box and the unit
too), Esc skips the form (the session itself is already saved; with volumes
typed it asks once first). Comfort and relaxation take one key, 1 to 5, which
moves on to the next box; space ticks D-MER. The unit is the one used last.
Everything is optional.

A session the person ended within its first minute is left out of the review
and of the schedule (`values.left_out`): the form then asks first, above the
volumes, whether to keep it. Shift+Tab from the first box reaches that question,
Space ticks it; unticked, or the form skipped, it stays left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static

from calmflow.core.records import AfterSession
from calmflow.core.values import left_out
from calmflow.ui.screens.form import (
    Form,
    FormCheckbox,
    FormRadioButton,
    FormRadioSet,
    ScoreInput,
)

if TYPE_CHECKING:
    from calmflow.ui.app import CalmflowApp

KEEP_LABEL = "Keep this short session in your review"
KEEP_KEYS = "  [dim](Shift+Tab, Space)[/dim]"
"""How to reach it from the first box, which has the focus."""
KEEP_ABOUT = (
    "It ended in its first minute, so it is left out of the review and the schedule"
    " unless you keep it."
)


VOLUMES = ("left", "right", "total")
LEAVE_ASK = "Esc again leaves without saving the volumes"


class VolumeForm(Form[AfterSession]):
    """A form that asks for volumes (after a session, or fixing one later)."""

    unit = "ml"
    _volumes_at_start: tuple[str, ...] = ("", "", "")

    def _unit_choice(self) -> ComposeResult:
        """The ml/oz choice, on the unit given."""
        with FormRadioSet(id="unit"):
            yield FormRadioButton("ml", value=self.unit == "ml", id="unit-ml")
            yield FormRadioButton("oz", value=self.unit == "oz", id="unit-oz")

    def _chosen_unit(self) -> str:
        return "oz" if self.query_one("#unit-oz", FormRadioButton).value else "ml"

    def _volumes(self) -> tuple[str, ...]:
        return tuple(self.query_one(f"#{field}", Input).value.strip() for field in VOLUMES)

    def on_mount(self) -> None:
        self._volumes_at_start = self._volumes()

    def unsaved(self) -> str | None:
        return LEAVE_ASK if self._volumes() != self._volumes_at_start else None

    def _number(self, field: str) -> float | None:
        text = self.query_one(f"#{field}", Input).value.strip()
        return float(text) if text else None


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
        self.short = False
        """The session just played ended early in its first minute: asked whether to keep it."""

    def compose(self) -> ComposeResult:
        self.short = self._ended_short()
        with Vertical(id="form"):
            yield Static("[b]How did it go?[/b]  All optional.", id="form-title")
            if self.short:
                with Vertical(id="keep-row"):
                    yield FormCheckbox(KEEP_LABEL + KEEP_KEYS, id="keep")
                    yield Static(KEEP_ABOUT, id="keep-about")
            with Horizontal(classes="form-row"):
                yield Label("Left")
                yield Input(type="number", id="left")
                yield Label("Right")
                yield Input(type="number", id="right")
                yield Label("or total")
                yield Input(type="number", id="total")
            with Horizontal(classes="form-row"):
                yield Label("Unit")
                yield from self._unit_choice()
            with Horizontal(classes="form-row"):
                yield Label("Comfort 1-5")
                yield ScoreInput(id="comfort")
                yield Label("Relaxed 1-5")
                yield ScoreInput(id="relaxation")
                yield FormCheckbox("D-MER felt", id="dmer")
            with Horizontal(classes="form-row"):
                yield Label("Notes")
                yield Input(id="notes")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Skip (Esc)", id="skip")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#left", Input).focus()

    def _ended_short(self) -> bool:
        """Whether the session just played is one the log leaves out of the review
        (ended early within its first minute), worked out as the player ended it."""
        player = cast("CalmflowApp", self.app).player
        if player is None or player.session.ended is None:
            return False
        return left_out(player.session.ended, player.played_s, len(player.letdowns))

    def _score(self, field: str) -> int | None:
        text = self.query_one(f"#{field}", Input).value.strip()
        return int(text) if text else None

    def answers(self) -> AfterSession:
        answers = AfterSession.from_entry(
            self._number("left"),
            self._number("right"),
            self._number("total"),
            self._chosen_unit(),
            self.query_one("#notes", Input).value,
            comfort=self._score("comfort"),
            relaxation=self._score("relaxation"),
            dmer=self.query_one("#dmer", Checkbox).value,  # asked, so unticked is a no
        )
        if not self.short:
            return answers
        # Asked, so unticked is a no, as for D-MER.
        return answers.model_copy(update={"in_review": self.query_one("#keep", Checkbox).value})
