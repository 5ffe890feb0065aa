"""Ctrl-c on the command line ends with "calmflow: stopped" and 130 wherever it
lands: while Python is still loading calmflow, and inside a library that wraps
the interrupt in an error of its own. The press is a real SIGINT, sent by the
process to itself at the chosen moment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

WHILE_LOADING = """
import importlib.abc, os, signal, sys

class Press(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "calmflow.cli.review":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Press())
sys.argv = ["calmflow", "log"]
from calmflow.__main__ import run
run()
"""

INSIDE_A_LIBRARY = """
import os, signal, sys
import pydantic
import calmflow.cli.log as log_commands

class Pressed(pydantic.BaseModel):
    x: int

    @pydantic.field_serializer("x")
    def press(self, x):
        os.kill(os.getpid(), signal.SIGINT)
        return x

real = log_commands.open_store
def pressing(*args, **kwargs):
    Pressed(x=1).model_dump()  # pydantic wraps the interrupt in its own error
    return real(*args, **kwargs)
log_commands.open_store = pressing

sys.argv = ["calmflow", "log"]
from calmflow.__main__ import run
run()
"""

AFTER_THE_WORK = """
import os, signal, sys
from calmflow.system import ctrl_c

real = ctrl_c.finished
def then_press():
    real()
    os.kill(os.getpid(), signal.SIGINT)
ctrl_c.finished = then_press

sys.argv = ["calmflow", "log"]
from calmflow.__main__ import run
run()
"""


def _run(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ctrl_c_while_calmflow_is_loading_says_stopped(home):
    done = _run(WHILE_LOADING, home)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "calmflow: stopped\n")


def test_ctrl_c_wrapped_by_a_library_is_still_a_stop_not_an_unexpected_error(home):
    done = _run(INSIDE_A_LIBRARY, home)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "calmflow: stopped\n")
    assert not (home / "logs").exists()  # no crash report for a key the person pressed


def test_ctrl_c_after_the_work_is_done_leaves_the_command_as_it_ended(home):
    done = _run(AFTER_THE_WORK, home)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("No sessions yet.")
