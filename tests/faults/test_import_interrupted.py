"""An import cut short (killed inside its transaction, killed at a random moment,
stopped with ctrl-c): the log holds all of the file or none of it, never a part,
and what it held before; importing the file again then completes it once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.faults.checks import assert_kept, integrity, rows
from tests.faults.killing import DB_NAME
from tests.unit.sample_log import fill

SESSIONS = 1500
"""In the file imported: enough for the import's transaction to take a while; the
kill inside it comes at the 750th session."""

KILLED_INSIDE = """
import sys
import calmflow.store.store as store_module
from tests.faults.session_driver import KillingConnection
connect = store_module.connect
store_module.connect = lambda path, **kw: KillingConnection(connect(path, **kw), sys.argv[2], 750)
from calmflow.cli import main
main(["import", sys.argv[1]])
"""


@pytest.fixture(scope="module")
def export_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A calmflow export of SESSIONS sessions with their let-downs and events."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from review_speed import make_database

    folder = tmp_path_factory.mktemp("source")
    make_database(folder / DB_NAME, SESSIONS)
    target = folder / "export.json"
    done = _calmflow(folder, "export", "--format", "json", "-o", str(target)).wait(60)
    assert done == 0
    return target


def _calmflow(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "calmflow", *args],
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def logged(home: Path) -> Path:
    home.mkdir(parents=True, mode=0o700)
    fill(home / DB_NAME)
    return home


def _all_or_nothing(home: Path, before: dict, export_file: Path) -> int:  # type: ignore[type-arg]
    """The log holds what it held and all of the file or none of it; importing
    again leaves it with all of it, once. Return the entries checked."""
    db = home / DB_NAME
    integrity(db)
    after = rows(db)
    checked = assert_kept(before, after)
    added = len(after["sessions"]) - len(before["sessions"])
    assert added in (0, SESSIONS), f"{added} of {SESSIONS} sessions were imported"
    again = _calmflow(home, "import", str(export_file))
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert out == f"added {SESSIONS - added}, already there {added}\n"
    final = rows(db)
    assert len(final["sessions"]) == len(before["sessions"]) + SESSIONS
    return checked + SESSIONS


@pytest.mark.parametrize("inside", ["INSERT INTO sessions", "INSERT INTO letdowns"])
def test_an_import_killed_inside_its_transaction(inside, logged, export_file, faults):
    before = rows(logged / DB_NAME)
    child = subprocess.run(
        [sys.executable, "-c", KILLED_INSIDE, str(export_file), inside],
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": str(logged)},
        capture_output=True,
        text=True,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    with faults.inject(f"import killed inside its transaction ({inside})") as fault:
        fault.checked(_all_or_nothing(logged, before, export_file))


def test_an_import_killed_at_random_moments(logged, export_file, tmp_path, faults):
    rng = random.Random(9)
    db = logged / DB_NAME
    for _ in range(5):
        before = rows(db)
        proc = _calmflow(logged, "import", str(export_file))
        time.sleep(rng.uniform(0.15, 0.5))  # the import takes about 0.55 s here
        if proc.poll() is None:  # still importing: the fault is injected
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            with faults.inject("import killed at a random moment") as fault:
                fault.checked(_all_or_nothing(logged, before, export_file))
        else:
            proc.communicate()
        # Back to the log as it was, for the next kill to have something to do.
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            (logged / name).unlink(missing_ok=True)
        fill(db)


def test_an_import_stopped_with_ctrl_c_says_so_and_adds_nothing(logged, export_file, faults):
    """Ctrl-c at moments spread over the whole run (calmflow loading, the file being
    read and checked, the transaction, the end): each time either
    "calmflow: stopped" and 130 with nothing added, or the import had finished
    (0, "added ..."); never a traceback, an "unexpected error" or death by SIGINT."""
    rng = random.Random(4)
    db = logged / DB_NAME
    for step in range(12):
        before = rows(db)
        proc = _calmflow(logged, "import", str(export_file))
        # From 0.25 s: before that, Python itself may still be starting, before any
        # calmflow code runs (a press while calmflow loads: tests/unit/test_ctrl_c.py).
        time.sleep(0.25 + step * 0.06 + rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        with faults.inject("import stopped with ctrl-c") as fault:
            if proc.returncode == 130:
                assert (out, err) == ("", "calmflow: stopped\n")
            else:  # it had finished before the key
                assert proc.returncode == 0, err
                assert out == f"added {SESSIONS}, already there 0\n"
            fault.checked(_all_or_nothing(logged, before, export_file))
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            (logged / name).unlink(missing_ok=True)
        fill(db)
