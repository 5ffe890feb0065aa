"""Underruns in live play while another process keeps one core busy.

Run:  .venv/bin/python benchmarks/underruns_under_load.py [--seconds 600] [--routine power-pumping]
          [--block FRAMES] [--latency SECONDS]
Starts a private PulseAudio server with a float32 null sink, a busy process
that spins on one core (pure Python and single-threaded numpy, by turns), and
records the sink's monitor with parec. Then it plays the routine live as
`calmflow play` does (Player + DeviceOutput: the engine in its own audio
process), calling `player.tick()` every 50 ms, for the given seconds, with
CALMFLOW_HOME in a temporary folder, with calmflow's block size and device
latency or those given (to find what holds). Needs pulseaudio,
pulseaudio-utils, the ALSA pulse plugin and libportaudio2 (./bootstrap test
installs them).

Prints, over the time played (from the first frame the audio process played):
- the frames calmflow produced (its callback's count) and the frames the sink
  played (what parec recorded), each against wall-clock time, with the
  shortfall: the underflow flag is unreliable through ALSA -> PulseAudio, and
  the null sink's own pace drifts from the wall clock (PITFALLS.md), so a
  shortfall that the sink shares is its pace, not a dropout;
- underruns counted from the callback's status flags (`player.underruns`),
  callbacks that faulted, and whether the sound output was lost;
- gaps in the recording: runs of at least 1 ms of exact digital silence
  (the bundled routines never play exact zeros, so each one is audio that did
  not arrive in time);
- the CPU used by the busy process, the audio process and this one;
and the verdict against the target: zero underruns (no flag, no gap, no
fault, the sound never lost); the exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import numpy as np
from pulse_server import CHANNELS, RATE, private_pulse, recorded_frames

TICK_S = 0.05
MIN_GAP_FRAMES = RATE // 1000
"""A run of exact zeros this long (1 ms) in the recording is a gap."""
REPORT_EVERY_S = 60.0

BUSY = """
import numpy as np
x = np.random.default_rng(0).standard_normal(1 << 16)
while True:
    total = 0
    for i in range(200_000):
        total += i * i
    for _ in range(20):
        x = np.fft.irfft(np.fft.rfft(x), len(x))
"""
"""Loads one core: a Python loop and numpy FFTs by turns (numpy held to one thread)."""


class Recorder:
    """parec on the sink's monitor: frames recorded, and gaps of exact silence in them."""

    def __init__(self, env: dict[str, str]) -> None:
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                "bench.monitor",
                f"--rate={RATE}",
                f"--channels={CHANNELS}",
                "--format=float32le",
                "--raw",
                "--latency-msec=20",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # Written by the reader thread only; read by the main thread.
        self.frames = 0
        self.gaps = 0
        self.gap_frames = 0
        self.longest_gap_frames = 0
        self.counting = True
        """Set False by the main thread when play ends: later silence is the finish."""
        self._heard = False
        self._run = 0
        assert self._proc.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[bytes]) -> None:
        for samples, _ in recorded_frames(pipe, 1024):
            self.frames += samples.shape[0]
            if self.counting:
                self._scan((samples == 0.0).all(axis=1))

    def _scan(self, silent: np.ndarray) -> None:
        sounding = np.flatnonzero(~silent)
        if sounding.size == 0:
            self._run += silent.size
            return
        if self._heard:
            self._close(self._run + int(sounding[0]))
        self._heard = True  # silence before the first sound is the stream starting
        for gap in np.diff(sounding) - 1:
            self._close(int(gap))
        self._run = silent.size - 1 - int(sounding[-1])

    def _close(self, run: int) -> None:
        if run >= MIN_GAP_FRAMES:
            self.gaps += 1
            self.gap_frames += run
            self.longest_gap_frames = max(self.longest_gap_frames, run)

    def stop_counting(self) -> None:
        self.counting = False
        if self._heard:
            self._close(self._run)

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._thread.join(timeout=5)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def share(frames: int, elapsed_s: float) -> str:
    expected = elapsed_s * RATE
    short = expected - frames
    return f"{frames} frames, shortfall {short / RATE:+.3f} s ({short / expected:+.3%})"


def play(
    routine: str,
    seconds: float,
    recorder: Recorder,
    busy_pid: int,
    block_frames: int | None = None,
    latency_s: float | None = None,
) -> bool:
    # Imported here, after the environment points at the private server and home.
    from calmflow.audio.device import DeviceOutput
    from calmflow.audio.shared import CALLBACKS
    from calmflow.core.plan import compile_plan
    from calmflow.services import catalog
    from calmflow.services.player import Player
    from calmflow.store.store import Store
    from calmflow.system import paths

    loaded = catalog.load(routine)
    plan = compile_plan(loaded.routine, RATE)
    log_path = paths.log_dir() / "audio.log"
    from calmflow.audio import device

    output = DeviceOutput(
        plan,
        log_path=log_path,
        block_frames=block_frames or device.BLOCK_FRAMES,
        latency_s=device.LATENCY_S if latency_s is None else latency_s,
    )
    store = Store(paths.database_path())
    player = Player(loaded, plan, store, output)
    player.start()
    for notice in player.take_notices():
        print(f"notice: {notice.text}")
    if player.no_sound:
        store.close()
        raise SystemExit(f"no sound output: {player.no_sound}; see {log_path}")
    audio_pid = output._proc.pid if output._proc is not None else None

    # The clock starts at the first frame played (after the stream's pre-roll).
    while output.frames() == 0:
        player.tick()
        time.sleep(0.005)
    t0, ours0, sink0 = time.monotonic(), output.frames(), recorder.frames
    cpu0 = {pid: cpu_s(pid) for pid in (busy_pid, audio_pid, os.getpid()) if pid}
    next_report = t0 + REPORT_EVERY_S
    print(
        f"playing {routine} for {seconds:.0f} s through {output.device_name}, blocks of "
        f"{output.block_frames} frames, latency asked {output.latency_s} s",
        flush=True,
    )
    while not player.ended and time.monotonic() - t0 < seconds:
        player.tick()
        if player.no_sound:
            break
        now = time.monotonic()
        if now >= next_report:
            next_report += REPORT_EVERY_S
            print(
                f"  {now - t0:4.0f} s: calmflow {output.frames() - ours0} frames, sink "
                f"{recorder.frames - sink0} frames, underruns {player.underruns}, "
                f"gaps {recorder.gaps}",
                flush=True,
            )
        time.sleep(TICK_S)
    elapsed = time.monotonic() - t0
    ours, sink = output.frames() - ours0, recorder.frames - sink0
    recorder.stop_counting()
    cpu = {pid: (cpu_s(pid) - before) / elapsed for pid, before in cpu0.items()}
    callbacks = int(output._counters[CALLBACKS])
    faults = output.faults()
    underruns = player.underruns
    lost = player.no_sound
    played_s = player.played_s
    player.finish()
    store.close()

    print(f"played {played_s:.1f} s of {routine} in {elapsed:.1f} s of wall-clock time")
    print(f"  calmflow produced: {share(ours, elapsed)}")
    print(f"  sink played:       {share(sink, elapsed)}")
    print(f"  calmflow - sink:   {(ours - sink) / RATE:+.3f} s")
    print(f"  callbacks {callbacks}, faulted {faults}")
    print(f"  underruns (status flags): {underruns}")
    print(
        f"  gaps in the recording: {recorder.gaps} "
        f"({recorder.gap_frames / RATE * 1000:.1f} ms in all, "
        f"longest {recorder.longest_gap_frames / RATE * 1000:.1f} ms)"
    )
    print(f"  sound output lost: {lost or 'no'}")
    print(
        "  CPU, share of one core: busy process "
        f"{cpu.get(busy_pid, 0.0):.0%}, audio process {cpu.get(audio_pid or -1, 0.0):.1%}, "
        f"player {cpu.get(os.getpid(), 0.0):.1%}"
    )
    ok = underruns == 0 and recorder.gaps == 0 and faults == 0 and lost is None
    print(f"target zero underruns: {'met' if ok else 'missed'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--routine", default="power-pumping")
    parser.add_argument("--block", type=int, default=None, help="frames (default: calmflow's)")
    parser.add_argument("--latency", type=float, default=None, help="seconds (default: calmflow's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as env:
        os.environ["CALMFLOW_HOME"] = f"{tmp}/home"
        env = {**env, "CALMFLOW_HOME": f"{tmp}/home"}
        busy: subprocess.Popen[bytes] | None = None
        recorder: Recorder | None = None
        try:
            one_thread = {
                k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            }
            busy = subprocess.Popen([sys.executable, "-c", BUSY], env={**env, **one_thread})
            recorder = Recorder(env)
            time.sleep(0.5)  # parec starts a little late (PITFALLS.md)
            ok = play(args.routine, args.seconds, recorder, busy.pid, args.block, args.latency)
        finally:
            if recorder is not None:
                recorder.close()
            if busy is not None:
                busy.kill()
                busy.wait()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
