"""The journal of writes a full disk kept back: replayed into the log exactly
once, whatever moment the process is killed at while replaying it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from calmflow.store.store import Store
from tests.conftest import ROOT
from tests.faults.checks import integrity, rows
from tests.store.log import WallClock, start

KILL_AT = {
    # The child opens the log (which replays the journal) with a kill planted:
    "after the first write replayed": "Store.apply",
    "after the commit, before the journal is removed": "pathlib.Path.unlink",
}

CHILD = """
import os, pathlib, signal, sqlite3, sys
from calmflow.store.store import Store
where = sys.argv[2]
if where == "pathlib.Path.unlink":
    def unlink(self, *a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    pathlib.Path.unlink = unlink
else:
    import calmflow.store.store as store_module
    apply = store_module.Store.apply
    def apply_then_die(self, op, args):
        apply(self, op, args)
        os.kill(os.getpid(), signal.SIGKILL)
    store_module.Store.apply = apply_then_die
Store(pathlib.Path(sys.argv[1]))
"""


def _journalled(db: Path) -> int:
    """A session in the log, and a journal holding its let-downs, events and end."""
    store = Store(db, clock=WallClock())
    sid = start(store)
    ops = [
        ("add_letdown", {"number": 1, "t_s": 61.5, "phase": "Settle", "phase_kind": "prep"}),
        ("add_event", {"t_s": 62.0, "kind": "phase", "detail": "Stimulation"}),
        ("add_letdown", {"number": 2, "t_s": 190.25, "phase": "Stim", "phase_kind": "stimulation"}),
        ("add_event", {"t_s": 200.0, "kind": "pause", "detail": ""}),
        ("end_session", {"status": "completed", "played_s": 300.0}),
    ]
    lines = ""
    for op, args in ops:
        if op == "add_letdown":
            args = {**args, "cues": ["photo"], "marked_at": "2026-11-23T08:00:00.000Z"}
        lines += json.dumps({"op": op, "args": {"session_id": sid, **args}}) + "\n"
    store.journal(lines)
    store.close()
    return sid


@pytest.mark.parametrize("moment", KILL_AT)
def test_a_journal_is_replayed_once_whenever_the_replay_is_killed(moment, tmp_path, faults):
    db = tmp_path / "calmflow.sqlite3"
    sid = _journalled(db)
    journal = db.with_name(db.name + ".unsaved.jsonl")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), KILL_AT[moment]],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert journal.exists()
    with faults.inject(f"SIGKILL while replaying the journal, {moment}") as fault:
        Store(db).close()  # the next start
        Store(db).close()  # and the one after
        integrity(db)
        log = rows(db)
        assert not journal.exists()
        letdowns = [(r[2], r[3]) for r in log["letdowns"] if r[1] == sid]
        assert letdowns == [(1, 61.5), (2, 190.25)]
        events = [(r[2], r[3]) for r in log["session_events"] if r[1] == sid and r[3] != "owner"]
        assert events == [(62.0, "phase"), (200.0, "pause")]
        session = Store(db).session(sid)
        assert (session.status, session.played_s) == ("completed", 300.0)
        fault.checked(len(letdowns) + len(events) + 1)
