"""The review screen and the sessions list, as a person uses them from home."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from calmflow.audio.output import NullOutput
from calmflow.core.records import AfterSession
from calmflow.core.values import ML_PER_OZ
from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.ui.app import CalmflowApp, make_app
from calmflow.ui.screens.help import HelpScreen
from calmflow.ui.screens.home import HomeScreen
from calmflow.ui.screens.review import ReviewScreen
from calmflow.ui.screens.session_edit import LetdownsScreen, VolumeScreen
from calmflow.ui.screens.sessions import SessionsScreen
from calmflow.ui.screens.welcome import remember_welcome
from calmflow.ui.widgets.date_chart import DateChart
from calmflow.ui.widgets.sentences import Sentences
from tests.conftest import ManualClock
from tests.ui.driving import db_rows
from tests.ui.seeding import NOW, Past, log, three_weeks
from tests.ui.test_home import _colours, _grey


@contextlib.asynccontextmanager
async def at_home(
    clock: ManualClock, size: tuple[int, int] = (80, 24)
) -> AsyncIterator[tuple[CalmflowApp, Any]]:
    remember_welcome(paths.database_path())  # not the very first start
    app = make_app(
        store=Store(paths.database_path(), clock=lambda: NOW),
        output_factory=lambda plan: NullOutput(plan.rate, clock=clock),
        clock=clock,
    )
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        yield app, pilot


async def settled(app: CalmflowApp, pilot: Any) -> None:
    """Wait for the log to be read (a thread) and the result drawn."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def open_review(app: CalmflowApp, pilot: Any) -> ReviewScreen:
    await pilot.press("r")
    await settled(app, pilot)
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    return screen


async def open_sessions(app: CalmflowApp, pilot: Any) -> SessionsScreen:
    await pilot.press("s")
    await settled(app, pilot)
    screen = app.screen
    assert isinstance(screen, SessionsScreen)
    return screen


def table_rows(screen: Any, selector: str) -> list[str]:
    """Each row of a table as one line of its cells' text (two-line cells joined)."""
    table = screen.query_one(selector, DataTable)
    return [
        "  ".join(str(cell).replace("\n", " ") for cell in table.get_row_at(i))
        for i in range(table.row_count)
    ]


def shown(screen: Any, selector: str) -> str:
    widget = screen.query_one(selector)
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


# --- the review -----------------------------------------------------------------------


async def test_review_from_home_shows_the_table_and_the_comparison(home, clock):
    log(paths.database_path(), three_weeks())
    async with at_home(clock) as (app, pilot):
        screen = await open_review(app, pilot)
        assert "Reading your sessions" not in shown(screen, "#review-body")
        assert "22 sessions" in str(screen.query_one("#review-title", Static).render())
        rows = table_rows(screen, "#review-table")
        # All 22; 21 with a let-down (Wilson 95%: 78%-99%); per session 41 let-downs / 22.
        assert re.match(r"all sessions  22  95% 78%–99%  ", rows[0]), rows[0]
        assert rows[0].endswith("1.9  99 ml 20 logged"), rows[0]  # 80, 82, ... 118 ml
        assert rows[1].startswith("Routines")
        assert rows[2].startswith("quick  1  100% ")
        assert rows[3].startswith("standard  21  95% ")
        assert rows[4].startswith("With each cue")
        # The photo's ten sessions: first let-downs 60, 65, ... 105 s: median 1:20.
        assert re.match(r"baby-photo  10  100% 72%–100%  1:20 \d:\d\d–\d:\d\d  2.0  ", rows[5]), (
            rows[5]
        )
        sentences = screen.query_one(Sentences).plain
        assert sentences.startswith("• With baby-photo, let-down came sooner: median 1 m 20 s")
        assert "10 vs 11 sessions" in " ".join(sentences.split())
        day = shown(screen, "#review-day")
        assert "Sessions by time of day: 11 in the morning, 1 in the afternoon" in day
        assert "Your typical first let-down:" in day
        assert screen.query_one("#chart-letdown", DateChart).points
        volumes = screen.query_one("#chart-volume", DateChart).points
        assert len(volumes) == 10 and volumes[0][1] == 80 + 82  # two sessions a day


async def test_a_sentence_is_never_cut_inside_a_time(home, clock):
    log(paths.database_path(), three_weeks())
    for width in (60, 64, 70, 80, 100):
        async with at_home(clock, size=(width, 30)) as (app, pilot):
            screen = await open_review(app, pilot)
            for line in screen.query_one(Sentences).plain.splitlines():
                assert not re.search(r"\d+ m$|^\s*s\b|^\s*\d+ s\b", line), (width, line)
                assert len(line) <= width


async def test_no_sessions_says_so_calmly_without_empty_charts(home, clock):
    async with at_home(clock) as (app, pilot):
        screen = await open_review(app, pilot)
        assert "No finished sessions yet" in shown(screen, "#review-status")
        assert not screen.query_one("#review-table").display
        assert not screen.query_one("#review-charts").display


async def test_without_volumes_the_volume_chart_is_a_sentence(home, clock):
    log(paths.database_path(), [Past(NOW - timedelta(days=1), letdowns_s=(90.0,))])
    async with at_home(clock) as (app, pilot):
        screen = await open_review(app, pilot)
        chart = screen.query_one("#chart-volume", DateChart)
        assert not chart.query_one(".chart-plot").display
        assert "No volumes logged yet" in str(chart.query_one(".chart-empty", Static).render())
        assert screen.query_one("#chart-letdown", DateChart).query_one(".chart-plot").display


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_or_q_goes_back_home(home, clock, key):
    async with at_home(clock) as (app, pilot):
        await open_review(app, pilot)
        await pilot.press(key)
        assert isinstance(app.screen, HomeScreen)


async def test_help_and_the_palette_know_the_review(home, clock):
    async with at_home(clock) as (app, pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Review" in titles and "Sessions" in titles
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "r  How your routines and cues compare" in app.screen.text
        await pilot.press("escape")
        await open_review(app, pilot)
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.title_text == "Review"
        assert "Esc  Back to the routines (q too)" in help_screen.text
        assert "s  Your sessions: delete one" in help_screen.text


# --- the sessions list -----------------------------------------------------------------


async def test_sessions_are_listed_newest_first(home, clock):
    log(paths.database_path(), three_weeks())
    async with at_home(clock) as (app, pilot):
        screen = await open_sessions(app, pilot)
        rows = table_rows(screen, "#sessions-table")
        assert len(rows) == 22
        assert rows[0].startswith("today 06:30  quick  1 let-down  0:45")
        assert rows[1].startswith("yesterday 13:30  standard  no let-down")
        assert rows[2].endswith("118 ml  ")  # the last of the twenty, with its volume


async def test_delete_asks_once_then_the_session_is_gone(home, clock):
    ids = log(paths.database_path(), three_weeks())
    newest = ids[-1]
    async with at_home(clock) as (app, pilot):
        screen = await open_sessions(app, pilot)
        await pilot.press("d")
        assert db_rows(f"SELECT id FROM sessions WHERE id = {newest}")  # only asked
        assert any("Press d again" in n.message for n in app._notifications)
        await pilot.press("d")
        await pilot.pause()
        assert not db_rows(f"SELECT id FROM sessions WHERE id = {newest}")
        assert not db_rows(f"SELECT 1 FROM letdowns WHERE session_id = {newest}")
        assert len(table_rows(screen, "#sessions-table")) == 21
        assert db_rows("SELECT count(*) FROM sessions") == [(21,)]


async def test_a_press_on_another_session_does_not_confirm(home, clock):
    log(paths.database_path(), three_weeks())
    async with at_home(clock) as (app, pilot):
        await open_sessions(app, pilot)
        await pilot.press("d", "down", "d")
        await pilot.pause()
        assert db_rows("SELECT count(*) FROM sessions") == [(22,)]


async def test_a_forgotten_volume_is_fixed_and_stored(home, clock):
    ids = log(paths.database_path(), three_weeks())
    quick = ids[-1]  # logged without a volume
    async with at_home(clock) as (app, pilot):
        screen = await open_sessions(app, pilot)
        await pilot.press("v")
        form = app.screen
        assert isinstance(form, VolumeScreen)
        assert form.query_one("#total", Input).has_focus
        await pilot.press(*"95", "enter")
        await pilot.pause()
        assert app.screen is screen
        assert db_rows(f"SELECT volume_total_ml, volume_unit FROM sessions WHERE id = {quick}") == [
            (95.0, "ml")
        ]
        assert table_rows(screen, "#sessions-table")[0].endswith("95 ml  ")


async def test_a_volume_in_oz_is_shown_in_oz_and_stored_in_ml(home, clock):
    [sid] = log(
        paths.database_path(),
        [Past(NOW - timedelta(hours=2), answers=AfterSession.from_entry(2, 1.5, None, "oz"))],
    )
    async with at_home(clock) as (app, pilot):
        await open_sessions(app, pilot)
        await pilot.press("v")
        form = app.screen
        assert isinstance(form, VolumeScreen)
        assert form.query_one("#left", Input).value == "2"
        assert form.query_one("#right", Input).value == "1.5"
        assert form.query_one("#total", Input).value == ""  # left + right: follows them
        form.query_one("#right", Input).value = "2.5"
        await pilot.press("enter")
        await pilot.pause()
    [(left, right, total, unit)] = db_rows(
        "SELECT volume_left_ml, volume_right_ml, volume_total_ml, volume_unit FROM sessions"
    )
    assert (left, right, unit) == (pytest.approx(2 * ML_PER_OZ, abs=0.1), 73.9, "oz")
    assert total == pytest.approx(4.5 * ML_PER_OZ, abs=0.1)
    assert sid == 1


async def test_a_volume_that_cannot_be_right_is_refused_and_nothing_changes(home, clock):
    log(paths.database_path(), three_weeks())
    async with at_home(clock) as (app, pilot):
        await open_sessions(app, pilot)
        await pilot.press("v", *"9000", "enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VolumeScreen)  # still open, saying why
        assert "cannot be right" in str(form.query_one("#form-error", Static).render())
        await pilot.press("escape")  # a volume was typed: Esc asks once
        await pilot.pause()
        assert "without saving" in str(form.query_one("#form-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)
    assert db_rows("SELECT volume_total_ml FROM sessions ORDER BY id DESC LIMIT 1") == [(None,)]


async def test_a_mistaken_letdown_mark_is_taken_back(home, clock):
    ids = log(paths.database_path(), three_weeks())
    with_photo = ids[18]  # two let-downs: 105 and 505 s, the fourth newest session
    async with at_home(clock) as (app, pilot):
        screen = await open_sessions(app, pilot)
        await pilot.press("down", "down", "down", "enter")
        marks = app.screen
        assert isinstance(marks, LetdownsScreen)
        assert marks.record.id == with_photo
        assert table_rows(marks, "#letdowns-table") == [
            "1  1:45  Stimulation  baby-photo",
            "2  8:25  Expression  baby-photo",
        ]
        await pilot.press("d", "d")
        await pilot.pause()
        assert db_rows(f"SELECT number, t_s FROM letdowns WHERE session_id = {with_photo}") == [
            (2, 505.0)
        ]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        row = table_rows(screen, "#sessions-table")[3]
        assert "1 let-down  8:25" in row


async def test_changes_from_the_review_are_in_the_review_when_back(home, clock):
    log(paths.database_path(), three_weeks())
    async with at_home(clock) as (app, pilot):
        review = await open_review(app, pilot)
        await open_sessions(app, pilot)
        await pilot.press("d", "d")
        await pilot.pause()
        await pilot.press("escape")
        await settled(app, pilot)
        assert app.screen is review
        assert "21 sessions" in str(review.query_one("#review-title", Static).render())


async def test_sessions_past_the_first_page_are_listed_as_one_scrolls(home, clock, monkeypatch):
    from calmflow.ui.screens import sessions

    log(
        paths.database_path(),
        [Past(NOW - timedelta(hours=5 * i), letdowns_s=(60.0,)) for i in range(7)],
    )
    monkeypatch.setattr(sessions, "PAGE", 3)
    async with at_home(clock) as (app, pilot):
        screen = await open_sessions(app, pilot)
        assert len(table_rows(screen, "#sessions-table")) == 3
        assert "3 of 7 listed" in str(screen.query_one("#sessions-more", Static).render())
        await pilot.press("down", "down")
        assert len(table_rows(screen, "#sessions-table")) == 6
        await pilot.press("down", "down", "down")
        assert len(table_rows(screen, "#sessions-table")) == 7
        assert not screen.query_one("#sessions-more").display


@pytest.mark.parametrize("no_color", [False, True])
async def test_no_color_draws_the_review_and_its_charts_without_colour(
    home, clock, monkeypatch, no_color
):
    log(paths.database_path(), three_weeks())
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    async with at_home(clock, size=(100, 60)) as (app, pilot):  # charts and all on screen
        screen = await open_review(app, pilot)
        assert screen.query_one("#chart-letdown").region.bottom <= 60
        coloured = {c for c in _colours(app.export_screenshot()) if not _grey(c)}
    if no_color:
        assert not coloured
    else:
        assert coloured


async def test_while_the_log_is_read_the_screen_says_so_and_answers_keys(home, clock, monkeypatch):
    import threading

    from calmflow.ui.screens import review

    log(paths.database_path(), three_weeks())
    go_on = threading.Event()
    slow_load = review.load_review

    def load(app: CalmflowApp) -> Any:
        go_on.wait(10)
        return slow_load(app)

    monkeypatch.setattr(review, "load_review", load)
    async with at_home(clock) as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert "Reading your sessions…" in shown(screen, "#review-status")
        await pilot.press("escape")  # not held up by the reading
        assert isinstance(app.screen, HomeScreen)
        go_on.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_session_logged_by_hand_shows_its_counted_letdowns(home, clock):
    from calmflow.services.exchange.manual import manual_session

    store = Store(paths.database_path(), clock=lambda: NOW)
    store.add_sessions(
        [
            manual_session(
                now=NOW,
                at=NOW - timedelta(hours=1),
                minutes=15,
                left=None,
                right=None,
                total=90,
                unit="ml",
                letdowns=2,
                notes="",
            )
        ]
    )
    store.close()
    async with at_home(clock) as (app, pilot):
        screen = await open_sessions(app, pilot)
        [row] = table_rows(screen, "#sessions-table")
        assert "manual  2 let-downs" in row and row.endswith("90 ml  by hand")
        await pilot.press("enter")
        marks = app.screen
        assert isinstance(marks, LetdownsScreen)
        assert "Logged by hand: 2 let-downs counted" in shown(marks, "#letdowns-about")
        await pilot.press("d", "d")  # nothing to take back: nothing happens
        await pilot.press("escape")
        assert app.screen is screen
