"""Killing a session played by tests/faults/session_driver.py, and checking what
it left: shared by the fault tests and benchmarks/faults.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calmflow.store.store import Store
from tests.conftest import ROOT
from tests.faults.checks import Rows, assert_kept, integrity, rows
from tests.faults.session_driver import FORM

DB_NAME = "calmflow.sqlite3"


@dataclass
class Acked:
    """What the killed session had shown the person as done, and what it was doing."""

    state: dict[str, Any] | None
    doing: str | None
    done: bool
    unsaved: str | None = None
    """What the person was told could not be saved, at the end."""
    most_waiting: int = 0
    """The most writes that were ever waiting for the log to take them."""

    @classmethod
    def read(cls, path: Path) -> Acked:
        state, doing, done, unsaved, most = None, None, False, None, 0
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                break  # a line torn by the kill: nothing after it was written
            if "doing" in entry:
                doing = entry["doing"]
            elif "done" in entry:
                done, unsaved = True, entry["unsaved"]
            else:
                state, doing = entry, None
                most = max(most, entry["waiting"])
        return cls(state, doing, done, unsaved, most)


def driver(home: Path, seed: int, acks: Path, kill_at: str | None = None) -> subprocess.Popen[str]:
    """Start a session in a child process, as `calmflow play` would run it."""
    command = [sys.executable, "-m", "tests.faults.session_driver", str(seed), str(acks)]
    return subprocess.Popen(
        [*command, *([kill_at] if kill_at else [])],
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_shown(
    proc: subprocess.Popen[str], acks: Path, shown: Callable[[Acked], bool], then_s: float
) -> bool:
    """SIGKILL `proc` `then_s` after the acks say `shown`; False if it ended first."""
    while proc.poll() is None:
        if shown(Acked.read(acks)):
            return kill_after(proc, then_s)
        time.sleep(0.01)
    return False


def kill_after(proc: subprocess.Popen[str], seconds: float) -> bool:
    """SIGKILL `proc` after `seconds`; False if it had already ended by itself."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True
    return False


def snapshot(home: Path) -> Rows:
    db = home / DB_NAME
    return rows(db) if db.exists() else {}


def check_after_kill(home: Path, before: Rows, acks: Path, *, alone: bool = True) -> int:
    """Open the log as the next start does, then check it against what was shown
    as done: return the entries checked. Raise AssertionError on any loss.

    `alone`: no other session was played meanwhile. Entries the person was given
    in the closing message (nowhere on disk could take them) count as kept."""
    db = home / DB_NAME
    Store(db).close()  # the next start: the killed session is marked interrupted
    integrity(db)
    after = rows(db)
    checked = assert_kept(before, after)
    acked = Acked.read(acks)
    known = {row[0] for row in before.get("sessions", [])}
    new = [row for row in after["sessions"] if row[0] not in known]
    assert not alone or len(new) <= 1, f"one session was played, {len(new)} were logged"
    state = acked.state
    if state is None or state["session"] is None:
        # Killed while starting: no session, or one with nothing in it yet.
        ids = {row[0] for row in new}
        assert not [r for r in after["letdowns"] if r[1] in ids]
        return checked
    session_id = state["session"]
    mine = [row for row in new if row[0] == session_id]
    assert mine, "the session shown as started is not in the log"
    record = dict(zip(_columns(db, "sessions"), mine[0], strict=True))
    unsaved = _unsaved(acked.unsaved)
    for op, args in unsaved:  # what the person was handed counts as kept
        if op in ("end_session", "save_form"):
            record.update(status=args.get("status", record["status"]), **args.get("answers", {}))
    marks = sorted(
        [(r[2], r[3]) for r in after["letdowns"] if r[1] == session_id]
        + [(a["number"], a["t_s"]) for op, a in unsaved if op == "add_letdown"]
    )
    shown = [tuple(m) for m in state["letdowns"]]
    if acked.doing == "letdown" and marks != shown:  # the mark being written
        assert set(shown) < set(marks) and len(marks) == len(shown) + 1, (marks, shown)
    elif acked.doing == "undo" and marks != shown:  # the mark being taken back
        assert marks == shown[:-1], (marks, shown)
    else:
        assert marks == shown, f"let-downs in the log {marks}, shown {shown}"
    checked += len(shown) + 1
    status = record["status"]
    if state["ended"]:
        assert status == "finished_early", status
    elif acked.doing == "finish":
        assert status in ("interrupted", "finished_early"), status
    else:
        assert status == "interrupted", status
    saved = (
        record["volume_left_ml"],
        record["volume_right_ml"],
        record["comfort"],
        record["notes"],
    )
    typed = (float(FORM["left"]), float(FORM["right"]), int(FORM["comfort"]), FORM["notes"])
    if state["form"] is not None:
        assert saved == typed, saved
        checked += len(typed)
    elif acked.doing == "form":
        assert saved in ((None, None, None, None), typed), saved  # all or nothing
    else:
        assert saved == (None, None, None, None), saved
    return checked


def _unsaved(message: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The writes spelt out in a message that holds what could not be saved."""
    lines = (message or "").splitlines()
    return [(e["op"], e["args"]) for e in map(json.loads, (x for x in lines if x[:1] == "{"))]


def _columns(db: Path, table: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def full_run_seconds(home: Path, acks: Path) -> float:
    """Play one whole session unkilled; return how long it took."""
    began = time.monotonic()
    proc = driver(home, 0, acks)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert Acked.read(acks).done
    return time.monotonic() - began
