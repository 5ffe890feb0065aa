"""Sessions: the log, newest first, to mend what was logged wrong.

d deletes the session chosen (asked once: press d again), v fixes its volume,
Enter lists its let-downs, where d takes back one marked by mistake. Every
change goes through the Store's named writes; nothing here writes SQL.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
)
from textual.worker import Worker, WorkerState

from calmflow.core.records import ML_PER_OZ, AfterSession, SessionRecord
from calmflow.format import clock_text
from calmflow.store.db import StoreError
from calmflow.ui.screens.home import STATUS_WORDS, letdowns_text, volume_text, when_text

if TYPE_CHECKING:
    from calmflow.store.store import Store
    from calmflow.ui.app import CalmflowApp

PAGE = 200
"""Sessions added to the table at a time."""
CONFIRM_S = 3.0
"""A second press of d within this long confirms a deletion (as q finishes a session)."""

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


def session_words(record: SessionRecord, now_text: str) -> str:
    """'today 08:15, standard, 2 let-downs': a session as a person recognises it."""
    return f"{now_text}, {record.routine}, {letdowns_text_any(record)}"


def letdowns_text_any(record: SessionRecord) -> str:
    """Let-downs marked, or counted by hand for a session logged without calmflow."""
    if record.counted_letdowns is not None:
        count = record.counted_letdowns
        return "no let-down" if count == 0 else f"{count} let-down{'s' if count != 1 else ''}"
    return letdowns_text(record)


class SessionsScreen(Screen[bool]):
    """Dismissed with True if anything was changed, so the review is worked out again."""

    BINDINGS = [
        Binding(
            "escape,q",
            "back",
            "Back",
            id="back",
            key_display="Esc",
            tooltip="Back to the screen before (q too)",
        ),
        Binding(
            "enter",
            "letdowns",
            "Let-downs",
            id="letdowns",
            priority=True,  # before the table's own Enter, so the footer shows it
            tooltip="The let-downs of the session chosen, to take back one marked by mistake",
        ),
        Binding(
            "v", "volume", "Volume", id="volume", tooltip="Fix the volume of the session chosen"
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            id="delete",
            tooltip="Delete the session chosen (press d again to confirm)",
        ),
    ]
    HELP = "Your sessions, newest first. Choose one with ↑ and ↓."

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, SessionRecord] = {}
        """The sessions listed, by row key."""
        self.newest_first: list[SessionRecord] = []
        self.listed = 0
        """How many of `newest_first` are in the table."""
        self.changed = False
        self._delete = Confirm()

    @property
    def store(self) -> Store:
        return cast("CalmflowApp", self.app).store

    def compose(self) -> ComposeResult:
        yield Static(
            "[b]Sessions[/b] [dim]· newest first[/dim]",
            id="sessions-title",
        )
        yield Static("Reading your sessions…", id="sessions-status")
        table: Table = DataTable(id="sessions-table", cursor_type="row", zebra_stripes=False)
        table.display = False
        yield table
        yield Static(id="sessions-more")
        yield Footer()

    def on_mount(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="sessions")
    def _read(self) -> list[SessionRecord] | StoreError:
        try:
            return self.store.sessions()
        except StoreError as exc:
            return exc

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "sessions" or event.state != WorkerState.SUCCESS:
            return
        result = event.worker.result
        status = self.query_one("#sessions-status", Static)
        if isinstance(result, StoreError):
            status.update(f"[b]The log cannot be read[/b]: {escape(str(result))}")
            return
        assert isinstance(result, list)
        if not result:
            status.update("[dim]No sessions yet. Your sessions will be listed here.[/dim]")
            return
        status.display = False
        table = self.table
        table.add_column("when", key="when")
        table.add_column("routine", key="routine")
        table.add_column("let-downs", key="letdowns")
        table.add_column(Text("first at", justify="right"), key="first")
        table.add_column(Text("volume", justify="right"), key="volume")
        table.add_column("", key="status")
        self.newest_first = result[::-1]
        self._add_page()
        table.display = True
        table.focus()

    def _add_page(self) -> None:
        """The next PAGE sessions at the end of the table (a table of thousands of rows
        takes seconds to lay out; a person wanting an old one scrolls to it)."""
        table = self.table
        now = self.store.now()
        page = self.newest_first[self.listed : self.listed + PAGE]
        for record in page:
            key = str(record.id)
            self.records[key] = record
            table.add_row(*self._cells(record, now), key=key)
        self.listed += len(page)
        self._show_more()

    def _show_more(self) -> None:
        more = self.query_one("#sessions-more", Static)
        left = len(self.newest_first) - self.listed
        more.display = left > 0
        if left:
            more.update(
                f"{self.listed:,} of {len(self.newest_first):,} listed;"
                " ↓ past the last lists older ones."
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - 1 and self.listed < len(self.newest_first):
            self._add_page()

    @property
    def table(self) -> Table:
        return cast("Table", self.query_one("#sessions-table", DataTable))

    def _cells(self, r: SessionRecord, now: datetime) -> list[str | Text]:
        first = r.first_letdown_s
        return [
            when_text(r.started_at, now),
            Text(r.routine, overflow="ellipsis", no_wrap=True),
            letdowns_text_any(r),
            Text(clock_text(first) if first is not None else "", justify="right"),
            Text(volume_text(r), justify="right"),
            Text(
                "by hand" if r.is_manual else STATUS_WORDS.get(r.status, ""),
                style="dim",
            ),
        ]

    @property
    def chosen(self) -> SessionRecord | None:
        table = self.table
        if not table.display or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.records.get(key or "")

    def _words(self, record: SessionRecord) -> str:
        return session_words(record, when_text(record.started_at, self.store.now()))

    def refresh_row(self, session_id: int) -> None:
        """Read the session again after a change, and redraw its row."""
        key = str(session_id)
        try:
            record = self.store.session(session_id)
        except (KeyError, StoreError):
            return
        self.records[key] = record
        cells = self._cells(record, self.store.now())
        for column, cell in zip(self.table.columns, cells, strict=True):
            self.table.update_cell(key, column, cell)

    # --- keys -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def action_delete(self) -> None:
        record = self.chosen
        if record is None:
            return
        words = escape(self._words(record))
        if not self._delete.second(record.id):
            self.notify(
                f"Press d again to delete the session of {words}",
                title="Delete?",
                timeout=CONFIRM_S,
            )
            return
        try:
            self.store.delete_session(record.id)
        except StoreError as exc:
            self.notify(escape(str(exc)), severity="error", timeout=10)
            return
        key = str(record.id)
        self.table.remove_row(key)
        del self.records[key]
        self.newest_first.remove(record)
        self.listed -= 1
        self._show_more()
        self.changed = True
        self.notify(f"Deleted the session of {words}.", timeout=4)

    def action_volume(self) -> None:
        record = self.chosen
        if record is None:
            return
        unit = record.volume_unit or self.store.last_volume_unit() or "ml"

        def done(answers: AfterSession | None) -> None:
            if answers is not None:
                self._save_volume(record, answers)

        self.app.push_screen(VolumeScreen(record, unit, self._words(record)), done)

    def _save_volume(self, record: SessionRecord, answers: AfterSession) -> None:
        try:
            self.store.edit_session(
                record.id,
                volume_left_ml=answers.volume_left_ml,
                volume_right_ml=answers.volume_right_ml,
                volume_total_ml=answers.volume_total_ml,
                volume_unit=answers.unit if answers.volume_total_ml is not None else None,
            )
        except (KeyError, ValueError, StoreError) as exc:
            self.notify(escape(str(exc)), severity="error", timeout=10)
            return
        self.changed = True
        self.refresh_row(record.id)
        self.notify("Volume saved.", timeout=3)

    def action_letdowns(self) -> None:
        record = self.chosen
        if record is None:
            return

        def done(changed: bool | None) -> None:
            if changed:
                self.changed = True
                self.refresh_row(record.id)

        self.app.push_screen(LetdownsScreen(record, self._words(record)), done)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter (or a click) on the table: the table takes the key before the screen.
        self.action_letdowns()


def _entry(ml: float | None, unit: str) -> str:
    """A volume as the person would type it in `unit`; '' for none."""
    if ml is None:
        return ""
    value = ml / ML_PER_OZ if unit == "oz" else ml
    return f"{round(value, 1):g}"


class VolumeScreen(ModalScreen[AfterSession | None]):
    """Left, right or total, in ml or oz, filled in with what the log has."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel", tooltip="Change nothing")]

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
                with RadioSet(id="unit"):
                    yield RadioButton("ml", value=unit == "ml", id="unit-ml")
                    yield RadioButton("oz", value=unit == "oz", id="unit-oz")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save (Enter)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#left" if self.record.volume_left_ml is not None else "#total").focus()

    def _number(self, field: str) -> float | None:
        text = self.query_one(f"#{field}", Input).value.strip()
        return float(text) if text else None

    def answers(self) -> AfterSession:
        unit = "oz" if self.query_one("#unit-oz", RadioButton).value else "ml"
        return AfterSession.from_entry(
            self._number("left"), self._number("right"), self._number("total"), unit
        )

    def action_save(self) -> None:
        try:
            answers = self.answers()
        except ValueError as exc:
            self.query_one("#form-error", Static).update(f"[b]{escape(str(exc))}[/b]")
            return
        self.dismiss(answers)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()


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
            box.border_title = f"Let-downs · {self.words}"
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
                ld.phase,
                ", ".join(ld.cues),
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
            about.update(
                f"Logged by hand: {letdowns_text_any(r)} counted, without times. "
                "`calmflow log add` logs such sessions."
            )
        elif not table.row_count:
            about.update("No let-down marked in this session.")
        else:
            about.update("[dim]Seconds into the session, pauses not counted.[/dim]")

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
