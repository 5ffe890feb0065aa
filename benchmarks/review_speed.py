"""How long `calmflow review --json` takes over seven years of sessions.

Run:  .venv/bin/python benchmarks/review_speed.py [SESSIONS] [RUNS]
Builds a database of SESSIONS sessions (20,000 by default: about seven years
of 8 a day) in a temporary CALMFLOW_HOME, through calmflow's own schema, with
let-downs, volumes, cues as the player logs them, an experiment with three
arms given in turn, a finished experiment drawn at random (8 blocks) and a few
sessions logged by hand; then runs `calmflow review --json` RUNS
times (3 by default) as a person would (a new process each time, imports
included) and prints each run, the median and the target: under 1 s.
`make_database` is what other benchmarks import to get the same data.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmflow.core.trial import arm_at
from calmflow.store.store import Store
from calmflow.system.wallclock import iso_time

TARGET_S = 1.0
PER_DAY = 8
ROUTINES = (("standard", 1200.0), ("quick", 600.0), ("power-pumping", 3600.0))


def make_database(path: Path, sessions: int = 20_000, seed: int = 1) -> None:
    """A database at `path` (made by calmflow's Store, so the schema is current)."""
    Store(path).close()
    rng = random.Random(seed)
    start = datetime(2019, 11, 1, 5, 0, tzinfo=UTC)
    session_rows, letdown_rows, event_rows = [], [], []
    drawn = 2 * 8 if sessions >= 100 else 0  # the experiment's sessions come last
    for i in range(sessions - drawn):
        sid = i + 1
        began = start + timedelta(hours=24 / PER_DAY * i, minutes=rng.uniform(-40, 40))
        manual = rng.random() < 0.05
        routine, planned = ("manual", 900.0) if manual else rng.choice(ROUTINES)
        photo = not manual and rng.random() < 0.5
        arm = rng.choice(("lullaby", "waves", "silence")) if routine == "standard" else None
        # The photo helps a little; a tenth of sessions have no let-down at all.
        first = None if rng.random() < 0.1 else rng.lognormvariate(5.0 - 0.2 * photo, 0.5)
        played = planned if first is None or first < planned else planned
        count = 0 if first is None or first >= planned else rng.choice((1, 1, 2, 3))
        volume = round(rng.uniform(40, 160), 1) if rng.random() < 0.8 else None
        session_rows.append(
            (
                sid,
                str(uuid.UUID(int=rng.getrandbits(128))),
                routine,
                iso_time(began),
                iso_time(began + timedelta(seconds=played)),
                iso_time(began + timedelta(seconds=played)),
                "completed",
                planned,
                played,
                "manual" if manual else "device",
                volume,
                "ml" if volume is not None else None,
                "music" if arm else None,
                arm,
                count if manual else None,
            )
        )
        if manual:
            continue
        marked = iso_time(began)
        event_rows.append((sid, 0.0, "cue", "waves", marked))
        if photo:
            event_rows.append((sid, 0.0, "cue", "baby-photo", marked))
        if arm and arm != "silence":
            event_rows.append((sid, 30.0, "cue", arm, marked))
        t = first or 0.0
        for number in range(1, count + 1):
            at = round(min(t, played), 2)  # within the time played, as the player logs it
            letdown_rows.append((sid, number, at, "Expression", "expression", '["waves"]', marked))
            t += rng.uniform(120, 400)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO sessions (id, uuid, routine, started_at, updated_at, ended_at, status,"
            " planned_s, played_s, output, volume_total_ml, volume_unit, experiment,"
            " experiment_arm, counted_letdowns) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            session_rows,
        )
        conn.executemany(
            "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            letdown_rows,
        )
        conn.executemany(
            "INSERT INTO session_events (session_id, t_s, kind, detail, at) VALUES (?, ?, ?, ?, ?)",
            event_rows,
        )
        if drawn:
            _add_finished_experiment(conn, rng, start + timedelta(hours=24 / PER_DAY * sessions))


def _add_finished_experiment(conn: sqlite3.Connection, rng: random.Random, began: datetime) -> None:
    """An experiment drawn at random, all 8 blocks of it played (16 sessions): the
    review answers it."""
    arms, seed = ("picture", "waves"), 7
    conn.execute(
        "INSERT INTO trials (routine, slot, arms, fingerprint, blocks, seed, started_at)"
        " VALUES ('photo-or-waves', 'calm', ?, 'benchmark', 8, ?, ?)",
        (json.dumps(list(arms)), seed, iso_time(began)),
    )
    for k in range(2 * 8):
        arm = arm_at(seed, arms, k)
        at = began + timedelta(hours=3 * k)
        cur = conn.execute(
            "INSERT INTO sessions (uuid, routine, started_at, updated_at, ended_at, status,"
            " planned_s, played_s, output, experiment, experiment_arm, trial_id, trial_position)"
            " VALUES (?, 'photo-or-waves', ?, ?, ?, 'completed', 1200, 1200, 'device', 'calm', ?,"
            " 1, ?)",
            (
                str(uuid.UUID(int=rng.getrandbits(128))),
                iso_time(at),
                iso_time(at + timedelta(seconds=1200)),
                iso_time(at + timedelta(seconds=1200)),  # as long as it played
                arm,
                k,
            ),
        )
        first = rng.lognormvariate(5.0 - 0.3 * (arm == "picture"), 0.5)
        conn.execute(
            "INSERT INTO letdowns (session_id, number, t_s, phase, phase_kind, cues, marked_at)"
            " VALUES (?, 1, ?, 'Expression', 'expression', '[]', ?)",
            (cur.lastrowid, round(first, 2), iso_time(at)),
        )


def calmflow_command() -> list[str]:
    script = Path(sys.executable).with_name("calmflow")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "calmflow"]


def make_home(tmp: str, sessions: int) -> Path:
    """A private CALMFLOW_HOME in `tmp` holding `sessions` sessions; says how long it took."""
    home = Path(tmp) / "home"
    home.mkdir(mode=0o700)
    made = time.perf_counter()
    make_database(home / "calmflow.sqlite3", sessions)
    print(f"{sessions} sessions made in {time.perf_counter() - made:.1f} s")
    return home


def main() -> None:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(tmp, sessions)
        env = {**os.environ, "CALMFLOW_HOME": str(home)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [*calmflow_command(), "review", "--json"]
        subprocess.run(command, env=env, capture_output=True, check=True)  # caches warm
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - began)
        data = json.loads(done.stdout)
    median = statistics.median(times)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"calmflow review --json over {data['sessions']} sessions:")
    print("  runs (s): " + "  ".join(f"{t:.3f}" for t in times))
    verdict = "met" if median < TARGET_S else "NOT met"
    print(f"  median {median:.3f} s; target < {TARGET_S:.0f} s: {verdict}")
    print(f"  {len(data['comparisons'])} comparisons, e.g. {data['comparisons'][0]['sentence']}")


if __name__ == "__main__":
    main()
