"""Peak memory of `calmflow play` with a 60-minute background recording.

Run:  .venv/bin/python benchmarks/memory_long_media.py [--seconds 90] [--minutes 60]
Makes a recording of --minutes (default 60) as OGG Vorbis at 44.1 kHz stereo
(so it is decoded and resampled to 48 kHz, the costly case; encoding it takes
about a minute), and a routine that plays it as background through the whole
session. Then runs `calmflow play` on it in tmux at 80x24, through a private
PulseAudio null sink, for --seconds, and prints the peak resident memory
(VmHWM) of the player process and of the audio process, their sum against the
target (under 150 MB), and what the recording alone would take decoded whole.
Needs pulseaudio, tmux and the ALSA pulse plugin (./bootstrap test installs them).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from pulse_server import private_pulse

TARGET_MB = 150.0
FILE_RATE = 44_100

ROUTINE = """\
version: 1
name: long-background
description: A whole session over one long recording.
background: [guide]
cues:
  guide: {sound: guide.ogg, volume: 0.8}
phases:
  - {name: Settle, kind: prep, duration: 5m, prompt: Breathe with the sound.}
  - {name: Stimulation, kind: stimulation, duration: 2m}
  - {name: Expression, kind: expression, duration: %dm}
"""


def make_recording(path: Path, minutes: int) -> None:
    """Soft drifting chords over quiet noise, written a second at a time."""
    rng = np.random.default_rng(1)
    t = np.arange(FILE_RATE) / FILE_RATE
    with sf.SoundFile(
        str(path), "w", samplerate=FILE_RATE, channels=2, format="OGG", subtype="VORBIS"
    ) as out:
        for second in range(minutes * 60):
            base = 180 + 40 * np.sin(second / 37)
            tone = sum(np.sin(2 * np.pi * base * k * (t + second)) / k for k in (1, 1.5, 2))
            noise = rng.standard_normal((FILE_RATE, 2)) * 0.02
            out.write((0.08 * tone[:, None] + noise).astype(np.float32))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="how long to play")
    parser.add_argument("--minutes", type=int, default=60, help="length of the recording")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as env:
        folder = Path(tmp)
        started = time.monotonic()
        make_recording(folder / "guide.ogg", args.minutes)
        size_mb = (folder / "guide.ogg").stat().st_size / 1e6
        print(
            f"recording: {args.minutes} min OGG Vorbis 44.1 kHz stereo, {size_mb:.0f} MB on disk"
            f" (made in {time.monotonic() - started:.0f} s)"
        )
        routine = folder / "long-background.yaml"
        routine.write_text(ROUTINE % max(1, args.minutes - 7), encoding="utf-8")
        env = {**env, "CALMFLOW_HOME": f"{tmp}/home"}
        exports = " ".join(
            f"{k}={shlex.quote(env[k])}"
            for k in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "CALMFLOW_HOME")
        )
        tmux = ["tmux", "-S", f"{tmp}/tmux.sock"]
        command = f"env {exports} {sys.executable} -m calmflow play {shlex.quote(str(routine))}"
        subprocess.run(
            [*tmux, "new-session", "-d", "-x", "80", "-y", "24", "-s", "play", f"exec {command}"],
            check=True,
        )
        try:
            time.sleep(3)
            pane = subprocess.run(
                [*tmux, "display", "-p", "-t", "play", "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            player = int(pane)
            peaks: dict[int, float] = {}
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                for pid in (player, *children(player)):
                    peaks[pid] = max(peaks.get(pid, 0.0), peak_rss_mb(pid))
                time.sleep(1.0)
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "play"], capture_output=True, text=True
            ).stdout
        finally:
            subprocess.run([*tmux, "kill-server"], capture_output=True)
    audio = {pid: mb for pid, mb in peaks.items() if pid != player}
    if not audio:
        print(screen)
        raise SystemExit("the audio process did not start: no figure for it")
    total = peaks[player] + sum(audio.values())
    decoded_mb = args.minutes * 60 * 48_000 * 2 * 4 / 1e6
    print(f"played {args.seconds:.0f} s of it with `calmflow play` (TUI and sound):")
    print(f"  peak RSS, player process: {peaks[player]:.0f} MB")
    print(f"  peak RSS, audio process:  {sum(audio.values()):.0f} MB")
    verdict = "meets" if total < TARGET_MB else "misses"
    print(f"  together: {total:.0f} MB ({verdict} the {TARGET_MB:.0f} MB target)")
    print(f"  the recording decoded whole at 48 kHz stereo float would be {decoded_mb:.0f} MB")


if __name__ == "__main__":
    main()
