"""The two dialogs of the sessions list: a session's volume, and its let-down marks.

A key that deletes something asks once first: `Confirm` acts on the second press
of the same key on the same thing, as q does to finish a session in the player.
In the let-downs dialog, r keeps the session in the review or leaves it out (a
session ended in its first minute is left out unless the person keeps it); r
again undoes it, so it asks nothing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from calmflow.core.records import AfterSession, SessionRecord
from calmflow.core.values import ML_PER_OZ, left_out
from calmflow.store.db import StoreError
from calmflow.text.numbers import clock_text
from calmflow.text.sessions import letdowns_text
from calmflow.ui.safe import escape
from calmflow.ui.screens.after_session import VolumeForm

if TYPE_CHECKING:
    from calmflow.store.store import Store
    from calmflow.ui.app import CalmflowApp

CONFIRM_S = 3.0
"""A second press within this long confirms a deletion (as q finishes a session)."""

Table = DataTable[str | Text]


class Confirm:
    """A key that acts only when pressed twice on the same thing within CONFIRM_S."""

    def __init__(self) -> None:
        self._asked: tuple[object, float] | None = None

    def second(self, thing: object) -> bool:
        """True on the second press for `thing`; otherwise remember this first one."""
        now = time.monotonic()
        if self._asked is not None:
            asked, at = self._asked
            if asked == thing and now - at <= CONFIRM_S:
                self._asked = None
                return True
        self._asked = (thing, now)
        return False


def _entry(ml: float | None, unit: str) -> str:
    """A volume as the person would type it in `unit`; '' for none."""
    if ml is None:
        return ""
    value = ml / ML_PER_OZ if unit == "oz" else ml
    return f"{round(value, 1):g}"


class VolumeScreen(VolumeForm):
    """Left, right or total, in ml or oz, filled in with what the log has."""

    BINDINGS = [Binding("escape", "leave", "Cancel", id="cancel", tooltip="Change nothing")]

    def __init__(self, record: SessionRecord, unit: str, words: str) -> None:
        super().__init__()
        self.record = record
        self.unit = unit
        self.words = words

    def compose(self) -> ComposeResult:
        r, unit = self.record, self.unit
        # A total that is left + right is left blank: changing a side then changes it too.
        total = r.volume_total_ml
        if (
            total is not None
            and r.volume_left_ml is not None
            and r.volume_right_ml is not None
            and abs(r.volume_left_ml + r.volume_right_ml - total) < 0.05
        ):
            total = None
        with Vertical(id="form", classes="volume-form"):
            yield Static(
                f"[b]Volume[/b] · {escape(self.words)}\n"
                "[dim]Each side, or the total; empty boxes clear it.[/dim]",
                id="form-title",
            )
            with Horizontal(classes="form-row"):
                yield Label("Left")
                yield Input(_entry(r.volume_left_ml, unit), type="number", id="left")
                yield Label("Right")
                yield Input(_entry(r.volume_right_ml, unit), type="number", id="right")
                yield Label("or total")
                yield Input(_entry(total, unit), type="number", id="total")
            with Horizontal(classes="form-row"):
                yield Label("Unit")
                yield from self._unit_choice()
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#left" if self.record.volume_left_ml is not None else "#total").focus()

    def answers(self) -> AfterSession:
        return AfterSession.from_entry(
            self._number("left"), self._number("right"), self._number("total"), self._chosen_unit()
        )


class LetdownsScreen(ModalScreen[bool]):
    """A session's let-down marks; d (twice) takes back the one chosen."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="close", key_display="Esc"),
        Binding(
            "d",
            "remove",
            "Take back",
            id="remove_letdown",
            tooltip="Take back the let-down chosen, marked by mistake (press d again)",
        ),
        Binding(
            "r",
            "review",
            "Review",
            id="toggle_review",
            tooltip="Keep this session in your review and the schedule, or leave it out",
        ),
    ]

    def __init__(self, record: SessionRecord, words: str) -> None:
        super().__init__()
        self.record = record
        self.words = words
        self.changed = False
        self._remove = Confirm()

    @property
    def store(self) -> Store:
        return cast("CalmflowApp", self.app).store

    def compose(self) -> ComposeResult:
        with Vertical(id="letdowns-box") as box:
            box.border_title = f"Let-downs · {escape(self.words, lines=False)}"
            box.border_subtitle = "d takes one back · Esc closes"
            yield Static(id="letdowns-about")
            table: Table = DataTable(id="letdowns-table", cursor_type="row", zebra_stripes=False)
            yield table

    def on_mount(self) -> None:
        table = self.table
        table.add_column("", key="number")
        table.add_column(Text("at", justify="right"), key="at")
        table.add_column("phase", key="phase")
        table.add_column("cues on", key="cues")
        for ld in self.record.letdowns:
            table.add_row(
                str(ld.number),
                Text(clock_text(ld.t_s), justify="right"),
                escape(ld.phase, lines=False),
                escape(", ".join(ld.cues), lines=False),
                key=str(ld.number),
            )
        self._say()
        table.focus()

    @property
    def table(self) -> Table:
        return cast("Table", self.query_one("#letdowns-table", DataTable))

    def _say(self) -> None:
        about = self.query_one("#letdowns-about", Static)
        table = self.table
        table.display = table.row_count > 0
        r = self.record
        if r.counted_letdowns is not None:
            text = (
                f"Logged by hand: {letdowns_text(r)} counted, without times,"
                " so there are no marks to take back."
            )
        elif not table.row_count:
            text = "No let-down marked in this session."
        else:
            text = "[dim]Seconds into the session, pauses not counted.[/dim]"
        review = self._review_words()
        about.update(f"{text}\n{review}" if review else text)

    def _review_words(self) -> str:
        """Whether the session counts in the review, said only when it is not the
        usual: left out, or kept though it ended in its first minute."""
        r = self.record
        short = left_out(r.status, r.played_s, len(r.letdowns))
        if not r.counts_in_review:
            why = "It ended in its first minute, so it is" if short else "It is"
            return f"{why} left out of your review and the schedule. r keeps it in."
        if short:
            return "Kept in your review, though it ended in its first minute. r leaves it out."
        return ""

    def action_review(self) -> None:
        keep = not self.record.counts_in_review
        try:
            self.store.edit_session(self.record.id, in_review=keep)
        except KeyError:
            self.notify("This session is no longer in the log.", severity="error", timeout=10)
            return
        except StoreError as exc:
            self.notify(escape(str(exc)), severity="error", timeout=10)
            return
        self.record = self.record.model_copy(update={"in_review": keep})
        self.changed = True
        self._say()
        self.notify(
            "Kept in your review." if keep else "Left out of your review and the schedule.",
            timeout=3,
        )

    def action_remove(self) -> None:
        table = self.table
        if not table.display or not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is None:
            return
        number = int(key)
        if not self._remove.second(number):
            self.notify(
                f"Press d again to take back let-down {number}",
                title="Take back?",
                timeout=CONFIRM_S,
            )
            return
        try:
            self.store.remove_letdown(self.record.id, number=number)
        except StoreError as exc:
            self.notify(escape(str(exc)), severity="error", timeout=10)
            return
        table.remove_row(key)
        self.changed = True
        self._say()
        self.notify(f"Let-down {number} taken back.", timeout=3)

    def action_close(self) -> None:
        self.dismiss(self.changed)
