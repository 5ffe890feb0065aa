"""The terminal closed mid-session (SIGHUP), the machine shutting down (SIGTERM),
and the next start after a session was cut off by SIGKILL: calmflow in a real
terminal (tmux) playing through the test's PulseAudio null sink.

A hang-up or a shutdown ends the session in the log as ctrl+q does (finished
early, its length and end time kept), the sound stops with it, and calmflow
exits 128 + the signal's number. A session cut off without warning is marked
interrupted at the next start, which says so once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmflow.store.store import Store
from tests.e2e.conftest import Tmux, db_rows, pulse  # noqa: F401 (pulse: a fixture)
from tests.faults.checks import integrity

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("pulse")]

PLAY = f"{sys.executable} -m calmflow play standard"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Tmux]:
    term = Tmux(tmp_path / "tmux.sock")
    yield term
    term.kill()


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split()[2] == "Z":
                    return True  # a zombie whose parent went first
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _children(pid: int, timeout: float = 10) -> list[int]:
    """The processes `pid` started (waiting a while for the first: the sound opens
    after the first frame is drawn)."""
    deadline = time.monotonic() + timeout
    while True:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        if found.stdout.split() or time.monotonic() > deadline:
            return [int(p) for p in found.stdout.split()]
        time.sleep(0.05)


def _playing_with_a_letdown(terminal: Tmux, home: Path, command: str) -> None:
    terminal.start(command, {"CALMFLOW_HOME": str(home), **_pulse_env()})
    terminal.wait_for("sound: ")
    terminal.keys("Space")
    terminal.wait_for("Let-downs: 1")


def _pulse_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("PULSE_")}


def _ended_as_by_ctrl_q(home: Path) -> int:
    db = home / "calmflow.sqlite3"
    integrity(db)
    ((status, played_s, ended_at),) = db_rows(
        home, "SELECT status, played_s, ended_at FROM sessions"
    )
    ((t_s,),) = db_rows(home, "SELECT t_s FROM letdowns")
    assert status == "finished_early" and ended_at is not None
    assert played_s >= t_s >= 0
    return 3


def test_the_terminal_closed_mid_session_ends_it_in_the_log(home, terminal, faults):
    _playing_with_a_letdown(terminal, home, PLAY)
    player = terminal.pid()
    audio = _children(player)
    assert audio, "the audio process should be running"
    with faults.inject("terminal closed mid-session (SIGHUP)") as fault:
        terminal.kill()  # the window closed: the player gets SIGHUP, its terminal is gone
        assert _gone(player), "the player outlived its terminal"
        assert all(_gone(p, 5) for p in audio), "the sound outlived the player"
        fault.checked(_ended_as_by_ctrl_q(home))


def test_a_shutdown_mid_session_ends_it_and_exits_143(home, terminal, tmp_path, faults):
    code = tmp_path / "exit-code"
    _playing_with_a_letdown(terminal, home, f"sh -c '{PLAY}; echo $? > {code}'")
    (player,) = _children(terminal.pid())
    with faults.inject("shutdown mid-session (SIGTERM)") as fault:
        os.kill(player, signal.SIGTERM)
        assert _gone(player)
        deadline = time.monotonic() + 5
        while not code.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert code.read_text().strip() == str(128 + signal.SIGTERM)
        fault.checked(_ended_as_by_ctrl_q(home))
    assert "Traceback" not in terminal.screen()


def test_the_start_after_a_session_was_cut_off_says_so_once(home, terminal, faults):
    _playing_with_a_letdown(terminal, home, PLAY)
    with faults.inject("SIGKILL mid-session, then the next start") as fault:
        os.kill(terminal.pid(), signal.SIGKILL)
        terminal.kill()
        again = Tmux(terminal.socket + "2")
        try:
            again.start(f"{sys.executable} -m calmflow", {"CALMFLOW_HOME": str(home)})
            screen = " ".join(again.wait_for("was cut off").replace("▌", "").split())
            assert "Everything marked until then is saved" in screen
        finally:
            again.kill()
        assert db_rows(home, "SELECT status FROM sessions") == [("interrupted",)]
        assert Store(home / "calmflow.sqlite3").cut_off == []  # said once, not at each start
        assert db_rows(home, "SELECT number FROM letdowns") == [(1,)]
        fault.checked(2)
