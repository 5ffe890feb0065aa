"""The player at 3 a.m.: the pump setting never hidden, a notice for every key
and gone once it no longer holds, a key bar that always ends with ?, and one way
to end a session (q twice, ctrl+c, ctrl+q)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.screens.help import keys_of
from calmflow.ui.screens.player import PlayerScreen
from calmflow.ui.widgets.key_bar import KeyBar
from tests.conftest import ROOT
from tests.ui.driving import after, db_rows, notice, playing, text, tick, told

ROUNDS = """\
version: 1
name: rounds
description: A rest and a pump, twice.
breathing:
  inhale_s: 1
  exhale_s: 2
phases:
  - name: Settle
    kind: prep
    duration: 3s
    prompt: Settle in.
  - repeat: 2
    phases:
      - name: Rest
        kind: rest
        duration: 3s
        prompt: Rest.
      - name: Pump
        kind: pump
        duration: 3s
        prompt: Pump.
"""


def _screen_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_the_pump_setting_is_a_banner_that_notices_never_cover(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await pilot.press("n")  # into stimulation
        await pilot.press("space")  # a let-down: on to expression
        await tick(pilot, screen)
        pump = screen.query_one("#pump").region
        line = screen.query_one("#notice").region
        setting = text(screen, "#pump")
        assert setting.startswith("expression mode")
        assert notice(screen).startswith("Let-down 1 marked at")
        assert not pump.overlaps(line)
        assert not line.overlaps(screen.query_one("#prompt").region)
        assert line.y > pump.bottom  # the notice is below, the setting on top
        assert not app._notifications  # no pop-up over anything
        # What is drawn: the setting whole, on its own line, with the notice apart.
        lines = _screen_lines(app)
        detail = setting.partition(": ")[2]
        banner = lines[pump.y : pump.bottom]
        assert any(detail in row for row in banner), banner  # under the big letters
        assert all(row.strip() for row in banner[:3]), banner
        # The rule's own words are not repeated: the banner says where it went.
        assert not any("switch to expression" in m for m in told(app))
        await after(2.5, clock, pilot, screen)  # the rest of the phase: still there
        assert screen.query_one("#pump").region == pump
        assert text(screen, "#pump") == setting


async def test_a_notice_goes_when_what_it_told_is_undone(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(4.0, clock, pilot, screen)
        await pilot.press("space")
        assert "Let-down 1 marked" in notice(screen)
        await pilot.press("u")
        assert "marked at" not in notice(screen)
        assert notice(screen).startswith("Let-down mark removed · 0 so far")


async def test_press_q_again_is_gone_once_the_form_opens(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(1.0, clock, pilot, screen)
        await pilot.press("q")
        assert notice(screen) == "Press q again to finish the session"
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        assert notice(screen) == ""
        assert not any("again" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (60, 20), (40, 12)])
async def test_the_key_bar_always_ends_with_help(home, standard_routine, clock, size):
    async with playing(standard_routine, clock, size=size) as (app, pilot, screen):
        await tick(pilot, screen)
        bar = screen.query_one(KeyBar)
        line = _screen_lines(app)[bar.region.y].rstrip()
        help_keys = " ".join(k.keys for k in keys_of(screen))
        title = text(screen, "#title")
        top = _screen_lines(app)[0]
        shown = bar.shown()
        # The lowest line that is not the bar is on the screen (nothing scrolled off).
        assert screen.query_one("#prompt").region.bottom <= bar.region.y
    assert line.endswith("? Help"), line
    for key in shown[:-1]:  # every key on the bar is told in ? help too
        assert all(part in help_keys for part in key.key.replace("space", "Space")), key
    assert [k.key for k in shown][:1] == ["space"] and "q" in [k.key for k in shown]
    if size[0] >= 120:
        assert len(shown) == 12  # every key, and ?
    # Drawn whole: what does not fit (the count, then the routine) is left out.
    assert "Settle" in title and "…" not in top and title in top


async def test_a_phase_counting_its_own_rounds_is_not_counted_twice(home, tmp_path, clock):
    path = Path(tmp_path / "rounds.yaml")
    path.write_text(ROUNDS)
    async with playing(path, clock) as (app, pilot, screen):
        await after(3.5, clock, pilot, screen)
        assert text(screen, "#title") == "rounds · Rest (1 of 2)"


async def test_plus_at_the_top_and_keys_with_no_sound_still_answer(home, clock):
    silent = ROOT / "routines" / "silent.yaml"
    async with playing(silent, clock) as (app, pilot, screen):
        await after(2.0, clock, pilot, screen)
        assert text(screen, "#status") == "no sound in this routine"
        await pilot.press("minus")
        assert notice(screen) == "No sound: volume kept for next time (71%)"
        await pilot.press("plus")
        assert notice(screen) == "No sound: volume kept for next time (100%)"
        await pilot.press("plus")  # at the top already
        assert notice(screen) == "Volume 100%: as loud as the routine goes"
        await pilot.press("m")
        assert notice(screen) == "No sound: kept for next time (muted)"
        assert "71%" not in text(screen, "#status") and "default" not in text(screen, "#status")


async def test_ctrl_c_ends_the_session_as_q_twice_does(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(2.0, clock, pilot, screen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)  # the form offered
        assert not any("ctrl+q" in str(n.message).lower() for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert any(
            str(n.message).startswith("Session saved (0:02 played, 0 let-downs)")
            for n in app._notifications
        )
    assert db_rows("SELECT status, played_s FROM sessions") == [("finished_early", 2.0)]


async def test_ctrl_q_ends_and_saves_the_session_and_says_so_first(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(4.0, clock, pilot, screen)
        await pilot.press("space")
        await pilot.press("ctrl+q")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert db_rows("SELECT status FROM sessions") == [("finished_early",)]
        assert app.return_code is None  # still on the screen, saying so
        assert (
            "Session saved (0:04 played, 1 let-down, the first at 0:04). Closing calmflow."
            in messages
        )
        for _ in range(100):
            await pilot.pause(0.05)
            if app.return_code is not None:
                break
    assert app.return_code == 0
    assert isinstance(screen, PlayerScreen)


async def test_a_narrow_title_leaves_out_the_count_before_the_phase(home, standard_routine, clock):
    async with playing(standard_routine, clock, size=(40, 12)) as (app, pilot, screen):
        await pilot.press("n")  # Stimulation, the second of four
        assert text(screen, "#title") == "standard · Stimulation"
        assert "standard · Stimulation" in _screen_lines(app)[0]


OPEN = """\
version: 1
name: open
breathing:
  inhale_s: 1
  exhale_s: 2
phases:
  - name: Stimulation
    kind: stimulation
    duration: 3s
  - name: Flowing
    kind: expression
    duration: 3s
    open_ended: true
    prompt: Keep going while milk flows.
"""


async def test_an_open_ended_phase_counts_down_then_shows_how_long_it_has_gone_on(
    home, tmp_path, clock
):
    path = Path(tmp_path / "open.yaml")
    path.write_text(OPEN)
    async with playing(path, clock, size=(80, 24)) as (app, pilot, screen):
        await after(1, clock, pilot, screen)
        assert "session 0:05+ left" in text(screen, "#times")
        await after(4, clock, pilot, screen)
        assert "phase 0:01 left" in text(screen, "#times")
        await after(12, clock, pilot, screen)
        assert text(screen, "#times") == "on while milk flows (+0:11) · f when it stops"
        assert not screen.player.ended
        await pilot.press("q", "q")
        await tick(pilot, screen)
        assert db_rows("SELECT status FROM sessions") == [("completed",)]


async def test_the_phase_name_is_in_big_letters_on_a_tall_screen_only(
    home, standard_routine, clock
):
    for size, shown in (((120, 40), True), ((80, 24), False)):
        async with playing(standard_routine, clock, size=size) as (app, pilot, screen):
            await after(1, clock, pilot, screen)
            phase = screen.query_one("#phase")
            assert phase.display is shown, size
            if shown:
                assert (phase.words, phase._drawn_big) == ("Settle", True)
                lines = _screen_lines(app)
                assert all(set(line) & set("▀▄█") for line in lines[2:5]), lines[:6]
