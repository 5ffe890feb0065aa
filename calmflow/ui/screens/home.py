"""Home: the routines, the last sessions; Enter starts the routine chosen.

Routines are listed in the order a person reaches for them: the one played last,
then quick-letdown (for when the milk will not come), then the rest. On the very
first start (nothing logged, never welcomed) a welcome is shown over it once.

Routines are validated here without looking inside their media (that would
load the sound libraries, and is done by the audio process when one plays); a
routine that cannot be played is listed with its first problem, as
`calmflow check` says it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label, ListItem, ListView, Static

from calmflow.core.records import SessionRecord
from calmflow.core.routine_loading import LoadedRoutine, load_routine
from calmflow.core.yamlsource import Problem, SourceError
from calmflow.services import catalog
from calmflow.services.catalog import RoutineEntry
from calmflow.store.db import StoreError
from calmflow.store.feeds import last_feeds
from calmflow.system import paths
from calmflow.text.numbers import length_text
from calmflow.ui.keys import REVIEW, SESSIONS
from calmflow.ui.safe import escape
from calmflow.ui.screens.home_feed import (
    FEED_KEY,
    FEED_UNDO_S,
    UNDO_FEED_KEY,
    LoggedFeed,
    log_feed_now,
    take_back,
)
from calmflow.ui.screens.home_recent import recent_table
from calmflow.ui.screens.welcome import (
    QUICK_ROUTINE,
    WelcomeScreen,
    remember_welcome,
    welcome_seen,
)
from calmflow.ui.widgets.key_bar import BarKey, KeyBar

if TYPE_CHECKING:
    from calmflow.core.schedule import Status
    from calmflow.store.store import Store
    from calmflow.ui.app import CalmflowApp

RECENT = 12
"""The last sessions read; as many as fit are shown, newest first."""
HOME_KEYS = (
    BarKey("⏎", "Start", "Start", 0),
    BarKey("r", "Review", "Review", 3),
    BarKey("s", "Sessions", "Sessions", 4),
    BarKey("t", "Times", "Times", 5),
    BarKey("c", "Care", "Care", 6),
    FEED_KEY,
    BarKey("q", "Quit", "Quit", 1),
)
"""The key bar (fitted to the width, ending with ?), in order; those with the highest
`keep` go first as it narrows."""
NAME_WIDTH = (8, 22)
"""The routine name column: at least, at most (longer names end in an ellipsis)."""


@dataclass(frozen=True)
class RoutineRow:
    """A routine on the list: loaded, or the problems that keep it from playing."""

    entry: RoutineEntry
    loaded: LoadedRoutine | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def mine(self) -> bool:
        return self.entry.source == "user"

    def called(self, name: str) -> bool:
        """Whether a session logged as `name` played this routine (sessions keep the
        name written in the routine, usually its file's name)."""
        return self.entry.name == name or (
            self.loaded is not None and self.loaded.routine.name == name
        )


def reach_order(rows: list[RoutineRow], last: str | None) -> list[RoutineRow]:
    """`rows` in the order a person reaches for them: the routine played last, then
    QUICK_ROUTINE (for when the milk will not come), then the rest as they came."""

    def rank(row: RoutineRow) -> int:
        if last is not None and row.called(last):
            return 0
        return 1 if row.entry.name == QUICK_ROUTINE else 2

    return sorted(rows, key=rank)


def read_row(entry: RoutineEntry) -> RoutineRow:
    try:
        return RoutineRow(entry, load_routine(entry.path))
    except SourceError as exc:
        return RoutineRow(entry, problems=tuple(exc.problems))


def problem_text(problem: Problem) -> str:
    """The problem as `calmflow check` says it, with the file's name rather than its path."""
    return str(replace(problem, path=Path(problem.path.name)))


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding(
            "enter", "start", "Start", id="start", priority=True, tooltip="Start the routine chosen"
        ),
        Binding(
            "up",
            "move(-1)",
            "Previous",
            show=False,
            id="previous_routine",
            tooltip="Choose the routine above",
        ),
        Binding(
            "down",
            "move(1)",
            "Next",
            show=False,
            id="next_routine",
            tooltip="Choose the routine below",
        ),
        REVIEW,
        SESSIONS,
        Binding(
            "t",
            "schedule",
            "Times",
            id="schedule",
            tooltip="When you pump: fixed times, or an interval with a night off",
        ),
        Binding(
            "c",
            "care",
            "Care",
            id="care",
            tooltip="Pump care: flange sizes to try, and how long each part has been in use",
        ),
        Binding(
            "b",
            "log_feed",
            "Fed",
            id="log_feed",
            tooltip="Fed at the breast just now: logged as a breastfeed, which keeps the"
            f" schedule's slot as a session does (u undoes it for {FEED_UNDO_S:.0f} seconds)",
        ),
        Binding(
            "u",
            "undo_feed",
            "Undo feed",
            id="undo_feed",
            tooltip=f"Take back the breastfeed just logged with b (within {FEED_UNDO_S:.0f} seconds)",
        ),
        Binding("q", "app.quit", "Quit", id="quit", tooltip="Quit calmflow"),
    ]
    HELP = "Choose a routine with ↑ and ↓, and press Enter to start it."

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RoutineRow] = []
        self._suggested: str | None = None
        """The routine the schedule suggests now (catch-up, power pumping), if any."""
        self._logged_feed: LoggedFeed | None = None
        """The breastfeed `b` logged last, while `u` may take it back."""

    @property
    def calm_app(self) -> CalmflowApp:
        return cast("CalmflowApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(
            "[b]calmflow[/b]  [dim]·  choose a routine; Enter starts it[/dim]", id="home-title"
        )
        records = self._records()
        last = records[-1].routine if isinstance(records, list) and records else None
        self.rows = reach_order([read_row(entry) for entry in catalog.entries()], last)
        width = min(max([len(r.entry.name) for r in self.rows] + [NAME_WIDTH[0]]), NAME_WIDTH[1])
        yield ListView(
            *(self._item(row, width) for row in self.rows),
            id="routines",
        )
        yield Static(id="routine-about")
        yield Static(id="next-due")
        yield Static(id="recent")
        yield KeyBar(HOME_KEYS, id="keys")

    def _item(self, row: RoutineRow, width: int) -> ListItem:
        name = row.entry.name
        if len(name) > width:
            name = name[: width - 1] + "…"
        tag = "yours" if row.mine else ""
        if row.loaded is not None:
            routine = row.loaded.routine
            rest = f"{length_text(routine):>7}  [dim]{escape(_one_line(routine.description))}[/dim]"
        else:
            rest = f"{'':>7}  cannot be played: {escape(problem_text(row.problems[0]))}"
        text = f"{escape(name):<{width}}  [dim]{tag:<5}[/dim] {rest}"
        return ListItem(
            Label(text, classes="routine-line"),
            name=row.entry.name,
            classes="broken" if row.loaded is None else "",
        )

    def on_mount(self) -> None:
        records = self._records()
        self.query_one("#routines", ListView).index = self._first_choice(records)
        self.show_about()
        self.show_next_due()
        self.show_recent(records)
        self._welcome(records)

    def _welcome(self, records: list[SessionRecord] | StoreError) -> None:
        """The welcome, on the very first start only: nothing logged, never shown."""
        log = self.calm_app.store.path
        if not isinstance(records, list) or records or welcome_seen(log):
            return
        remember_welcome(log)
        self.app.push_screen(WelcomeScreen(_tilde(paths.user_routines_dir())))

    def on_screen_resume(self) -> None:
        self.show_next_due()
        self.show_recent()

    def _records(self) -> list[SessionRecord] | StoreError:
        try:
            # The last few only: a log of years is not read to show twelve lines.
            return self.calm_app.store.last_sessions(RECENT)
        except StoreError as exc:
            return exc

    def _first_choice(self, records: list[SessionRecord] | StoreError) -> int:
        """The routine played last, or the standard one: what a person most likely wants."""
        last = [] if isinstance(records, StoreError) else [r.routine for r in records[-1:]]
        for wanted in [*last, "standard"]:
            for index, row in enumerate(self.rows):
                if row.entry.name == wanted:
                    return index
            for index, row in enumerate(self.rows):
                if row.called(wanted):
                    return index
        return 0

    # --- what is shown ----------------------------------------------------------------

    @property
    def chosen(self) -> RoutineRow | None:
        index = self.query_one("#routines", ListView).index
        if index is None or not 0 <= index < len(self.rows):
            return None
        return self.rows[index]

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        self.show_about()

    def show_about(self) -> None:
        """The chosen routine in full: its description, or everything wrong with it."""
        row = self.chosen
        about = self.query_one("#routine-about", Static)
        if row is None:
            about.update("[dim]No routines found.[/dim]")
            return
        where = f"yours: {_tilde(row.entry.path)}" if row.mine else "comes with calmflow"
        if row.loaded is not None:
            routine = row.loaded.routine
            head = f"[b]{escape(row.entry.name)}[/b] · {length_text(routine)} · {escape(where)}"
            about.update(f"{head}\n{escape(_one_line(routine.description))}")
            return
        first = row.problems[0]
        more = len(row.problems) - 1
        check = escape(f"`calmflow check {row.entry.name}`")
        about.update(
            "\n".join(
                [
                    f"[b]{escape(row.entry.name)}[/b] cannot be played: "
                    + escape(problem_text(first)),
                    f"{more} more; {check} lists them all."
                    if more
                    else f"Mend it and press Enter; {check} checks it.",
                    f"[dim]{escape(where)}[/dim]",
                ]
            )
        )

    def next_due(self) -> list[str]:
        """When the next session is due and what could help now (a catch-up, one
        power-pumping session, a pump part due): a few calm lines, none without a
        schedule or anything due."""
        from calmflow.core.schedule import CATCH_UP_ROUTINE, POWER_ROUTINE
        from calmflow.services.care import care_summary_line
        from calmflow.services.schedule import current_supply_flag
        from calmflow.system import wallclock
        from calmflow.text.schedule import CATCH_UP_WORDS, clock_time, next_lines

        store = self.calm_app.store
        lines: list[str] = []
        self._suggested = None
        try:
            found = self._status(store)
            care = care_summary_line(store)
            supply = current_supply_flag(store)
        except StoreError:
            return []
        if found is not None:
            said = next_lines(found)
            lines += said[:1]
            today = wallclock.local(found.now).date()
            if found.suggest_catch_up:
                self._suggested = CATCH_UP_ROUTINE
                lines.append(
                    f"Missed at {', '.join(clock_time(m) for m in found.missed[-2:])}:"
                    f" pump as soon as you can. {CATCH_UP_ROUTINE}{self._length(CATCH_UP_ROUTINE)}"
                    f" is chosen: {CATCH_UP_WORDS}. Enter starts it."
                )
            power_day = found.suggest_power_pumping_on
            if power_day == today and self._suggested is None:
                self._suggested = POWER_ROUTINE
                lines.append(
                    "After the missed sessions, one power-pumping session today can help;"
                    " it is chosen: Enter starts it."
                )
            elif power_day is not None:
                when = "today" if power_day == today else "tomorrow"
                lines.append(
                    f"After the missed sessions, one power-pumping session {when} can help."
                )
        if supply is not None:
            lines.append(
                f"Your last 3 days averaged {supply.share:.0%} of your usual output;"
                " worth a look: how often you pumped, the flange fit and the pump parts"
                " (c, Care), and rest."
            )
        if care:
            lines.append(care)
        return lines

    def _length(self, name: str) -> str:
        """' (21:00)': how long the routine called `name` plays, if it can be played."""
        for row in self.rows:
            if row.entry.name == name and row.loaded is not None:
                return f" ({length_text(row.loaded.routine)})"
        return ""

    @staticmethod
    def _status(store: Store) -> Status | None:
        from calmflow.services.schedule import current_status

        found = current_status(store)
        return None if found is None else found[0]

    def show_next_due(self) -> None:
        lines = self.next_due()
        line = self.query_one("#next-due", Static)
        line.display = bool(lines)
        line.update("\n".join(escape(text) for text in lines))
        if self._suggested is not None:
            for index, row in enumerate(self.rows):
                if row.entry.name == self._suggested:
                    self.query_one("#routines", ListView).index = index
                    self.show_about()
                    break

    def show_recent(self, records: list[SessionRecord] | StoreError | None = None) -> None:
        recent = self.query_one("#recent", Static)
        if records is None:
            records = self._records()
        if isinstance(records, StoreError):
            recent.update(f"[b]The log cannot be read[/b]: {escape(str(records))}")
            return
        try:
            fed = last_feeds(self.calm_app.store, RECENT)
        except StoreError as exc:
            recent.update(f"[b]The log cannot be read[/b]: {escape(str(exc))}")
            return
        now = self.calm_app.store.now()  # the store's clock: fixed in tests
        table = recent_table(records, fed, now, count=RECENT, name_width=NAME_WIDTH[1])
        if table is None:
            recent.update("[dim]No sessions yet. Your sessions will be listed here.[/dim]")
            return
        recent.update(table)

    # --- keys -------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        routines = self.query_one("#routines", ListView)
        routines.focus()
        if step < 0:
            routines.action_cursor_up()
        else:
            routines.action_cursor_down()

    def action_start(self) -> None:
        row = self.chosen
        if row is not None:
            self.start(row)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        row = self.chosen  # a click selects and highlights the same item
        if row is not None:
            self.start(row)

    def start(self, row: RoutineRow) -> None:
        """Start `row`'s routine as it is on disk now (it may have been edited since)."""
        fresh = read_row(row.entry)
        if fresh.loaded is None:
            index = self.rows.index(row)
            self.rows[index] = fresh
            self.show_about()
            self.notify(
                escape(f"{row.entry.name} cannot be played: {fresh.problems[0]}"),
                severity="error",
                timeout=8,
            )
            return
        self.calm_app.play(fresh.loaded)

    def action_review(self) -> None:
        from calmflow.ui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen())

    def action_sessions(self) -> None:
        from calmflow.ui.screens.sessions import SessionsScreen

        self.app.push_screen(SessionsScreen())

    def action_care(self) -> None:
        from calmflow.ui.screens.care import CareScreen

        self.app.push_screen(CareScreen())

    def action_log_feed(self) -> None:
        """`b`: a breastfeed now (home_feed), with `u` to take it back for a while."""
        try:
            self._logged_feed, said = log_feed_now(self.calm_app.store, self.calm_app.clock())
        except (StoreError, ValueError) as exc:  # a log that cannot be written; a clock off
            self.notify(escape(f"The feed was not logged: {exc}"), severity="error", timeout=10)
            return
        self.notify(said, timeout=FEED_UNDO_S)
        self.set_timer(FEED_UNDO_S, self._show_keys)
        self._show_keys()
        self.show_next_due()
        self.show_recent()

    def action_undo_feed(self) -> None:
        """`u`: the breastfeed `b` logged, exactly that one, taken back."""
        logged, self._logged_feed = self._logged_feed, None
        self._show_keys()
        if logged is None:
            return
        try:
            self.notify(take_back(self.calm_app.store, logged))
        except StoreError as exc:
            self.notify(escape(f"The feed was not taken back: {exc}"), severity="error", timeout=10)
            return
        self.show_next_due()
        self.show_recent()

    def _can_undo_feed(self) -> bool:
        logged = self._logged_feed
        return logged is not None and logged.can_undo(self.calm_app.clock())

    def _show_keys(self) -> None:
        """The key bar, with `u` while the feed just logged can be taken back."""
        undo = (UNDO_FEED_KEY,) if self._can_undo_feed() else ()
        bar = self.query_one("#keys", KeyBar)
        bar.keys = (*HOME_KEYS[:-1], *undo, HOME_KEYS[-1])
        bar.refresh()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`u` works only while the feed just logged can be taken back."""
        return self._can_undo_feed() if action == "undo_feed" else True

    def action_schedule(self) -> None:
        from calmflow.ui.screens.schedule import ScheduleScreen

        self.app.push_screen(ScheduleScreen())

    def start_by_name(self, name: str) -> None:
        """Start the routine listed as `name` (from the command palette)."""
        for index, row in enumerate(self.rows):
            if row.entry.name == name:
                self.query_one("#routines", ListView).index = index
                self.start(row)
                return


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tilde(path: Path) -> str:
    """A path under the home folder written with ~, as it is typed."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)
