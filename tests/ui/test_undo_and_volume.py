"""The keys added to the player: `u` takes back a let-down marked by mistake,
`+`/`-` set the sound's level and `m` mutes it, while the guide goes on."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from calmflow.audio.output import NullOutput
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.services.player import Player
from calmflow.store.db import StoreError
from calmflow.store.store import Store
from calmflow.system import paths
from tests.conftest import ManualClock
from tests.ui.driving import after, db_rows, notice, playing, text, tick, told


def _shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    return told(app)


def _events(kind: str) -> list[tuple[object, ...]]:
    return db_rows(f"SELECT t_s, detail FROM session_events WHERE kind = '{kind}' ORDER BY id")


# --- u: undo the last let-down ---------------------------------------------------------


async def test_u_within_10_s_takes_the_mark_back_and_stimulation_comes_back(
    home, short_routine, clock
):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(4.0, clock, pilot, screen)  # 1 s into stimulation
        await pilot.press("space")
        await tick(pilot, screen)
        assert "Expression" in text(screen, "#title")
        await after(1.0, clock, pilot, screen)
        await pilot.press("u")

        assert "Let-down mark removed · 0 so far · back to stimulation mode" in _shown(app)
        assert db_rows("SELECT count(*) FROM letdowns") == [(0,)]
        assert text(screen, "#letdowns") == "space when you feel the let-down"
        # Stimulation again, for the 2 s it had left when the key was pressed.
        assert "Stimulation" in text(screen, "#title")
        assert text(screen, "#pump").startswith("stimulation mode")
        assert "phase 0:02 left" in text(screen, "#times")
        await after(2.5, clock, pilot, screen)
        assert "Expression" in text(screen, "#title")
    assert _events("letdown_undone") == [(5.0, "let-down 1 at 0:04; back to Stimulation")]


async def test_u_says_the_new_count_and_a_new_space_marks_at_once(home, standard_routine, clock):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await after(60.0, clock, pilot, screen)
        await pilot.press("space")
        await after(10.0, clock, pilot, screen)
        await pilot.press("space")
        await after(3.0, clock, pilot, screen)
        await pilot.press("u")
        assert "Let-down mark removed · 1 so far" in _shown(app)
        assert text(screen, "#letdowns").startswith("Let-downs: 1")
        await after(1.0, clock, pilot, screen)
        await pilot.press("space")  # the real one: not taken for a doubled key
        assert text(screen, "#letdowns").startswith("Let-downs: 2")
    assert db_rows("SELECT number, t_s FROM letdowns ORDER BY number") == [(1, 60.0), (2, 74.0)]


async def test_u_after_10_s_says_it_is_too_late_and_the_mark_stays(home, standard_routine, clock):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await after(60.0, clock, pilot, screen)
        await pilot.press("space")
        await after(10.5, clock, pilot, screen)
        await pilot.press("u")
        assert "Too late to undo: let-down 1 (1:00) stays marked" in _shown(app)
        assert text(screen, "#letdowns").startswith("Let-downs: 1")
    assert db_rows("SELECT number FROM letdowns") == [(1,)]
    assert _events("letdown_undone") == []


async def test_u_counts_wall_clock_time_so_a_pause_does_not_stretch_the_window(
    home, standard_routine, clock
):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await after(60.0, clock, pilot, screen)
        await pilot.press("space")
        await pilot.press("p")
        await after(30.0, clock, pilot, screen)  # paused: the session stands still
        await pilot.press("u")
        assert "Too late to undo: let-down 1 (1:00) stays marked" in _shown(app)
    assert db_rows("SELECT count(*) FROM letdowns") == [(1,)]


async def test_u_takes_back_only_the_latest_mark_once(home, standard_routine, clock):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await after(60.0, clock, pilot, screen)
        await pilot.press("u")
        assert "No let-down is marked: nothing to undo" in _shown(app)
        await pilot.press("space")
        await after(6.0, clock, pilot, screen)
        await pilot.press("space")
        await after(1.0, clock, pilot, screen)
        await pilot.press("u", "u")  # a held key
        shown = _shown(app)
        assert "Let-down mark removed · 1 so far" in shown
        assert "Let-down 1 (1:00) stays marked: u undoes only the latest mark" in shown
    assert db_rows("SELECT number FROM letdowns") == [(1,)]


# --- an undo on a full disk --------------------------------------------------------------


def _player(routine: Path, clock: ManualClock) -> Player:
    loaded = load_routine(routine)
    plan = compile_plan(loaded.routine)
    return Player(
        loaded, plan, Store(paths.database_path()), NullOutput(plan.rate, clock=clock), clock=clock
    )


def _fill_the_disk(store: Store) -> None:
    """No page can be added, and the pages there are are full of other rows."""
    other = store.start_session(
        routine="other", routine_path=None, routine_digest=None, planned_s=1, output="null"
    )
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with contextlib.suppress(StoreError):
        for _ in range(10_000):
            store.add_event(other, t_s=0, kind="filler", detail="x" * 100)
    with contextlib.suppress(StoreError):
        for n in range(1, 10_000):
            store.add_letdown(other, number=n, t_s=0, phase="x" * 100, phase_kind="x", cues=[])


def test_an_undo_on_a_full_disk_is_kept_in_order_with_the_marks(home, standard_routine, clock):
    player = _player(standard_routine, clock)
    player.start()
    clock.advance(60.0)
    player.tick()
    _fill_the_disk(player.store)
    player.letdown()  # 1:00, kept in memory
    clock.advance(2.0)
    assert player.undo_letdown() is not None  # its removal waits behind it
    clock.advance(1.0)
    player.letdown()  # 1:03 takes number 1 again
    assert player.unsaved >= 3
    clock.advance(10.0)
    player.finish()
    message = player.settle()
    assert message is not None and "will be added to your log" in message
    player.store.close()

    store = Store(paths.database_path())  # the journal is replayed, in order
    record = next(r for r in store.sessions() if r.routine == "standard")
    assert [(ld.number, ld.t_s) for ld in record.letdowns] == [(1, 63.0)]
    kinds = [kind for _, kind, _ in store.events(record.id)]
    assert kinds.count("letdown_undone") == 1
    store.close()


# --- +, - and m ---------------------------------------------------------------------


class _Card(NullOutput):
    """A sound card that keeps the gains it was asked to play at."""

    device_name = "Built-in Audio"

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(48_000, clock=clock, name="device")
        self.gains: list[float] = []

    def set_gain(self, gain: float) -> None:
        self.gains.append(gain)


async def test_plus_minus_and_m_set_the_sound_and_the_session_goes_on(
    home, standard_routine, clock
):
    card = _Card(clock)
    async with playing(standard_routine, clock, output=lambda: card) as (app, pilot, screen):
        await after(10.0, clock, pilot, screen)
        assert text(screen, "#status") == "sound: Built-in Audio"  # nothing said at full
        assert card.gains == [1.0]
        await pilot.press("minus", "minus")
        assert text(screen, "#status") == "sound: Built-in Audio · 50%"
        assert card.gains[-1] == pytest.approx(10 ** (-6 / 20))
        await pilot.press("m")
        assert text(screen, "#status") == "sound: Built-in Audio · muted (m turns it on)"
        assert card.gains[-1] == 0.0
        times = text(screen, "#times")
        await after(5.0, clock, pilot, screen)  # muted, the guide and the clock go on
        assert text(screen, "#times") != times
        assert screen.player.played_s == 15.0
        await pilot.press("m")
        assert text(screen, "#status") == "sound: Built-in Audio · 50%"
        await pilot.press("plus")
        assert text(screen, "#status") == "sound: Built-in Audio · 71%"
        await pilot.press("plus", "equals_sign", "plus")  # no louder than as mixed
        assert text(screen, "#status") == "sound: Built-in Audio · 100%"
        assert card.gains[-1] == 1.0
        # Every press answers on the notice line, the last ones at the top too.
        assert notice(screen) == "Volume 100%: as loud as the routine goes"
        shown = _shown(app)
    assert "Muted: m turns the sound on" in shown and "Sound on (50%)" in shown
    assert not app._notifications  # a quiet line, never a pop-up
    assert _events("volume") == [
        (10.0, "-3 dB"),
        (10.0, "-6 dB"),
        (15.0, "-3 dB"),
        (15.0, "0 dB"),
    ]
    assert [k for (k,) in db_rows("SELECT kind FROM session_events")].count("mute") == 1


async def test_minus_goes_no_lower_than_30_db_and_any_volume_key_unmutes(
    home, standard_routine, clock
):
    async with playing(standard_routine, clock) as (app, pilot, screen):
        await after(1.0, clock, pilot, screen)
        await pilot.press(*["minus"] * 12)
        assert text(screen, "#status") == "sound 3%"
        assert screen.player.volume_db == -30.0
        await pilot.press("m")
        assert text(screen, "#status") == "sound muted (m turns it on)"
        await pilot.press("plus")
        assert text(screen, "#status") == "sound 4%"
        assert not screen.player.muted


async def test_the_volume_is_remembered_for_the_next_session_but_mute_is_not(
    home, short_routine, clock
):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(1.0, clock, pilot, screen)
        await pilot.press("minus", "minus", "minus", "m")
        await pilot.press("q", "q")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    card = _Card(clock)
    async with playing(short_routine, clock, output=lambda: card) as (app, pilot, screen):
        await tick(pilot, screen)
        assert text(screen, "#status") == "sound: Built-in Audio · 35%"
        assert card.gains == [pytest.approx(10 ** (-9 / 20))]
        assert not screen.player.muted
