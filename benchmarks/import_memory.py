"""Peak memory and time of `calmflow import` of a large export.

Run:  .venv/bin/python benchmarks/import_memory.py [--mb 500]
Writes calmflow JSON exports of sessions as the player logs them (each with
two let-downs and ten events, about 3 kB) and imports each into an empty
CALMFLOW_HOME, as a person would (a new process, imports included):

- one of --mb MB (500 by default, about 180,000 sessions): more than import
  takes (reading.MAX_IMPORT_MB), so refused by its size; prints how soon
  (target: under 1 s);
- one just under that limit, as JSON and as CSV: prints the peak resident
  memory of the import process (its VmHWM, through getrusage) and the time
  (targets: under 300 MB, under 60 s), and checks every session arrived.

MB here are MiB (2**20 bytes), as calmflow's message says them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmflow.services.exchange.reading import MAX_IMPORT_BYTES, MAX_IMPORT_MB
from calmflow.system.wallclock import iso_time

REFUSAL_TARGET_S = 1.0
PEAK_TARGET_MB = 300.0
TIME_TARGET_S = 60.0

# Runs the import in a child and prints the child's peak RSS (kB) and the time:
# the only child of this process, so RUSAGE_CHILDREN is its own.
MEASURE = """
import resource, subprocess, sys, time
began = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
took = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{done.returncode} {peak} {took}")
sys.stderr.write(done.stdout + done.stderr)
"""


def session(i: int) -> dict[str, object]:
    """A session as `calmflow export` writes it: 20 minutes played, two let-downs."""
    began = datetime(2001, 1, 1, 6, 0, tzinfo=UTC) + timedelta(hours=3 * i)

    def at(seconds: float) -> str:
        return iso_time(began + timedelta(seconds=seconds))

    return {
        "uuid": str(uuid.UUID(int=i + 1)),
        "routine": "standard",
        "routine_path": "/home/someone/.local/share/calmflow/routines/standard.yaml",
        "routine_digest": "0" * 64,
        "started_at": at(0),
        "updated_at": at(1200),
        "ended_at": at(1200),
        "status": "completed",
        "planned_s": 1200.0,
        "played_s": 1200.0,
        "output": "device",
        "audio_problem": None,
        "underruns": 0,
        "volume_left_ml": 60.0,
        "volume_right_ml": 45.5,
        "volume_total_ml": 105.5,
        "volume_unit": "ml",
        "notes": "after the bath" if i % 3 else None,
        "experiment": None,
        "experiment_arm": None,
        "comfort": 4,
        "relaxation": 5,
        "dmer": False,
        "counted_letdowns": None,
        "in_review": None,
        "letdowns": [
            {
                "number": n,
                "t_s": t,
                "phase": "Stimulation" if n == 1 else "Expression",
                "phase_kind": "stimulation" if n == 1 else "expression",
                "cues": ["photo", "lullaby"],
                "marked_at": at(t),
            }
            for n, t in ((1, 95.25), (2, 515.0))
        ],
        "events": [
            {"t_s": 120.0 * k, "kind": "phase", "detail": f"Phase {k}", "at": at(120.0 * k)}
            for k in range(10)
        ],
    }


def write_export(path: Path, size: int) -> int:
    """An export of at least `size` bytes (or just under, with `size` negative) at
    `path`, written as calmflow writes it; the number of sessions."""
    limit = abs(size)
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n  "format": "calmflow-export",\n  "version": 1,\n  "sessions": [\n')
        written, count = 0, 0
        while True:
            text = json.dumps(session(count), indent=2, ensure_ascii=False)
            piece = ("" if count == 0 else ",\n") + "\n".join(
                "    " + line for line in text.splitlines()
            )
            if size < 0 and written + len(piece) + 100 > limit:
                break
            out.write(piece)
            written += len(piece.encode("utf-8"))
            count += 1
            if size > 0 and written >= limit:
                break
        out.write("\n  ]\n}\n")
    return count


def measure(home: Path, *args: str) -> tuple[int, float, float, str]:
    """Exit code, peak RSS in MB and seconds of `calmflow ARGS` in `home`."""
    env = {**os.environ, "CALMFLOW_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "calmflow", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    code, peak_kb, took = done.stdout.split()
    return int(code), int(peak_kb) / 1024, float(took), done.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the large export, in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)

        large = base / "large.json"
        count = write_export(large, args.mb * 2**20)
        code, peak, took, said = measure(base / "home-large", "import", str(large))
        print(f"{large.stat().st_size / 2**20:.0f} MB export ({count:,} sessions):")
        if code == 1 and "more than" in said:
            ok = "ok" if took < REFUSAL_TARGET_S else "SLOW"
            print(f"  refused in {took:.2f} s (target < {REFUSAL_TARGET_S:g} s) {ok}: {said}")
        else:
            print(f"  exit {code} in {took:.1f} s, peak {peak:.0f} MB: {said}")
        large.unlink()

        limit = base / "limit.json"
        count = write_export(limit, -MAX_IMPORT_BYTES)
        home = base / "home-limit"
        code, peak, took, said = measure(home, "import", str(limit))
        size = limit.stat().st_size / 2**20
        print(
            f"{size:.1f} MB JSON export, just under the {MAX_IMPORT_MB} MB limit ({count:,} sessions):"
        )
        _report(code, peak, took, said, count)

        as_csv = base / "limit.csv"
        exported = subprocess.run(
            [sys.executable, "-m", "calmflow", "export", "--format", "csv", "-o", str(as_csv)],
            env={**os.environ, "CALMFLOW_HOME": str(home)},
            capture_output=True,
            check=True,
        )
        assert exported.returncode == 0
        code, peak, took, said = measure(base / "home-csv", "import", str(as_csv))
        print(f"the same {count:,} sessions as CSV ({as_csv.stat().st_size / 2**20:.1f} MB):")
        _report(code, peak, took, said, count)


def _report(code: int, peak: float, took: float, said: str, count: int) -> None:
    whole = code == 0 and said == f"added {count}, already there 0"
    memory = "ok" if peak < PEAK_TARGET_MB else "OVER"
    speed = "ok" if took < TIME_TARGET_S else "SLOW"
    print(f"  peak memory {peak:.0f} MB (target < {PEAK_TARGET_MB:g} MB) {memory}")
    print(f"  time {took:.1f} s (target < {TIME_TARGET_S:g} s) {speed}")
    print(f"  {'every session imported' if whole else f'NOT IMPORTED (exit {code}): {said}'}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
