"""How long a key takes to be heard: from the press to the first changed frame
that reaches the null sink, measured, and whether live matched offline.

Run:  .venv/bin/python benchmarks/letdown_latency.py [--presses 12] [--block 512]
          [--latency 0.04] [--busy]
Starts a private PulseAudio server with a null sink and records its monitor with
parec, each chunk stamped with the monotonic clock as it arrives. Plays a
routine of many phases with no breath and no cues (so a change of course is
heard at its frame: the chime there) live, as `calmflow play` does (Player +
DeviceOutput), and presses `n` every 1.5 s, as the let-down key changes course
in stimulation. For each press: the wall-clock time from the press to the
arrival of the chime's first frame in the recording, which is an upper bound on
when it was heard (parec's own buffer, 10 ms, is in it). Then checks that the
recording holds the offline render of the session's final timeline from the
first chime to the last, sample for sample to 16-bit rounding: every change
landed where it was placed, none after its frame had been played.

Prints the settings, each press's latency, the median and the largest, and
the frames the guard allows (`DeviceOutput.guard_frames`).
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
from underruns_under_load import BUSY  # the same busy core

PHASES = 40
ROUTINE = "\n".join(
    [
        "version: 1",
        "name: presses",
        "breathing: 'off'",
        "phases:",
        *[f"  - {{name: P{i}, kind: prep, duration: 20s}}" for i in range(PHASES)],
    ]
)
"""Nothing sounds but the chime, at once at each change: the change is heard at its frame."""


class StampedRecorder:
    """parec on the sink's monitor, keeping the samples and when each chunk arrived."""

    def __init__(self, env: dict[str, str], sink: str = "bench") -> None:
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                f"{sink}.monitor",
                f"--rate={RATE}",
                f"--channels={CHANNELS}",
                "--format=float32le",
                "--raw",
                "--latency-msec=10",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.chunks: list[np.ndarray] = []
        self.arrivals: list[tuple[int, float]] = []
        """(frames recorded after this chunk, monotonic time it arrived)."""
        self.frames = 0
        assert self._proc.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[bytes]) -> None:
        for samples, now in recorded_frames(pipe, 256):
            self.chunks.append(samples[:, 0].copy())
            self.frames += samples.shape[0]
            self.arrivals.append((self.frames, now))

    def arrived(self, index: int) -> float:
        """When the recording's frame `index` had arrived."""
        ends = [f for f, _ in self.arrivals]
        return self.arrivals[int(np.searchsorted(ends, index + 1))][1]

    def audio(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._thread.join(timeout=5)


def measure(
    recorder: StampedRecorder, presses: int, block_frames: int, latency_s: float, folder: Path
) -> dict[str, object]:
    """Play the routine, press `n` `presses` times; return the figures."""
    from calmflow.audio.device import DeviceOutput
    from calmflow.core.breathing import chime_frames
    from calmflow.core.plan import compile_plan
    from calmflow.core.routine_loading import load_routine
    from calmflow.engine.mixer import Engine
    from calmflow.services.player import Player
    from calmflow.store.store import Store
    from calmflow.system import paths

    path = folder / "presses.yaml"
    path.write_text(ROUTINE)
    loaded = load_routine(path)
    plan = compile_plan(loaded.routine, RATE)
    output = DeviceOutput(
        plan,
        log_path=paths.log_dir() / "audio.log",
        block_frames=block_frames,
        latency_s=latency_s,
    )
    store = Store(paths.database_path())
    player = Player(loaded, plan, store, output)
    player.start()
    if player.no_sound:
        raise SystemExit(f"no sound output: {player.no_sound}")
    pressed: list[tuple[int, float]] = []  # (session frames before the press, its time)
    next_press = time.monotonic() + 2.0
    while len(pressed) < presses and not player.ended:
        player.tick()
        now = time.monotonic()
        if now >= next_press:
            before = len(player.session.timeline.segments)
            player.next_phase()
            pressed.append((before, now))
            next_press = now + 1.5
        time.sleep(0.005)
    time.sleep(1.0)
    timeline = player.session.timeline
    underruns = player.underruns
    player.finish()
    store.close()
    time.sleep(0.5)
    audio = recorder.audio()

    chimes = [c.frame for c in chime_frames(timeline)][: len(pressed) + 1]
    engine = Engine(plan, channels=2, max_block=65_536)
    end = chimes[-1] + RATE // 2
    offline = np.zeros((end, 2), dtype=np.float32)
    for at in range(0, end, 65_536):
        engine.render(timeline, at, offline[at : min(at + 65_536, end)])
    offset = _align(audio, offline[:, 0])
    live = audio[offset : offset + end]
    same = live.shape[0] == end and float(np.abs(live - offline[:, 0]).max()) < 2 / 32768
    latencies = []
    for (_, at), chime in zip(pressed, chimes[1:], strict=True):
        latencies.append(recorder.arrived(offset + chime) - at)
    return {
        "latencies_ms": [round(1000 * x, 1) for x in latencies],
        "median_ms": round(1000 * float(np.median(latencies)), 1),
        "max_ms": round(1000 * max(latencies), 1),
        "guard_frames": output.guard_frames,
        "live_matches_offline": same,
        "underruns": underruns,
    }


def _align(audio: np.ndarray, offline: np.ndarray) -> int:
    """Where the offline render's first sound lies in the recording."""
    first = int(np.argmax(np.abs(offline) > 1e-3))
    heard = int(np.argmax(np.abs(audio) > 1e-3))
    best, err = heard - first, np.inf
    probe = offline[first : first + 4800]
    for shift in range(heard - first - 50, heard - first + 50):
        got = audio[shift + first : shift + first + probe.size]
        if got.size == probe.size:
            e = float(np.abs(got - probe).max())
            if e < err:
                best, err = shift, e
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--presses", type=int, default=12)
    parser.add_argument("--block", type=int, default=None, help="frames (default: calmflow's)")
    parser.add_argument("--latency", type=float, default=None, help="seconds (default: calmflow's)")
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument(
        "--margin", type=float, default=None, help="the guard's margin, s (default: calmflow's)"
    )
    args = parser.parse_args()
    from calmflow.audio import device

    if args.margin is not None:
        device.GUARD_MARGIN_S = args.margin
    block = args.block or device.BLOCK_FRAMES
    latency = args.latency if args.latency is not None else device.LATENCY_S
    figures = run(args.presses, block, latency, busy=args.busy)
    print(
        f"block {block} frames ({1000 * block / RATE:.1f} ms), latency asked {latency} s, "
        f"guard margin {device.GUARD_MARGIN_S} s{', a core busy' if args.busy else ''}"
    )
    for key, value in figures.items():
        print(f"  {key}: {value}")


def run(presses: int, block: int, latency: float, *, busy: bool = False) -> dict[str, object]:
    """The figures of `measure`, on a private server (and a busy core if `busy`)."""
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as env:
        os.environ["CALMFLOW_HOME"] = f"{tmp}/home"
        env = {**env, "CALMFLOW_HOME": f"{tmp}/home"}
        load: subprocess.Popen[bytes] | None = None
        recorder = StampedRecorder(env)
        try:
            if busy:
                load = subprocess.Popen([sys.executable, "-c", BUSY], env=env)
            time.sleep(0.5)  # parec starts a little late (PITFALLS.md)
            return measure(recorder, presses, block, latency, Path(tmp))
        finally:
            recorder.close()
            if load is not None:
                load.kill()
                load.wait()


if __name__ == "__main__":
    main()
