"""A session ended in its first minute: the form asks whether to keep it in the
review, and the sessions list changes it later, as a tired person would, by keys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from textual.widgets import Button, Checkbox, Static

from calmflow.cli import main
from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.ui.app import CalmflowApp
from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.screens.help import HelpScreen
from calmflow.ui.screens.session_edit import LetdownsScreen
from tests.conftest import ManualClock
from tests.ui.driving import after, playing
from tests.ui.seeding import NOW
from tests.ui.test_review import at_home, open_sessions

KEEP = "Keep this short session in your review"
WHY = "It ended in its first minute, so it is left out of the review and the schedule"


async def _form_after_ending(
    app: CalmflowApp, pilot: Any, screen: Any, clock: ManualClock, seconds: float
) -> AfterSessionScreen:
    """Play `seconds` of the session, finish it with q q, and return the form."""
    await after(seconds, clock, pilot, screen)
    await pilot.press("q", "q")
    await pilot.pause()
    form = app.screen
    assert isinstance(form, AfterSessionScreen)
    return form


def _review_and_schedule() -> tuple[int, int, int]:
    """Sessions in the log, in the review, and in the schedule's last days."""
    store = Store(paths.database_path())
    try:
        since = store.now() - timedelta(days=1)
        return len(store.sessions()), len(store.review_rows()), len(store.started_since(since))
    finally:
        store.close()


def _log_text() -> str:
    done = CliRunner().invoke(main, ["log"])
    assert done.exit_code == 0, done.output
    return done.output


def _on_screen(form: AfterSessionScreen, size: tuple[int, int]) -> bool:
    """Whether the keep question and the save button are both within the terminal."""
    width, height = size
    return all(
        w.region.y >= 0 and w.region.bottom <= height and w.region.right <= width
        for w in (form.query_one("#keep", Checkbox), form.query_one("#save", Button))
    )


# --- at the end of the session ---------------------------------------------------------


async def test_a_session_ended_at_20_s_is_asked_about_and_left_out_unless_kept(
    home, standard_routine, clock
):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        form = await _form_after_ending(app, pilot, screen, clock, 20.0)
        keep = form.query_one("#keep", Checkbox)
        assert KEEP in str(keep.label)
        assert keep.value is False  # unticked unless the person keeps it
        assert WHY in str(form.query_one("#keep-about", Static).render())
        assert _on_screen(form, (80, 24))
        assert form.query_one("#left").has_focus  # volumes are typed as before
        await pilot.press("enter")  # saved as it is
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    assert _review_and_schedule() == (1, 0, 0)  # in the log, nowhere else
    assert "left out of the review" in _log_text()


async def test_shift_tab_then_space_keeps_it_and_enter_saves_from_the_box(
    home, standard_routine, clock
):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        form = await _form_after_ending(app, pilot, screen, clock, 20.0)
        await pilot.press("shift+tab")  # from the first box, back up to the question
        keep = form.query_one("#keep", Checkbox)
        assert keep.has_focus
        await pilot.press("space")
        assert keep.value is True
        await pilot.press("enter")  # saves, as from every box; does not untick it
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    assert _review_and_schedule() == (1, 1, 1)
    assert "left out" not in _log_text()


async def test_the_other_answers_are_saved_with_it(home, standard_routine, clock):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await _form_after_ending(app, pilot, screen, clock, 20.0)
        await pilot.press(*"40", "shift+tab", "space", "enter")
        await pilot.pause()
    store = Store(paths.database_path())
    [record] = store.sessions()
    assert (record.volume_left_ml, record.in_review) == (40.0, True)


async def test_skipping_the_form_leaves_it_out(home, standard_routine, clock):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await _form_after_ending(app, pilot, screen, clock, 20.0)
        await pilot.press("escape")
        await pilot.pause()
    assert _review_and_schedule() == (1, 0, 0)


async def test_a_full_session_is_not_asked_about_and_is_in_the_review(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(10.0, clock, pilot, screen)  # past the routine's 9 s
        await pilot.pause()
        form = app.screen
        assert isinstance(form, AfterSessionScreen)
        assert not form.query("#keep")
        assert not form.query("#keep-about")
        await pilot.press("enter")
        await pilot.pause()
    assert _review_and_schedule() == (1, 1, 1)
    assert "left out" not in _log_text()


async def test_a_session_ended_early_after_its_first_minute_is_not_asked_about(
    home, standard_routine, clock
):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        form = await _form_after_ending(app, pilot, screen, clock, 75.0)
        assert not form.query("#keep")
        await pilot.press("enter")
        await pilot.pause()
    assert _review_and_schedule() == (1, 1, 1)


# --- later, from the sessions list -----------------------------------------------------


def _log_two(path: Path) -> tuple[int, int]:
    """A full session last night, and one ended at 20 s this morning (listed first)."""
    moment = [NOW - timedelta(hours=12)]
    store = Store(path, clock=lambda: moment[0])
    ids = []
    for status, played_s in (("completed", 1200.0), ("finished_early", 20.0)):
        sid = store.start_session(
            routine="standard",
            routine_path=None,
            routine_digest=None,
            planned_s=1200.0,
            output="device",
        )
        moment[0] += timedelta(seconds=played_s)
        store.end_session(sid, status=status, played_s=played_s)
        moment[0] += timedelta(hours=10)
        ids.append(sid)
    store.close()
    return ids[0], ids[1]


def _about(marks: LetdownsScreen) -> str:
    return str(marks.query_one("#letdowns-about", Static).render())


def _review_ids() -> list[int]:
    store = Store(paths.database_path())
    try:
        return [row.id for row in store.review_rows()]
    finally:
        store.close()


async def test_r_in_a_sessions_details_keeps_it_in_the_review_and_leaves_it_out_again(home, clock):
    full, short = _log_two(paths.database_path())
    async with at_home(clock) as (app, pilot):
        sessions = await open_sessions(app, pilot)
        await pilot.press("enter")  # the newest: the short one
        marks = app.screen
        assert isinstance(marks, LetdownsScreen)
        assert marks.record.id == short
        assert "It ended in its first minute, so it is left out of your review" in _about(marks)
        assert "r keeps it in" in _about(marks)
        assert _review_ids() == [full]

        await pilot.press("r")
        await pilot.pause()
        assert _review_ids() == [full, short]
        assert "Kept in your review" in _about(marks)
        assert "Kept in your review." in [n.message for n in app._notifications]

        await pilot.press("r")
        await pilot.pause()
        assert _review_ids() == [full]
        assert "left out of your review" in _about(marks)

        await pilot.press("r", "escape")
        await pilot.pause()
        assert app.screen is sessions
        assert sessions.changed  # the review is worked out again on the way back
    assert _review_ids() == [full, short]


async def test_a_full_session_can_be_left_out_and_help_tells_the_key(home, clock):
    full, _ = _log_two(paths.database_path())
    async with at_home(clock) as (app, pilot):
        await open_sessions(app, pilot)
        await pilot.press("down", "enter")  # last night's full session
        marks = app.screen
        assert isinstance(marks, LetdownsScreen)
        assert marks.record.id == full
        assert "review" not in _about(marks)  # nothing to say about the usual
        await pilot.press("f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert "Keep this session in your review and the schedule, or leave it out" in (
            help_screen.text
        )
        await pilot.press("escape", "r")
        await pilot.pause()
        assert "It is left out of your review and the schedule. r keeps it in." in _about(marks)
    assert _review_ids() == []
