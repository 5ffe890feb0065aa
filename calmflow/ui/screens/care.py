"""Pump care on one screen: flange sizes to try from the last measurement, the fit
checklist, and each pump part with how long it has been in use.

The same words as `calmflow fit` and `calmflow parts`; `m` records a new
measurement. Parts are added and marked replaced with `calmflow parts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from calmflow.core.fit import check_nipple_mm
from calmflow.services.care import fit, statuses
from calmflow.store.care import add_measurement
from calmflow.store.db import StoreError
from calmflow.text.care import fit_lines, part_line
from calmflow.ui.keys import back
from calmflow.ui.safe import escape
from calmflow.ui.screens.form import Form

if TYPE_CHECKING:
    from calmflow.ui.app import CalmflowApp

NO_PARTS = (
    "No parts listed yet. `calmflow parts add valves` (or membranes, duckbills, tubing,"
    " flanges, backflow) lists one, and calmflow counts its days and sessions."
)


class CareScreen(Screen[None]):
    BINDINGS = [
        back("the routines"),
        Binding(
            "m",
            "measure",
            "Measure",
            id="measure",
            tooltip="Record the width of each nipple's base, in mm",
        ),
    ]

    @property
    def calm_app(self) -> CalmflowApp:
        return cast("CalmflowApp", self.app)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="care"):
            yield Static("[b]Pump care[/b]", id="care-title")
            yield Static(id="fit")
            yield Static("[b]Parts[/b]", id="parts-title")
            yield Static(id="parts")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        store = self.calm_app.store
        try:
            latest, reminder = fit(store)
            found = statuses(store)
        except StoreError as exc:
            self.query_one("#fit", Static).update(escape(str(exc)))
            return
        self.query_one("#fit", Static).update(escape("\n".join(fit_lines(latest, reminder))))
        parts = "\n".join(part_line(s) for s in found) if found else NO_PARTS
        self.query_one("#parts", Static).update(escape(parts))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_measure(self) -> None:
        self.app.push_screen(MeasureScreen(), self._measured)

    def _measured(self, saved: bool | None) -> None:
        if saved:
            self.show()


class MeasureScreen(Form[bool]):
    """Left and right, in mm; one box may stay empty."""

    BINDINGS = [Binding("escape", "leave", "Cancel", id="cancel", tooltip="Change nothing")]

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(
                "[b]Nipple base, in mm[/b]  Across the base of the nipple, not the areola.",
                id="form-title",
            )
            with Horizontal(classes="form-row"):
                yield Label("Left")
                yield Input(type="number", id="left", classes="short")
                yield Label("Right")
                yield Input(type="number", id="right", classes="short")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#left", Input).focus()

    def answers(self) -> bool:
        given = {}
        for side in ("left", "right"):
            text = self.query_one(f"#{side}", Input).value.strip()
            if text:
                given[side] = check_nipple_mm(float(text))
        if not given:
            raise ValueError("give the left or the right measurement, or both")
        store = cast("CalmflowApp", self.app).store
        try:
            for side, mm in given.items():
                add_measurement(store, side, mm)  # type: ignore[arg-type]
        except StoreError as exc:
            raise ValueError(str(exc)) from None
        return True
