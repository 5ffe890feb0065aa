"""How fast calmflow renders a routine offline, against real time and against sox.

Run:  .venv/bin/python benchmarks/render_speed.py [ROUTINE]   (default: power-pumping, 60 min)
Prints the seconds taken to render the routine to a 48 kHz stereo 16-bit WAV,
the real-time factor, and sox writing a plain sine of the same length and
format in the same run (`sox -n -r 48000 -c 2 -b 16 out.wav synth SECONDS sine
220`), so the ratio is fair on a noisy machine. Target: at least 10x sox.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from calmflow.core.plan import compile_plan
from calmflow.core.session import Session
from calmflow.engine.render import render_wav
from calmflow.services import catalog

TARGET = 10.0


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "power-pumping"
    loaded = catalog.load(name)
    plan = compile_plan(loaded.routine, 48_000)
    session = Session(plan)
    session.start()
    seconds = plan.seconds(session.end_frame)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "calmflow.wav"
        started = time.perf_counter()
        render_wav(session.timeline, out)
        ours = time.perf_counter() - started
        size_mb = out.stat().st_size / 1e6
        out.unlink()
        print(f"routine: {name}, {seconds:.0f} s of 48 kHz stereo 16-bit audio ({size_mb:.0f} MB)")
        print(f"calmflow render: {ours:.2f} s  ({seconds / ours:.0f}x real time)")
        if not shutil.which("sox"):
            print("sox is not installed: no comparison (apt-get install sox)")
            return
        sox_out = Path(tmp) / "sox.wav"
        started = time.perf_counter()
        subprocess.run(
            ["sox", "-V1", "-n", "-r", "48000", "-c", "2", "-b", "16", str(sox_out)]
            + ["synth", str(seconds), "sine", "220"],
            check=True,
        )
        theirs = time.perf_counter() - started
        ratio = theirs / ours
        verdict = "meets" if ratio >= TARGET else "misses"
        print(f"sox synth sine:  {theirs:.2f} s  ({sox_out.stat().st_size / 1e6:.0f} MB)")
        print(f"calmflow is {ratio:.1f}x sox's speed ({verdict} the {TARGET:.0f}x target)")


if __name__ == "__main__":
    main()
