"""How long `calmflow sync babybuddy` takes with 3,000 sessions and a year of feedings.

Run:  .venv/bin/python benchmarks/sync_speed.py [SESSIONS]   (default: 3000)
Logs SESSIONS sessions (every 8 hours, back from now, with volumes of both
sides) in a temporary CALMFLOW_HOME through calmflow's Store, starts the
Baby Buddy API of the tests (tests/unit/babybuddy_server.py: its validation,
overlap check and pagination) on 127.0.0.1 with a year of the child's feedings
(one every 3 hours: left, right, both breasts and a bottle in turn), and runs
`calmflow sync babybuddy` twice as a person would (a new process each time,
imports included): the first sync sends every session and reads every
feeding, the second has nothing new (and reads the last week's feedings).
Prints both times, the requests each made, and the targets: under 60 s, under 2 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calmflow.core.records import SessionRecord  # noqa: E402
from calmflow.store.store import Store  # noqa: E402
from tests.unit.babybuddy_server import BabyBuddyState, babybuddy_server  # noqa: E402

FIRST_TARGET_S = 60.0
SECOND_TARGET_S = 2.0


def sessions(count: int) -> list[SessionRecord]:
    now = datetime.now(UTC).replace(microsecond=0)
    made = []
    for i in range(count):
        start = now - timedelta(hours=8 * (i + 1))
        made.append(
            SessionRecord(
                routine="standard",
                started_at=start,
                updated_at=start + timedelta(minutes=20),
                ended_at=start + timedelta(minutes=20),
                status="completed",
                planned_s=1200,
                played_s=1200,
                output="null",
                volume_left_ml=60 + i % 7,
                volume_right_ml=50 + i % 5,
                volume_total_ml=110 + i % 7 + i % 5,
                volume_unit="ml",
            )
        )
    return made


def feedings(state: BabyBuddyState) -> None:
    """A year of feedings, one every 3 hours, the methods in turn."""
    now = datetime.now(UTC).replace(microsecond=0)
    methods = ("left breast", "right breast", "both breasts", "bottle")
    for i in range(365 * 8):
        start = now - timedelta(hours=3 * (i + 1), minutes=30)
        state.feed(1, start, 15, methods[i % len(methods)])


def sync(url: str, home: Path, token: str) -> tuple[float, str]:
    env = {**os.environ, "CALMFLOW_HOME": str(home), "CALMFLOW_BABYBUDDY_TOKEN": token}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "calmflow", "sync", "babybuddy", url, "--child", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"sync failed ({done.returncode}): {done.stderr.strip()}")
    return took, done.stdout.strip()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        home.mkdir(mode=0o700)
        store = Store(home / "calmflow.sqlite3")
        store.add_sessions(sessions(count))
        store.close()
        with babybuddy_server(BabyBuddyState()) as (url, state):
            feedings(state)
            first, said = sync(url, home, state.token)
            print(f"first sync of {count} sessions: {first:.2f} s ({len(state.requests)} requests)")
            print(f"  {said}")
            assert len(state.entries) == count, len(state.entries)
            before = len(state.requests)
            second, said = sync(url, home, state.token)
            print(
                f"second sync, nothing new: {second:.2f} s"
                f" ({len(state.requests) - before} requests)"
            )
            print(f"  {said}")
    ok_first = "met" if first < FIRST_TARGET_S else "MISSED"
    ok_second = "met" if second < SECOND_TARGET_S else "MISSED"
    print(
        f"targets: first under {FIRST_TARGET_S:g} s ({ok_first}), second under {SECOND_TARGET_S:g} s ({ok_second})"
    )


if __name__ == "__main__":
    main()
