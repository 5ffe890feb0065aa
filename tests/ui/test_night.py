"""The night palette: dim and warm, nothing on screen brighter than a relative
luminance of 110 of 255, the guide an outline; on by --night, CALMFLOW_NIGHT,
the clock (22:00 to 06:00), and switched with d while playing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.text import Text

from calmflow.system import wallclock
from calmflow.ui import night
from calmflow.ui.night import is_night as by_the_clock  # before conftest's daytime
from calmflow.ui.widgets.breath_guide import BreathGuide
from calmflow.ui.widgets.photo import Photo
from tests.ui.driving import after, notice, playing

ROUTINE = """\
name: night
cues:
  baby: {photo: "bundled:calm.png", at: 1s}
  words: {text: "Think of your baby's smell."}
phases:
  - {name: Settle, kind: prep, duration: 20s, cues: [baby, words]}
  - {name: Stimulation, kind: stimulation, duration: 20s}
  - {name: Expression, kind: expression, duration: 40s}
"""


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "night.yaml"
    path.write_text(ROUTINE)
    return path


def drawn_colours(app: Any) -> dict[tuple[int, int, int], str]:
    """Every colour in what the screen draws now, foreground and background, with
    a piece of text where it was seen."""
    seen: dict[tuple[int, int, int], str] = {}
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            for colour in (style.color, style.bgcolor):
                if colour is not None and not colour.is_default:
                    seen.setdefault(tuple(colour.get_truecolor()), segment.text)
    return seen


def too_bright(app: Any) -> dict[tuple[int, int, int], str]:
    return {
        rgb: where
        for rgb, where in drawn_colours(app).items()
        if night.luminance(rgb) > night.BRIGHTEST
    }


async def _photo_drawn(app: Any, pilot: Any, photo: Photo) -> None:
    for _ in range(200):
        await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        drawn = photo.render()
        if isinstance(drawn, Text) and "▀" in drawn.plain:
            return
    raise AssertionError("the photo was not drawn")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_nothing_drawn_at_night_is_brighter_than_110(home, routine, clock, size):
    async with playing(routine, clock, size=size, night=True) as (app, pilot, screen):
        await after(3, clock, pilot, screen)  # the photo, the pump setting just changed
        await _photo_drawn(app, pilot, screen.query_one(Photo))
        await pilot.pause()
        assert len(drawn_colours(app)) > 8  # the photo's shades and the text: it was drawn
        assert too_bright(app) == {}
        await pilot.press("n", "space")  # stimulation, a let-down: expression, a notice
        await after(1, clock, pilot, screen)
        assert "marked" in notice(screen)
        assert too_bright(app) == {}
        await pilot.press("question_mark")  # help, over the player
        await pilot.pause()
        assert too_bright(app) == {}


async def test_by_day_the_same_screen_is_brighter(home, routine, clock):
    """The measure can fail: the day palette has brighter colours than 110."""
    async with playing(routine, clock, night=False) as (app, pilot, screen):
        await after(3, clock, pilot, screen)
        await _photo_drawn(app, pilot, screen.query_one(Photo))
        await pilot.pause()
        assert too_bright(app) != {}


async def test_d_switches_the_night_palette_and_the_guide_becomes_an_outline(home, routine, clock):
    async with playing(routine, clock, night=False) as (app, pilot, screen):
        await after(3, clock, pilot, screen)
        guide = screen.query_one(BreathGuide)
        disc = "".join(strip.text for strip in guide.render_lines(guide.region.reset_offset))
        await pilot.press("d")
        await pilot.pause()
        assert app.theme == night.NAME and screen.has_class("night") and guide.outline
        assert notice(screen) == "Night colours: d for the usual ones"
        ring = "".join(strip.text for strip in guide.render_lines(guide.region.reset_offset))
        assert ring.count("█") < disc.count("█") / 2  # an outline, not a filled disc
        await pilot.press("d")
        await pilot.pause()
        assert app.theme == "textual-dark" and not guide.outline
        assert notice(screen) == "Usual colours"


@pytest.mark.parametrize(
    ("hour", "expected"), [(21, False), (22, True), (3, True), (5, True), (6, False), (12, False)]
)
def test_the_night_is_22_to_6_on_the_persons_clock(monkeypatch, hour, expected):
    monkeypatch.setenv("TZ", "America/New_York")
    # 05:00 UTC is midnight in New York (EST): the person's clock decides, not UTC.
    moment = datetime(2025, 1, 15, hour, 30, tzinfo=wallclock.named("America/New_York"))
    assert by_the_clock(moment.astimezone(UTC)) is expected


async def test_at_night_the_palette_comes_on_by_itself_and_says_so(
    home, routine, clock, monkeypatch
):
    monkeypatch.setattr(night, "is_night", lambda moment=None: True)  # 02:00, say
    async with playing(routine, clock) as (app, pilot, screen):
        await after(1, clock, pilot, screen)
        assert app.theme == night.NAME
        assert "Night colours" in " ".join(getattr(screen, "told", []))
    async with playing(routine, clock, night=False) as (app, pilot, screen):
        assert app.theme != night.NAME  # --day, CALMFLOW_NIGHT=0: as asked


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["play", "standard", "--night"], {}, True),
        (["play", "standard"], {"CALMFLOW_NIGHT": "1"}, True),
        (["play", "standard", "--day"], {"CALMFLOW_NIGHT": "1"}, False),
        (["play", "standard"], {}, None),
        (["--night"], {}, True),
        ([], {"CALMFLOW_NIGHT": "1"}, True),
        ([], {}, None),
    ],
)
def test_night_from_the_command_line_and_the_environment(home, monkeypatch, args, env, expected):
    from calmflow.cli import main
    from calmflow.cli import play as play_command
    from calmflow.ui import app as app_module

    asked: list[bool | None] = []

    class Played:
        return_code = 0
        unsaved_message = None
        session_id = None
        theme = "textual-dark"

        def run(self) -> None:
            pass

    def make_app(**kwargs: Any) -> Played:
        asked.append(kwargs.get("night"))
        return Played()

    monkeypatch.setattr(play_command, "require_terminal", lambda: None)
    monkeypatch.setattr(app_module, "make_app", make_app)
    for name in ("CALMFLOW_NIGHT", "CALMFLOW_LIGHT"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert asked == [expected]


async def test_the_form_after_a_night_session_is_dim_too(home, routine, clock):
    async with playing(routine, clock, night=True) as (app, pilot, screen):
        await after(5, clock, pilot, screen)
        await pilot.press("q", "q")
        await pilot.pause()
        assert type(app.screen).__name__ == "AfterSessionScreen"
        assert too_bright(app) == {}


def test_every_colour_of_the_night_palette_is_dim():
    from textual.color import Color

    colours = dict(night.THEME.variables)
    for name in ("primary", "secondary", "accent", "warning", "error", "success"):
        colours[name] = getattr(night.THEME, name)
    for name, value in colours.items():
        if value.startswith("#"):
            rgb = Color.parse(value).rgb
            assert night.luminance(rgb) <= night.BRIGHTEST, (name, value)
