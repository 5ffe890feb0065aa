"""The database schema, as named migrations applied in order.

Never edit a migration that has shipped; add the next one. Each function runs
inside the transaction that records it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _v1_sessions(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )"""
    )
    conn.execute(
        """
        CREATE TABLE sessions (
            id              INTEGER PRIMARY KEY,
            uuid            TEXT NOT NULL UNIQUE,
            routine         TEXT NOT NULL,
            routine_path    TEXT,
            routine_digest  TEXT,
            started_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            ended_at        TEXT,
            status          TEXT NOT NULL CHECK (status IN
                                ('running', 'completed', 'finished_early', 'interrupted')),
            planned_s       REAL NOT NULL,
            played_s        REAL NOT NULL DEFAULT 0,
            output          TEXT NOT NULL,
            audio_problem   TEXT,
            underruns       INTEGER NOT NULL DEFAULT 0,
            pid             INTEGER,
            volume_left_ml  REAL,
            volume_right_ml REAL,
            volume_total_ml REAL,
            volume_unit     TEXT CHECK (volume_unit IN ('ml', 'oz')),
            notes           TEXT
        )"""
    )
    conn.execute("CREATE INDEX sessions_started ON sessions (started_at)")
    conn.execute(
        """
        CREATE TABLE letdowns (
            id          INTEGER PRIMARY KEY,
            session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            number      INTEGER NOT NULL,
            t_s         REAL NOT NULL,
            phase       TEXT NOT NULL,
            phase_kind  TEXT NOT NULL,
            cues        TEXT NOT NULL,
            marked_at   TEXT NOT NULL,
            UNIQUE (session_id, number)
        )"""
    )
    conn.execute(
        """
        CREATE TABLE session_events (
            id          INTEGER PRIMARY KEY,
            session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            t_s         REAL NOT NULL,
            kind        TEXT NOT NULL,
            detail      TEXT NOT NULL DEFAULT '',
            at          TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX session_events_session ON session_events (session_id)")


def _v2_experiments(conn: sqlite3.Connection) -> None:
    # Which cue a routine's experiment slot had in each session, so the review
    # can compare the arms.
    conn.execute("ALTER TABLE sessions ADD COLUMN experiment TEXT")
    conn.execute("ALTER TABLE sessions ADD COLUMN experiment_arm TEXT")
    conn.execute("CREATE INDEX sessions_experiment ON sessions (routine, experiment)")


def _v3_how_it_felt(conn: sqlite3.Connection) -> None:
    # The after-session form's questions on how the session felt: comfort and
    # relaxation from 1 to 5, and whether D-MER (a wave of low mood or dread
    # just before the let-down) was felt; all optional.
    conn.execute("ALTER TABLE sessions ADD COLUMN comfort INTEGER CHECK (comfort BETWEEN 1 AND 5)")
    conn.execute(
        "ALTER TABLE sessions ADD COLUMN relaxation INTEGER CHECK (relaxation BETWEEN 1 AND 5)"
    )
    conn.execute("ALTER TABLE sessions ADD COLUMN dmer INTEGER CHECK (dmer IN (0, 1))")


def _v4_counted_letdowns(conn: sqlite3.Connection) -> None:
    # A session pumped without calmflow and logged afterwards (`calmflow log add`)
    # has let-downs the person counted but no times for them: their number is
    # kept here, NULL for sessions whose let-downs were marked as they came.
    conn.execute(
        "ALTER TABLE sessions ADD COLUMN counted_letdowns INTEGER CHECK (counted_letdowns >= 0)"
    )


def _v5_schedule(conn: sqlite3.Connection) -> None:
    # The pumping schedule (one row: fixed times of day, or an interval with a
    # night gap) and the slots found missed, each kept once.
    conn.execute(
        """
        CREATE TABLE schedule (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            times      TEXT,
            every_min  INTEGER CHECK (every_min BETWEEN 60 AND 720),
            night_from TEXT,
            night_to   TEXT,
            grace_min  INTEGER NOT NULL CHECK (grace_min BETWEEN 0 AND 240),
            set_at     TEXT NOT NULL,
            CHECK ((times IS NULL) != (every_min IS NULL))
        )"""
    )
    conn.execute(
        """
        CREATE TABLE missed_slots (
            due_at   TEXT PRIMARY KEY,
            noted_at TEXT NOT NULL
        )"""
    )


def _v6_pump_care(conn: sqlite3.Connection) -> None:
    # Pump care: nipple-base measurements per side (for flange sizes to try), and
    # the pump parts the person uses with a row per fitting, so replacing a part
    # keeps its history and the latest fitting is the one in use.
    conn.execute(
        """
        CREATE TABLE fit_measurements (
            id          INTEGER PRIMARY KEY,
            side        TEXT NOT NULL CHECK (side IN ('left', 'right')),
            mm          REAL NOT NULL CHECK (mm > 0),
            measured_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX fit_measurements_side ON fit_measurements (side, measured_at)")
    conn.execute(
        """
        CREATE TABLE parts (
            id         INTEGER PRIMARY KEY,
            kind       TEXT NOT NULL,
            label      TEXT,
            every_days INTEGER CHECK (every_days >= 1),
            added_at   TEXT NOT NULL
        )"""
    )
    conn.execute(
        """
        CREATE TABLE part_fittings (
            id        INTEGER PRIMARY KEY,
            part_id   INTEGER NOT NULL REFERENCES parts (id) ON DELETE CASCADE,
            fitted_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX part_fittings_part ON part_fittings (part_id, fitted_at)")


def _v7_replayed_journals(conn: sqlite3.Connection) -> None:
    # Writes kept in the journal during a full disk are replayed in one transaction
    # that also records the journal's digest: a kill after the commit and before
    # the file is removed does not replay it twice.
    conn.execute(
        """
        CREATE TABLE replayed_journals (
            digest      TEXT PRIMARY KEY,
            replayed_at TEXT NOT NULL
        )"""
    )


def _v8_trials_and_review(conn: sqlite3.Connection) -> None:
    # Experiments drawn at random (n-of-1 trials): each as it was when it began
    # (a fingerprint of its slot, arms and phases), the blocks planned and the
    # seed the order of arms in each block is drawn from, so the allocation can
    # be audited and drawn again. Each session keeps the trial that gave it its
    # arm and its place in the trial's allocation, and the person's word on whether it counts in the review (NULL: as the
    # rule says, store.reads.IN_REVIEW: a session they ended within its first
    # minute is left out, any other counts).
    conn.execute(
        """
        CREATE TABLE trials (
            id          INTEGER PRIMARY KEY,
            routine     TEXT NOT NULL,
            slot        TEXT NOT NULL,
            arms        TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            blocks      INTEGER NOT NULL CHECK (blocks >= 1),
            seed        INTEGER NOT NULL,
            started_at  TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX trials_routine ON trials (routine, id)")
    conn.execute("ALTER TABLE sessions ADD COLUMN trial_id INTEGER REFERENCES trials (id)")
    conn.execute("ALTER TABLE sessions ADD COLUMN trial_position INTEGER")
    conn.execute("ALTER TABLE sessions ADD COLUMN in_review INTEGER CHECK (in_review IN (0, 1))")


def _v9_schedule_from_and_exports(conn: sqlite3.Connection) -> None:
    # An interval schedule counts from a whole time of the person's clock each day
    # (NULL in one set before: read as its night's end, or the whole hour nearest
    # to when it was set). And the sessions written to a file for another tool
    # (`target`: 'babybuddy'), each once, so the next such file holds only what
    # is new and imports cleanly after the first.
    conn.execute("ALTER TABLE schedule ADD COLUMN from_time TEXT")
    conn.execute(
        """
        CREATE TABLE exported (
            session_uuid TEXT NOT NULL,
            target       TEXT NOT NULL,
            exported_at  TEXT NOT NULL,
            PRIMARY KEY (session_uuid, target)
        )"""
    )


def _v10_babybuddy_sync(conn: sqlite3.Connection) -> None:
    # `calmflow sync babybuddy`: the unit each Baby Buddy (by its URL) keeps amounts
    # in, and which session became which of its pumping entries, for which child,
    # with the amount (in that unit), the times and the notes sent, so a later run
    # sends only what is new and PATCHes what changed. An entry is one session's.
    conn.execute(
        """
        CREATE TABLE babybuddy_instances (
            url  TEXT PRIMARY KEY,
            unit TEXT NOT NULL CHECK (unit IN ('ml', 'oz'))
        )"""
    )
    conn.execute(
        """
        CREATE TABLE babybuddy_entries (
            url          TEXT NOT NULL,
            child_id     INTEGER NOT NULL,
            session_uuid TEXT NOT NULL,
            entry_id     INTEGER NOT NULL,
            amount       REAL NOT NULL,
            start        TEXT NOT NULL,
            end          TEXT NOT NULL,
            notes        TEXT NOT NULL,
            synced_at    TEXT NOT NULL,
            PRIMARY KEY (url, child_id, session_uuid),
            UNIQUE (url, entry_id)
        )"""
    )


def _v11_feeds(conn: sqlite3.Connection) -> None:
    # Breastfeeds: milk removals that keep a schedule slot, but never pumping
    # sessions, so a table of their own that no read of sessions meets (`source`:
    # logged in calmflow, or read from Baby Buddy). Then the Baby Buddy feedings
    # each became (by its id there, so one is never added twice), and when a
    # child's feedings were last read there (the next run reads from then).
    conn.execute(
        """
        CREATE TABLE feeds (
            id         INTEGER PRIMARY KEY,
            uuid       TEXT NOT NULL UNIQUE,
            started_at TEXT NOT NULL,
            ended_at   TEXT,
            side       TEXT CHECK (side IN ('left', 'right', 'both')),
            source     TEXT NOT NULL CHECK (source IN ('calmflow', 'babybuddy'))
        )"""
    )
    conn.execute("CREATE INDEX feeds_started ON feeds (started_at)")
    conn.execute(
        """
        CREATE TABLE babybuddy_feedings (
            url        TEXT NOT NULL,
            feeding_id INTEGER NOT NULL,
            child_id   INTEGER NOT NULL,
            feed_uuid  TEXT NOT NULL,
            synced_at  TEXT NOT NULL,
            PRIMARY KEY (url, feeding_id)
        )"""
    )
    conn.execute(
        """
        CREATE TABLE babybuddy_feedings_read (
            url      TEXT NOT NULL,
            child_id INTEGER NOT NULL,
            read_at  TEXT NOT NULL,
            PRIMARY KEY (url, child_id)
        )"""
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("sessions, let-downs and session events", _v1_sessions),
    ("the experiment arm of each session", _v2_experiments),
    ("comfort, relaxation and D-MER from the after-session form", _v3_how_it_felt),
    ("let-downs counted by hand for a session logged afterwards", _v4_counted_letdowns),
    ("the pumping schedule and the slots missed", _v5_schedule),
    ("flange-fit measurements and pump parts with their fittings", _v6_pump_care),
    ("journals of unsaved writes, each replayed once", _v7_replayed_journals),
    ("experiments drawn at random, and sessions left out of the review", _v8_trials_and_review),
    (
        "the time an interval schedule counts from, and sessions sent to Baby Buddy",
        _v9_schedule_from_and_exports,
    ),
    ("sessions sent to Baby Buddy's API, each linked to its entry", _v10_babybuddy_sync),
    ("breastfeeds, and the Baby Buddy feedings they were read from", _v11_feeds),
]
