"""The data folder: usable, and private, or refused saying why.

`CALMFLOW_HOME` set to a file or to /dev/null made every command, even
`calmflow check standard`, exit 70 with "no log could be written". A folder at
0777 owned by another user, or a database at 0644 (what `cp` gives when the
README's advice to copy it is followed), was used as it was, silently.

Now a data folder that cannot be used (a file, a device, read-only, another
user's) stops what needs it with exit 3, one line naming it and what to do,
while what does not need it (check, routines, render) works on. A folder or
log of the person's own found open to others is closed to them, and the person
is told once; another user's is refused.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from calmflow.cli import main
from calmflow.store.store import Store
from calmflow.system import paths
from calmflow.system.crash import record_crash
from calmflow.system.private_files import owner_name
from tests.conftest import ROOT
from tests.faults.namespace import read_only
from tests.store.log import start

CALMFLOW = [sys.executable, "-m", "calmflow"]
EXIT_STORE = 3


def _cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"CALMFLOW_HOME": str(home)})


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "calmflow-home"
    path.write_text("notes, not a folder\n")
    return path


def _a_pipe(tmp_path: Path) -> Path:
    path = tmp_path / "calmflow-home"
    os.mkfifo(path)
    return path


UNUSABLE = {
    "a file": (_a_file, "is a file, not a folder"),
    "/dev/null": (lambda _: Path(os.devnull), "is a device or a pipe, not a folder"),
    "a pipe": (_a_pipe, "is a device or a pipe, not a folder"),
    "below a file": (lambda t: _a_file(t) / "calmflow", "cannot be used (Not a directory)"),
}
NEED_THE_FOLDER = [
    ["log"],
    ["log", "add", "--minutes", "10"],
    ["review"],
    ["export"],
    ["new", "mine"],
]
WORK_WITHOUT_IT = [["check", "standard"], ["routines"], ["routines", "--json"]]


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_data_folder_stops_what_needs_it_with_exit_3_and_nothing_else(
    tmp_path: Path, case: str, short_routine: Path, faults: Any
) -> None:
    make, why = UNUSABLE[case]
    home = make(tmp_path)
    with faults.inject(f"data folder: {case}") as fault:
        for args in NEED_THE_FOLDER:
            result = _cli(home, *args)
            assert result.exit_code == EXIT_STORE, (args, result.output)
            ((line,),) = [result.stderr.splitlines()]
            assert line.startswith(f"calmflow: CALMFLOW_HOME {home} {why}"), (args, line)
            assert line.endswith("set CALMFLOW_HOME to a folder of your own"), line
        for args in WORK_WITHOUT_IT:
            result = _cli(home, *args)
            assert result.exit_code == 0, (args, result.output)
            assert result.stderr == ""
        out = tmp_path / "short.wav"
        rendered = _cli(home, "render", str(short_routine), "-o", str(out), "--rate", "8000")
        assert rendered.exit_code == 0 and out.stat().st_size > 9 * 8000, rendered.output
        if case == "a file":
            assert home.read_text() == "notes, not a folder\n"
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
        fault.checked(1)


def test_check_with_the_data_folder_at_dev_null_says_nothing_of_a_log(tmp_path: Path) -> None:
    # As the issue found it: a command of its own, no log to write a crash to.
    done = subprocess.run(
        [*CALMFLOW, "check", "standard"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": os.devnull},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout.endswith("ok (standard, 4 phases, 20:00)\n")


def test_a_read_only_data_folder_refuses_a_copy_to_edit_and_checks_on(
    tmp_path: Path, faults: Any
) -> None:
    home = tmp_path / "calmflow-home"
    home.mkdir(mode=0o700)
    with faults.inject("data folder: read-only, a routine copied into it") as fault:
        done = read_only(home, [*CALMFLOW, "new", "mine"])
        assert done.returncode == EXIT_STORE, done.stderr
        ((line,),) = [done.stderr.splitlines()]
        assert line.startswith(f"calmflow: {home / 'routines'} cannot be made (Read-only file")
        assert line.endswith("writable, or set CALMFLOW_HOME to a folder of your own"), line
        assert "Traceback" not in done.stdout + done.stderr
        assert list(home.iterdir()) == []
        checked = read_only(home, [*CALMFLOW, "check", "standard"])
        assert checked.returncode == 0, checked.stderr
        fault.checked(1)


def _logged(home: Path) -> Path:
    """A log with a session in it, in a folder made as calmflow makes it."""
    home.mkdir(mode=0o700)
    store = Store(home / "calmflow.sqlite3")
    start(store)
    store.close()
    return home / "calmflow.sqlite3"


def test_a_folder_and_log_open_to_others_are_made_private_and_said_once(
    tmp_path: Path, faults: Any
) -> None:
    home = tmp_path / "calmflow-home"
    db = _logged(home)
    # What `cp` and `mkdir` give with a permissive umask.
    home.chmod(0o777)
    db.chmod(0o644)
    with faults.inject("privacy: a folder at 0777, a log at 0644") as fault:
        first = _cli(home, "log")
        assert first.exit_code == 0, first.output
        assert first.stderr.splitlines() == [
            f"calmflow: {home} could be read by others (mode 0777); it holds your health"
            " records, so it was made yours alone (0700)",
            f"calmflow: {db} could be read by others (mode 0644); it holds your health"
            " records, so it was made yours alone (0600)",
        ]
        assert (_mode(home), _mode(db)) == (0o700, 0o600)
        again = _cli(home, "log")
        assert again.exit_code == 0 and again.stderr == ""  # told once
        assert first.stdout == again.stdout and " standard " in first.stdout  # the log, used
        fault.checked(1)


def test_a_folder_open_to_others_is_made_private_by_any_command(tmp_path: Path) -> None:
    home = tmp_path / "calmflow-home"
    home.mkdir(mode=0o700)
    home.chmod(0o755)  # `mkdir` under the usual umask
    result = _cli(home, "check", "standard")
    assert result.exit_code == 0
    assert f"{home} could be read by others (mode 0755)" in result.stderr
    assert _mode(home) == 0o700


def test_another_users_data_folder_is_refused_and_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another user, simulated: calmflow here runs as a uid that owns nothing.
    # (The log's own file is tested below with a real owner, where chown works.)
    home = tmp_path / "calmflow-home"
    db = _logged(home)
    (home / "routines").mkdir()
    shutil.copy(ROOT / "tests/fixtures/routines/short.yaml", home / "routines/standard.yaml")
    home.chmod(0o777)
    owner = owner_name(home.stat().st_uid)
    monkeypatch.setattr(os, "getuid", lambda: home.stat().st_uid + 4242)
    for args in (["log"], ["log", "add", "--minutes", "10"], ["new", "mine"]):
        result = _cli(home, *args)
        assert result.exit_code == EXIT_STORE, (args, result.output)
        ((line,),) = [result.stderr.splitlines()]
        assert f"CALMFLOW_HOME {home} belongs to another user ({owner})" in line, line
        assert "sudo chown -R" in line and "set CALMFLOW_HOME to a folder of your own" in line
    assert _mode(home) == 0o777  # not theirs to change
    assert sorted(p.name for p in home.iterdir()) == [db.name, "routines"]
    # Their routines are not read: theirs would stand in for calmflow's own.
    checked = _cli(home, "check", "standard")
    assert checked.exit_code == 0 and checked.stderr == ""
    assert checked.stdout.startswith(f"{ROOT / 'routines' / 'standard.yaml'}: ok")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_another_users_log_is_refused_naming_them(tmp_path: Path) -> None:
    home = tmp_path / "calmflow-home"
    db = _logged(home)
    os.chown(db, 65534, -1)  # nobody's
    before = db.read_bytes()
    result = _cli(home, "log")
    assert result.exit_code == EXIT_STORE, result.output
    ((line,),) = [result.stderr.splitlines()]
    assert f"your log's file {db} belongs to another user ({owner_name(65534)})" in line, line
    assert db.read_bytes() == before and db.stat().st_uid == 65534


def test_a_crash_log_that_cannot_be_written_never_fails_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALMFLOW_HOME", os.devnull)
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        where = record_crash()
    assert isinstance(where, str) and where.startswith("(no log could be written: ")
    assert "is a device or a pipe" in where
    monkeypatch.setenv("CALMFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(paths, "log_dir", lambda: (_ for _ in ()).throw(ValueError("odd")))
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        assert record_crash() == "(no log could be written: odd)"
