"""The layout's rules hold: import-linter's contracts in pyproject.toml, run on the
package as it is, and on copies of it with one rule broken, which must fail.

The contracts: dependencies run one way (faces → services → wording → sound and
log → engine → core → system, the two faces independent but for the one place
the command line starts the terminal player); the core knows nothing of the
terminal, the sound card, the database or numpy; only audio uses sounddevice,
only the store sqlite3, only the screens textual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_contract_is_kept() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # A screen reaching into a command module: the circle the layout removed.
        (
            "ui/screens/home.py",
            "from calmflow.cli import schedule",
            "Dependencies run one way",
        ),
        # A command module importing the other face.
        ("cli/log.py", "import calmflow.ui.screens.sessions", "Dependencies run one way"),
        # The log reaching up into the services.
        ("store/planning.py", "import calmflow.services.schedule", "Dependencies run one way"),
        ("core/plan.py", "import sqlite3", "The core knows nothing"),
        ("core/session.py", "import textual", "The core knows nothing"),
        ("services/player.py", "import sounddevice", "Only the audio outputs use the sound card"),
        ("ui/screens/review.py", "import sqlite3", "Only the store speaks SQL"),
    ],
)
def test_breaking_a_contract_fails(tmp_path: Path, module: str, line: str, broken: str) -> None:
    copy = tmp_path / "calmflow"
    shutil.copytree(ROOT / "calmflow", copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    text = target.read_text()
    head, _, rest = text.partition("from __future__ import annotations\n")
    target.write_text(f"{head}from __future__ import annotations\n{line}\n{rest}")
    done = _lint(tmp_path)
    assert done.returncode != 0, done.stdout
    assert f"{broken}" in done.stdout
    assert "BROKEN" in done.stdout
