"""Opening the SQLite database: private, durable, and at the current schema.

- The file is created 0600 inside a 0700 folder before SQLite touches it; the
  -wal and -shm files inherit its mode. One found open to others (copied with
  `cp`: 0644) is made private again if it is the person's own (said once), and
  refused if it is another user's.
- WAL with synchronous=FULL on every connection: a let-down written when the
  key is pressed survives the process being killed, or the power going.
- Migrations are named and ordered; each runs in one transaction that also
  records it and sets `PRAGMA user_version`. A database from a newer calmflow is
  refused, never rewritten; an older one is copied aside before it is migrated.
- A damaged database (SQLite cannot read it, or its quick check finds a fault)
  is never written to: it is moved aside whole, with its -wal and journal, and
  the person is told where; the next start begins a new log.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from calmflow.store.schema import MIGRATIONS
from calmflow.system import paths, wallclock
from calmflow.system.private_files import NotOurs, copy_private, keep_private, owner_name


def rows(conn: sqlite3.Connection, sql: str, args: Sequence[object] = ()) -> sqlite3.Cursor:
    """The rows of a query, each read by column name (`sqlite3.Row`)."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, args)


class StoreError(Exception):
    """The database cannot be used; the message tells the person what to do."""


def _create_private(path: Path) -> None:
    paths.make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path`, migrated to the current schema.

    In a folder that cannot be written to, `read_only` opens an existing database
    as it is, for reading only (PRAGMA query_only is then on); otherwise that
    folder is refused with what to do.
    """
    _keep_private(path)
    if path.parent.is_dir() and not os.access(path.parent, os.W_OK):
        if read_only and path.exists():
            return _connect_read_only(path)
        raise StoreError(
            f"the folder {path.parent} is read-only, so calmflow cannot write your log "
            f"{path.name} there; nothing in it was changed. Make the folder writable, or set "
            f"CALMFLOW_HOME to a folder you can write to (copy {path.name} there to keep "
            "your log)."
        )
    try:
        _create_private(path)
    except PermissionError:
        raise StoreError(
            f"cannot create the database {path}: the folder is not writable. "
            "Set CALMFLOW_HOME to a folder you own."
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot create the database {path}: {exc.strerror}") from None
    conn = sqlite3.connect(path, isolation_level=None, timeout=5.0, check_same_thread=False)
    try:
        try:
            # Refuse a newer or damaged database before anything (even the journal mode)
            # writes to it.
            _refuse_newer(conn, path)
            _refuse_damaged(conn)
        except sqlite3.DatabaseError as exc:
            if not damaged(exc):
                raise
            conn.close()
            raise StoreError(_set_aside(path, str(exc))) from None
        with translated(path):
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            _migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(explain(path, exc)) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _keep_private(path: Path) -> None:
    """The log and the files that belong with it, if they exist: made private if
    they are open to others, refused if they are another user's (before SQLite
    opens them: it would write into them)."""
    for end in COMPANIONS:
        companion = path.with_name(path.name + end)
        try:
            keep_private(companion)
        except FileNotFoundError:
            continue
        except NotOurs as exc:
            raise StoreError(
                f"your log's file {companion} belongs to another user ({exc.owner}), so "
                "calmflow will not use it: they can read or change it. If it is yours, take "
                f"it back (sudo chown {owner_name(os.getuid())} {companion}); else set "
                "CALMFLOW_HOME to a folder of your own."
            ) from None
        except OSError as exc:
            raise StoreError(f"the log {companion} cannot be used: {exc.strerror}") from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # Without a -wal file the database is all in the one file and nothing can
    # change it on a read-only folder: immutable spares SQLite its -shm file.
    wal = path.with_name(path.name + "-wal").exists()
    uri = f"{path.as_uri()}?mode=ro{'' if wal else '&immutable=1'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        with translated(path):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != len(MIGRATIONS):
                raise StoreError(
                    f"the log {path} is from another version of calmflow (schema {version}) "
                    "and its folder is read-only, so it cannot be brought up to date. Make "
                    "the folder writable and run calmflow again."
                )
            conn.execute("PRAGMA query_only=1")
    except BaseException:
        conn.close()
        raise
    return conn


DAMAGE = ("not a database", "malformed", "file is encrypted")


def damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite's error says the file itself is damaged."""
    return any(words in str(exc) for words in DAMAGE)


def _refuse_damaged(conn: sqlite3.Connection) -> None:
    """Raise if SQLite's quick check finds a fault (about 45 ms for seven years of
    sessions; a damaged file must not be written to: writes can spread the damage)."""
    found = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        detail = [line for text in found for line in text.splitlines() if "***" not in line]
        raise sqlite3.DatabaseError(f"malformed, by SQLite's own check: {detail[0]}")


def _set_aside(path: Path, why: str) -> str:
    """Move a damaged database aside, untouched, with its companions; say where."""
    stamp = wallclock.stamp()
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while any(aside.with_name(aside.name + end).exists() for end in COMPANIONS):
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    for end in COMPANIONS:
        with contextlib.suppress(FileNotFoundError):
            os.rename(path.with_name(path.name + end), aside.with_name(aside.name + end))
    return (
        f"your log {path} is damaged ({why}), so calmflow cannot use it. It was moved "
        f"aside, untouched, to {aside}: keep it, as most of it can often be recovered "
        f"(sqlite3 {aside} .recover). Run calmflow again to start a new log."
    )


COMPANIONS = ("", "-wal", "-shm", ".unsaved.jsonl")
"""The database file and the files that belong with it, by the ending of their names."""


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn SQLite's errors into a StoreError that says what to do."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise StoreError(explain(path, exc)) from None


def explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if damaged(exc):
        return (
            f"your log {path} is damaged ({text}); nothing more was written to it. "
            "The next time calmflow starts, it moves it aside, untouched, and says where."
        )
    if "full" in text or ("disk I/O" in text and _nearly_full(path)):
        return (
            f"the disk holding {path} is full; free some space. "
            "Everything written before this is safe."
        )
    if "locked" in text or "busy" in text:
        return (
            f"the log {path} is being written by another program (another calmflow "
            "playing?) and did not come free within 5 seconds; nothing was changed. "
            "Try again when that session has ended."
        )
    if "readonly" in text or "read-only" in text:
        return f"the log {path} is read-only; make its folder writable or set CALMFLOW_HOME."
    return f"the log {path} cannot be used: {text}"


def _nearly_full(path: Path) -> bool:
    """SQLite says "disk I/O error" when its -shm file finds no room: is that why?"""
    try:
        fs = os.statvfs(path.parent)
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < 1 << 20


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = len(MIGRATIONS)
    if version > latest:
        raise StoreError(
            f"the database {path} was made by a newer calmflow (schema {version}, this one "
            f"knows {latest}). Update calmflow; your data was not touched."
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = len(MIGRATIONS)
    if version == latest:
        return
    backup = path.with_name(f"{path.name}.before-schema-{latest}")
    if version > 0 and not backup.exists():
        # An existing copy is of the log as it was before an earlier attempt, killed
        # after some of its migrations: that one is the copy to keep.
        conn.execute("PRAGMA wal_checkpoint(FULL)")
        copy_private(path, backup, replace=False)
    for number, (name, apply) in enumerate(MIGRATIONS[version:], start=version + 1):
        _apply(conn, number, name, apply)


def _apply(
    conn: sqlite3.Connection, number: int, name: str, apply: Callable[[sqlite3.Connection], None]
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        apply(conn)
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) "
            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            (number, name),
        )
        conn.execute(f"PRAGMA user_version = {int(number)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
