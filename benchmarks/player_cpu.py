"""CPU of `calmflow play` (player process and audio process) in a real terminal.

Run:  .venv/bin/python benchmarks/player_cpu.py [SECONDS]
Starts a private PulseAudio server with a null sink, plays the standard
routine in tmux at 80×24 and beside it, over the same seconds, a bare Textual
app that redraws one Static 15 times a second; prints each one's mean CPU as a
share of one core (60 s by default). Needs pulseaudio and tmux (./bootstrap test
installs them).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pulse_server import private_pulse

BARE_APP = """
from textual.app import App
from textual.widgets import Static
import time

class Bare(App):
    def compose(self):
        yield Static(id="s")
    def on_mount(self):
        self.set_interval(1 / 15, lambda: self.query_one("#s", Static).update(str(time.monotonic())))

Bare().run()
"""


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def start(tmux: list[str], name: str, command: str, size: tuple[int, int] = (80, 24)) -> list[int]:
    """Start `command` in its own tmux session of `size` (80×24 by default); its
    pid and its children's."""
    width, height = (str(n) for n in size)
    tmux_cmd = [*tmux, "new-session", "-d", "-x", width, "-y", height, "-s", name]
    tmux_cmd.append(f"exec {command}")
    subprocess.run(tmux_cmd, check=True)
    time.sleep(4)  # let it start (and open the sound card)
    pid = int(
        subprocess.run(
            [*tmux, "display", "-p", "-t", name, "#{pane_pid}"], capture_output=True, text=True
        ).stdout
    )
    return [pid, *children(pid)]


def measure(groups: dict[str, list[int]], seconds: float) -> dict[str, dict[str, float]]:
    """Each group's CPU over the same `seconds`: its first process, and the rest."""
    pids = [p for group in groups.values() for p in group]
    before = {p: cpu_ticks(p) for p in pids}
    started = time.monotonic()
    time.sleep(seconds)
    after = {p: cpu_ticks(p) for p in pids}
    elapsed = time.monotonic() - started
    hz = os.sysconf("SC_CLK_TCK")
    share = {p: (after[p] - before[p]) / hz / elapsed for p in pids}
    return {
        name: {"main": share[group[0]], "children": sum(share[p] for p in group[1:])}
        for name, group in groups.items()
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as env:
        env = {**env, "CALMFLOW_HOME": f"{tmp}/home"}
        tmux = ["tmux", "-S", f"{tmp}/tmux.sock"]
        exports = " ".join(
            f"{k}={shlex.quote(env[k])}"
            for k in ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "CALMFLOW_HOME")
        )
        bare_py = Path(tmp) / "bare.py"
        bare_py.write_text(BARE_APP)
        try:
            # Side by side over the same seconds: whatever else the machine is
            # doing weighs on both alike (2 shared cores are noisy).
            groups = {
                "play": start(
                    tmux, "play", f"env {exports} {sys.executable} -m calmflow play standard"
                ),
                "bare": start(tmux, "bare", f"{sys.executable} {bare_py}"),
            }
            shares = measure(groups, seconds)
        finally:
            subprocess.run([*tmux, "kill-server"], capture_output=True)
    ours, bare = shares["play"], shares["bare"]
    total = ours["main"] + ours["children"]
    print(f"over the same {seconds:.0f} s, each at 80x24 in tmux, share of one core:")
    print(f"  calmflow play, player process: {ours['main']:.1%}")
    print(f"  calmflow play, audio process:  {ours['children']:.1%}")
    print(f"  calmflow play, both:           {total:.1%}  (target < 5%)")
    print(f"  bare Textual app, 15 redraws/s: {bare['main']:.1%}")
    print(f"  ratio calmflow (both)/bare: {total / max(bare['main'], 1e-9):.2f}  (target <= 1)")


if __name__ == "__main__":
    main()
