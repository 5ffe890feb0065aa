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
from tests.conftest import ManualClock

SIZE = (80, 24)


def app_for(
    routine: Path,
    clock: ManualClock,
    output: Callable[[], Output] | None = None,
    store: Store | None = None,
) -> CalmflowApp:
    """The app playing `routine`; silent on `clock` unless `output` makes the sound."""

    def factory(_: LoadedRoutine) -> Output:
        return output() if output is not None else NullOutput(48_000, clock=clock)

    return make_app(
        store=store or Store(paths.database_path()),
        loaded=load_routine(routine),
        output_factory=factory,
        clock=clock,
    )


async def started(pilot, app: CalmflowApp) -> PlayerScreen:  # type: ignore[no-untyped-def]
    for _ in range(200):
        screen = app.screen
        if isinstance(screen, PlayerScreen) and screen._ticking:
            return screen
        await pilot.pause(0.01)
    raise AssertionError("the player did not start")


@contextlib.asynccontextmanager
async def playing(
    routine: Path,
    clock: ManualClock,
    *,
    output: Callable[[], Output] | None = None,
    size: tuple[int, int] = SIZE,
) -> AsyncIterator[tuple[CalmflowApp, Any, PlayerScreen]]:
    """The app, its pilot and the player screen, once the session has started."""
    app = app_for(routine, clock, output)
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
    return str(screen.query_one(selector, Static).render())


def db_rows(query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(paths.database_path()) as conn:
        return conn.execute(query).fetchall()
