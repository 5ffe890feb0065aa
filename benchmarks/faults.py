"""Kill sessions many times and count what survived: `python benchmarks/faults.py [KILLS]`.

Each kill is a real SIGKILL of a session played in its own process (the
standard routine, headless, on a clock moved by hand: let-downs, an undo,
pause, volume, the finish and the after-session form; tests/faults/
session_driver.py) at a random moment, or inside one of calmflow's writes
(a let-down, an undo, a phase, the end, the form) in turn. After each one the
log is opened as the next start would, and every entry the person had been
shown as done is looked for, once; the database must pass its integrity
check. All kills go into one log that grows, so the entries checked include
every earlier session's.

Prints faults injected, survived with nothing lost, and entries checked; the
fault-injection suite (`pytest tests/faults`) prints the same for every kind
of fault (disk full, damaged log, lost sound, bad media...).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.killing import (  # noqa: E402
    check_after_kill,
    driver,
    full_run_seconds,
    kill_after,
    snapshot,
)

INSIDE = [
    "INSERT INTO sessions:1",
    "INSERT INTO letdowns:1",
    "INSERT INTO letdowns:3",
    "UPDATE sessions SET played_s = max:2",
    "DELETE FROM letdowns:1",
    "INSERT INTO session_events:4",
    "UPDATE sessions SET status:1",
    "UPDATE sessions SET volume_left_ml:1",
]
"""Kill points inside a write: after the statement, before its commit."""


def main(kills: int) -> int:
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        whole = full_run_seconds(home, Path(tmp) / "whole.acks")
        print(f"one whole session takes {whole:.1f} s; killing {kills} sessions")
        injected = survived = entries = 0
        failures: list[str] = []
        began = time.monotonic()
        for run in range(kills):
            before = snapshot(home)
            acks = Path(tmp) / f"{run}.acks"
            if run % 3 == 2:  # one in three inside a write, in turn
                point = INSIDE[(run // 3) % len(INSIDE)]
                proc = driver(home, run, acks, kill_at=point)
                proc.communicate(timeout=60)
                happened = proc.returncode == -9
            else:
                point = "random moment"
                happened = kill_after(driver(home, run, acks), rng.uniform(0.2, whole))
            if not happened:
                continue
            injected += 1
            try:
                entries += check_after_kill(home, before, acks)
                survived += 1
            except AssertionError as exc:
                failures.append(f"kill {run} ({point}): {exc}")
        took = time.monotonic() - began
    for failure in failures:
        print("LOST:", failure)
    print(
        f"faults injected: {injected} (SIGKILL), survived with nothing lost: {survived}, "
        f"entries checked: {entries} ({took:.0f} s)"
    )
    return 0 if survived == injected else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
