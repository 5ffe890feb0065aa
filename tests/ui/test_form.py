"""The form after a session, filled with the keyboard alone, as a tired person would."""

from __future__ import annotations

import json

from click.testing import CliRunner

from calmflow.cli import main
from calmflow.ui.screens.after_session import AfterSessionScreen
from tests.ui.driving import after, db_rows, playing


async def test_every_answer_by_keyboard_in_a_few_keys(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(2.0, clock, pilot, screen)
        await pilot.press("q", "q")
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        # left 60, right 55, (no total: the sum), unit as it was, comfort 4,
        # relaxed 5, D-MER ticked, then Enter from the notes: 16 keys
        await pilot.press("6", "0", "tab", "5", "5", "tab", "tab", "tab")
        await pilot.press("4", "tab", "5", "tab", "space", "tab", "enter")
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
