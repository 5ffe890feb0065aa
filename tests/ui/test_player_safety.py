"""What must never happen while playing: lost or doubled entries, crashes on odd text."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from calmflow.audio.output import NullOutput, Output
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.services.player import Player
from calmflow.store.db import StoreError
from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.ui.screens.after_session import AfterSessionScreen
from tests.conftest import ManualClock
from tests.ui.driving import SIZE, after, app_for, db_rows, playing, text


def _player(routine: Path, clock: ManualClock) -> Player:
    loaded = load_routine(routine)
    plan = compile_plan(loaded.routine)
    return Player(
        loaded, plan, Store(paths.database_path()), NullOutput(plan.rate, clock=clock), clock=clock
    )


def _fill_the_disk(store: Store) -> None:
    """Make the database as full as a full disk: no page can be added."""
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")


def _free_the_disk(store: Store) -> None:
    store._conn.execute("PRAGMA max_page_count = 1073741823")


def test_a_held_space_key_marks_one_letdown(home, short_routine, clock):
    player = _player(short_routine, clock)
    player.start()
    clock.advance(1.0)
    first = player.letdown()
    clock.advance(0.03)  # key auto-repeat
    assert player.letdown() is None
    clock.advance(0.03)
    assert player.letdown() is None
    assert first is not None
    assert db_rows("SELECT number FROM letdowns") == [(1,)]
    assert any("already marked" in n.text for n in player.take_notices())
    clock.advance(6.0)  # a real second let-down, later
    assert player.letdown() is not None
    assert db_rows("SELECT number FROM letdowns") == [(1,), (2,)]


def test_letdowns_marked_on_a_full_disk_are_kept_and_saved_later(home, standard_routine, clock):
    player = _player(standard_routine, clock)
    player.start()
    _fill_the_disk(player.store)
    marked = 0
    while player.unsaved == 0 and marked < 150:  # until the rows need a new page
        clock.advance(6.0)
        player.tick()
        marked += player.letdown() is not None
    assert player.unsaved > 0
    for _ in range(3):  # marked while the disk is full
        clock.advance(6.0)
        marked += player.letdown() is not None
    warnings = [n.text for n in player.take_notices() if n.kind == "warning"]
    assert len(warnings) == 1 and "disk" in warnings[0] and "keeps trying" in warnings[0]

    # Space comes back mid-session: everything queued is written, in order.
    _free_the_disk(player.store)
    clock.advance(1.0)
    player.tick()
    assert player.unsaved == 0
    numbers = [n for (n,) in db_rows("SELECT number FROM letdowns ORDER BY id")]
    assert numbers == list(range(1, marked + 1))


def test_what_cannot_be_written_by_the_end_goes_to_the_journal_and_back(
    home, standard_routine, clock
):
    player = _player(standard_routine, clock)
    player.start()
    clock.advance(300.0)
    player.tick()
    other = player.store.start_session(
        routine="other", routine_path=None, routine_digest=None, planned_s=1, output="null"
    )
    _fill_the_disk(player.store)
    with contextlib.suppress(StoreError):  # use up the last free space of both tables
        for _ in range(10_000):
            player.store.add_event(other, t_s=0, kind="filler", detail="x" * 100)
    with contextlib.suppress(StoreError):
        for n in range(1, 10_000):
            player.store.add_letdown(
                other, number=n, t_s=0, phase="x" * 100, phase_kind="x", cues=[]
            )
    for _ in range(5):
        player.letdown()
        clock.advance(0.6)  # inside the let-down window: only the first one counts
    clock.advance(6.0)
    player.letdown()
    assert player.unsaved > 0
    clock.advance(30.0)
    player.finish()
    assert player.ended
    message = player.settle()
    assert message is not None and "will be added to your log" in message
    assert player.store.journal_path.exists()
    assert player.store.journal_path.stat().st_mode & 0o777 == 0o600
    player.store.close()

    # The next time calmflow opens the log, nothing is missing or doubled.
    store = Store(paths.database_path())
    record = store.sessions()[0]
    assert record.routine == "standard"
    assert [ld.number for ld in record.letdowns] == [1, 2]
    assert record.status == "finished_early"  # as ended, not "interrupted"
    assert record.played_s == 339.0
    assert not store.journal_path.exists()
    store.close()
    assert Store(paths.database_path()).sessions()[0].letdowns == record.letdowns


class _SlowOutput(NullOutput):
    """A sound card that takes a while to open."""

    def __init__(self, clock: ManualClock, gate: threading.Event) -> None:
        super().__init__(48_000, clock=clock)
        self.gate = gate
        self.closed = False

    def start(self, timeline: object) -> None:
        self.gate.wait(5)
        super().start(timeline)  # type: ignore[arg-type]

    def close(self, timeline: object) -> None:
        self.closed = True


async def test_quitting_while_the_sound_opens_logs_no_phantom_session(home, short_routine, clock):
    gate = threading.Event()
    outputs: list[_SlowOutput] = []

    def slow() -> Output:
        outputs.append(_SlowOutput(clock, gate))
        return outputs[-1]

    app = app_for(short_routine, clock, output=slow)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        gate.set()
        await pilot.pause(0.2)
    assert db_rows("SELECT count(*) FROM sessions") == [(0,)]
    assert outputs[0].closed


async def test_a_session_that_cannot_be_logged_does_not_start(home, short_routine, clock):
    store = Store(paths.database_path())
    _fill_the_disk(store)
    with contextlib.suppress(StoreError):
        for _ in range(10_000):
            store.start_session(
                routine="filler", routine_path=None, routine_digest=None, planned_s=1, output="x"
            )
    app = app_for(short_routine, clock, store=store)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break
    assert app.return_code == 3
    assert db_rows("SELECT count(*) FROM sessions WHERE routine = 'short'") == [(0,)]


async def test_brackets_in_a_routine_are_shown_as_written(home, tmp_path, clock):
    routine = tmp_path / "brackets.yaml"
    routine.write_text(
        "name: brackets\n"
        "phases:\n"
        "  - name: Left [first]\n"
        "    kind: prep\n"
        "    duration: 10s\n"
        "    prompt: 'Massage the left side first [then the right], then breathe. [/]'\n"
    )
    async with playing(routine, clock) as (app, pilot, screen):
        prompt = text(screen, "#prompt")
        title = text(screen, "#title")
        await after(11, clock, pilot, screen)
        assert isinstance(app.screen, AfterSessionScreen)
    assert prompt == "Massage the left side first [then the right], then breathe. [/]"
    assert "Left [first]" in title
