"""A session played in a child process, for a test to kill:
`python -m tests.faults.session_driver SEED ACKS [KILL_AT]`.

The app runs headless (Textual's test driver) with the real store in
CALMFLOW_HOME and the standard routine, on a clock moved by hand, so a session
of twenty minutes goes by in about two seconds of keys: let-downs, an undo,
pause, the volume, the finish and the after-session form. What the person has
been shown as done is appended to ACKS (one JSON line each, flushed to disk)
after it is done, and what is about to be done before it:

    {"doing": "letdown"}
    {"session": 3, "letdowns": [[1, 131.2]], "ended": false, "form": null}

CALMFLOW_FAULT_DISK ("FILL:FREE") fills the disk of CALMFLOW_HOME after key FILL
of the script and frees it after key FREE (never, if FREE is past the end):
the session goes on with a full disk for a while. What could not be saved by
the end is in `unsaved` of the last line (the message the person is given).

KILL_AT ("SQL-PREFIX:N") kills the process with SIGKILL right after the Nth
statement starting with SQL-PREFIX has run, inside its transaction: a kill in
the middle of a let-down's write, of the form's, of the session's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

from textual.widgets import Input

from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.ui.screens.after_session import AfterSessionScreen
from tests.conftest import ROOT, ManualClock
from tests.ui.driving import after, app_for, started

ROUTINE = ROOT / "routines" / "standard.yaml"
PACE_S = 0.04
"""Real time between keys, so that a kill at a random moment lands anywhere."""
FORM = {"left": "42", "right": "38.5", "comfort": "4", "notes": "killed?"}

KEYS = {
    "letdown": "space",
    "undo": "u",
    "pause": "p",
    "louder": "plus",
    "quieter": "minus",
    "mute": "m",
    "photo": "h",
}


def script(rng: random.Random) -> list[tuple[float, str]]:
    """(seconds of the session to let pass, key action): every kind of write, in a
    random order of random gaps, within the routine's twenty minutes; the undo
    comes right after the first let-down, within its ten seconds."""
    steps = [(rng.uniform(30, 90), "letdown"), (rng.uniform(1, 4), "undo")]
    for _ in range(rng.randint(3, 6)):
        steps.append((rng.uniform(20, 120), "letdown"))
    for extra in ("pause", "pause", "quieter", "louder", "mute", "mute", "photo"):
        if rng.random() < 0.6:
            steps.insert(rng.randrange(2, len(steps) + 1), (rng.uniform(1, 30), extra))
    return steps


class Acks:
    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def write(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def state(self, player: Any, form: dict[str, str] | None = None) -> None:
        plan = player.plan
        self.write(
            {
                "session": player.session_id,
                "letdowns": [[m.number, plan.seconds(m.frame)] for m in player.letdowns],
                "ended": player.ended,
                "form": form,
                "waiting": len(player._backlog),  # writes the log could not take yet
            }
        )


class KillingConnection:
    """A sqlite3 connection that kills its process after the Nth statement with a prefix."""

    def __init__(self, conn: Any, prefix: str, nth: int) -> None:
        self._conn, self._prefix, self._left = conn, prefix, nth

    def _after(self, sql: str) -> None:
        if sql.lstrip().startswith(self._prefix):
            self._left -= 1
            if self._left == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    def execute(self, sql: str, *args: Any) -> Any:
        result = self._conn.execute(sql, *args)
        self._after(sql)
        return result

    def executemany(self, sql: str, *args: Any) -> Any:
        result = self._conn.executemany(sql, *args)
        self._after(sql)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def fill_disk(folder: Path) -> None:
    """Write a file until the disk holding `folder` has no room left (a disk that
    has none already, not even for a new file's entry, is left as it is)."""
    try:
        with (folder / "filler").open("wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    except OSError:
        pass
    with contextlib.suppress(OSError), (folder / "filler2").open("wb") as f:
        while True:  # the last blocks, a byte at a time
            f.write(b"\0")
            f.flush()


def free_disk(folder: Path) -> None:
    for name in ("filler", "filler2"):
        (folder / name).unlink(missing_ok=True)


async def drive(seed: int, acks_path: Path, kill_at: str | None) -> None:
    rng = random.Random(seed)
    fill_at, _, free_at = os.environ.get("CALMFLOW_FAULT_DISK", "-1:-1").partition(":")
    clock = ManualClock()
    store = Store(paths.database_path())
    if kill_at:
        prefix, _, nth = kill_at.rpartition(":")
        store._conn = KillingConnection(store._conn, prefix, int(nth))  # type: ignore[assignment]
    acks = Acks(acks_path)
    app = app_for(ROUTINE, clock, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot, app)
        player = screen.player
        acks.state(player)
        for step, (gap_s, action) in enumerate(script(rng)):
            if step == int(fill_at):
                fill_disk(paths.home())
            if step == int(free_at):
                free_disk(paths.home())
            await after(gap_s, clock, pilot, screen)
            acks.write({"doing": action})
            await pilot.press(KEYS[action])
            acks.state(player)
            await asyncio.sleep(PACE_S)
        acks.write({"doing": "finish"})
        await pilot.press("q", "q")
        while not isinstance(app.screen, AfterSessionScreen):
            await pilot.pause(0.01)
        acks.state(player)
        await asyncio.sleep(4 * PACE_S)  # the form on the screen, being filled in
        for field, value in FORM.items():
            app.screen.query_one(f"#{field}", Input).value = value
            await asyncio.sleep(PACE_S)
        acks.write({"doing": "form"})
        await pilot.press("enter")
        await pilot.pause()
        acks.state(player, form=FORM)
    acks.write({"done": True, "unsaved": app.unsaved_message})


if __name__ == "__main__":
    asyncio.run(
        drive(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
    )
