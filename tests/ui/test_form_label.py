"""The form after a session, saved with a volume: its confirmation on the home
screen carries the label to write on the milk's container, long enough to copy it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calmflow.system import wallclock
from calmflow.text.milk_label import GUIDANCE
from calmflow.ui.screens.after_session import AfterSessionScreen
from calmflow.ui.screens.home import HomeScreen
from tests.conftest import ManualClock
from tests.ui.driving import after, started
from tests.ui.test_home import at_home, choose, user_routine

BERLIN = ZoneInfo("Europe/Berlin")
LABEL = (
    "Pumped Fri 23 Oct 06:10 · room temperature until 10:10 · fridge until Tue 27 Oct 05:10"
    " · freezer best by 23 Apr 2027 (up to 23 Oct 2027)"
)
"""Pumped on the Friday before Berlin's clocks go back: 96 hours on, the clock
shows an hour earlier."""


@pytest.fixture
def in_berlin(home: Path, short_routine: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The session starts at 06:10 on 23 October 2026 in Berlin, on a 24-hour clock;
    the short test routine is the person's own, 'mine'."""
    started_at = datetime(2026, 10, 23, 6, 10, tzinfo=BERLIN).astimezone(UTC)
    monkeypatch.setattr(wallclock, "now", lambda: started_at)
    monkeypatch.setattr(wallclock, "zone", lambda: BERLIN)
    monkeypatch.setattr(wallclock, "twelve_hour", lambda: False)
    user_routine(home, "mine", short_routine.read_text())
    yield


async def _saved(clock: ManualClock, *keys: str) -> tuple[list[tuple[str, float]], str]:
    """A session of 'mine' from home, its form filled with `keys`: the pop-ups shown
    then (words, seconds), and the text drawn in them back home."""
    async with at_home(clock) as (app, pilot, home):
        await choose(pilot, home, "mine")
        await pilot.press("enter")
        player = await started(pilot, app)
        await after(2.0, clock, pilot, player)
        await pilot.press("q", "q")
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        await pilot.press(*keys)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        notes = [(str(n.message), n.timeout) for n in app._notifications]
        drawn = " ".join(_plain(toast) for toast in app.screen.query("Toast"))
    return notes, " ".join(drawn.split())


def _plain(toast: Any) -> str:
    return "\n".join(toast.render_line(y).text for y in range(toast.size.height))


async def test_a_volume_in_the_form_brings_the_label_to_the_confirmation(
    in_berlin: None, clock: ManualClock
) -> None:
    notes, drawn = await _saved(clock, "6", "0", "tab", "5", "5", "enter")
    said, seconds = notes[-1]
    lines = said.splitlines()
    assert lines[0].startswith("Session saved (")
    assert lines[1:] == [LABEL, GUIDANCE]
    assert seconds >= 60  # time to write it on the bottle
    assert " ".join(LABEL.split()) in drawn  # on the screen, whole
    assert "not a safety guarantee" in drawn


async def test_no_volume_no_label(in_berlin: None, clock: ManualClock) -> None:
    notes, drawn = await _saved(clock, "tab", "tab", "tab", "tab", "4", "enter")
    said, seconds = notes[-1]
    assert said.startswith("Session saved (") and "Pumped" not in said
    assert seconds == 6.0
    assert "Session saved" in drawn and "Pumped" not in drawn
