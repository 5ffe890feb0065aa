"""How long the TUI review screen takes to open over seven years of sessions.

Run:  .venv/bin/python benchmarks/review_screen_speed.py [SESSIONS] [RUNS]
Builds the database of benchmarks/review_speed.py (20,000 sessions by default)
in a temporary CALMFLOW_HOME, opens the app headless at 80×24 (Textual's Pilot,
app.run_test) on the home screen, and RUNS times (3 by default) presses r and
waits until the review's table and charts are drawn; then the same for s, the
sessions list, until its table is drawn. Each run is a new app in this process,
so imports are paid once, before the first run (the startup benchmark times
those). Prints each run, the median and the target: the review in under 2 s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from review_speed import make_home

TARGET_S = 2.0
TIMEOUT_S = 60.0


async def time_screen(key: str, drawn: Callable[[Any], bool]) -> float:
    """Seconds from pressing `key` on home until `drawn(app)` and a frame is drawn."""
    from calmflow.audio.output import NullOutput
    from calmflow.store.store import Store
    from calmflow.system import paths
    from calmflow.ui.app import make_app

    app = make_app(
        store=Store(paths.database_path()),
        output_factory=lambda plan: NullOutput(plan.rate),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        began = time.perf_counter()
        await pilot.press(key)
        while not drawn(app):
            if time.perf_counter() - began > TIMEOUT_S:
                raise TimeoutError(f"{key}: not drawn in {TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.005)
        await pilot.pause()  # the frame with it is drawn
        took = time.perf_counter() - began
        app.store.close()
    return took


def review_drawn(app: Any) -> bool:
    from calmflow.ui.screens.review import ReviewScreen

    screen = app.screen
    return isinstance(screen, ReviewScreen) and screen.loaded is not None


def sessions_drawn(app: Any) -> bool:
    from textual.widgets import DataTable

    from calmflow.ui.screens.sessions import SessionsScreen

    screen = app.screen
    if not isinstance(screen, SessionsScreen):
        return False
    return bool(screen.query_one("#sessions-table", DataTable).row_count)


def measure(what: str, runs: int, key: str, drawn: Callable[[Any], bool]) -> list[float]:
    times = [asyncio.run(time_screen(key, drawn)) for _ in range(runs)]
    print(f"{what}:\n  runs (s): " + "  ".join(f"{t:.3f}" for t in times))
    return times


def main() -> None:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(tmp, sessions)
        os.environ["CALMFLOW_HOME"] = str(home)
        os.environ["TEXTUAL_ANIMATIONS"] = "none"
        asyncio.run(time_screen("r", review_drawn))  # imports and caches warm
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        review = measure("review screen, r to its figures drawn", runs, "r", review_drawn)
        median = statistics.median(review)
        verdict = "met" if median < TARGET_S else "NOT met"
        print(f"  median {median:.3f} s; target < {TARGET_S:.0f} s: {verdict}")
        listed = measure("sessions screen, s to its table drawn", runs, "s", sessions_drawn)
        print(f"  median {statistics.median(listed):.3f} s")


if __name__ == "__main__":
    main()
