"""Schema migrations from every earlier version, with a person's log in them.

For each schema k before the current one, a log is made as calmflow at schema k
made it (db.py applying the first k migrations, recording them and setting
user_version) and filled with what that calmflow wrote, in the columns it had:
sessions completed, ended early, interrupted and left running by a process
that died, let-downs with their cues, events (cues shown, phases, pauses, the
sound volume), volumes in ml and oz, notes, experiment arms, sessions logged
by hand, the schedule and its missed slots, flange measurements and pump parts,
breastfeeds, each where the version had them.

The current calmflow then opens it, through the commands (`log`, `review
--json`, `export --format json`) and the Store, and every value written must
read back unchanged; what the old schema did not have reads back as its
default (NULL: not said, no experiment, let-downs marked rather than counted;
no schedule, no parts); the one documented change is a session left running by
a dead process, which becomes interrupted, ending when it was last written.
The old file was copied aside first (0600, byte for byte); the log is sound;
opening it again migrates nothing. A migration killed inside its transaction
(SIGKILL after its first statement) leaves a log that opens with everything.
"""

from __future__ import annotations

import contextlib
import gc
import json
import random
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.core.fit import Measurement
from calmflow.core.parts import Part
from calmflow.core.records import LetdownRecord, SessionRecord
from calmflow.core.review import review
from calmflow.core.schedule import Schedule
from calmflow.core.values import MANUAL, ML_PER_OZ
from calmflow.store import care, planning
from calmflow.store import db as store_db
from calmflow.store.dump import SESSION_FIELDS
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from tests.conftest import ROOT
from tests.faults import checks

LATEST = len(MIGRATIONS)
EARLIER = list(range(1, LATEST))
HOST = socket.gethostname()
T0 = datetime(2025, 1, 10, 6, 0, tzinfo=UTC)
PHASES = (
    ("Settle", "prep", 0.0),
    ("Stimulation", "stimulation", 60.0),
    ("Expression", "expression", 180.0),
)
CUES = ("baby-photo", "berceuse à deux", "waves", "voice-memo")
NOTES = 'Ça coule 🍼, "quoted", comma\nand a second line'


def _iso(moment: datetime) -> str:
    # As every calmflow so far stored a moment: UTC, milliseconds, Z.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# --- a log as calmflow at schema k wrote it ----------------------------------------------


@dataclass
class OldLog:
    version: int
    sessions: list[dict[str, Any]]
    """As written: SESSION_FIELDS (None for a column the version did not have), plus
    id, pid, letdowns and events, in the order they were inserted."""
    schedule: tuple[Schedule, datetime] | None = None
    missed: list[str] = field(default_factory=list)
    measurements: list[tuple[str, float, str]] = field(default_factory=list)
    parts: list[tuple[str, str | None, int | None, list[str]]] = field(default_factory=list)
    feeds: list[dict[str, Any]] = field(default_factory=list)
    """Breastfeeds (schema 11 on), as the JSON export gives them, oldest first."""

    def expected(self) -> list[dict[str, Any]]:
        """The sessions as the current calmflow must give them back, oldest first."""
        out = []
        for s in sorted(self.sessions, key=lambda s: (s["started_at"], s["id"])):
            e = {k: v for k, v in s.items() if k != "pid"}
            if e["status"] == "running":  # its process is gone
                e["status"], e["ended_at"] = "interrupted", e["updated_at"]
            out.append(e)
        return out


@dataclass
class _Writer:
    """Sessions as the player and the forms of a calmflow wrote them."""

    columns: set[str]
    rng: random.Random
    sessions: list[dict[str, Any]] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.columns

    def played(
        self,
        at: datetime,
        *,
        pid: int,
        routine: str = "standard",
        status: str = "completed",
        played_s: float = 1200.0,
        letdowns: tuple[tuple[float, tuple[str, ...]], ...] = (),
        cues: tuple[tuple[float, str], ...] = (),
        extra: tuple[tuple[float, str, str], ...] = (),
        form: dict[str, Any] | None = None,
        experiment: tuple[str, str] | None = None,
        audio_problem: str | None = None,
        underruns: int = 0,
    ) -> None:
        def t(s: float) -> str:
            return _iso(at + timedelta(seconds=s))

        def phase(s: float) -> tuple[str, str, float]:
            return [p for p in PHASES if p[2] <= s][-1]

        happened = [(start, "phase", name) for name, _, start in PHASES if start <= played_s]
        happened += [(s, "cue", name) for s, name in cues] + list(extra)
        events = [{"t_s": 0.0, "kind": "owner", "detail": f"{HOST}:{pid}", "at": t(0)}]
        events += [
            {"t_s": s, "kind": kind, "detail": detail, "at": t(s)}
            for s, kind, detail in sorted(happened, key=lambda e: e[0])
        ]
        marks = [
            {
                "number": n,
                "t_s": s,
                "phase": phase(s)[0],
                "phase_kind": phase(s)[1],
                "cues": list(names),
                "marked_at": t(s),
            }
            for n, (s, names) in enumerate(letdowns, start=1)
        ]
        ended = None if status == "running" else t(played_s)
        saved = t(played_s + 45) if form else (ended or t(played_s))
        self._add(
            {
                "routine": routine,
                "routine_path": f"/home/ana/.local/share/calmflow/routines/{routine}.yaml",
                "routine_digest": f"{self.rng.getrandbits(256):064x}",
                "started_at": t(0),
                "updated_at": saved,
                "ended_at": ended,
                "status": status,
                "planned_s": 1200.0,
                "played_s": played_s,
                "output": self.rng.choice(["device", "null"]),
                "audio_problem": audio_problem,
                "underruns": underruns,
                "experiment": experiment[0] if experiment else None,
                "experiment_arm": experiment[1] if experiment else None,
                **(form or {}),
                "pid": pid,
                "letdowns": marks,
                "events": events,
            }
        )

    def by_hand(
        self, at: datetime, minutes: float | None, counted: int | None, **form: Any
    ) -> None:
        """`calmflow log add`: no let-down times, no events, no sound."""
        length = (minutes or 0) * 60.0
        self._add(
            {
                "routine": MANUAL,
                "routine_path": None,
                "routine_digest": None,
                "started_at": _iso(at),
                "updated_at": _iso(at + timedelta(hours=2)),
                "ended_at": _iso(at + timedelta(seconds=length)) if minutes else None,
                "status": "completed",
                "planned_s": length,
                "played_s": length,
                "output": MANUAL,
                "audio_problem": None,
                "underruns": 0,
                "counted_letdowns": counted,
                **form,
                "pid": None,
                "letdowns": [],
                "events": [],
            }
        )

    def _add(self, values: dict[str, Any]) -> None:
        session = {"uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4))}
        for name in SESSION_FIELDS:
            if name != "uuid":
                # What a version had no column for was never written.
                session[name] = values.get(name) if self.has(name) else None
        session.update(pid=values["pid"], letdowns=values["letdowns"], events=values["events"])
        self.sessions.append(session)


def _form(
    left: float | None,
    right: float | None,
    unit: str,
    notes: str | None = None,
    comfort: int | None = None,
    relaxation: int | None = None,
    dmer: bool | None = None,
) -> dict[str, Any]:
    per = ML_PER_OZ if unit == "oz" else 1.0
    ml = [None if v is None else v * per for v in (left, right)]
    total = None if ml == [None, None] else sum(v or 0.0 for v in ml)
    return {
        "volume_left_ml": ml[0],
        "volume_right_ml": ml[1],
        "volume_total_ml": total,
        "volume_unit": unit,
        "notes": notes,
        "comfort": comfort,
        "relaxation": relaxation,
        "dmer": dmer,
    }


def _write_sessions(columns: set[str], version: int, dead_pid: int) -> list[dict[str, Any]]:
    w = _Writer(columns, random.Random(version))
    rng = w.rng
    arm = w.has("experiment")
    w.played(
        T0,
        pid=dead_pid,
        letdowns=((95.25, ("baby-photo", "berceuse à deux")), (515.0, ())),
        cues=((0.0, "baby-photo"), (30.0, "berceuse à deux"), (600.0, "waves")),
        extra=((40.0, "volume", "-6 dB"), (300.0, "pause", ""), (300.0, "resume", "")),
        form=_form(60.5, 55.0, "ml", NOTES, comfort=4, relaxation=5, dmer=False),
        experiment=("cue", "berceuse à deux") if arm else None,
        underruns=3,
    )
    w.played(
        T0 + timedelta(hours=3),
        pid=dead_pid,
        routine="calm",
        status="finished_early",
        played_s=300.5,
        letdowns=((61.0, ("waves",)),),
        cues=((10.0, "waves"),),
        extra=((0.0, "audio_lost", "no device"), (200.0, "next", "Expression")),
        form=_form(2.0, 1.5, "oz", comfort=2, relaxation=3, dmer=True),
        experiment=("cue", "waves") if arm else None,
        audio_problem="no device",
    )
    w.played(  # ended by the calmflow of the time, nothing filled in
        T0 + timedelta(hours=6), pid=dead_pid, status="interrupted", played_s=42.0
    )
    for i in range(36):  # weeks of ordinary sessions
        at = T0 + timedelta(hours=9 + 3 * i, minutes=rng.randint(-40, 40))
        played = rng.choice([1200.0, 1200.0, 900.0, rng.uniform(200, 1200)])
        times = sorted(rng.uniform(20, played) for _ in range(rng.randint(0, 3)))
        shown = tuple((rng.uniform(0, 90), name) for name in rng.sample(CUES, rng.randint(0, 2)))
        routine = rng.choice(["standard", "calm", "quick"])
        w.played(
            at,
            pid=dead_pid,
            routine=routine,
            status=rng.choice(["completed", "completed", "completed", "finished_early"]),
            played_s=played,
            letdowns=tuple((t, tuple(n for s, n in shown if s <= t)) for t in times),
            cues=shown,
            form=_form(
                round(rng.uniform(10, 90), 1),
                rng.choice([None, round(rng.uniform(10, 90), 1)]),
                rng.choice(["ml", "ml", "oz"]),
                rng.choice([None, "tired", "baby fed just before"]),
                comfort=rng.choice([None, 3, 4, 5]),
                relaxation=rng.choice([None, 2, 4]),
                dmer=rng.choice([None, False]),
            )
            if rng.random() < 0.8
            else None,
            experiment=("cue", CUES[i % 2]) if arm and routine == "calm" else None,
            underruns=rng.choice([0, 0, 1]),
        )
    w.played(  # the last one: its process was killed, and then calmflow was updated
        T0 + timedelta(days=6),
        pid=dead_pid,
        status="running",
        played_s=130.0,
        letdowns=((70.5, ("voice-memo",)),),
        cues=((5.0, "voice-memo"),),
    )
    if w.has("counted_letdowns"):  # `calmflow log add`, typed in afterwards
        w.by_hand(T0 + timedelta(days=2, hours=1), 20.0, 2, **_form(60, 55, "ml", "at work"))
        w.by_hand(T0 + timedelta(days=3), None, None, **_form(None, None, "oz"))
    return w.sessions


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def make_old_log(path: Path, version: int, dead_pid: int) -> OldLog:
    """The log at `path` as calmflow at schema `version` made it and wrote into it."""
    with mock.patch.object(store_db, "MIGRATIONS", MIGRATIONS[:version]):
        conn = store_db.connect(path)
    try:
        columns = set(_columns(conn, "sessions"))
        log = OldLog(version, _write_sessions(columns, version, dead_pid))
        conn.execute("BEGIN")
        for s in log.sessions:
            names = [n for n in (*SESSION_FIELDS, "pid") if n in columns]
            values = [int(s[n]) if n == "dmer" and s[n] is not None else s[n] for n in names]
            s["id"] = conn.execute(
                f"INSERT INTO sessions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                values,
            ).lastrowid
            conn.executemany(
                "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (s["id"], ld["number"], ld["t_s"], ld["phase"], ld["phase_kind"])
                    + (json.dumps(ld["cues"]), ld["marked_at"])
                    for ld in s["letdowns"]
                ],
            )
            conn.executemany(
                "INSERT INTO session_events (session_id, t_s, kind, detail, at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(s["id"], e["t_s"], e["kind"], e["detail"], e["at"]) for e in s["events"]],
            )
        tables = _tables(conn)
        if "schedule" in tables:
            set_at = "2025-01-09T20:00:00.000Z"
            conn.execute(
                "INSERT INTO schedule (id, times, every_min, night_from, night_to, grace_min,"
                " set_at) VALUES (1, NULL, 180, '23:00', '05:00', 30, ?)",
                (set_at,),
            )
            every = Schedule(
                every=timedelta(hours=3), night=(time(23), time(5)), grace=timedelta(minutes=30)
            )
            log.schedule = (every, datetime.fromisoformat(set_at))
            log.missed = [_iso(T0 + timedelta(days=d, hours=h)) for d, h in ((1, 2), (4, 8))]
            conn.executemany(
                "INSERT INTO missed_slots (due_at, noted_at) VALUES (?, ?)",
                [(due, _iso(T0 + timedelta(days=5))) for due in log.missed],
            )
        if "parts" in tables:
            log.measurements = [
                ("left", 18.5, "2025-01-02T09:00:00.000Z"),
                ("right", 18.0, "2025-01-02T09:01:00.000Z"),
                ("left", 17.5, "2025-01-12T09:00:00.000Z"),
            ]
            conn.executemany(
                "INSERT INTO fit_measurements (side, mm, measured_at) VALUES (?, ?, ?)",
                log.measurements,
            )
            log.parts = [
                ("flange", "24 mm", None, ["2025-01-02T09:05:00.000Z", "2025-01-14T10:00:00.000Z"]),
                ("duckbill", None, 14, ["2025-01-03T07:00:00.000Z"]),
            ]
            for kind, label, every_days, fittings in log.parts:
                pid = conn.execute(
                    "INSERT INTO parts (kind, label, every_days, added_at) VALUES (?, ?, ?, ?)",
                    (kind, label, every_days, fittings[0]),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO part_fittings (part_id, fitted_at) VALUES (?, ?)",
                    [(pid, at) for at in fittings],
                )
        if "feeds" in tables:  # `calmflow log feed`, and one read from Baby Buddy
            log.feeds = [
                {
                    "uuid": str(uuid.UUID(int=11)),
                    "started_at": _iso(T0 + timedelta(hours=1, minutes=30)),
                    "ended_at": _iso(T0 + timedelta(hours=1, minutes=45)),
                    "side": "left",
                    "source": "calmflow",
                },
                {
                    "uuid": str(uuid.UUID(int=12)),
                    "started_at": _iso(T0 + timedelta(days=1, hours=4)),
                    "ended_at": None,
                    "side": None,
                    "source": "calmflow",
                },
                {
                    "uuid": str(uuid.UUID(int=13)),
                    "started_at": _iso(T0 + timedelta(days=2, hours=4)),
                    "ended_at": _iso(T0 + timedelta(days=2, hours=4, minutes=20)),
                    "side": "both",
                    "source": "babybuddy",
                },
            ]
            conn.executemany(
                "INSERT INTO feeds (uuid, started_at, ended_at, side, source)"
                " VALUES (:uuid, :started_at, :ended_at, :side, :source)",
                log.feeds,
            )
            conn.execute(
                "INSERT INTO babybuddy_feedings (url, feeding_id, child_id, feed_uuid, synced_at)"
                " VALUES ('https://baby.example', 7, 1, ?, ?)",
                (log.feeds[2]["uuid"], _iso(T0 + timedelta(days=3))),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return log


# --- what the current calmflow must read back ---------------------------------------------


def _record(s: dict[str, Any]) -> SessionRecord:
    shown = sorted(
        (e["t_s"], i, e["detail"]) for i, e in enumerate(s["events"]) if e["kind"] == "cue"
    )
    # Built as the store reads the log: what an earlier calmflow wrote is kept as it
    # is (a total over 2000 ml from before the form checked it), not checked again.
    return SessionRecord.model_construct(
        id=s["id"],
        uuid=s["uuid"],
        routine=s["routine"],
        routine_path=s["routine_path"],
        routine_digest=s["routine_digest"],
        started_at=datetime.fromisoformat(s["started_at"]),
        updated_at=datetime.fromisoformat(s["updated_at"]),
        ended_at=_moment(s["ended_at"]),
        status=s["status"],
        planned_s=s["planned_s"],
        played_s=s["played_s"],
        output=s["output"],
        underruns=s["underruns"],
        audio_problem=s["audio_problem"],
        volume_left_ml=s["volume_left_ml"],
        volume_right_ml=s["volume_right_ml"],
        volume_total_ml=s["volume_total_ml"],
        volume_unit=s["volume_unit"],
        notes=s["notes"],
        experiment=s["experiment"],
        experiment_arm=s["experiment_arm"],
        comfort=s["comfort"],
        relaxation=s["relaxation"],
        dmer=s["dmer"],
        letdowns=tuple(
            LetdownRecord.model_construct(
                number=ld["number"],
                t_s=ld["t_s"],
                phase=ld["phase"],
                phase_kind=ld["phase_kind"],
                cues=tuple(ld["cues"]),
                marked_at=datetime.fromisoformat(ld["marked_at"]),
            )
            for ld in s["letdowns"]
        ),
        cues_shown=tuple((name, t) for t, _, name in shown),
        counted_letdowns=s["counted_letdowns"],
    )


def _cli(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    gc.collect()  # the command's Store is not closed by it; let go of its connection
    assert done.exit_code == 0, (args, done.output)
    return done.stdout


def _check_log_json(printed: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """`calmflow log --json` against what was written, field by field."""
    assert [p["id"] for p in printed] == [e["id"] for e in expected]
    not_printed = ("uuid", "routine_path", "routine_digest", "started_at", "updated_at", "ended_at")
    same = [name for name in SESSION_FIELDS if name not in not_printed]
    for p, e in zip(printed, expected, strict=True):
        for name in same:
            assert p[name] == e[name], (e["id"], name, p[name], e[name])
        assert _moment(p["started_at"]) == _moment(e["started_at"])
        assert _moment(p["ended_at"]) == _moment(e["ended_at"])
        assert len(p["letdowns"]) == len(e["letdowns"])
        for pl, el in zip(p["letdowns"], e["letdowns"], strict=True):
            assert _moment(pl.pop("marked_at")) == _moment(el["marked_at"])
            assert pl == {k: v for k, v in el.items() if k != "marked_at"}


def _backup(path: Path) -> Path:
    return path.with_name(f"{path.name}.before-schema-{LATEST}")


def _migrations(path: Path) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall()


def _user_version(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _sessions_as_left(before: checks.Rows, old_columns: list[str]) -> list[tuple[Any, ...]]:
    """The old sessions table's rows as they must be now: unchanged, but for the
    sessions left running by a dead process (interrupted, ended when last written)."""
    status, ended, updated = (old_columns.index(n) for n in ("status", "ended_at", "updated_at"))
    out = []
    for row in before["sessions"]:
        if row[status] == "running":
            row = list(row)
            row[status], row[ended] = "interrupted", row[updated]
            row = tuple(row)
        out.append(row)
    return out


def check_opened(path: Path, log: OldLog, before: checks.Rows, old_columns: list[str]) -> int:
    """Open the migrated log every way a person would and compare everything with
    what was written; return how many values the old log held (each one checked,
    most of them several ways)."""
    expected = log.expected()

    printed = json.loads(_cli("log", "--json"))
    _check_log_json(printed, expected)
    listing = [line.split()[0] for line in _cli("log").splitlines()]
    assert [int(n) for n in listing if not n.startswith("f")] == [e["id"] for e in expected]
    assert len([n for n in listing if n.startswith("f")]) == len(log.feeds)
    exported = json.loads(_cli("export", "--format", "json"))
    assert exported["sessions"] == [{k: v for k, v in e.items() if k != "id"} for e in expected]
    assert exported["feeds"] == log.feeds
    records = [_record(e) for e in expected]
    reviewed = json.loads(_cli("review", "--json"))
    want = {"filters": {"since_days": None, "routine": None, "cue": None}}
    want |= review(records).as_dict()
    assert reviewed == json.loads(json.dumps(want))
    assert reviewed["sessions"] == len(expected)

    store = Store(path)
    try:
        got = store.sessions()
        for g, r in zip(got, records, strict=True):
            assert g == r, f"session {r.id}: read back {g}, written {r}"
        assert [s.model_dump(mode="json") for s in store.dump_sessions()] == exported["sessions"]
        for e in expected:
            assert store.events(e["id"]) == [
                (v["t_s"], v["kind"], v["detail"]) for v in e["events"]
            ]
        assert store.last_sound_volume_db() == -6.0
        assert store.last_volume_unit() == next(
            e["volume_unit"] for e in reversed(expected) if e["volume_unit"]
        )
        arms = [e["experiment_arm"] for e in expected if e["routine"] == "calm"]
        assert [r.experiment_arm for r in got if r.routine == "calm" and r.experiment == "cue"] == [
            a for a in arms if a is not None
        ]
        kept = planning.load_schedule(store)
        assert (kept.schedule, kept.set_at) == log.schedule if kept else log.schedule is None
        assert [
            _iso(m) for m in planning.missed_since(store, T0 - timedelta(days=30))
        ] == log.missed
        latest = {side: (mm, at) for side, mm, at in log.measurements}
        assert care.latest_measurements(store) == {
            side: Measurement(side, mm, datetime.fromisoformat(at))
            for side, (mm, at) in latest.items()
        }
        assert care.parts(store) == [
            Part(i, kind, label, datetime.fromisoformat(max(at)), every, len(at))
            for i, (kind, label, every, at) in enumerate(log.parts, start=1)
        ]
    finally:
        store.close()

    # The old columns hold exactly what they held; the new ones their defaults.
    with contextlib.closing(sqlite3.connect(path)) as conn:
        now_columns = _columns(conn, "sessions")
        assert now_columns[: len(old_columns)] == old_columns  # added at the end
        rows = conn.execute(f"SELECT {', '.join(old_columns)} FROM sessions ORDER BY rowid")
        assert rows.fetchall() == _sessions_as_left(before, old_columns)
        added = now_columns[len(old_columns) :]
        if added:
            nulls = conn.execute(
                f"SELECT count(*) FROM sessions WHERE {' AND '.join(f'{c} IS NULL' for c in added)}"
            ).fetchone()[0]
            assert nulls == len(log.sessions), f"{added}: not all NULL in an old session"
        new_tables = _tables(conn) - set(before) - {"schema_migrations"}
        for table in new_tables:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    # Columns a migration adds go at the end (an interval's from_time, NULL in an
    # old schedule): the old ones keep exactly what they held.
    after = {
        t: [row[: len(before[t][0])] for row in r] if before.get(t) else r
        for t, r in checks.rows(path).items()
    }
    checks.assert_kept({t: r for t, r in before.items() if t != "sessions"}, after)
    checks.integrity(path)
    assert _user_version(path) == LATEST
    return sum(len(row) for table in before.values() for row in table)


def _check_backup(path: Path, old_bytes: bytes, version: int) -> None:
    backup = _backup(path)
    assert backup.exists(), "the old log was not copied aside"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.read_bytes() == old_bytes
    checks.integrity(backup)
    assert _user_version(backup) == version


def _check_opening_again(path: Path) -> None:
    """A second open (the Store, then a command) changes no migration and no copy."""
    migrations = _migrations(path)
    backup = _backup(path)
    kept = backup.read_bytes(), backup.stat().st_mtime_ns
    files = sorted(p.name for p in path.parent.iterdir())
    Store(path).close()
    _cli("log", "--json")
    assert _migrations(path) == migrations
    assert [m[:2] for m in migrations] == [(i + 1, n) for i, (n, _) in enumerate(MIGRATIONS)]
    assert (backup.read_bytes(), backup.stat().st_mtime_ns) == kept
    transient = {path.name + "-wal", path.name + "-shm"}
    now = sorted(p.name for p in path.parent.iterdir())
    assert [n for n in now if n not in transient] == [n for n in files if n not in transient]


@dataclass
class Before:
    log: OldLog
    bytes: bytes
    rows: checks.Rows
    columns: list[str]
    migrations: list[tuple[Any, ...]]


def _made(path: Path, version: int, dead_pid: int) -> Before:
    log = make_old_log(path, version, dead_pid)
    assert _user_version(path) == version
    assert not path.with_name(path.name + "-wal").exists()  # closed as calmflow closes it
    with contextlib.closing(sqlite3.connect(path)) as conn:
        columns = _columns(conn, "sessions")
    return Before(log, path.read_bytes(), checks.rows(path), columns, _migrations(path))


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has ended: the calmflow that left a session running."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


@pytest.fixture
def db_path(home: Path) -> Path:
    return home / "calmflow.sqlite3"


# --- from every earlier version ---------------------------------------------------------------


@pytest.mark.parametrize("version", EARLIER)
def test_a_log_from_every_earlier_schema_opens_with_everything(
    version: int, db_path: Path, dead_pid: int, faults: Any
) -> None:
    before = _made(db_path, version, dead_pid)
    with faults.inject(f"database from schema {version}") as fault:
        checked = check_opened(db_path, before.log, before.rows, before.columns)
        _check_backup(db_path, before.bytes, version)
        # The old migrations' record is kept as it was, the new ones follow.
        assert _migrations(db_path)[:version] == before.migrations
        _check_opening_again(db_path)
        fault.checked(checked)


def test_a_log_at_the_current_schema_is_neither_migrated_nor_copied(
    db_path: Path, dead_pid: int
) -> None:
    # The same checks on a log that needs no migration: the reading side of the
    # checks, with every table filled (pump care too).
    before = _made(db_path, LATEST, dead_pid)
    assert before.log.parts and before.log.schedule
    check_opened(db_path, before.log, before.rows, before.columns)
    assert not _backup(db_path).exists()
    assert _migrations(db_path) == before.migrations


# --- a migration killed halfway -----------------------------------------------------------------

KILLED_INSIDE = """
import os, signal, sys
from pathlib import Path

from calmflow.store import db
from calmflow.store.schema import MIGRATIONS


class KilledAfterFirstStatement:
    def __init__(self, conn):
        self.conn = conn

    def execute(self, *args):
        cursor = self.conn.execute(*args)
        os.kill(os.getpid(), signal.SIGKILL)
        return cursor


number = int(sys.argv[2])
name, apply = MIGRATIONS[number - 1]
migrations = list(MIGRATIONS)
migrations[number - 1] = (name, lambda conn: apply(KilledAfterFirstStatement(conn)))
db.MIGRATIONS = migrations
db.connect(Path(sys.argv[1]))
sys.exit("the migration ran to its end: it was to be killed inside it")
"""


def _killed_inside(path: Path, number: int) -> None:
    """Open the log in a process killed inside migration `number`, after its first statement."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_INSIDE, str(path), str(number)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize("version", EARLIER)
def test_a_migration_killed_inside_its_transaction_leaves_a_log_that_opens_with_everything(
    version: int, db_path: Path, dead_pid: int, faults: Any
) -> None:
    before = _made(db_path, version, dead_pid)
    with faults.inject(f"SIGKILL inside the migration from schema {version}") as fault:
        _killed_inside(db_path, version + 1)
        # Nothing of the killed migration is there; the log is as it was.
        assert _user_version(db_path) == version
        checks.integrity(db_path)
        assert checks.rows(db_path) == before.rows
        _check_backup(db_path, before.bytes, version)
        checked = check_opened(db_path, before.log, before.rows, before.columns)
        _check_backup(db_path, before.bytes, version)
        _check_opening_again(db_path)
        fault.checked(checked)


def test_killed_inside_a_later_migration_after_earlier_ones_were_kept(
    db_path: Path, dead_pid: int, faults: Any
) -> None:
    # Each migration is its own transaction: killed inside the last one, those
    # before it are kept, and the next open goes on from there.
    before = _made(db_path, 1, dead_pid)
    with faults.inject(f"SIGKILL inside migration {LATEST} of a schema 1 log") as fault:
        _killed_inside(db_path, LATEST)
        assert _user_version(db_path) == LATEST - 1
        checks.integrity(db_path)
        checked = check_opened(db_path, before.log, before.rows, before.columns)
        assert [m[:2] for m in _migrations(db_path)] == [
            (i + 1, n) for i, (n, _) in enumerate(MIGRATIONS)
        ]
        _check_opening_again(db_path)
        fault.checked(checked)


def test_killed_after_earlier_migrations_were_kept_the_copy_is_still_the_original(
    db_path: Path, dead_pid: int
) -> None:
    # The copy is there to go back to the calmflow of before; a copy of a
    # half-migrated log is one that calmflow refuses as newer.
    before = _made(db_path, 1, dead_pid)
    _killed_inside(db_path, LATEST)
    Store(db_path).close()
    _check_backup(db_path, before.bytes, 1)
