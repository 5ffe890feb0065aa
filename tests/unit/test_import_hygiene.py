"""The core stays light and the UI process never loads the sound card library.

Each check runs in a fresh interpreter, so modules imported by other tests
cannot hide an import (harlequin: tests/unit_tests/test_import_hygiene.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "textual", "sounddevice", "pydantic", "yaml")


def _loaded_after_importing(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


CORE = [
    "calmflow.core.yamlsource",
    "calmflow.core.routine",
    "calmflow.core.plan",
    "calmflow.core.timeline",
    "calmflow.core.session",
    "calmflow.core.review",
    "calmflow.core.records",
    "calmflow.core.routine_loading",
    "calmflow.core.routine_problems",
    "calmflow.core.quantities",
    "calmflow.core.typed_times",
    "calmflow.system.wallclock",
]


def test_core_imports_no_numpy_scipy_textual_or_sounddevice():
    assert _loaded_after_importing(CORE) == {"pydantic", "yaml"}


@pytest.mark.parametrize("module", ["calmflow.engine.mixer", "calmflow.engine.render"])
def test_engine_imports_neither_textual_nor_sounddevice(module):
    loaded = _loaded_after_importing([module])
    assert "numpy" in loaded  # the check can see what it looks for
    assert loaded.isdisjoint({"textual", "sounddevice"})


def test_player_and_device_output_do_not_import_sounddevice():
    # sounddevice is imported only by the audio child process.
    assert "sounddevice" not in _loaded_after_importing(
        ["calmflow.services.player", "calmflow.audio.device"]
    )


def test_the_audio_process_loads_no_routine_validation():
    """It unpickles a Plan and mixes: pydantic and YAML would only add to its memory."""
    loaded = _loaded_after_importing(
        [
            "calmflow.audio.worker",
            "calmflow.engine.mixer",
            "calmflow.engine.stream",
            "calmflow.core.plan",
        ]
    )
    assert "numpy" in loaded
    assert loaded.isdisjoint({"pydantic", "yaml", "textual", "scipy"})


def test_the_review_reads_the_log_without_pydantic_or_yaml(home):
    """`calmflow review --json` has a 1 s budget over years of sessions: reading the
    log for it needs neither the session model's pydantic nor YAML (about 0.1 s)."""
    code = (
        "import json, sys\n"
        "from calmflow.cli import main\n"
        "main(['log', 'add', '--total', '80'], standalone_mode=False)\n"
        "before = {m for m in ('pydantic', 'yaml') if m in sys.modules}\n"
        "for name in [m for m in sys.modules if m.startswith(('pydantic', 'yaml', 'calmflow'))]:\n"
        "    del sys.modules[name]\n"
        "from calmflow.cli import main\n"
        "main(['review', '--json'], standalone_mode=False)\n"
        "print(json.dumps([sorted(before), sorted(m for m in ('pydantic', 'yaml', 'textual')"
        " if m in sys.modules)]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    logged, reviewed = json.loads(result.stdout.splitlines()[-1])
    assert logged == ["pydantic"]  # logging a session checks it with the model
    assert reviewed == []
