"""A private PulseAudio server with one null sink, for the benchmarks that play live.

Like the tests' `pulse` fixture (tests/e2e/conftest.py): nothing of the user's
sound setup is touched, and what was played can be recorded from the sink's
monitor with parec.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import IO

import numpy as np

RATE = 48_000
CHANNELS = 2


def start_pulse(runtime: str, env: dict[str, str], sink: str = "bench") -> None:
    """Start the server (its socket in `runtime`, with `env` pointing at it)."""
    subprocess.run(
        [
            "pulseaudio",
            "-n",
            "--daemonize=yes",
            "--exit-idle-time=-1",
            "--use-pid-file=yes",
            "-L",
            f"module-native-protocol-unix socket={runtime}/native auth-anonymous=1",
            "-L",
            f"module-null-sink sink_name={sink} rate={RATE} channels={CHANNELS} format=float32le",
            "-L",
            "module-always-sink",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    for _ in range(100):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.05)
    raise SystemExit("the benchmark's PulseAudio server did not start")


@contextlib.contextmanager
def private_pulse(sink: str = "bench") -> Iterator[dict[str, str]]:
    """Run a private server for the block, with this process's environment
    (and so its children's) pointing at it; yields that environment."""
    with tempfile.TemporaryDirectory() as runtime:
        env = {
            **os.environ,
            "PULSE_RUNTIME_PATH": runtime,
            "PULSE_SERVER": f"unix:{runtime}/native",
            "PULSE_STATE_PATH": f"{runtime}/state",
        }
        start_pulse(runtime, env, sink)
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            yield env
        finally:
            os.environ.clear()
            os.environ.update(saved)
            subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)


def recorded_frames(pipe: IO[bytes], chunk_frames: int) -> Iterator[tuple[np.ndarray, float]]:
    """parec's raw float32 output from `pipe`, as whole frames (rows of CHANNELS)
    with the monotonic time each chunk arrived; ends when parec does."""
    frame_bytes = 4 * CHANNELS
    pending = b""
    while chunk := os.read(pipe.fileno(), chunk_frames * frame_bytes):
        now = time.monotonic()
        data = pending + chunk
        whole = len(data) // frame_bytes * frame_bytes
        pending = data[whole:]
        yield np.frombuffer(data[:whole], dtype=np.float32).reshape(-1, CHANNELS), now
