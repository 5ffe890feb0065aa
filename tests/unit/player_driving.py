"""A Player on a manual clock with no sound, ticked as the player screen ticks it,
and what its session left in the log: shared by the tests of the session's rules
through the Player and by the model-based tests (test_session_model.py).

The clock counts whole milliseconds, so the frames the output reports are exact.
`lead_s` makes the output behave like a sound card that has rendered that far
ahead of what was heard (a change of course is placed no earlier than that).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from calmflow.audio.output import NullOutput
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import LoadedRoutine, load_routine
from calmflow.services.player import Player
from calmflow.store.store import Store

CARD_LEAD_FRAMES = 2 * 2048 + 4800
"""What audio/device.py places a change ahead at 48 kHz: two blocks and 0.1 s."""


class MsClock:
    """A monotonic clock in whole milliseconds that moves only when told."""

    def __init__(self) -> None:
        self.ms = 0

    def __call__(self) -> float:
        return self.ms / 1000

    def advance_ms(self, ms: int) -> None:
        self.ms += ms


class LeadOutput(NullOutput):
    """Silence on the test's clock, with a sound card's render lead."""

    def __init__(self, rate: int, clock: MsClock, lead_frames: int) -> None:
        super().__init__(rate, clock=clock, name="null")
        self.guard_frames = lead_frames


@dataclass
class Played:
    player: Player
    clock: MsClock
    db: Path

    @property
    def rate(self) -> int:
        return self.player.plan.rate

    def wait(self, seconds: float, tick_s: float = 0.1) -> None:
        """Let `seconds` pass, the player screen ticking every `tick_s` on the
        clock: a wait that ends between two ticks leaves the Player behind the
        clock, as a key pressed between ticks finds it."""
        target = self.clock.ms + round(seconds * 1000)
        step = max(1, round(tick_s * 1000))
        while (self.clock.ms // step + 1) * step <= target:
            self.clock.ms = (self.clock.ms // step + 1) * step
            self.player.tick()
        self.clock.ms = target

    def at(self, seconds: float, tick_s: float = 0.1) -> None:
        """Wait until `seconds` of wall-clock time have passed since the start."""
        self.wait(seconds - self.clock.ms / 1000, tick_s)

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.db)
        try:
            return [tuple(row) for row in conn.execute(sql)]
        finally:
            conn.close()

    def events(self, kind: str | None = None) -> list[tuple[float, str, str]]:
        """The session's events in the order they were logged: (seconds, kind, detail)."""
        rows = self.rows("SELECT t_s, kind, detail FROM session_events ORDER BY id")
        out = [(float(str(t)), str(k), str(d)) for t, k, d in rows]
        return [e for e in out if kind is None or e[1] == kind]

    def phases(self) -> list[tuple[float, str]]:
        return [(t, d) for t, _, d in self.events("phase")]

    def rules(self) -> list[tuple[float, str]]:
        return [(t, d) for t, _, d in self.events("rule")]

    def session_row(self) -> tuple[str, float]:
        ((status, played),) = self.rows("SELECT status, played_s FROM sessions")
        return str(status), float(str(played))


def play(routine: Path, db: Path, *, lead_frames: int = 0, rate: int = 48_000) -> Played:
    """Start `routine` in a Player logging to the database `db`."""
    return play_loaded(load_routine(routine), db, lead_frames, rate)


def play_loaded(loaded: LoadedRoutine, db: Path, lead_frames: int, rate: int) -> Played:
    clock = MsClock()
    plan = compile_plan(loaded.routine, rate)
    store = Store(db)
    player = Player(loaded, plan, store, LeadOutput(rate, clock, lead_frames), clock=clock)
    player.start()
    return Played(player, clock, db)
