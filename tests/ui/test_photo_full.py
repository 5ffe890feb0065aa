"""z: the baby's photo fills the screen, in its own proportions, with the
breathing guide as its thin border; the pump setting and the keys stay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from rich.text import Text

from calmflow.ui import night
from calmflow.ui.widgets.photo import Photo
from tests.conftest import ROOT
from tests.ui.driving import after, notice, playing, text, tick
from tests.ui.test_night import too_bright

ROUTINE = """\
name: photo
breathing: {inhale_s: 4, exhale_s: 4}
cues:
  baby: {photo: "bundled:calm.png", at: 1s}
phases:
  - {name: Settle, kind: prep, duration: 40s, cues: [baby]}
  - {name: Stimulation, kind: stimulation, duration: 20s}
"""


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "photo.yaml"
    path.write_text(ROUTINE)
    return path


async def drawn(app: Any, pilot: Any, photo: Photo) -> Text:
    for _ in range(200):
        await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        shown = photo.render()
        key = photo._key
        if isinstance(shown, Text) and "▀" in shown.plain and key and key[1:] == photo._box():
            return shown
    raise AssertionError("the photo was not drawn at its size")


def picture_size(shown: Text) -> tuple[int, int]:
    """Cells wide and pixels high of the picture drawn."""
    rows = [row for row in shown.plain.split("\n") if "▀" in row]
    return max(row.count("▀") for row in rows), 2 * len(rows)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_z_fills_the_screen_with_the_photo_in_its_proportions(home, routine, clock, size):
    async with playing(routine, clock, size=size) as (app, pilot, screen):
        await after(3, clock, pilot, screen)
        photo = screen.query_one(Photo)
        before = picture_size(await drawn(app, pilot, photo))
        await pilot.press("z")
        await tick(pilot, screen)
        after_z = picture_size(await drawn(app, pilot, photo))
        assert notice(screen) == "Photo full screen: the border breathes; z for the guide"
        assert photo.region.width >= size[0] - 2  # across the screen
        assert after_z[0] * after_z[1] > 1.5 * before[0] * before[1]
        # The picture's own proportions, to within a pixel's rounding.
        with Image.open(ROOT / "media" / "calm.png") as image:
            ratio = image.width / image.height
        assert after_z[0] / after_z[1] == pytest.approx(ratio, abs=2 / after_z[1] * ratio + 0.03)
        # The pump setting and the way out stay on the screen.
        assert screen.query_one("#pump").region.height >= 1
        assert text(screen, "#pump") == "pump off"
        assert (
            not screen.query_one("#breathing").display
            or not screen.query_one("#breathing").region.height
        )


async def test_the_border_breathes(home, routine, clock):
    async with playing(routine, clock) as (app, pilot, screen):
        await after(2.2, clock, pilot, screen)
        await pilot.press("z")
        photo = screen.query_one(Photo)
        colours, titles = set(), set()
        for moment in (8.1, 9.0, 10.0, 11.5, 12.2, 13.0, 14.0, 15.5):  # one breath: in, out
            clock.now = 1000.0 + moment
            await tick(pilot, screen)
            assert photo.frame is not None
            colours.add(photo.frame[0])
            titles.add(photo.frame[1])
            top = app.screen._compositor.render_strips()[photo.region.y].text
            assert photo.frame[1] in top and "╭" in top  # drawn on the frame
        assert len(colours) >= 3  # brighter as the lungs fill, dimmer as they empty
        assert titles == {"breathe in", "breathe out"}
        await pilot.press("z")
        await tick(pilot, screen)
        assert screen.query_one("#breathing").display and screen.query_one("#guide").region.width
        assert photo.frame is None


async def test_the_full_photo_at_night_is_dim(home, routine, clock):
    async with playing(routine, clock, size=(120, 40), night=True) as (app, pilot, screen):
        await after(3, clock, pilot, screen)
        await pilot.press("z")
        await tick(pilot, screen)
        await drawn(app, pilot, screen.query_one(Photo))
        await pilot.pause()
        assert app.theme == night.NAME
        assert too_bright(app) == {}
