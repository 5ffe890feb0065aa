"""The log's file in trouble: damaged, from a newer calmflow, held by another
program, on a read-only folder, on a full disk, two players at once.

Each case runs calmflow as the person does (a command in its own process) on a
log that already holds sessions of every kind, and checks: one clear message,
the exit code (3: the log cannot be used), every entry still there once, and
`PRAGMA integrity_check`. A damaged log is never written to: it is moved aside
byte for byte and the person is told where.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.faults.checks import assert_kept, integrity, rows
from tests.faults.killing import DB_NAME, Acked, check_after_kill, driver
from tests.faults.namespace import on_small_disk, read_only
from tests.unit.sample_log import fill

CALMFLOW = [sys.executable, "-m", "calmflow"]
EXIT_STORE = 3


def calmflow(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALMFLOW, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": str(home)},
    )


def said_once(done: subprocess.CompletedProcess[str], *parts: str) -> str:
    """The one line on stderr, holding each of `parts`, and no traceback."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def logged(home: Path) -> Path:
    home.mkdir(parents=True, mode=0o700)
    fill(home / DB_NAME)
    return home


# --- a damaged log ----------------------------------------------------------------


def _garbage_header(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(b"this is no database at all" + data[26:])


def _damaged_page(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[2 * page + 8 : 3 * page] = b"\xa5" * (page - 8)  # the second page's cells
    db.write_bytes(bytes(data))


def _cut_in_half(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 100])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "its header overwritten": _garbage_header,
    "a page of it scrambled": _damaged_page,
    "cut off halfway": _cut_in_half,
}


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_log_is_moved_aside_untouched_and_a_new_one_begins(how, logged, faults):
    db = logged / DB_NAME
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    DAMAGE[how](db)
    damaged = db.read_bytes()
    with faults.inject(f"damaged log: {how}") as fault:
        done = calmflow(logged, "log")
        assert done.returncode == EXIT_STORE
        (aside,) = logged.glob(f"{DB_NAME}.damaged-*Z")
        said_once(done, f"your log {db} is damaged", f"moved aside, untouched, to {aside}")
        assert aside.read_bytes() == damaged
        fault.checked(1)

        again = calmflow(logged, "log", "add", "--total", "55")  # the next start
        assert again.returncode == 0, again.stderr
        assert [r[0] for r in rows(db)["sessions"]] == [1]
        assert aside.read_bytes() == damaged  # still untouched
        integrity(db)


def test_the_unsaved_journal_goes_aside_with_its_damaged_log(logged, faults):
    db = logged / DB_NAME
    journal = logged / f"{DB_NAME}.unsaved.jsonl"
    journal.write_text('{"op": "heartbeat", "args": {"session_id": 1, "played_s": 5}}\n')
    _garbage_header(db)
    with faults.inject("damaged log with unsaved writes beside it") as fault:
        done = calmflow(logged, "review")
        assert done.returncode == EXIT_STORE
        (aside,) = logged.glob(f"{DB_NAME}.damaged-*Z")
        kept = Path(f"{aside}.unsaved.jsonl")
        assert kept.exists() and not journal.exists()
        assert "heartbeat" in kept.read_text()
        fault.checked(1)


# --- newer, busy ---------------------------------------------------------------------


def test_a_log_from_a_newer_calmflow_is_refused_and_left_as_it_is(logged, faults):
    db = logged / DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    before, data = rows(db), db.read_bytes()
    with faults.inject("log from a newer calmflow") as fault:
        done = calmflow(logged, "log")
        assert done.returncode == EXIT_STORE
        said_once(done, "made by a newer calmflow (schema 99", "Update calmflow")
        assert db.read_bytes() == data
        fault.checked(assert_kept(before, rows(db)))


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE sessions SET notes = notes WHERE id = 1")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def test_a_log_held_by_another_program_is_waited_for_then_said(logged, faults):
    db = logged / DB_NAME
    before = rows(db)
    with subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db), "8"], stdout=subprocess.PIPE, text=True
    ) as locker:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        with faults.inject("log held by another program") as fault:
            reading = calmflow(logged, "log")
            assert reading.returncode == 0 and "standard" in reading.stdout  # reading goes on
            began = time.monotonic()
            writing = calmflow(logged, "log", "add", "--total", "40")
            waited = time.monotonic() - began
            assert writing.returncode == EXIT_STORE
            said_once(writing, "being written by another program", "nothing was changed")
            assert 4.5 < waited < 8, waited
            locker.wait(timeout=10)
            fault.checked(assert_kept(before, rows(db)))
    assert calmflow(logged, "log", "add", "--total", "40").returncode == 0
    integrity(db)


def test_two_players_at_once_each_keep_their_session(logged, tmp_path, faults):
    db = logged / DB_NAME
    before = rows(db)
    with faults.inject("two calmflows playing at the same time") as fault:
        acks = [tmp_path / "one.acks", tmp_path / "two.acks"]
        players = [driver(logged, seed, acks[seed]) for seed in (0, 1)]
        for player in players:
            _, err = player.communicate(timeout=120)
            assert player.returncode == 0, err
        for path in acks:
            assert Acked.read(path).done
            fault.checked(check_after_kill(logged, before, path, alone=False))
        assert len(rows(db)["sessions"]) == len(before["sessions"]) + 2


# --- a read-only folder, a full disk ------------------------------------------------------


def test_a_read_only_folder_can_still_be_read_and_says_why_nothing_is_written(logged, faults):
    db = logged / DB_NAME
    before = rows(db)
    with faults.inject("read-only data folder") as fault:
        # Reading never writes: what only reads works (`next` and `parts` too).
        for reading in (["log"], ["review"], ["export", "--format", "json"], ["next"], ["parts"]):
            done = read_only(logged, [*CALMFLOW, *reading])
            assert done.returncode == 0, (reading, done.stderr)
        exported = json.loads(read_only(logged, [*CALMFLOW, "export"]).stdout)
        assert len(exported["sessions"]) == len(before["sessions"])
        for writing in (
            ["log", "add", "--total", "30"],
            ["schedule", "--times", "06:00,12:00"],
            ["parts", "add", "tubing"],
        ):
            done = read_only(logged, [*CALMFLOW, *writing])
            assert done.returncode == EXIT_STORE, (writing, done.stderr)
            said_once(done, f"the folder {logged} is read-only", "nothing in it was changed")
        fault.checked(assert_kept(before, rows(db)))
        integrity(db)


def test_a_full_disk_refuses_a_new_entry_and_keeps_every_old_one(logged, tmp_path, faults):
    before = rows(logged / DB_NAME)
    with faults.inject("full disk: logging a session by hand") as fault:
        done, after = on_small_disk(
            logged, tmp_path, [*CALMFLOW, "log", "add", "--total", "30"], full=True
        )
        assert done.returncode == EXIT_STORE, done.stderr
        said_once(done, "is full; free some space", "Everything written before this is safe")
        integrity(after / DB_NAME)
        fault.checked(assert_kept(before, rows(after / DB_NAME)))
        assert len(rows(after / DB_NAME)["sessions"]) == len(before["sessions"])


FILLS = {"freed during the session": "2:5", "still full at the end": "3:99"}
"""After which keys of the session the disk fills up, and is freed."""


@pytest.mark.parametrize("when", FILLS)
def test_a_session_on_a_disk_that_fills_up_keeps_every_let_down(when, logged, tmp_path, faults):
    before = rows(logged / DB_NAME)
    acks = tmp_path / "acks"
    command = [sys.executable, "-m", "tests.faults.session_driver", "4", str(acks)]
    with faults.inject(f"disk full mid-session, {when}") as fault:
        done, after = on_small_disk(
            logged, tmp_path, ["env", f"CALMFLOW_FAULT_DISK={FILLS[when]}", *command]
        )
        assert done.returncode == 0, done.stderr
        acked = Acked.read(acks)
        assert acked.done and acked.most_waiting > 0, "the disk never filled up"
        if when == "still full at the end":
            assert acked.unsaved and "could not be saved (No space left on device)" in acked.unsaved
        else:
            assert acked.unsaved is None
        fault.checked(check_after_kill(after, before, acks))


def test_a_render_on_a_full_disk_leaves_no_half_file_and_the_old_one_as_it_was(
    logged, tmp_path, faults
):
    (logged / "out.wav").write_bytes(b"an earlier render")
    disk = tmp_path / "disk"  # where on_small_disk mounts it
    with faults.inject("full disk: rendering a routine to WAV") as fault:
        done, after = on_small_disk(
            logged, tmp_path, [*CALMFLOW, "render", "standard", "-o", str(disk / "out.wav")]
        )
        assert done.returncode == 1, done.stderr
        said_once(done, f"could not write {disk / 'out.wav'}", "No space left on device")
        assert (after / "out.wav").read_bytes() == b"an earlier render"
        assert not [p for p in after.iterdir() if p.name.endswith(".part")], (
            "a half-written file was left behind"
        )
        fault.checked(1)
