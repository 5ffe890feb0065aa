"""The pump-care screen from home: sizes to try, parts, a new measurement."""

from __future__ import annotations

from textual.widgets import Input, Static

from calmflow.store.care import latest_measurements
from calmflow.ui.screens.care import NO_PARTS, CareScreen, MeasureScreen
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
        assert "No measurement yet" in _text(care, "#fit")
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
        fit = _text(care, "#fit")
        assert "Left, 18 mm" in fit and "Right, 19 mm" in fit
        assert "each side may suit its own flange size" in fit
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
