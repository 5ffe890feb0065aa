"""Pump care on one screen: flange sizes to try from the last measurement, the fit
checklist, and each pump part with how long it has been in use.

The same facts as `calmflow fit` and `calmflow parts`, in the screen's words:
`m` records a new measurement, `a` a part fitted today (added the first time,
marked replaced after that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from calmflow.core.fit import check_nipple_mm
from calmflow.core.parts import PART_KINDS
from calmflow.services.care import fit, statuses
from calmflow.store.care import add_measurement, add_part, parts, replace_part
from calmflow.store.db import StoreError
from calmflow.text.care import fit_lines, hanging, part_line
from calmflow.ui.keys import back
from calmflow.ui.safe import escape, plain
from calmflow.ui.screens.form import Form, FormRadioButton, FormRadioSet

if TYPE_CHECKING:
    from calmflow.ui.app import CalmflowApp

NO_PARTS = (
    "No parts listed yet. Press a when you fit a new part (valves and membranes,"
    " duckbills, tubing, flanges, backflow protectors), and calmflow counts its days"
    " and sessions."
)
PARTS_KEY = "Press a when you fit a new part: its days and sessions start again."


def hanging_lines(lines: list[str]) -> Group:
    """`lines` for a Static, each bullet's text wrapping under itself (a hanging
    indent) rather than back to the margin."""
    shown: list[RenderableType] = []
    for line in lines:
        mark, text = hanging(line)
        if not mark:
            shown.append(Text(plain(line)))
            continue
        grid = Table.grid()
        grid.add_column(width=len(mark), no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(Text(mark), Text(plain(text)))
        shown.append(grid)
    return Group(*shown)


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
        Binding(
            "a",
            "fitted",
            "Part fitted",
            id="part_fitted",
            tooltip="A new pump part fitted today: kept track of, or its days started again",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.fit_text: list[str] = []
        """The lines of #fit, as `calmflow fit` would print them."""

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
        self.fit_text = fit_lines(latest, reminder, on_screen=True)
        self.query_one("#fit", Static).update(hanging_lines(self.fit_text))
        listed = "\n".join([*(part_line(s) for s in found), "", PARTS_KEY]) if found else NO_PARTS
        self.query_one("#parts", Static).update(escape(listed))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_measure(self) -> None:
        self.app.push_screen(MeasureScreen(), self._measured)

    def _measured(self, saved: bool | None) -> None:
        if saved:
            self.show()

    def action_fitted(self) -> None:
        self.app.push_screen(FittedScreen(), self._measured)


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

    def unsaved(self) -> str | None:
        typed = any(self.query_one(f"#{side}", Input).value.strip() for side in ("left", "right"))
        return "Esc again leaves without saving the measurement" if typed else None

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


class FittedScreen(Form[bool]):
    """A part fitted today: the first of its kind is added, one already kept
    track of is marked replaced (its days and sessions start again)."""

    BINDINGS = [Binding("escape", "leave", "Cancel", id="cancel", tooltip="Change nothing")]

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static("[b]A part fitted today[/b]  ↑ ↓ choose, Enter keeps it.", id="form-title")
            with FormRadioSet(id="part-kind"):
                for index, kind in enumerate(PART_KINDS.values()):
                    yield FormRadioButton(
                        kind.words.capitalize(), value=index == 0, id=f"kind-{kind.kind}"
                    )
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#part-kind", FormRadioSet).focus()

    def answers(self) -> bool:
        chosen = self.query_one("#part-kind", FormRadioSet).pressed_button
        if chosen is None or chosen.id is None:
            raise ValueError("choose the part with ↑ and ↓")
        kind = chosen.id.removeprefix("kind-")
        store = cast("CalmflowApp", self.app).store
        try:
            same = [p for p in parts(store) if p.kind == kind]
            if len(same) > 1:
                raise ValueError(
                    f"{len(same)} of these are kept track of (ids"
                    f" {', '.join(str(p.id) for p in same)}): mark the one you replaced with"
                    f" `calmflow parts replaced ID`"
                )
            if same:
                replace_part(store, same[0].id)
            else:
                add_part(store, kind)
        except StoreError as exc:
            raise ValueError(str(exc)) from None
        return True
