"""The pump-care screen from home: sizes to try, parts, a new measurement."""

from __future__ import annotations

from rich.console import Console
from textual.widgets import Input, Static

from calmflow.store.care import latest_measurements, parts
from calmflow.ui.screens.care import (
    NO_PARTS,
    CareScreen,
    FittedScreen,
    MeasureScreen,
    hanging_lines,
)
from calmflow.ui.screens.home import HomeScreen
from tests.ui.test_home import at_home


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_measurement_from_the_care_screen_gives_sizes_to_try(home, clock):
    async with at_home(clock) as (app, pilot, screen):
        await pilot.press("c")
        await pilot.pause()
        care = app.screen
        assert isinstance(care, CareScreen)
        assert "No measurement yet" in "\n".join(care.fit_text)
        assert "press m" in "\n".join(care.fit_text)
        assert _text(care, "#parts") == NO_PARTS
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MeasureScreen)
        # A slip (the areola measured) is said, and nothing is kept.
        await pilot.press(*"60", "enter")
        await pilot.pause()
        assert "cannot be right" in _text(app.screen, "#form-error")
        assert latest_measurements(app.store) == {}
        app.screen.query_one("#left", Input).value = "18"
        app.screen.query_one("#right", Input).value = "19"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is care
        assert {side: m.mm for side, m in latest_measurements(app.store).items()} == {
            "left": 18.0,
            "right": 19.0,
        }
        fit = "\n".join(care.fit_text)
        assert "Left, 18 mm" in fit and "Right, 19 mm" in fit
        assert "each side can have its own flange" in fit
        assert "calmflow" not in fit
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_part_fitted_is_added_then_marked_replaced_with_one_key(home, clock):
    async with at_home(clock) as (app, pilot, screen):
        await pilot.press("c")
        await pilot.pause()
        care = app.screen
        assert "calmflow parts" not in NO_PARTS and "Press a" in NO_PARTS
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, FittedScreen)
        await pilot.press("down", "enter")  # the second kind: valves and membranes
        await pilot.pause()
        assert app.screen is care
        [part] = parts(app.store)
        assert (part.kind, part.fittings) == ("valve-membrane", 1)
        assert "valves and membranes" in _text(care, "#parts")
        await pilot.press("a", "down", "enter")
        await pilot.pause()
        [part] = parts(app.store)
        assert part.fittings == 2  # the same part, fitted anew: its days start again
        await pilot.press("a", "escape")
        await pilot.pause()
        assert app.screen is care and len(parts(app.store)) == 1


def test_bullets_on_the_care_screen_wrap_under_their_text():
    console = Console(width=40, record=True, color_system=None)
    console.print(hanging_lines(["A fit:", "  - " + "word " * 20]))
    lines = console.export_text().splitlines()
    assert lines[1].startswith("  - word")
    assert all(line.startswith("    word") for line in lines[2:] if line.strip())
