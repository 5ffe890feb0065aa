"""Review: what a person's own sessions say about each routine and cue.

The comparisons come first, in sentences; then the table they rest on, the time
of day and the typical let-down time, and two charts over time. The log is read
and the figures worked out in a thread, so a long log does not hold up the keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, cast

from rich.console import JustifyMethod
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from calmflow.core.review import Figures, Review, review_rows
from calmflow.store.db import StoreError
from calmflow.text.numbers import clock_text
from calmflow.text.review import (
    IN_TABLE,
    answer_sentences,
    median_parts,
    per_session_text,
    share_parts,
    time_of_day_text,
    typical_text,
)
from calmflow.ui.keys import SESSIONS, back
from calmflow.ui.safe import escape, plain
from calmflow.ui.widgets.date_chart import DateChart, Point
from calmflow.ui.widgets.sentences import Sentences

if TYPE_CHECKING:
    from calmflow.ui.app import CalmflowApp

NOTHING_YET = (
    "No finished sessions yet. Play a routine and mark each let-down with Space; "
    "this page then shows which routines and cues came with sooner let-downs, for you."
)
DAYS_BEFORE_WEEKS = 120
"""Past this many days of volumes, the chart shows each week's average day: a
year of single days would be a blur in a few dozen columns."""
TIME_STEPS_S = (10, 15, 30, 60, 120, 300, 600, 900, 1800)
VOLUME_STEPS_ML = (5, 10, 20, 25, 50, 100, 200, 250, 500)
NONE = "—"
NOTHING_TO_COMPARE = (
    "Nothing to compare yet: comparisons come once some sessions have a cue and others not, "
    "or a routine runs an experiment."
)
UNDER_THE_TABLE = (
    "In the table, the first let-down is the median time to it, counting the sessions"
    " without one up to their end (Kaplan-Meier); beneath each figure, dimmer, is its 95%"
    " interval, or for the volume the sessions with one logged. These are your own"
    " sessions only: a guide to what suits you, not a diagnosis."
)
"""What the table's figures mean (`calmflow review` says it under its own table)."""
ASK = "Pain, low output or worry about the baby: ask a lactation consultant."
LABEL_WIDTH = 16
COLUMNS = (
    ("label", ""),
    ("sessions", "sessions"),
    ("share", "had a\nlet-down"),
    ("median", "first\nlet-down"),
    ("per", "let-downs\neach"),
    ("volume", "volume"),
)
"""The table's columns: each figure with its interval or its count beneath it."""


@dataclass(frozen=True)
class Loaded:
    """The review, and the days of the first and last session it covers."""

    review: Review
    first_day: date | None
    last_day: date | None


def load_review(app: CalmflowApp) -> Loaded | StoreError:
    """Read the log and work out the review (slow on a long log: off the UI thread)."""
    from calmflow.services.experiments import experiment_reports

    try:
        rows = app.store.review_rows()
        experiments = experiment_reports(app.store)
    except StoreError as exc:
        return exc
    days = [r.day for r in rows[:1] + rows[-1:]]
    return Loaded(
        review_rows(rows, experiments=experiments),
        days[0] if days else None,
        days[-1] if days else None,
    )


class ReviewScreen(Screen[None]):
    BINDINGS = [back("the routines"), SESSIONS]
    HELP = (
        "What your own sessions say about each routine and cue. ↑ ↓, PgUp and PgDn scroll the page."
    )

    def __init__(self) -> None:
        super().__init__()
        self.loaded: Loaded | None = None

    @property
    def calm_app(self) -> CalmflowApp:
        return cast("CalmflowApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("[b]Review[/b]", id="review-title")
        with VerticalScroll(id="review-body"):
            yield Static("Reading your sessions…", id="review-status")
            yield Sentences(id="review-sentences", classes="review-part")
            with Horizontal(id="review-charts", classes="review-part"):
                yield DateChart("Time to the first let-down, by week", id="chart-letdown")
                yield DateChart("Volume per day", id="chart-volume")
            table: DataTable[str | Text] = DataTable(
                id="review-table",
                classes="review-part",
                show_cursor=False,
                cursor_type="none",
                zebra_stripes=False,
                header_height=2,
            )
            table.can_focus = False  # the page scrolls; the table has nothing to choose
            yield table
            yield Static(id="review-day", classes="review-part")
            yield Static(
                f"{escape(UNDER_THE_TABLE)}\n{escape(ASK)}",
                id="review-about",
                classes="review-part",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#review-body").focus()
        self._show_parts(False)
        self.app.theme_changed_signal.subscribe(self, lambda _: self._draw_charts())
        self.reload()

    def reload(self) -> None:
        self.query_one("#review-status", Static).update("Reading your sessions…")
        self.query_one("#review-status").display = True
        self._read()

    @work(thread=True, exclusive=True, group="review")
    def _read(self) -> Loaded | StoreError:
        return load_review(self.calm_app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "review" or event.state != WorkerState.SUCCESS:
            return
        result = event.worker.result
        if isinstance(result, StoreError):
            self._say(f"[b]The log cannot be read[/b]: {escape(str(result))}")
        elif isinstance(result, Loaded):
            self.show(result)

    # --- what is shown ----------------------------------------------------------------

    def _show_parts(self, shown: bool) -> None:
        for part in self.query(".review-part"):
            part.display = shown

    def _say(self, text: str) -> None:
        """Only `text` where the review would be."""
        self._show_parts(False)
        status = self.query_one("#review-status", Static)
        status.update(text)
        status.display = True

    def show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        result = loaded.review
        if not result.sessions:
            self.query_one("#review-title", Static).update("[b]Review[/b]")
            self._say(f"[dim]{NOTHING_YET}[/dim]")
            return
        self.query_one("#review-title", Static).update(
            f"[b]Review[/b] [dim]· {_sessions_words(result.sessions)}"
            f"{_span_words(loaded.first_day, loaded.last_day)}[/dim]"
        )
        self.query_one("#review-status").display = False
        self._show_parts(True)
        self.query_one("#review-sentences", Sentences).show(_sentences(result))
        self._fill_table(result)
        day = [escape(time_of_day_text(result))]
        typical = typical_text(result)
        if typical is not None:
            day.append(escape(typical))
        self.query_one("#review-day", Static).update("\n".join(day))
        self._draw_charts()

    def _fill_table(self, result: Review) -> None:
        table = cast("DataTable[str | Text]", self.query_one("#review-table", DataTable))
        table.clear(columns=True)
        for key, label in COLUMNS:
            right = key not in ("label", "median", "share")
            table.add_column(Text(label, justify="right" if right else "left"), key=key)
        table.add_row(*_cells(result.overall, bold=True), height=2)
        for heading, group in (("Routines", result.routines), ("With each cue", result.cues)):
            if group:
                table.add_row(Text(heading, style="italic"), height=1)
                for f in group:
                    table.add_row(*_cells(f), height=2)

    def _draw_charts(self) -> None:
        if self.loaded is None or not self.loaded.review.sessions:
            return
        result = self.loaded.review
        # Readable on the background in the dark and the light theme alike.
        colour = Color.parse(self.app.theme_variables.get("text-accent", "#888888")).rgb
        weekly: list[Point] = [
            (p.week, p.median_first_letdown_s)
            for p in result.weekly
            if p.median_first_letdown_s is not None
        ]
        self.query_one("#chart-letdown", DateChart).show(
            weekly,
            empty="No let-downs marked yet: each week's median time to the first one "
            "will be drawn here.",
            value_text=clock_text,
            steps=TIME_STEPS_S,
            colour=colour,
        )
        daily: list[Point] = [(d.day, d.total_ml) for d in result.daily_volume]
        title = "Volume per day (ml)"
        if len(daily) > DAYS_BEFORE_WEEKS:
            daily, title = _weekly_mean(daily), "Volume per day (ml, each week's average)"
        self.query_one("#chart-volume", DateChart).show(
            daily,
            title=title,
            empty="No volumes logged yet: the form after each session asks for one.",
            value_text=lambda ml: f"{ml:g}",
            steps=VOLUME_STEPS_ML,
            colour=colour,
        )

    # --- keys -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_sessions(self) -> None:
        from calmflow.ui.screens.sessions import SessionsScreen

        def done(changed: bool | None) -> None:
            if changed:
                self.reload()

        self.app.push_screen(SessionsScreen(), done)


def _cells(f: Figures, *, bold: bool = False) -> list[str | Text]:
    """A group's figures, each with what qualifies it (its interval, its sessions)
    beneath it, dimmer."""
    label = Text(plain(f.label), style="bold" if bold else "", overflow="ellipsis", no_wrap=True)
    label.truncate(LABEL_WIDTH, overflow="ellipsis")
    share = share_parts(f)
    median = median_parts(f, clock_text, IN_TABLE)
    return [
        label,
        Text(str(f.sessions), justify="right"),
        _two(share[0], f"{share[1]}–{share[2]}") if share else Text(NONE),
        _two(*median) if median else Text(NONE),
        Text(per_session_text(f, NONE), justify="right"),
        _two(f"{f.mean_volume_ml:.0f} ml", f"{f.volume_sessions} logged", justify="right")
        if f.mean_volume_ml is not None
        else Text(NONE, justify="right"),
    ]


def _two(value: str, under: str, justify: JustifyMethod = "left") -> Text:
    text = Text(value, justify=justify, no_wrap=True)
    if under:
        text.append("\n" + under, style="dim")
    return text


def _sentences(result: Review) -> list[tuple[str, bool]]:
    """The answer first: experiments, then what the hints found, then the rest muted."""
    return answer_sentences(result) or [(NOTHING_TO_COMPARE, True)]


def _sessions_words(count: int) -> str:
    return f"{count} session{'s' if count != 1 else ''}"


def _span_words(first: date | None, last: date | None) -> str:
    if first is None or last is None:
        return ""
    if first == last:
        return f", on {first.day} {first:%b %Y}"
    return f", {first.day} {first:%b %Y} to {last.day} {last:%b %Y}"


def _weekly_mean(days: Sequence[Point]) -> list[Point]:
    """Each week's average of the days with a volume, dated by its Monday."""
    weeks: dict[date, list[float]] = {}
    for day, value in days:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(value)
    return [(week, sum(values) / len(values)) for week, values in sorted(weeks.items())]
