"""Sessions: the log, newest first, to mend what was logged wrong.

d deletes the session chosen (asked once: press d again), v fixes its volume,
Enter lists its let-downs, where d takes back one marked by mistake. Every
change goes through the Store's named writes; nothing here writes SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from calmflow.core.records import AfterSession, SessionRecord
from calmflow.store.db import StoreError
from calmflow.text.numbers import clock_text
from calmflow.text.sessions import STATUS_WORDS, letdowns_text, volume_text, when_text
from calmflow.ui.keys import back
from calmflow.ui.safe import escape, plain
from calmflow.ui.screens.session_edit import CONFIRM_S, Confirm, LetdownsScreen, VolumeScreen

if TYPE_CHECKING:
    from calmflow.store.store import Store
    from calmflow.ui.app import CalmflowApp

PAGE = 200
"""Sessions added to the table at a time."""

Table = DataTable[str | Text]


def session_words(record: SessionRecord, when: str) -> str:
    """'today 08:15, standard, 2 let-downs': a session as a person recognises it."""
    return f"{when}, {record.routine}, {letdowns_text(record)}"


class SessionsScreen(Screen[bool]):
    """Dismissed with True if anything was changed, so the review is worked out again."""

    BINDINGS = [
        back("the screen before"),
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
            Text(plain(r.routine), overflow="ellipsis", no_wrap=True),
            letdowns_text(r),
            Text(clock_text(first) if first is not None else "", justify="right"),
            Text(volume_text(r), justify="right"),
            Text(
                "left out"
                if not r.counts_in_review
                else "by hand"
                if r.is_manual
                else STATUS_WORDS.get(r.status, ""),
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
