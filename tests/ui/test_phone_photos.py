"""A phone's photos in the player: an iPhone's HEIC and a WebP are shown, and a
photo taken with the phone on its side (its pixels stored sideways, with the
EXIF orientation saying how to turn them) shows upright, as it does on the phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from calmflow.engine.pictures import load_upright
from calmflow.ui.widgets.photo import Photo, decode
from tests.phone_media import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    near,
    write_heic,
    write_turned_jpeg,
    write_webp,
)
from tests.ui.driving import after, playing
from tests.ui.test_photo_full import drawn, picture_size

PHOTOS: dict[str, Callable[[Path], None]] = {
    "baby.heic": write_heic,
    "baby.webp": write_webp,
    "turned-6.jpg": lambda p: write_turned_jpeg(p, 6),
    "turned-8.jpg": lambda p: write_turned_jpeg(p, 8),
}


def _corners(rows: tuple[tuple[tuple[int, int, int], ...], ...]) -> list[tuple[int, int, int]]:
    """Top left, top right, bottom left, bottom right, a little in from the edges."""
    height, width = len(rows), len(rows[0])
    y0, y1, x0, x1 = height // 8, height - 1 - height // 8, width // 8, width - 1 - width // 8
    return [rows[y0][x0], rows[y0][x1], rows[y1][x0], rows[y1][x1]]


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_a_turned_jpeg_is_decoded_upright(tmp_path: Path, orientation: int) -> None:
    path = tmp_path / "baby.jpg"
    write_turned_jpeg(path, orientation)
    with Image.open(path) as stored:
        assert stored.size == ((60, 40) if orientation != 3 else (40, 60))  # as the camera saved it
    picture = load_upright(path)
    assert picture.size == (40, 60), "a portrait, as it was taken"
    corners = [picture.getpixel(xy) for xy in ((5, 5), (34, 5), (5, 54), (34, 54))]
    for got, expected in zip(corners, (RED, GREEN, BLUE, WHITE), strict=True):
        assert isinstance(got, tuple) and near(got, expected), (corners, orientation)
    # ...and so is what the player's photo draws, at the size it is drawn
    rows = decode(path, (20, 40))
    assert len(rows) > len(rows[0]), "taller than wide"
    for got, expected in zip(_corners(rows), (RED, GREEN, BLUE, WHITE), strict=True):
        assert near(got, expected), (_corners(rows), orientation)


ROUTINE = """\
name: phone
cues:
  baby: {{photo: {file}, at: 1s}}
phases:
  - {{name: Settle, kind: prep, duration: 40s, cues: [baby]}}
"""


@pytest.mark.parametrize("name", list(PHOTOS))
async def test_a_phones_photo_is_shown_in_the_player_upright(
    home: Path, tmp_path: Path, clock, name: str
) -> None:  # type: ignore[no-untyped-def]
    PHOTOS[name](tmp_path / name)
    routine = tmp_path / "phone.yaml"
    routine.write_text(ROUTINE.format(file=name))
    async with playing(routine, clock, size=(100, 30)) as (app, pilot, screen):
        await after(3, clock, pilot, screen)
        photo = screen.query_one(Photo)
        shown = await drawn(app, pilot, photo)
        cells_wide, pixels_high = picture_size(shown)
        assert pixels_high > cells_wide, "a portrait, standing up"
        corners = _corners(photo._pixels)
        for got, expected in zip(corners, (RED, GREEN, BLUE, WHITE), strict=True):
            assert near(got, expected), corners
