"""Time from typing a calmflow command to its first drawn screen, in a real terminal.

Run:  .venv/bin/python benchmarks/startup_time.py [RUNS] [--against REV]
Starts a private PulseAudio server with a null sink and, in tmux at 80×24 with
a temporary CALMFLOW_HOME, launches `calmflow play standard` RUNS times (7 by
default), polling `tmux capture-pane` until the player's phase title is on the
screen (the session has started: the sound is open, the first phase drawn).
Then the same for bare `calmflow` until its home screen is drawn. Prints every
run, the median and the maximum against the target of 1 s. One run of each is
made first and not counted, so that every counted run finds the files in the
page cache, as a person's second launch of the day does. Python may write its
bytecode cache (PYTHONDONTWRITEBYTECODE is unset for calmflow), as pip does on
installing: without it every changed module is compiled again at each start
(~0.25 s here). The load average is printed too: other work on the machine
slows every figure. Needs pulseaudio and tmux (./bootstrap test installs them).

`--against REV` measures this tree and the commit REV (say HEAD~1) in the same
run, their starts taking turns, each as `python -m calmflow` from its own tree
with the same Python and packages, and prints the ratio of their medians: the
machine's load falls on both alike.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pulse_server import private_pulse

TARGET_S = 1.0
TIMEOUT_S = 20.0
POLL_S = 0.02
"""Each look is a tmux client started: looking more often takes CPU from what is measured."""


def calmflow_command() -> str:
    """The installed `calmflow` script beside this Python, as a person types it."""
    script = Path(sys.executable).with_name("calmflow")
    if script.is_file():
        return str(script)
    return f"{sys.executable} -m calmflow"


def time_to_screen(tmux: list[str], command: str, env: dict[str, str], marker: str) -> float:
    """Seconds from starting `command` in a fresh 80×24 tmux window until `marker` (a
    regular expression) matches what the window shows."""
    exports = "-u PYTHONDONTWRITEBYTECODE " + " ".join(
        f"{k}={shlex.quote(v)}" for k, v in env.items()
    )
    started = time.monotonic()
    subprocess.run(
        [
            *tmux,
            "new-session",
            "-d",
            "-x",
            "80",
            "-y",
            "24",
            "-s",
            "run",
            f"env {exports} {command}",
        ],
        check=True,
    )
    pane_pid = subprocess.run(
        [*tmux, "display-message", "-p", "-t", "run", "#{pane_pid}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        while time.monotonic() - started < TIMEOUT_S:
            pane = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "run"], capture_output=True, text=True
            ).stdout
            if re.search(marker, pane):
                return time.monotonic() - started
            time.sleep(POLL_S)
        raise SystemExit(f"{command!r} showed no {marker!r} in {TIMEOUT_S:.0f} s:\n{pane}")
    finally:
        subprocess.run([*tmux, "kill-session", "-t", "run"], capture_output=True)
        time.sleep(0.3)  # let the killed player and its audio process go
        _reap(pane_pid)


LINGERED: list[str] = []
"""Commands still running 3 s after their terminal closed (killed, so that they
do not take CPU from the runs after them)."""


def _reap(pid: str) -> None:
    """Wait for the process of a closed window to end; kill it if it will not."""
    if not pid.isdigit():
        return
    for _ in range(30):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    LINGERED.append(pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(int(pid), signal.SIGKILL)


def other_tree(rev: str, into: Path) -> Path:
    """The files of commit `rev` of this repository, in a folder of their own."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", rev], capture_output=True, check=True
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def report(label: str, times: list[float]) -> bool:
    median, worst = statistics.median(times), max(times)
    runs = "  ".join(f"{t:.3f}" for t in times)
    ok = worst < TARGET_S
    print(f"{label}")
    print(f"  runs (s): {runs}")
    print(
        f"  median {median:.3f} s, max {worst:.3f} s; target < {TARGET_S:.1f} s: "
        + ("met" if ok else "NOT met")
    )
    return ok


def main() -> None:
    args = sys.argv[1:]
    against = None
    if "--against" in args:
        at = args.index("--against")
        against = args[at + 1]
        del args[at : at + 2]
    runs = int(args[0]) if args else 7
    for program in ("tmux", "pulseaudio"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is needed (./bootstrap test installs it)")
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as pulse:
        env = {
            "PULSE_SERVER": pulse["PULSE_SERVER"],
            "PULSE_RUNTIME_PATH": pulse["PULSE_RUNTIME_PATH"],
            "CALMFLOW_HOME": f"{tmp}/home",
        }
        # The home screen as it opens every day after the first (the first start
        # shows a welcome over it once: calmflow/ui/screens/welcome.py).
        Path(f"{tmp}/home").mkdir(mode=0o700)
        (Path(f"{tmp}/home") / "welcomed").touch(mode=0o600)
        trees = {"this tree": (calmflow_command(), env)}
        if against is not None:
            here = Path(__file__).resolve().parent.parent
            old = other_tree(against, Path(tmp) / "old")
            module = f"{sys.executable} -m calmflow"
            trees = {
                "this tree": (module, {**env, "PYTHONPATH": str(here)}),
                against: (module, {**env, "PYTHONPATH": str(old)}),
            }
        tmux = ["tmux", "-S", f"{tmp}/tmux.sock"]
        cases = [
            # The player's title: the routine, then its first phase's name.
            ("calmflow play standard, to the phase title", "play standard", r"standard · \w"),
            # The list drawn: the standard routine with its length.
            ("calmflow (home), to the routine list", "", r"standard +20:00"),
        ]
        results: list[tuple[str, str, list[float]]] = []
        try:
            for label, args_, marker in cases:
                times: dict[str, list[float]] = {name: [] for name in trees}
                for command, tree_env in trees.values():  # warm-up, not counted
                    time_to_screen(tmux, f"{command} {args_}".strip(), tree_env, marker)
                for turn in range(runs):
                    order = list(trees.items())
                    for name, (command, tree_env) in order[:: 1 if turn % 2 == 0 else -1]:
                        run = f"{command} {args_}".strip()
                        times[name].append(time_to_screen(tmux, run, tree_env, marker))
                results += [(label, name, times[name]) for name in trees]
        finally:
            subprocess.run([*tmux, "kill-server"], capture_output=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"time to the first drawn screen, tmux 80x24, {runs} runs each (load average {load}):")
    ok = [report(f"{label} ({name})", times) for label, name, times in results]
    if LINGERED:
        print(f"{len(LINGERED)} started commands were still running 3 s after their window closed")
    if against is not None:
        for label, _, _ in results[::2]:
            new, old = (statistics.median(t) for lb, _, t in results if lb == label)
            print(f"{label}: this tree / {against} = {new / old:.3f} (medians)")
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()
