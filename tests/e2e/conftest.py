"""Real parts for end-to-end tests: a PulseAudio null sink, parec, tmux, the CLI.

These never skip: CI installs pulseaudio, pulseaudio-utils, tmux and the ALSA
pulse plugin (./bootstrap test), and a missing one fails with what to install.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from calmflow.services.player import Player

RATE = 48_000
CALMFLOW = [sys.executable, "-m", "calmflow"]


def _need(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run ./bootstrap test (apt package {package})")
    return path


class PulseServer:
    """A private PulseAudio server with one null sink, 'ci', at 48 kHz."""

    def __init__(self, runtime: Path) -> None:
        self._pulseaudio = _need("pulseaudio", "pulseaudio")
        _need("parec", "pulseaudio-utils")
        self.env = {
            "PULSE_RUNTIME_PATH": str(runtime),
            "PULSE_SERVER": f"unix:{runtime}/native",
            "PULSE_STATE_PATH": str(runtime / "state"),
        }
        self._full_env = {**os.environ, **self.env}
        subprocess.run(
            [
                self._pulseaudio,
                "-n",
                "--daemonize=yes",
                "--exit-idle-time=-1",
                "--use-pid-file=yes",
                "-L",
                f"module-native-protocol-unix socket={runtime}/native auth-anonymous=1",
                "-L",
                f"module-null-sink sink_name=ci rate={RATE}",
                "-L",
                "module-always-sink",
            ],
            env=self._full_env,
            check=True,
            capture_output=True,
        )
        for _ in range(100):
            if self.running():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the test PulseAudio server did not start")

    def running(self) -> bool:
        done = subprocess.run(["pactl", "info"], env=self._full_env, capture_output=True)
        return done.returncode == 0

    def kill(self) -> None:
        """Stop the server, as a crash or a logout would: its clients are cut off."""
        subprocess.run([self._pulseaudio, "--kill"], env=self._full_env, capture_output=True)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The PulseAudio server the e2e tests share; its environment is set for them."""
    server = PulseServer(tmp_path_factory.mktemp("pulse"))
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    yield server.env
    server.kill()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def own_pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PulseServer]:
    """A PulseAudio server for one test alone, which it may kill; the shared one is untouched."""
    server = PulseServer(tmp_path / "pulse")
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    yield server
    server.kill()


class Capture:
    """What the null sink played, recorded from its monitor with parec."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                "ci.monitor",
                f"--rate={RATE}",
                "--channels=1",
                "--format=float32le",
                "--raw",
                "--latency-msec=20",
                str(path),
            ],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)  # parec starts a little late (PITFALLS.md)

    def stop(self) -> np.ndarray:
        time.sleep(0.3)
        self._proc.terminate()
        self._proc.wait(timeout=5)
        return np.fromfile(self.path, dtype=np.float32)


class StampedCapture:
    """What the null sink played, read from parec as it comes, each chunk stamped
    with the monotonic clock when it arrived: when a frame was heard, at the
    latest (parec's own 10 ms buffer is in it)."""

    def __init__(self) -> None:
        import threading

        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                "ci.monitor",
                f"--rate={RATE}",
                "--channels=1",
                "--format=float32le",
                "--raw",
                "--latency-msec=10",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._chunks: list[np.ndarray] = []
        self._ends: list[int] = []
        self._times: list[float] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        time.sleep(0.3)  # parec starts a little late (PITFALLS.md)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        fd, pending, frames = self._proc.stdout.fileno(), b"", 0
        while True:
            chunk = os.read(fd, 4096)
            now = time.monotonic()
            if not chunk:
                return
            data = pending + chunk
            whole = len(data) // 4 * 4
            pending = data[whole:]
            samples = np.frombuffer(data[:whole], dtype=np.float32)
            frames += samples.size
            self._chunks.append(samples)
            self._ends.append(frames)
            self._times.append(now)

    def arrived(self, frame: int) -> float:
        """When the recording's frame `frame` had arrived (monotonic seconds)."""
        return self._times[int(np.searchsorted(self._ends, frame + 1))]

    def stop(self) -> np.ndarray:
        time.sleep(0.3)
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._thread.join(timeout=5)
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)


@pytest.fixture
def stamped_capture(pulse: dict[str, str]) -> Iterator[StampedCapture]:
    cap = StampedCapture()
    yield cap
    if cap._proc.poll() is None:
        cap._proc.kill()


@pytest.fixture
def capture(pulse: dict[str, str], tmp_path: Path) -> Iterator[Capture]:
    cap = Capture(tmp_path / "capture.raw")
    yield cap
    if cap._proc.poll() is None:
        cap._proc.kill()


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`calmflow ARGS` as a user runs it; CALMFLOW_HOME comes from the test's environment."""
    return subprocess.run(
        [*CALMFLOW, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def live_player(routine: Path) -> Player:
    """A Player on `routine` playing through the sound card (the test's PulseAudio),
    as `calmflow play` does; started, with the sound output checked open."""
    from calmflow.audio.device import DeviceOutput
    from calmflow.core.plan import compile_plan
    from calmflow.core.routine_loading import load_routine
    from calmflow.store.store import Store
    from calmflow.system import paths

    loaded = load_routine(routine)
    plan = compile_plan(loaded.routine)
    output = DeviceOutput(plan, log_path=paths.log_dir() / "audio.log")
    player = Player(loaded, plan, Store(paths.database_path()), output)
    player.start()
    assert player.take_notices() == [], "the sound output should have opened"
    return player


def db_rows(home: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "calmflow.sqlite3") as conn:
        return conn.execute(query).fetchall()


class Tmux:
    """One tmux server of the test's own, 80×24, as a person's terminal."""

    def __init__(self, socket: Path) -> None:
        _need("tmux", "tmux")
        self.socket = str(socket)

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        self._run(
            "new-session",
            "-d",
            "-x",
            "80",
            "-y",
            "24",
            "-s",
            "t",
            f"cd {_quote(os.getcwd())} && exec env {exports} {command}",
        )

    def keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "t")

    def pid(self) -> int:
        return int(self._run("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def kill(self) -> None:
        self._run("kill-server")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    term = Tmux(tmp_path / "tmux.sock")
    yield term
    term.kill()


def chime_envelope(audio: np.ndarray, rate: int = RATE) -> np.ndarray:
    """How loud the chimes' 880 Hz partial is in `audio`, sample by sample."""
    from scipy import signal

    band = signal.sosfilt(signal.butter(4, [800, 960], btype="band", fs=rate, output="sos"), audio)
    smooth = signal.sosfilt(signal.butter(2, 30, fs=rate, output="sos"), band**2)
    return np.sqrt(np.clip(smooth, 0, None))


def chime_onsets(audio: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Seconds at which a chime starts in `audio`: where its 880 Hz band rises sharply.

    A rise over 5 ms, not a level crossed: the breath tone's third harmonic
    sweeping through the band, or a chime ringing on, is not a new chime.
    """
    from tests.engine.listen import chime_onsets as onsets

    return np.array(onsets(audio, rate=rate)) / rate


def dominant_hz(
    audio: np.ndarray, start_s: float, length_s: float = 0.1, rate: int = RATE
) -> float:
    """The strongest frequency between 150 and 450 Hz (the breath tone) in a window."""
    a, n = int(start_s * rate), int(length_s * rate)
    window = audio[a : a + n] * np.hanning(n)
    freqs = np.fft.rfftfreq(n * 4, 1 / rate)
    spectrum = np.abs(np.fft.rfft(window, n * 4))
    band = (freqs > 150) & (freqs < 450)
    return float(freqs[band][spectrum[band].argmax()])
