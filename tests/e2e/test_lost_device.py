"""The sound server goes away mid-session: the routine goes on and nothing logged is lost.

DESIGN.md: "a device lost mid-session: the routine goes on visually and
silently, the user is told once, and nothing logged is lost". The server is
one of this test's own (the shared one stays up for the other tests), killed
while a session plays through it, as a crash or a logout would, and it stays
dead: the tries to open it again (every few seconds) say nothing. When the
sound can be opened again it comes back (here after a crashed audio process;
tests/faults/test_audio_lost.py for a server that returns).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from calmflow.audio.device import DeviceOutput
from calmflow.audio.output import NullOutput
from calmflow.services.player import LETDOWN_DEBOUNCE_S, Player
from tests.e2e.conftest import db_rows, live_player

pytestmark = pytest.mark.e2e

ROUTINE = """\
version: 1
name: lost
breathing: {inhale_s: 1, exhale_s: 2}
phases:
  - {name: Settle, kind: prep, duration: 3s}
  - {name: Stimulation, kind: stimulation, duration: 4s}
  - {name: Expression, kind: expression, duration: 12s}
"""
"""19 s: a let-down before the loss, and room for two after it."""


def _run_until(player: Player, done, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        player.tick()
        time.sleep(0.02)
    assert done(), f"timed out at {player.played_s:.2f} s of the session"


def test_a_lost_sound_server_mid_session_keeps_the_routine_and_every_letdown(
    home, tmp_path: Path, own_pulse
):
    routine = tmp_path / "lost.yaml"
    routine.write_text(ROUTINE)
    player = live_player(routine)
    plan, output = player.plan, player.output

    _run_until(player, lambda: player.played_s >= 1.0, 20)
    first = player.letdown()
    first_at = time.monotonic()
    _run_until(player, lambda: player.played_s >= 2.0, 10)
    assert player.output is output  # the sound card drives the session so far

    own_pulse.kill()
    killed_at = time.monotonic()
    notices = []

    def fell_back() -> bool:
        notices.extend(player.take_notices())
        return player.no_sound is not None

    _run_until(player, fell_back, 10)
    noticed_s = time.monotonic() - killed_at
    assert isinstance(player.output, NullOutput)

    # The session goes on by the clock from where the sound stopped.
    lost_at_s = player.played_s
    assert 2.0 <= lost_at_s < 3.5
    # Bracket each tick with the wall clock: on a busy machine a tick itself can
    # take tens of milliseconds, so compare with the shortest and longest spans.
    before_first = time.monotonic()
    player.tick()
    after_first = time.monotonic()
    since_s = player.played_s
    time.sleep(max(0.0, LETDOWN_DEBOUNCE_S + 0.5 - (time.monotonic() - first_at)))
    before_second = time.monotonic()
    player.tick()
    after_second = time.monotonic()
    advanced_s = player.played_s - since_s
    assert before_second - after_first - 0.02 <= advanced_s <= after_second - before_first + 0.02
    second = player.letdown()
    _run_until(player, lambda: time.monotonic() - first_at > 2 * LETDOWN_DEBOUNCE_S + 1, 15)
    third = player.letdown()

    def finished() -> bool:
        notices.extend(player.take_notices())
        return player.ended

    _run_until(player, finished, 30)  # to the routine's own end
    player.finish()
    notices.extend(player.take_notices())

    assert first and second and third, (first, second, third)
    told = [n for n in notices if n.kind == "warning"]
    assert len(told) == 1, notices
    assert told[0].text.startswith("No sound: ") and "goes on silently" in told[0].text
    assert noticed_s < 5.0, f"the loss was noticed only after {noticed_s:.1f} s"

    sid = player.session_id
    assert db_rows(home, f"SELECT number, t_s FROM letdowns WHERE session_id = {sid}") == [
        (m.number, plan.seconds(m.frame)) for m in (first, second, third)
    ]
    status, played_s, problem = db_rows(
        home, f"SELECT status, played_s, audio_problem FROM sessions WHERE id = {sid}"
    )[0]
    assert status == "completed"
    assert played_s == pytest.approx(plan.seconds(player.session.timeline.end_frame))
    assert problem == player.no_sound and "sound" in str(problem)
    lost_events = db_rows(
        home, f"SELECT t_s FROM session_events WHERE session_id = {sid} AND kind = 'audio_lost'"
    )
    assert len(lost_events) == 1
    assert lost_events[0][0] == pytest.approx(lost_at_s, abs=0.5)


def test_a_crashed_audio_process_mid_session_is_said_as_such_and_the_sound_comes_back(
    home, short_routine, pulse
):
    player = live_player(short_routine)
    output = player.output
    assert isinstance(output, DeviceOutput)
    _run_until(player, lambda: player.played_s >= 1.0, 20)
    assert player.letdown() is not None

    assert output._proc is not None
    os.kill(output._proc.pid, signal.SIGKILL)
    notices = []

    def ended() -> bool:
        notices.extend(player.take_notices())
        return player.ended

    _run_until(player, ended, 30)
    player.finish()

    told = [n.text for n in notices if n.kind == "warning"]
    assert len(told) == 1, told
    assert "the audio process crashed (SIGKILL) while playing" in told[0]
    # The sound server is still there: a new audio process plays the rest.
    assert [n.text for n in notices if n.kind == "info"] == ["Sound is back."]
    assert isinstance(player.output, DeviceOutput) and player.output is not output
    status, problem = db_rows(home, "SELECT status, audio_problem FROM sessions")[0]
    assert status == "completed" and "crashed (SIGKILL)" in str(problem)
    assert db_rows(home, "SELECT number FROM letdowns") == [(1,)]
    kinds = [k for (k,) in db_rows(home, "SELECT kind FROM session_events")]
    assert kinds.count("audio_lost") == 1 and kinds.count("audio_back") == 1
