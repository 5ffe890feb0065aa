"""How fast calmflow renders a routine offline, against real time and against sox.

Run:  .venv/bin/python benchmarks/render_speed.py [ROUTINE]
Prints the seconds taken to render the routine to a 48 kHz stereo 16-bit WAV,
the real-time factor, and (if sox is installed) sox writing a plain sine of the
same length and format in the same run, so the ratio is fair on a noisy machine.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from calmflow import catalog
from calmflow.core.plan import compile_plan
from calmflow.core.session import Session
from calmflow.engine.render import render_wav


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "standard"
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
        print(f"routine: {name}, {seconds:.0f} s of 48 kHz stereo 16-bit audio")
        print(f"calmflow render: {ours:.2f} s  ({seconds / ours:.0f}x real time)")
        if shutil.which("sox"):
            started = time.perf_counter()
            subprocess.run(
                [
                    "sox",
                    "-n",
                    "-r",
                    "48000",
                    "-c",
                    "2",
                    "-b",
                    "16",
                    str(Path(tmp) / "sox.wav"),
                    "synth",
                    str(seconds),
                    "sine",
                    "220",
                ],
                check=True,
            )
            theirs = time.perf_counter() - started
            print(
                f"sox synth sine:  {theirs:.2f} s  -> calmflow is {theirs / ours:.1f}x sox's speed"
            )


if __name__ == "__main__":
    main()
