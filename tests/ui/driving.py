"""Driving the app as a person would, on a manual clock: shared by the UI tests."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from textual.widgets import Static

from calmflow.audio.output import NullOutput, Output
from calmflow.core.routine_loading import LoadedRoutine, load_routine
from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.ui.app import CalmflowApp, make_app
from calmflow.ui.screens.player import PlayerScreen
from calmflow.ui.widgets.big_text import BigText
from tests.conftest import ManualClock

SIZE = (80, 24)


def app_for(
    routine: Path,
    clock: ManualClock,
    output: Callable[[], Output] | None = None,
    store: Store | None = None,
    night: bool | None = None,
) -> CalmflowApp:
    """The app playing `routine`; silent on `clock` unless `output` makes the sound;
    in the night palette if `night`."""

    def factory(_: LoadedRoutine) -> Output:
        return output() if output is not None else NullOutput(48_000, clock=clock)

    return make_app(
        store=store or Store(paths.database_path()),
        loaded=load_routine(routine),
        output_factory=factory,
        clock=clock,
        night=night,
    )


async def started(pilot, app: CalmflowApp) -> PlayerScreen:  # type: ignore[no-untyped-def]
    for _ in range(200):
        screen = app.screen
        if isinstance(screen, PlayerScreen) and screen._ticking:
            return screen
        await pilot.pause(0.01)
    raise AssertionError("the player did not start")


_say = PlayerScreen.say


def _say_and_keep(
    self: PlayerScreen, text: str, topic: str = "info", *, warning: bool = False
) -> None:
    """PlayerScreen.say, keeping each notice in `told` as well (from the first tick)."""
    self.__dict__.setdefault("told", []).append(text)
    _say(self, text, topic, warning=warning)


PlayerScreen.say = _say_and_keep  # type: ignore[method-assign]


def told(app: CalmflowApp) -> list[str]:
    """Everything told so far: the player's notice line, then pop-up notifications."""
    said = [t for s in app.screen_stack for t in getattr(s, "told", [])]
    return said + [str(n.message) for n in app._notifications]


def notice(screen: PlayerScreen) -> str:
    """The notice line as it stands ('' when empty)."""
    return text(screen, "#notice")


@contextlib.asynccontextmanager
async def playing(
    routine: Path,
    clock: ManualClock,
    *,
    output: Callable[[], Output] | None = None,
    size: tuple[int, int] = SIZE,
    night: bool | None = None,
) -> AsyncIterator[tuple[CalmflowApp, Any, PlayerScreen]]:
    """The app, its pilot and the player screen, once the session has started."""
    app = app_for(routine, clock, output, night=night)
    async with app.run_test(size=size, notifications=True) as pilot:
        yield app, pilot, await started(pilot, app)


async def tick(pilot, screen: PlayerScreen) -> None:  # type: ignore[no-untyped-def]
    screen.tick()
    await pilot.pause()


async def after(seconds: float, clock: ManualClock, pilot, screen: PlayerScreen) -> None:  # type: ignore[no-untyped-def]
    """Let `seconds` of the session pass and redraw."""
    clock.advance(seconds)
    await tick(pilot, screen)


def text(screen: PlayerScreen, selector: str) -> str:
    """What a line of the screen says, in words (big letters read as their words)."""
    widget = screen.query_one(selector)
    if isinstance(widget, BigText):
        return widget.plain
    assert isinstance(widget, Static), selector
    return str(widget.render())


def db_rows(query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(paths.database_path()) as conn:
        return conn.execute(query).fetchall()
