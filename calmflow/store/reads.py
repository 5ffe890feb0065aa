"""Reading the log back: sessions as records, and the rows the review needs."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from calmflow.core.values import (
    EARLIEST,
    LATEST,
    MANUAL,
    SECONDS_MAX,
    SHORT_SESSION_S,
    Check,
    Instant,
    seconds,
)

if TYPE_CHECKING:
    from calmflow.core.records import SessionRecord
    from calmflow.core.review import ReviewRow


@contextmanager
def no_collection() -> Iterator[None]:
    """No garbage collection while years of records are read: they are all kept,
    and the collector going over them again and again doubled the time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)  # Python 3.11 reads the Z


_FROM, _TO = (f"'{moment:%Y-%m-%d}'" for moment in (EARLIEST, LATEST))


def sound(table: str = "sessions") -> str:
    """In SQL: whether a session of `table` (as the query names the sessions table)
    can be shown: every instant, its own and its let-downs' and events', from
    EARLIEST to LATEST, and every time into it from 0 to SECONDS_MAX (`values`'
    bounds, which `damaged_sessions` checks one by one to say which is wrong).

    An earlier calmflow took what an import gave: a session from year 1 or 9999
    cannot be put on a clock west or east of UTC, and one played for 1e308 s
    cannot end; either stopped every command that showed it. Such a session is
    left out of every read but `damaged_sessions` (`calmflow log` shows it, to
    delete). A volume out of bounds shows, and stays."""

    def instant(column: str) -> str:
        return f"({column} >= {_FROM} AND {column} < {_TO})"

    def time_in(column: str) -> str:
        return f"({column} BETWEEN 0 AND {SECONDS_MAX})"

    t = table
    return (
        f"({instant(f'{t}.started_at')} AND {instant(f'{t}.updated_at')}"
        f" AND ({t}.ended_at IS NULL OR {instant(f'{t}.ended_at')})"
        f" AND {time_in(f'{t}.played_s')} AND {time_in(f'{t}.planned_s')}"
        " AND NOT EXISTS (SELECT 1 FROM letdowns WHERE letdowns.session_id ="
        f" {t}.id AND NOT ({time_in('letdowns.t_s')} AND {instant('letdowns.marked_at')}))"
        " AND NOT EXISTS (SELECT 1 FROM session_events WHERE session_events.session_id ="
        f" {t}.id AND NOT ({time_in('session_events.t_s')}"
        f" AND {instant('session_events.at')})))"
    )


class Damaged(NamedTuple):
    """A session the log holds that calmflow cannot show (see `sound`)."""

    id: int
    uuid: str
    started_at: str
    """As the log holds it: it may be no time calmflow can read."""
    damage: str
    """What is wrong: the first value out of bounds, and the bounds."""


def damaged_sessions(conn: sqlite3.Connection) -> list[Damaged]:
    """The sessions `sound` leaves out, by id, each with what is wrong with it."""
    found = conn.execute(
        "SELECT id, uuid, started_at, updated_at, ended_at, played_s, planned_s FROM sessions"
        f" WHERE NOT {sound()} ORDER BY id"
    ).fetchall()
    out = []
    for sid, uuid, started, updated, ended, played, planned in found:
        parts: list[tuple[str, object, Check]] = [
            ("started_at", started, Instant.of),
            ("updated_at", updated, Instant.of),
            ("ended_at", ended, Instant.of),
            ("played_s", played, seconds),
            ("planned_s", planned, seconds),
        ]
        for number, t_s, marked in conn.execute(
            "SELECT number, t_s, marked_at FROM letdowns WHERE session_id = ? ORDER BY number",
            (sid,),
        ):
            parts += [
                (f"let-down {number}'s t_s", t_s, seconds),
                (f"let-down {number}'s marked_at", marked, Instant.of),
            ]
        for kind, t_s, at in conn.execute(
            "SELECT kind, t_s, at FROM session_events WHERE session_id = ? ORDER BY id", (sid,)
        ):
            parts += [
                (f"a {kind} event's t_s", t_s, seconds),
                (f"a {kind} event's at", at, Instant.of),
            ]
        out.append(Damaged(sid, str(uuid), str(started), damage(parts)))
    return out


def damage(values: Sequence[tuple[str, object, Check]]) -> str:
    """What is wrong with the first of `values` (a name, what the log holds, and
    its check) that its check refuses."""
    for name, value, check in values:
        if value is None:
            continue
        try:
            check(value)
        except ValueError as exc:
            return f"{name} is {value}: {exc}"
    return "a value out of bounds"


class Started(NamedTuple):
    """What the schedule and the supply flag need of a session: read without the
    session model, so `calmflow next` (run from a timer, say) starts quickly."""

    started_at: datetime
    status: str
    routine: str
    volume_total_ml: float | None


def in_review(s: str = "") -> str:
    """Whether a session counts in the review and the schedule, in SQL (`s`: how the
    query names the sessions table, with its dot): as the person said, else all but
    one they ended within its first minute before any let-down (`values.left_out`);
    `SessionRecord.counts_in_review` in Python."""
    return (
        f"COALESCE({s}in_review, NOT ({s}status = 'finished_early'"
        f" AND {s}played_s < {SHORT_SESSION_S}"
        f" AND NOT EXISTS (SELECT 1 FROM letdowns WHERE letdowns.session_id = {s}id)))"
    )


def started_since(conn: sqlite3.Connection, since: str) -> list[Started]:
    """The sessions started from `since` (the log's text for an instant), oldest
    first; not those left out of the review (ended within their first minute)."""
    return [
        Started(datetime.fromisoformat(at), status, routine, volume)
        for at, status, routine, volume in conn.execute(
            "SELECT started_at, status, routine, volume_total_ml FROM sessions"
            f" WHERE started_at >= ? AND {in_review()} AND {sound()} ORDER BY started_at, id",
            (since,),
        )
    ]


def read_records(conn: sqlite3.Connection, where: str, args: list[object]) -> list[SessionRecord]:
    """Sessions matching `where` (a WHERE clause on sessions), oldest first, with
    their let-downs and the cues shown (not their other events: see `dump`)."""
    from calmflow.store.dump import session_records

    where = f"{where} AND {sound()}" if where else f"WHERE {sound()}"
    shown: dict[int, list[tuple[str, float]]] = {}
    for sid, t_s, name in conn.execute(
        "SELECT session_id, t_s, detail FROM session_events WHERE kind = 'cue'"
        f" AND session_id IN (SELECT id FROM sessions {where}) ORDER BY session_id, t_s, id",
        args,
    ):
        shown.setdefault(sid, []).append((name, t_s))
    return session_records(conn, where, args, cues_shown=shown)


def review_rows(conn: sqlite3.Connection, since: str | None) -> list[ReviewRow]:
    """What the review needs of each ended session in the review (oldest first), worked out
    by SQLite: the same rows as `review.row_of` makes from `sessions()`, at a
    fraction of the cost for years of sessions (benchmarks/review_speed.py)."""
    from calmflow.core.review import make_row

    where, args = f"WHERE s.status != 'running' AND {in_review('s.')} AND {sound('s')}", []
    if since is not None:
        where += " AND s.started_at >= ?"
        args.append(since)
    rows = conn.execute(
        "SELECT s.id, s.routine, s.output, s.played_s, s.started_at, s.volume_total_ml,"
        " s.experiment, s.experiment_arm, s.counted_letdowns, s.trial_id, l.first, l.n"
        " FROM sessions s LEFT JOIN (SELECT session_id, MIN(t_s) AS first,"
        " COUNT(*) AS n FROM letdowns GROUP BY session_id) l ON l.session_id = s.id"
        f" {where} ORDER BY s.started_at, s.id",
        args,
    ).fetchall()
    cues: dict[int, list[tuple[str, float]]] = {}
    for sid, name, t_s in conn.execute(
        "SELECT e.session_id, e.detail, e.t_s FROM session_events e"
        f" WHERE e.kind = 'cue' AND e.session_id IN (SELECT s.id FROM sessions s {where})",
        args,
    ):
        cues.setdefault(sid, []).append((name, t_s))
    out = []
    for sid, routine, output, played, started, volume, slot, arm, counted, trial, first, n in rows:
        manual = output == MANUAL
        if counted is not None:
            letdowns: int | None = counted
        else:  # one logged by hand without a count: not known, not zero
            letdowns = None if manual else (n or 0)
        at = parse_time(started)
        assert at is not None
        out.append(
            make_row(
                sid,
                routine,
                manual,
                first,
                played,
                letdowns,
                volume,
                at,
                cues.get(sid, ()),
                slot,
                arm,
                trial,
            )
        )
    return out
