"""The player as a person uses it: keys in, what the screen and the log show."""

from __future__ import annotations

import pytest
from textual.widgets import Input, RadioButton, Static

from calmflow.audio.output import NullOutput, OutputUnavailable
from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.screens.player import PlayerScreen
from calmflow.ui.widgets.breath_guide import BreathGuide
from tests.ui.driving import after, db_rows, playing, text, tick, told


async def test_screen_shows_phase_times_pump_hint_and_prompt(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(3.5, clock, pilot, screen)  # into the stimulation phase
        assert "Stimulation" in text(screen, "#title")
        assert "phase 0:03 left" in text(screen, "#times")
        assert "session 0:06 left" in text(screen, "#times")
        assert text(screen, "#pump") == "stimulation mode: fast, light suction"
        assert text(screen, "#prompt") == "Light and fast."


async def test_breath_guide_grows_on_inhale_and_shrinks_on_exhale(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        guide = screen.query_one(BreathGuide)
        seen = []
        # The short routine breathes 1 s in, 2 s out.
        for t in (0.25, 0.5, 0.75, 1.5, 2.0, 2.5):
            clock.now = 1000.0 + t
            await tick(pilot, screen)
            seen.append((guide.level, text(screen, "#step")))
        levels = [level for level, _ in seen]
        assert levels[0] < levels[1] < levels[2]
        assert levels[3] > levels[4] > levels[5]
        assert [step.split(" · ")[0] for _, step in seen] == ["breathe in"] * 3 + [
            "breathe out"
        ] * 3
        assert seen[3][1] == "breathe out · 2"  # 1.5 s of the exhale still to go, counted up
        assert seen[5][1] == "breathe out · 1"


async def test_space_marks_a_letdown_at_once_in_the_database(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(4.0, clock, pilot, screen)
        await pilot.press("space")
        # Written when the key is pressed, visible to any other reader at once.
        rows = db_rows("SELECT number, t_s, phase, phase_kind FROM letdowns")
        assert rows == [(1, 4.0, "Stimulation", "stimulation")]
        assert "Let-downs: 1" in text(screen, "#letdowns")
        assert "0:04" in text(screen, "#letdowns")
        # During stimulation, a let-down moves on to expression.
        await tick(pilot, screen)
        assert "Expression" in text(screen, "#title")
        assert text(screen, "#pump").startswith("expression mode")


async def test_pause_stops_the_clock_and_resume_goes_on(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(1.0, clock, pilot, screen)
        await pilot.press("p")
        assert "Paused" in text(screen, "#status")
        await after(30.0, clock, pilot, screen)
        assert "session 0:08 left" in text(screen, "#times")
        await pilot.press("p")
        await after(1.0, clock, pilot, screen)
        assert "session 0:07 left" in text(screen, "#times")
        kinds = [k for (k,) in db_rows("SELECT kind FROM session_events ORDER BY id")]
        assert kinds.count("pause") == 1 and kinds.count("resume") == 1


async def test_n_goes_to_the_next_phase(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(1.0, clock, pilot, screen)
        await pilot.press("n")
        assert "Stimulation" in text(screen, "#title")
        assert "phase 0:03 left" in text(screen, "#times")


async def test_q_asks_once_then_the_form_saves_volumes(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(2.0, clock, pilot, screen)
        await pilot.press("q")
        assert isinstance(app.screen, PlayerScreen)  # one q only asks
        await pilot.press("q")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, AfterSessionScreen)
        form.query_one("#left", Input).value = "1.5"
        form.query_one("#right", Input).value = "1"
        form.query_one("#unit-oz", RadioButton).value = True
        form.query_one("#notes", Input).value = "warm shower first"
        await pilot.press("enter")
        await pilot.pause()
    rows = db_rows(
        "SELECT status, played_s, volume_left_ml, volume_right_ml, volume_total_ml,"
        " volume_unit, notes FROM sessions"
    )
    assert rows == [("finished_early", 2.0, 44.4, 29.6, 74.0, "oz", "warm shower first")]


async def test_escape_skips_the_form_and_keeps_the_session(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(4.0, clock, pilot, screen)
        await pilot.press("space")
        await after(20.0, clock, pilot, screen)  # past the routine's end
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        await pilot.press("escape")
        await pilot.pause()
    rows = db_rows("SELECT status, volume_total_ml FROM sessions")
    assert rows == [("completed", None)]
    assert db_rows("SELECT count(*) FROM letdowns") == [(1,)]


async def test_a_wrong_volume_is_explained_not_saved(home, short_routine, clock):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await pilot.press("q", "q")
        await pilot.pause()
        form = app.screen
        form.query_one("#total", Input).value = "5000"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        assert "cannot be right" in str(form.query_one("#form-error", Static).render())
    assert screen.player.session_id is not None


class _NoSound:
    """An output whose sound card cannot be opened, as on a machine without one."""

    name = "device"
    rate = 48_000
    guard_frames = 0

    def start(self, timeline: object) -> None:
        raise OutputUnavailable("no sound output could be opened (no device)")


async def test_without_sound_the_routine_goes_on_and_says_so_once(home, short_routine, clock):
    async with playing(short_routine, clock, output=_NoSound) as (app, pilot, screen):  # type: ignore[arg-type]
        await after(1.0, clock, pilot, screen)
        await after(3.0, clock, pilot, screen)
        await pilot.press("space")
        shown = told(app)
        status = text(screen, "#status")
    warnings = [m for m in shown if m.startswith("No sound")]
    assert len(warnings) == 1, shown
    assert "no device" in warnings[0]
    assert status == "No sound: playing silently; let-downs are logged as usual"
    assert db_rows("SELECT output FROM sessions") == [("null",)]
    assert db_rows("SELECT count(*) FROM letdowns") == [(1,)]


class _SkippingCard(NullOutput):
    """A sound card whose callback is sometimes late: underruns rise as a test says."""

    device_name = "Built-in Audio"
    skipped = 0

    def underruns(self) -> int:
        return self.skipped


async def test_sound_skips_are_shown_quietly_and_only_once_there_are_some(
    home, short_routine, clock
):
    card = _SkippingCard(48_000, clock=clock, name="device")
    async with playing(short_routine, clock, output=lambda: card) as (app, pilot, screen):
        await after(1.0, clock, pilot, screen)
        assert text(screen, "#underruns") == ""
        assert text(screen, "#status") == "sound: Built-in Audio"
        card.skipped = 1
        await after(1.0, clock, pilot, screen)
        assert text(screen, "#underruns") == "the sound skipped once"
        card.skipped = 3
        await after(1.0, clock, pilot, screen)
        assert text(screen, "#underruns") == "the sound skipped 3 times"
        assert text(screen, "#status") == "sound: Built-in Audio"  # both on one line
        region = screen.query_one("#underruns").region
        assert region.right <= 80 and region.bottom <= 23
        shown = told(app)
        await pilot.press("q", "q")
        await pilot.pause()
    assert not any("skip" in m for m in shown)  # a quiet line, never a pop-up
    assert db_rows("SELECT underruns FROM sessions") == [(3,)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_everything_fits_on_screen(home, standard_routine, clock, size):
    async with playing(standard_routine, clock, size=size) as (app, pilot, screen):
        await tick(pilot, screen)  # the first figures drawn and laid out
        for selector in ("#title", "#times", "#step", "#pump", "#prompt", "#letdowns"):
            region = screen.query_one(selector).region
            assert region.height >= 1, selector
            assert region.bottom <= size[1] - 1, selector  # above the footer
