"""What the player draws beyond words: the session's progress line and photo cues."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text

from calmflow.ui.widgets.photo import Photo
from calmflow.ui.widgets.progress import BOUNDARY, LETDOWN, PLAYED, SessionProgress
from tests.ui.driving import after, playing, text

ROUTINE = """\
name: visuals
cues:
  baby: {photo: "bundled:calm.png", at: 5s}
phases:
  - {name: Settle, kind: prep, duration: 20s}
  - {name: Stimulation, kind: stimulation, duration: 20s, cues: [baby]}
  - {name: Expression, kind: expression, duration: 40s}
"""


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "visuals.yaml"
    path.write_text(ROUTINE)
    return path


def _line(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(SessionProgress).render())


async def test_the_progress_line_shows_phases_time_played_and_each_letdown(home, routine, clock):
    async with playing(routine, clock) as (_app, pilot, screen):
        await after(1, clock, pilot, screen)
        line = _line(screen)
        width = len(line)
        assert width > 60  # across the screen at 80 columns
        # two phase changes, at a quarter and at half of the 80 s session
        assert [i for i, c in enumerate(line) if c == BOUNDARY] == [width // 4, width // 2]
        assert line.count(PLAYED) <= 1

        await after(29, clock, pilot, screen)  # 30 s in: stimulation
        screen.action_letdown()
        await pilot.pause()
        line = _line(screen)
        # the let-down moved the session on to expression: the line is redrawn
        # for the shorter session (70 s), the mark where it was pressed, which
        # is where expression now begins
        assert line.count(LETDOWN) == 1
        assert line.index(LETDOWN) == width * 30 // 70
        assert [i for i, c in enumerate(line) if c == BOUNDARY] == [width * 20 // 70]


async def test_a_photo_cue_is_drawn_at_its_time_and_h_hides_it(home, routine, clock):
    async with playing(routine, clock, size=(100, 30)) as (_app, pilot, screen):
        photo = screen.query_one(Photo)
        await after(21, clock, pilot, screen)  # stimulation, before the photo's 5 s
        assert not photo.display
        await after(5, clock, pilot, screen)
        assert photo.display
        for _ in range(400):  # decoded in a thread: give a busy machine time
            await pilot.pause(0.02)
            drawn = photo.render()
            if isinstance(drawn, Text) and "▀" in drawn.plain:
                break
        assert isinstance(drawn, Text) and "▀" in drawn.plain
        colours = {span.style.color for span in drawn.spans if span.style}
        assert len(colours) > 3, "a picture, not a block of one colour"
        assert "photo: baby" not in text(screen, "#cues")

        await pilot.press("h")
        assert not photo.display
        assert "photo: baby" in text(screen, "#cues")  # still said, just not drawn
        await pilot.press("h")
        assert photo.display


async def test_with_no_color_a_photo_is_drawn_in_shades_of_grey(home, routine, clock, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with playing(routine, clock, size=(100, 30)) as (app, pilot, screen):
        await after(26, clock, pilot, screen)
        photo = screen.query_one(Photo)
        for _ in range(100):
            await pilot.pause(0.02)
            await app.workers.wait_for_complete()
            drawn = photo.render()
            if isinstance(drawn, Text) and "▀" in drawn.plain:
                break
        assert isinstance(drawn, Text) and "▀" in drawn.plain, "the photo was not drawn"
        colours = {
            c.get_truecolor()
            for span in drawn.spans
            if span.style and not isinstance(span.style, str)
            for c in (span.style.color, span.style.bgcolor)
            if c is not None
        }
        assert len(colours) > 3, "a picture, not a block of one grey"
        assert all(r == g == b for r, g, b in colours), "greys only"


async def test_reduced_motion_shows_a_plain_count_and_nothing_that_moves(home, routine, clock):
    from calmflow.ui.widgets.breath_guide import BreathGuide
    from tests.ui.driving import app_for, started

    app = app_for(routine, clock)
    app.reduced_motion = True  # --reduced-motion
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot, app)
        await after(1, clock, pilot, screen)
        assert not screen.query_one(BreathGuide).display
        # the resonance pattern: 4 s in, so 3 s still to go 1 s in
        assert text(screen, "#step") == "breathe in · 3"
        await after(4, clock, pilot, screen)
        assert text(screen, "#step") == "breathe out · 5"


async def test_the_pump_setting_stays_large_and_is_marked_new_as_a_phase_begins(
    home, routine, clock
):
    async with playing(routine, clock) as (_app, pilot, screen):
        pump = screen.query_one("#pump")
        await after(1, clock, pilot, screen)
        assert pump.has_class("fresh")
        await after(10, clock, pilot, screen)
        assert not pump.has_class("fresh")
        assert pump.region.height == 3  # big letters for the whole phase
        await after(10, clock, pilot, screen)  # 21 s: stimulation has begun
        assert pump.has_class("fresh")
        assert "stimulation" in text(screen, "#pump").lower()
        # The mode in big letters (3 rows), the rest of the setting under them.
        assert pump.region.height == 4 and pump.has_class("big")


async def test_the_first_phase_is_drawn_before_the_sound_has_opened(home, routine, clock):
    """Opening a sound card takes half a second or more: the screen does not wait."""
    import threading

    from calmflow.audio.output import NullOutput
    from tests.ui.driving import app_for

    opened = threading.Event()

    class SlowToOpen(NullOutput):
        def start(self, timeline):  # type: ignore[no-untyped-def]
            opened.wait(5)
            super().start(timeline)

    app = app_for(routine, clock, output=lambda: SlowToOpen(48_000, clock=clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        screen = app.screen
        assert "visuals · Settle (1 of 3)" in text(screen, "#title")
        assert "Starting sound" in text(screen, "#status")
        opened.set()
        # Once it opens, the session starts ticking where the first frame left off.
        for _ in range(50):
            await pilot.pause(0.05)
            if "Starting sound" not in text(screen, "#status"):
                break
        assert "Starting sound" not in text(screen, "#status")
