"""calmflow in a real terminal (tmux), as a person runs it, sound included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import db_rows

pytestmark = pytest.mark.e2e

PLAY = f"{sys.executable} -m calmflow play"


def _wait_rows(
    home: Path, query: str, expected: list[tuple[object, ...]], timeout: float = 10
) -> None:
    deadline = time.monotonic() + timeout
    rows: list[tuple[object, ...]] = []
    while time.monotonic() < deadline:
        if (home / "calmflow.sqlite3").exists():
            rows = db_rows(home, query)
            if rows == expected:
                return
        time.sleep(0.1)
    raise AssertionError(f"{query} gave {rows}, expected {expected}")


def test_a_session_in_the_terminal_with_sound(home, short_routine, tmux, pulse):
    tmux.start(f"{PLAY} {short_routine}; sleep 30", {"CALMFLOW_HOME": str(home), **pulse})
    tmux.wait_for("Settle")
    screen = tmux.wait_for("space Let-down")  # the footer comes a moment after the title
    assert "q End" in screen and screen.rstrip().endswith("? Help")
    tmux.wait_for("sound: ")  # the sound card opened: no 'No sound' notice
    tmux.wait_for("Stimulation")
    tmux.keys("Space")
    # The let-down is in the database while the session is still playing.
    _wait_rows(home, "SELECT number, phase FROM letdowns", [(1, "Stimulation")])
    screen = tmux.wait_for("Let-downs: 1")
    tmux.wait_for("Expression")  # the let-down moved the pump on to expression
    tmux.wait_for("How did it go?", timeout=15)
    tmux.keys("Tab", "Tab")
    # tmux sends keys in one burst, and Textual hands a key to the focused field
    # before an earlier Tab has moved the focus on; a person's keys come apart.
    time.sleep(0.5)
    tmux.keys("120", "Enter")
    screen = tmux.wait_for("Session saved")
    assert "1 let-down, the first at 0:0" in screen
    assert "Traceback" not in screen
    rows = db_rows(home, "SELECT status, output, volume_total_ml FROM sessions")
    assert rows == [("completed", "device", 120.0)]


def test_killed_mid_session_keeps_every_letdown(home, standard_routine, tmux, pulse):
    tmux.start(f"{PLAY} standard", {"CALMFLOW_HOME": str(home), **pulse})
    tmux.wait_for("sound: ")
    player_pid = tmux.pid()
    audio_pids = [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-P", str(player_pid)], capture_output=True, text=True
        ).stdout.split()
    ]
    assert audio_pids, "the audio process should be running"
    tmux.keys("Space")
    tmux.wait_for("Let-downs: 1")
    time.sleep(5.5)  # a second let-down, not a doubled key press
    tmux.keys("Space")
    tmux.wait_for("Let-downs: 2")
    os.kill(player_pid, signal.SIGKILL)

    # The sound stops with the player: no orphan keeps playing.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in audio_pids):
        time.sleep(0.1)
    assert not any(_alive(p) for p in audio_pids), "the audio process outlived the player"

    assert db_rows(home, "SELECT number FROM letdowns ORDER BY number") == [(1,), (2,)]
    assert db_rows(home, "PRAGMA integrity_check") == [("ok",)]
    # The next calmflow marks it interrupted, with everything marked so far.
    from tests.e2e.conftest import run_cli

    done = run_cli("log", "--json", env={"CALMFLOW_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    import json

    (session,) = json.loads(done.stdout)
    assert session["status"] == "interrupted"
    assert [ld["number"] for ld in session["letdowns"]] == [1, 2]


@pytest.mark.parametrize("setting", ["no sound server", "sound library crashes"])
def test_no_sound_plays_silently_with_one_notice(home, short_routine, tmux, setting):
    env = {"CALMFLOW_HOME": str(home), "PULSE_SERVER": "unix:/nonexistent/pulse"}
    if setting == "sound library crashes":
        # libasound aborts the process on an empty configuration: the player,
        # in its own process, must not care.
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        (home / "empty-alsa.conf").write_text("")
        env["ALSA_CONFIG_PATH"] = str(home / "empty-alsa.conf")
    tmux.start(f"{PLAY} {short_routine}; sleep 30", env)
    started = time.monotonic()
    screen = tmux.wait_for("No sound: playing silently")
    assert time.monotonic() - started < 10, "falling back to silence took too long"
    tmux.wait_for("Stimulation")
    tmux.keys("Space")
    _wait_rows(home, "SELECT number FROM letdowns", [(1,)])
    assert "Traceback" not in screen


def test_missing_portaudio_plays_silently_with_one_notice(home, short_routine, tmux, tmp_path):
    # A stand-in for a machine without libportaudio2: importing sounddevice fails
    # exactly as it does there.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text('raise OSError("PortAudio library not found")\n')
    env = {"CALMFLOW_HOME": str(home), "PYTHONPATH": f"{fake}:{os.getcwd()}"}
    tmux.start(f"{PLAY} {short_routine}; sleep 30", env)
    screen = tmux.wait_for("No sound: playing silently")
    tmux.wait_for("PortAudio")  # the notice says why
    tmux.keys("Space")
    _wait_rows(home, "SELECT number FROM letdowns", [(1,)])
    assert "Traceback" not in screen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its (killed) parent counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


TWO_LETDOWNS = """\
version: 1
name: two-letdowns
description: A short settle, stimulation until the let-down, a long expression.
breathing:
  inhale_s: 1
  exhale_s: 2
phases:
  - name: Settle
    kind: prep
    duration: 2s
    prompt: Settle in.
  - name: Stimulation
    kind: stimulation
    duration: 20s
    prompt: Light and fast.
  - name: Expression
    kind: expression
    duration: 2m
    prompt: Slow and deep.
"""


def test_two_letdowns_finished_early_and_the_form_typed_in(home, tmp_path, tmux, pulse):
    routine = tmp_path / "two-letdowns.yaml"
    routine.write_text(TWO_LETDOWNS)
    tmux.start(f"{PLAY} {routine}; sleep 30", {"CALMFLOW_HOME": str(home), **pulse})
    tmux.wait_for("sound: ")
    tmux.wait_for("Stimulation")
    tmux.keys("Space")  # the let-down moves the pump on to expression
    tmux.wait_for("Let-downs: 1")
    tmux.wait_for("Expression")
    time.sleep(5.5)  # a second let-down, not a doubled key press
    tmux.keys("Space")
    tmux.wait_for("Let-downs: 2")
    _wait_rows(
        home,
        "SELECT number, phase, phase_kind FROM letdowns ORDER BY number",
        [(1, "Stimulation", "stimulation"), (2, "Expression", "expression")],
    )

    tmux.keys("q")
    tmux.wait_for("Press q again")
    tmux.keys("q")
    tmux.wait_for("How did it go?")
    # Left, right, total, unit, comfort, relaxation: the form's order; a rating's
    # digit moves on by itself, and Enter saves from the D-MER box it ends on. One
    # key at a time, as a person types: in one burst, the keys after a Tab reach
    # the field it left.
    for key in ("60", "Tab", "45", "Tab", "Tab", "Tab", "4", "5"):
        tmux.keys(key)
        time.sleep(0.3)
    screen = tmux.wait_for("Relaxed 1-5  5")
    assert "Left  60" in screen and "Right  45" in screen and "Comfort 1-5  4" in screen
    tmux.keys("Enter")
    screen = tmux.wait_for("Session saved")
    assert "2 let-downs, the first at 0:0" in screen
    assert "Traceback" not in screen

    rows = db_rows(
        home,
        "SELECT status, output, volume_left_ml, volume_right_ml, volume_total_ml, volume_unit,"
        " comfort, relaxation, dmer FROM sessions",
    )
    assert rows == [("finished_early", "device", 60.0, 45.0, 105.0, "ml", 4, 5, 0)]
    times = [t_s for (t_s,) in db_rows(home, "SELECT t_s FROM letdowns ORDER BY number")]
    assert 0 < times[0] < times[1]
