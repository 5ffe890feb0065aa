"""The session log: each thing written when it happens, read back as records.

Every write is its own committed transaction, so whatever was marked before a
crash is on disk. Sessions left 'running' by a process that no longer exists
are marked 'interrupted' the next time the log is opened.

One cohesive thing, the `Store` class (its named writes and its reads), so
over 400 lines; whole sessions in and out are `dump`'s, the reading `reads`'.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmflow.store.db import StoreError, connect, explain, translated
from calmflow.store.reads import (
    Damaged,
    Started,
    damaged_sessions,
    no_collection,
    read_records,
    review_rows,
    started_since,
)
from calmflow.system import wallclock
from calmflow.system.private_files import append_private
from calmflow.system.wallclock import iso_time

if TYPE_CHECKING:
    from calmflow.core.records import AfterSession, SessionRecord
    from calmflow.core.review import ReviewRow

Clock = Callable[[], datetime]


class Keep(enum.Enum):
    """`edit_session`'s default: leave the field as it is."""

    KEEP = enum.auto()


KEEP = Keep.KEEP


def _owner_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Store:
    """The SQLite log of sessions, let-downs and what happened in them."""

    def __init__(self, path: Path, *, clock: Clock | None = None, read_only: bool = False) -> None:
        """`clock` gives the time now (by default the wall clock, `wallclock.now`).
        `read_only`: for commands that only read, the log of a folder that cannot be
        written to is opened as it is (`self.read_only`); otherwise such a folder is refused."""
        self.path = path
        self._now: Clock = clock if clock is not None else lambda: wallclock.now()
        self._conn = connect(path, read_only=read_only)
        self.journal_path = path.with_name(path.name + ".unsaved.jsonl")
        """Writes that could not reach the database during a session (a full disk)."""
        self.read_only = bool(self._conn.execute("PRAGMA query_only").fetchone()[0])
        self.cut_off: list[int] = []
        """Sessions found cut off (their process gone while 'running') at this opening."""
        if self.read_only:
            return
        try:
            with translated(path):
                self._replay_journal()
                self.cut_off = self.mark_interrupted()
        except StoreError:
            self._conn.close()
            raise

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; inside another one (a journal being replayed),
        part of that one."""
        if self._conn.in_transaction:
            yield self._conn
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError:
            raise  # a bug in calmflow, not something retrying could mend
        except sqlite3.DatabaseError as exc:
            raise StoreError(explain(self.path, exc)) from None

    # --- writes by name: what the player queues when the disk is full ----------------

    OPS = (
        "add_letdown",
        "remove_letdown",
        "add_event",
        "heartbeat",
        "end_session",
        "save_form",
        "edit_session",
        "delete_session",
    )

    def apply(self, op: str, args: dict[str, Any]) -> None:
        """Run the write `op` with JSON-able `args` (as queued or journalled)."""
        if op not in self.OPS:
            raise ValueError(f"unknown store operation {op!r}")
        args = dict(args)
        session_id = args.pop("session_id")
        if op == "save_form":
            from calmflow.core.records import AfterSession

            # checked when the person gave them; kept as they were, never dropped
            args["answers"] = AfterSession.model_construct(**args["answers"])
        getattr(self, op)(session_id, **args)

    def now(self) -> datetime:
        """The time now by the store's clock (tests give it a fixed one)."""
        return self._now()

    def now_iso(self) -> str:
        """The time now as stored, so a write that waits keeps the moment it happened."""
        return iso_time(self._now())

    def journal(self, lines: str) -> None:
        """Add pending writes (JSON lines) to the journal; raise OSError if impossible.
        (A line cut short by a crash is passed over when the journal is replayed.)"""
        append_private(self.journal_path, lines)

    def _replay_journal(self) -> None:
        """Add the journal's writes to the log, all in one transaction that records
        the journal's digest, then remove it: a kill at any point replays it once."""
        try:
            text = self.journal_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        unmatched = []
        with self._write() as db:
            seen = "SELECT 1 FROM replayed_journals WHERE digest = ?"
            if db.execute(seen, (digest,)).fetchone() is None:
                for line in text.splitlines():
                    try:
                        entry = json.loads(line)
                        self.apply(entry["op"], entry["args"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn last line from a crash while journalling
                    except sqlite3.IntegrityError:
                        unmatched.append(line + "\n")  # its session is not in this log
                db.execute(
                    "INSERT INTO replayed_journals (digest, replayed_at) VALUES (?, ?)",
                    (digest, iso_time(self._now())),
                )
        if unmatched:
            kept = self.journal_path.with_name(self.journal_path.name + ".unmatched")
            append_private(kept, "".join(unmatched))
        self.journal_path.unlink()

    # --- a session as it happens ------------------------------------------------

    def start_session(
        self,
        *,
        routine: str,
        routine_path: str | None,
        routine_digest: str | None,
        planned_s: float,
        output: str,
        experiment: tuple[str, str] | None = None,
        trial: tuple[int, int] | None = None,
    ) -> int:
        """Create the session's row at its start, status 'running'; return its id.

        `experiment` is (slot, arm) when the routine runs an experiment, and
        `trial` the experiment drawn at random that gave the arm and the session's
        place in its allocation (store/trials).
        """
        now = iso_time(self._now())
        slot, arm = experiment or (None, None)
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO sessions (uuid, routine, routine_path, routine_digest, started_at,"
                " updated_at, status, planned_s, output, pid, experiment, experiment_arm,"
                " trial_id, trial_position) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?,"
                " ?, ?)",
                (
                    str(uuid.uuid4()),
                    routine,
                    routine_path,
                    routine_digest,
                    now,
                    now,
                    planned_s,
                    output,
                    os.getpid(),
                    slot,
                    arm,
                    *(trial or (None, None)),
                ),
            )
            self._conn.execute(
                "INSERT INTO session_events (session_id, t_s, kind, detail, at)"
                " VALUES (?, 0, 'owner', ?, ?)",
                (cur.lastrowid, _owner_tag(), now),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_letdown(
        self,
        session_id: int,
        *,
        number: int,
        t_s: float,
        phase: str,
        phase_kind: str,
        cues: tuple[str, ...] | list[str],
        marked_at: str | None = None,
    ) -> None:
        """Record a let-down; `marked_at` (ISO time of the key press) defaults to now."""
        now = marked_at or iso_time(self._now())
        with self._write() as db:
            db.execute(
                "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, number) DO NOTHING",
                (session_id, number, t_s, phase, phase_kind, json.dumps(list(cues)), now),
            )
            db.execute(
                "UPDATE sessions SET played_s = max(played_s, ?), updated_at = ? WHERE id = ?",
                (t_s, now, session_id),
            )

    def remove_letdown(self, session_id: int, *, number: int) -> None:
        """Take back let-down `number` (marked by mistake); the next one may reuse
        the number. Queued in order with the other writes, so it follows its add."""
        with self._write() as db:
            db.execute(
                "DELETE FROM letdowns WHERE session_id = ? AND number = ?", (session_id, number)
            )
            db.execute(
                "UPDATE sessions SET updated_at = ? WHERE id = ?",
                (iso_time(self._now()), session_id),
            )

    def add_event(self, session_id: int, *, t_s: float, kind: str, detail: str = "") -> None:
        """Record something that happened in a session (a phase began, a pause, a rule)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO session_events (session_id, t_s, kind, detail, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, t_s, kind, detail, iso_time(self._now())),
            )

    def heartbeat(self, session_id: int, *, played_s: float, underruns: int = 0) -> None:
        """Keep the session's length current, so an interrupted one still has it."""
        with self._write() as db:
            db.execute(
                "UPDATE sessions SET played_s = ?, underruns = ?, updated_at = ? WHERE id = ?",
                (played_s, underruns, iso_time(self._now()), session_id),
            )

    def end_session(
        self,
        session_id: int,
        *,
        status: str,
        played_s: float,
        underruns: int = 0,
        audio_problem: str | None = None,
        ended_at: str | None = None,
    ) -> None:
        now = ended_at or iso_time(self._now())
        with self._write() as db:
            started = db.execute(
                "SELECT started_at FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            end = now
            if started is not None and now < started[0]:
                # The clock was set back during the session: the end is its start
                # and the time it played, never before it began.
                begun = datetime.fromisoformat(started[0])
                end = iso_time(begun + timedelta(seconds=played_s))
            db.execute(
                "UPDATE sessions SET status = ?, played_s = ?, underruns = ?, audio_problem = ?,"
                " ended_at = ?, updated_at = ? WHERE id = ?",
                (status, played_s, underruns, audio_problem, end, now, session_id),
            )

    def save_form(self, session_id: int, answers: AfterSession) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE sessions SET volume_left_ml = ?, volume_right_ml = ?, volume_total_ml = ?,"
                " volume_unit = ?, notes = ?, comfort = ?, relaxation = ?, dmer = ?,"
                " in_review = COALESCE(?, in_review), updated_at = ? WHERE id = ?",
                (
                    answers.volume_left_ml,
                    answers.volume_right_ml,
                    answers.volume_total_ml,
                    answers.unit,
                    answers.notes or None,
                    answers.comfort,
                    answers.relaxation,
                    None if answers.dmer is None else int(answers.dmer),
                    None if answers.in_review is None else int(answers.in_review),
                    iso_time(self._now()),
                    session_id,
                ),
            )

    # --- changed afterwards -------------------------------------------------------

    def edit_session(
        self,
        session_id: int,
        *,
        volume_left_ml: float | None | Keep = KEEP,
        volume_right_ml: float | None | Keep = KEEP,
        volume_total_ml: float | None | Keep = KEEP,
        volume_unit: str | None | Keep = KEEP,
        notes: str | None | Keep = KEEP,
        comfort: int | None | Keep = KEEP,
        relaxation: int | None | Keep = KEEP,
        dmer: bool | None | Keep = KEEP,
        counted_letdowns: int | None | Keep = KEEP,
        in_review: bool | Keep = KEEP,
    ) -> None:
        """Change what was said about a session after it (a forgotten volume, a note,
        whether it counts in the review); fields not given stay as they are, None
        clears one. Volumes are in ml.

        Raises KeyError if there is no such session, ValueError for a value that
        cannot be right (nothing is changed then).
        """
        given: dict[str, Any] = {
            name: value
            for name, value in (
                ("volume_left_ml", volume_left_ml),
                ("volume_right_ml", volume_right_ml),
                ("volume_total_ml", volume_total_ml),
                ("volume_unit", volume_unit),
                ("notes", (notes.strip() or None) if isinstance(notes, str) else notes),
                ("comfort", comfort),
                ("relaxation", relaxation),
                ("dmer", dmer),
                ("counted_letdowns", counted_letdowns),
                ("in_review", in_review),
            )
            if value is not KEEP
        }
        from calmflow.core.records import check_field

        changes = {name: check_field(name, value) for name, value in given.items()}
        with self._write() as db:
            if db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                raise KeyError(session_id)
            if changes:
                columns = ", ".join(f"{name} = ?" for name in changes)
                db.execute(
                    f"UPDATE sessions SET {columns}, updated_at = ? WHERE id = ?",
                    (*changes.values(), iso_time(self._now()), session_id),
                )

    def delete_session(self, session_id: int) -> bool:
        """Delete a session with its let-downs and events; False if there was none."""
        with self._write() as db:
            cur = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        return cur.rowcount > 0

    # --- whole sessions in and out (export, import, a session logged by hand) -----

    def dump_sessions(self) -> list[SessionRecord]:
        """Every session, oldest first, with all the log holds about it, its events
        included (see `calmflow.store.dump`); `add_sessions` of it into an empty log
        gives the same."""
        from calmflow.store.dump import dump_sessions

        with translated(self.path):
            return dump_sessions(self._conn)

    def add_sessions(self, sessions: Iterable[SessionRecord]) -> tuple[int, int]:
        """Add whole sessions, in one transaction: all or none. A session whose uuid
        the log has already is left out and the one in the log is not touched.
        Return (added, already there). `sessions` may be read as they are taken
        (an import): anything it raises undoes the whole."""
        from calmflow.store.dump import add_sessions

        with self._write() as db:
            return add_sessions(db, sessions)

    # --- housekeeping -----------------------------------------------------------

    def mark_interrupted(self) -> list[int]:
        """Sessions still 'running' whose process is gone become 'interrupted'; their ids."""
        rows = self._conn.execute(
            "SELECT s.id, s.pid, s.updated_at, e.detail FROM sessions s"
            " LEFT JOIN session_events e ON e.session_id = s.id AND e.kind = 'owner'"
            " WHERE s.status = 'running'"
        ).fetchall()
        host = socket.gethostname()
        stale = []
        for session_id, pid, updated_at, owner in rows:
            owner_host = (owner or "").rpartition(":")[0]
            if owner_host == host and _alive(pid):
                continue  # still playing, in this process or another one
            stale.append((updated_at, session_id))
        if stale:
            with self._write() as db:
                db.executemany(
                    "UPDATE sessions SET status = 'interrupted', ended_at = ? WHERE id = ?", stale
                )
        return [session_id for _, session_id in stale]

    # --- reading ------------------------------------------------------------------

    def sessions(self, *, since: datetime | None = None) -> list[SessionRecord]:
        """Every session (oldest first) with its let-downs; not a damaged one
        (`damaged_sessions`), nor in any read below."""
        if since is None:
            return self._records("", [])
        return self._records("WHERE started_at >= ?", [iso_time(since)])

    def damaged_sessions(self) -> list[Damaged]:
        """The sessions the log holds that calmflow cannot show (a time from year 1,
        say, which an earlier calmflow took in an import): left out of every other
        read, so that none stops a command; `delete_session` removes one."""
        with translated(self.path):
            return damaged_sessions(self._conn)

    def started_since(self, since: datetime) -> list[Started]:
        """When each session started from `since` began, its status, routine and
        volume (oldest first): what the schedule needs, without the session model."""
        with translated(self.path):
            return started_since(self._conn, iso_time(since))

    def last_sessions(self, count: int) -> list[SessionRecord]:
        """The `count` latest sessions (oldest of them first), read without the rest."""
        return self._records(
            "WHERE id IN (SELECT id FROM sessions ORDER BY started_at DESC, id DESC LIMIT ?)",
            [count],
        )

    def session(self, session_id: int) -> SessionRecord:
        found = self._records("WHERE id = ?", [session_id])
        if not found:
            raise KeyError(session_id)
        return found[0]

    def _records(self, where: str, args: list[object]) -> list[SessionRecord]:
        with translated(self.path), no_collection():
            return read_records(self._conn, where, args)

    def review_rows(self, *, since: datetime | None = None) -> list[ReviewRow]:
        """What the review needs of each ended session (oldest first); see `reads`."""
        with translated(self.path), no_collection():
            return review_rows(self._conn, None if since is None else iso_time(since))

    def last_volume_unit(self) -> str | None:
        """The unit the person typed volumes in last time, to offer it again."""
        row = self._conn.execute(
            "SELECT volume_unit FROM sessions WHERE volume_unit IS NOT NULL"
            " ORDER BY started_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def last_sound_volume_db(self) -> float | None:
        """The sound volume (dB) the person chose last, with `+`/`-`, to start with again."""
        with translated(self.path):
            row = self._conn.execute(
                "SELECT detail FROM session_events WHERE kind = 'volume' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        try:
            return float(row[0].removesuffix(" dB")) if row else None
        except ValueError:
            return None

    def events(self, session_id: int) -> list[tuple[float, str, str]]:
        """(t_s, kind, detail) of a session's events, in order."""
        return [
            (t, kind, detail)
            for t, kind, detail in self._conn.execute(
                "SELECT t_s, kind, detail FROM session_events WHERE session_id = ? ORDER BY id",
                (session_id,),
            )
        ]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Killed but not yet reaped by its parent (a zombie) is not alive either.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return True
