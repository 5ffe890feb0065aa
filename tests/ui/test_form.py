"""The form after a session, filled with the keyboard alone, as a tired person would."""

from __future__ import annotations

import json

from click.testing import CliRunner
from textual.widgets import Static

from calmflow.cli import main
from calmflow.core.records import AfterSession
from calmflow.system import paths
from calmflow.ui.screens.after_session import LEAVE_ASK, AfterSessionScreen
from calmflow.ui.screens.form import FormCheckbox, FormRadioButton
from tests.ui import seeding
from tests.ui.driving import after, db_rows, playing

VOLUMES = "SELECT volume_total_ml, volume_unit FROM sessions ORDER BY id"


async def _at_the_form(app, pilot, screen, clock) -> AfterSessionScreen:  # type: ignore[no-untyped-def]
    await after(2.0, clock, pilot, screen)
    await pilot.press("q", "q")
    await pilot.pause()
    assert isinstance(app.screen, AfterSessionScreen)
    return app.screen


async def test_every_answer_by_keyboard_in_a_few_keys(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(2.0, clock, pilot, screen)
        await pilot.press("q", "q")
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        # left 60, right 55, (no total: the sum), unit as it was, comfort 4 and
        # relaxed 5 (each digit moves on), D-MER ticked, Enter from its box: 13 keys
        await pilot.press("6", "0", "tab", "5", "5", "tab", "tab", "tab")
        await pilot.press("4", "5", "space", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    rows = db_rows(
        "SELECT volume_left_ml, volume_right_ml, volume_total_ml, volume_unit,"
        " comfort, relaxation, dmer FROM sessions"
    )
    assert rows == [(60.0, 55.0, 115.0, "ml", 4, 5, 1)]
    shown = json.loads(CliRunner().invoke(main, ["log", "--json"]).output)
    assert (shown[0]["comfort"], shown[0]["relaxation"], shown[0]["dmer"]) == (4, 5, True)


async def test_scores_take_only_one_to_five_and_d_mer_unticked_is_a_no(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await pilot.press("q", "q")
        await pilot.pause()
        await pilot.press("tab", "tab", "tab", "tab")  # left, right, total, unit: comfort
        await pilot.press("9", "0", "3", "enter")  # 9 and 0 are not taken
        await pilot.pause()
    assert db_rows("SELECT comfort, relaxation, dmer FROM sessions") == [(3, None, 0)]


async def test_skipping_the_form_leaves_how_it_felt_unknown(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await pilot.press("q", "q")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert db_rows("SELECT comfort, relaxation, dmer FROM sessions") == [(None, None, None)]


async def test_enter_on_the_unit_saves_in_the_unit_shown(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await _at_the_form(app, pilot, screen, clock)
        await pilot.press("7", "0", "tab", "tab", "tab", "enter")  # on Unit: ml, Enter
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    assert db_rows(VOLUMES) == [(70.0, "ml")]


async def test_right_on_the_unit_chooses_oz_at_once_and_log_shows_oz(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        form = await _at_the_form(app, pilot, screen, clock)
        await pilot.press("4", "tab", "tab", "tab", "right")
        assert form.query_one("#unit-oz", FormRadioButton).value
        assert not form.query_one("#unit-ml", FormRadioButton).value
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    assert db_rows(VOLUMES) == [(118.3, "oz")]
    listed = CliRunner().invoke(main, ["log"]).output
    assert "4 oz" in listed
    assert "118" not in listed


async def test_enter_on_d_mer_saves_and_keeps_the_tick(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        form = await _at_the_form(app, pilot, screen, clock)
        form.query_one("#dmer", FormCheckbox).focus()
        await pilot.press("space", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    assert db_rows("SELECT dmer FROM sessions") == [(1,)]


async def test_ticked_and_unticked_differ_in_their_characters(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        form = await _at_the_form(app, pilot, screen, clock)
        box = form.query_one("#dmer", FormCheckbox)
        assert "✓" not in str(box.render())
        box.value = True
        assert "✓" in str(box.render())
        unit_ml = form.query_one("#unit-ml", FormRadioButton)
        unit_oz = form.query_one("#unit-oz", FormRadioButton)
        assert "●" in str(unit_ml.render())
        assert "●" not in str(unit_oz.render())


async def test_a_digit_fills_the_rating_and_moves_on(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        form = await _at_the_form(app, pilot, screen, clock)
        form.query_one("#comfort").focus()
        await pilot.press("2")
        assert form.focused is not None and form.focused.id == "relaxation"
        await pilot.press("shift+tab", "4", "enter")  # a second digit replaces the first
        await pilot.pause()
    assert db_rows("SELECT comfort, relaxation FROM sessions") == [(4, None)]


async def test_esc_with_volumes_typed_asks_once(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        form = await _at_the_form(app, pilot, screen, clock)
        await pilot.press("6", "0", "escape")
        await pilot.pause()
        assert app.screen is form
        assert LEAVE_ASK in str(form.query_one("#form-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AfterSessionScreen)
    assert db_rows(VOLUMES) == [(None, None)]


async def test_the_unit_used_last_is_offered_again(home, short_routine, clock):
    seeding.log(
        paths.database_path(),
        [seeding.Past(seeding.NOW, answers=AfterSession.from_entry(None, None, 3, "oz"))],
    )
    async with playing(short_routine, clock) as (app, pilot, screen):
        form = await _at_the_form(app, pilot, screen, clock)
        assert form.query_one("#unit-oz", FormRadioButton).value
