"""Big letters for what must be read at arm's length: the pump setting and the
breathing word; ordinary text where they do not fit."""

from __future__ import annotations

import pytest

from calmflow.ui.widgets.big_text import HEIGHT, BigText, big
from tests.ui.driving import after, playing, text


def test_the_block_font_draws_words_three_rows_high():
    rows = big("Breathe in")
    assert rows is not None and len(rows) == HEIGHT
    assert len({len(row) for row in rows}) == 1
    assert rows[0].startswith("█▀▄")  # B
    assert big("expression mode") is not None and big("pump off") is not None
    assert big("wie geht's? ✓") is None  # a character it has no letter for


@pytest.mark.parametrize(
    ("size", "large"), [((120, 40), True), ((80, 24), True), ((60, 20), False), ((40, 12), False)]
)
async def test_the_pump_setting_and_breathing_word_are_big_where_there_is_room(
    home, standard_routine, clock, size, large
):
    async with playing(standard_routine, clock, size=size) as (app, pilot, screen):
        await after(1.5, clock, pilot, screen)  # breathing in
        await pilot.press("n")  # stimulation
        await after(0.5, clock, pilot, screen)
        pump, step = screen.query_one("#pump", BigText), screen.query_one("#step", BigText)
        assert text(screen, "#pump").startswith("stimulation mode: ")
        lines = [s.text for s in app.screen._compositor.render_strips()]
        banner = lines[pump.region.y : pump.region.bottom]
        if large:
            assert pump.region.height == HEIGHT + 1 and step.region.height == HEIGHT + 1
            big_mode = big("stimulation mode")
            assert big_mode is not None and big_mode[0] in banner[0]
            assert "fast, light suction" in banner[-1]
        else:  # whole, in ordinary letters, on as few lines as it takes
            assert any("stimulation mode: fast" in row for row in banner), banner
            assert step.region.height == 1
            assert "breathe" in lines[step.region.y]
        assert pump.region.right <= size[0] and step.region.right <= size[0]
