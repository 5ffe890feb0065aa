"""A sound card lost mid-session is opened again in the background, and the
routine plays on from where the silent clock has reached.

The card here is a stand-in on the test's clock (the real one is tested with a
PulseAudio server in tests/faults/test_audio_lost.py): a `_Server` can go away
and come back, and every card opened on it notices when it goes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from calmflow.audio.output import NullOutput, OutputUnavailable
from calmflow.audio.reopen import RETRY_S, RETRY_SLOW_S, SLOW_AFTER_S
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.timeline import Timeline
from calmflow.engine.problems import SoundProblem
from calmflow.services.player import Player
from calmflow.store.store import Store
from calmflow.system import paths
from tests.conftest import ManualClock
from tests.e2e.conftest import db_rows

GONE = "the sound output stopped (device unplugged or sound server gone)"

ROUTINE = """\
version: 1
name: long
breathing: {inhale_s: 1, exhale_s: 2}
phases:
  - {name: Settle, kind: prep, duration: 2m}
"""


class _Server:
    """A sound server the test stops and starts; cards opened on it count on it."""

    def __init__(self) -> None:
        self.up = True
        self.generation = 0
        self.cards: list[_Card] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        """Cleared by a test: a card's start then waits for it, as a slow one does."""
        self.sounds_broken = False
        """Set by a test: a card cannot prepare the routine's sounds (not a card's fault)."""

    def kill(self) -> None:
        self.up = False
        self.generation += 1

    def restart(self) -> None:
        self.up = True


class _Card(NullOutput):
    """A sound card: frames at the real rate on the test's clock, until its server goes."""

    device_name = "Test card"

    def __init__(self, server: _Server, rate: int, clock: ManualClock, *, held: bool = False):
        super().__init__(rate, clock=clock, name="device")
        self.server = server
        self.held = held
        self.generation = -1
        self.gains: list[float] = []
        self.timelines: list[Timeline] = []
        self.went_at: tuple[int, bool] | None = None
        self.closed = False
        self.tried_at = clock()
        self.media: list[SoundProblem] = []
        """Bad sound files this card's audio process reports next."""

    def start(self, timeline: Timeline) -> None:
        self.server.started.set()
        self.server.release.wait(5)
        if not self.server.up:
            raise OutputUnavailable("no sound output could be opened (no server)")
        if self.server.sounds_broken:
            raise OutputUnavailable("the routine's sounds could not be prepared", device=False)
        self.generation = self.server.generation
        super().start(timeline)

    def problem(self) -> str | None:
        return GONE if self.server.generation != self.generation else None

    def again(self) -> _Card:
        card = _Card(self.server, self.rate, self._clock, held=True)  # type: ignore[arg-type]
        self.server.cards.append(card)
        return card

    def go_at(self, frame: int, *, paused: bool = False) -> None:
        assert self.held, "only a card opened again is held"
        self.held = False
        self.went_at = (frame, paused)
        self._base_frames = frame
        self._started_at = self._clock()
        if paused:
            self.pause()

    def set_gain(self, gain: float) -> None:
        self.gains.append(gain)

    def media_problems(self) -> list[SoundProblem]:
        taken, self.media = self.media, []
        return taken

    def update(self, timeline: Timeline) -> None:
        self.timelines.append(timeline)

    def close(self, timeline: Timeline) -> None:
        self.closed = True


@pytest.fixture
def server() -> _Server:
    return _Server()


def _started(tmp_path: Path, clock: ManualClock, server: _Server) -> Player:
    """A player on ROUTINE through a card of `server`, started."""
    routine = tmp_path / "long.yaml"
    routine.write_text(ROUTINE)
    loaded = load_routine(routine)
    plan = compile_plan(loaded.routine)
    card = _Card(server, plan.rate, clock)
    player = Player(loaded, plan, Store(paths.database_path()), card, clock=clock)
    player.start()
    return player


@pytest.fixture
def player(home: Path, tmp_path: Path, clock: ManualClock, server: _Server) -> Player:
    return _started(tmp_path, clock, server)


def _at(player: Player, clock: ManualClock, seconds: float) -> None:
    clock.now = 1000.0 + seconds
    player.tick()


def _tick_until(player: Player, done: Callable[[], bool]) -> None:
    """Tick, the test's clock standing still, until a try's thread has done its part."""
    deadline = time.monotonic() + 5
    while not done():
        assert time.monotonic() < deadline, "the try never ended"
        player.tick()
        time.sleep(0.002)


def _texts(player: Player) -> list[tuple[str, str]]:
    return [(n.kind, n.text) for n in player.take_notices()]


def _events(kind: str) -> list[tuple[float, str]]:
    rows = db_rows(paths.home(), f"SELECT t_s, detail FROM session_events WHERE kind = '{kind}'")
    return [(float(str(t)), str(d)) for t, d in rows]


def test_the_card_opened_again_plays_on_from_the_silent_clocks_frame(player, clock, server):
    rate = player.plan.rate
    _at(player, clock, 1.0)
    player.change_volume(-1)
    server.kill()
    _at(player, clock, 2.0)
    assert player.no_sound == GONE and isinstance(player.output, NullOutput)
    assert _texts(player) == [
        (
            "warning",
            f"No sound: {GONE}. The routine goes on silently; let-downs are logged as usual.",
        )
    ]

    server.restart()
    _at(player, clock, 2.0 + RETRY_S - 0.1)
    assert server.cards == [], "no try before RETRY_S"
    _at(player, clock, 5.0)
    _tick_until(player, lambda: player.no_sound is None)

    card = server.cards[-1]
    assert player.output is card
    # Where the silent clock was, with the session's course and volume.
    assert card.went_at == (5 * rate, False)
    assert card.gains == [player.gain] and player.gain < 1.0
    assert card.timelines == [player.session.timeline]
    assert _texts(player) == [("info", "Sound is back.")]
    _at(player, clock, 6.5)
    assert player.played_s == 6.5

    player.finish()
    assert _events("audio_lost") == [(2.0, GONE)]
    assert _events("audio_back") == [(5.0, "Test card")]
    # The session's row keeps the loss, though the sound came back.
    assert db_rows(paths.home(), "SELECT audio_problem FROM sessions") == [(GONE,)]


def test_while_it_stays_gone_it_is_tried_every_few_seconds_without_a_word(player, clock, server):
    server.kill()
    _at(player, clock, 1.0)
    assert len(_texts(player)) == 1
    t = 1.0
    while t < 1.0 + SLOW_AFTER_S + 3 * RETRY_SLOW_S:
        t += 0.5
        _at(player, clock, t)
        _tick_until(player, lambda: not player.sound.retrying)
    tried = [card.tried_at - 1000.0 for card in server.cards]
    gaps = [b - a for a, b in zip(tried, tried[1:], strict=False)]
    assert tried[0] == 1.0 + RETRY_S
    # Every RETRY_S for the first minute, then every RETRY_SLOW_S.
    assert gaps == [RETRY_S] * 19 + [RETRY_SLOW_S] * 3
    assert _texts(player) == []
    assert player.no_sound == GONE


def test_each_loss_is_told_once_and_each_return_once(player, clock, server):
    told: list[tuple[str, str]] = []
    for loss in range(2):
        start = 10.0 * loss
        server.kill()
        _at(player, clock, start + 1.0)
        server.restart()
        _at(player, clock, start + 1.0 + RETRY_S)
        _tick_until(player, lambda: player.no_sound is None)
        _at(player, clock, start + 6.0)
        told += _texts(player)
    assert [kind for kind, _ in told] == ["warning", "info", "warning", "info"]
    assert [t for t, _ in _events("audio_lost")] == [1.0, 11.0]
    assert [t for t, _ in _events("audio_back")] == [1.0 + RETRY_S, 11.0 + RETRY_S]


def test_paused_in_the_silence_the_sound_comes_back_paused(player, clock, server):
    rate = player.plan.rate
    server.kill()
    _at(player, clock, 1.0)
    player.toggle_pause()
    server.restart()
    _at(player, clock, 5.0)
    _tick_until(player, lambda: player.no_sound is None)
    card = server.cards[-1]
    assert card.went_at == (1 * rate, True)
    _at(player, clock, 8.0)
    assert player.played_s == 1.0
    player.toggle_pause()
    _at(player, clock, 9.0)
    assert player.played_s == 2.0


def test_a_card_that_never_opened_is_not_waited_for(home, tmp_path, clock, server):
    server.up = False
    player = _started(tmp_path, clock, server)
    server.restart()
    for t in range(1, 20):
        _at(player, clock, float(t))
    assert server.cards == [] and player.no_sound is not None


def test_the_end_of_the_session_ends_the_tries_and_closes_a_late_card(player, clock, server):
    server.kill()
    _at(player, clock, 1.0)
    server.restart()
    server.started.clear()
    server.release.clear()  # the try's card takes its time to open
    _at(player, clock, 1.0 + RETRY_S)
    assert server.started.wait(5)
    player.finish()
    server.release.set()
    card = server.cards[-1]
    deadline = time.monotonic() + 5
    while not card.closed and time.monotonic() < deadline:
        time.sleep(0.005)
    assert card.closed, "a card opened after the end is closed, not played"
    _at(player, clock, 30.0)
    assert len(server.cards) == 1


MUSIC = "/home/me/sounds/music.flac"
CUT = SoundProblem(
    MUSIC, "the file is damaged or cut short; replace it", while_playing=True, at_frame=96_000
)


def test_a_bad_sound_file_is_told_once_and_logged_where_it_fell_silent(player, clock, server):
    """The audio process reports a file that failed while playing: one warning
    naming it and what to do, one event with the file at the session's time it
    fell silent. Reported again (by the card opened again after a loss, which
    finds it bad too) it is not told again."""
    card = player.output
    _at(player, clock, 1.0)
    card.media.append(CUT)
    _at(player, clock, 2.5)
    assert _texts(player) == [
        (
            "warning",
            "Could not play music.flac any further: the file is damaged or cut short;"
            " replace it. The rest of the routine plays on.",
        )
    ]
    card.media.append(CUT)
    server.kill()
    _at(player, clock, 3.0)
    server.restart()
    _at(player, clock, 3.0 + RETRY_S)
    _tick_until(player, lambda: player.no_sound is None)
    server.cards[-1].media.append(SoundProblem(MUSIC, "damaged or cut short"))
    _at(player, clock, 7.0)
    assert [kind for kind, _ in _texts(player)] == ["warning", "info"]  # lost, back
    player.finish()
    assert _events("media_failed") == [(2.0, MUSIC)]


def test_a_bad_file_found_when_the_session_is_over_is_told_then(player, clock):
    """A WAV output renders at the end, and finds a bad file then."""
    card = player.output
    _at(player, clock, 4.0)
    card.media.append(SoundProblem(MUSIC, "damaged or cut short"))
    player.finish()
    assert _texts(player) == [
        (
            "warning",
            "Could not play music.flac: damaged or cut short. The rest of the routine plays on.",
        )
    ]
    assert _events("media_failed") == [(4.0, MUSIC)]


def test_a_try_that_fails_for_the_sounds_and_not_the_card_is_not_repeated(player, clock, server):
    """Preparing the sounds again every few seconds would fail the same way:
    after such a try, no more (a bad file alone never fails one: it is left out)."""
    server.kill()
    _at(player, clock, 1.0)
    server.restart()
    server.sounds_broken = True
    t = 1.0
    while t < 1.0 + SLOW_AFTER_S:
        t += 0.5
        _at(player, clock, t)
        _tick_until(player, lambda: not player.sound.retrying)
    assert len(server.cards) == 1
    assert player.no_sound == GONE


def test_the_sound_card_opened_again_leaves_out_the_files_found_bad(player, tmp_path):
    """Each try to open the sound again starts an audio process that prepares
    the routine's sounds: one found bad is not decoded again at every try."""
    from calmflow.audio.device import DeviceOutput

    first = DeviceOutput(player.plan, log_path=tmp_path / "audio.log", leave_out={"a.flac"})
    first._bad_file(CUT)
    again = first.again()
    assert again._leave_out == {"a.flac", MUSIC}
    assert first.media_problems() == [CUT] and first.media_problems() == []
