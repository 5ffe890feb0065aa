"""A microphone (any sound input), recorded in a child process: the command's side.

The recording process (`python -m calmflow.audio.capture`) opens the input
through PortAudio with its stderr in a log file, so PortAudio's and ALSA's
messages never break the level meter; it sends the samples as they come, over
a socket pair. A source of the sound server (`calmflow devices` lists them) is
recorded through PortAudio's `pulse` device with `PULSE_SOURCE` naming it, in
the recording process's environment only.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from calmflow.audio.devices import PULSE_DEVICE, Input
from calmflow.audio.shared import first_answer

RATE = 48_000
"""Asked of the input; a device that cannot records at its own rate."""
START_TIMEOUT_S = 15.0
"""A sound server that has not opened the input by then is not going to."""
STOP_TIMEOUT_S = 3.0


class InputUnavailable(Exception):
    """The input cannot be recorded from; the message says why in a person's words."""

    def __init__(self, why: str, *, portaudio: bool = False) -> None:
        super().__init__(why)
        self.portaudio = portaudio
        """PortAudio itself is missing: no input at all can be used."""


class Microphone:
    """Records from `chosen` (None: the default input), as float32 mono samples."""

    def __init__(self, chosen: Input | None, *, log_path: Path, rate: int = RATE) -> None:
        self.chosen = chosen
        self.log_path = log_path
        self.rate = rate
        """The rate recorded at (the device's own where it cannot do the one asked)."""
        self.device_name: str | None = None
        self.lost_frames = 0
        """Frames the recording process could not take in time (a busy machine)."""
        self._conn: Connection | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._problem: str | None = None

    def start(self) -> None:
        """Open the input; raise InputUnavailable if it cannot be."""
        device: str | int | None = None
        env = dict(os.environ)
        if self.chosen is not None:
            if self.chosen.source is not None:
                device, env["PULSE_SOURCE"] = PULSE_DEVICE, self.chosen.source
            else:
                device = self.chosen.index
        ours, theirs = socket.socketpair()
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with open(log_fd, "ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "calmflow.audio.capture", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,  # ctrl-c in the terminal is the command's to handle
            )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send((device, self.rate))
        answer = first_answer(self._conn, self._proc, START_TIMEOUT_S)
        if answer is not None:
            kind, detail, more = answer
            if kind == "ready":
                self.device_name = str(detail["device"])
                self.rate = int(detail["rate"])
                return
            self.close()
            raise InputUnavailable(str(detail), portaudio=more == ["portaudio"])
        self.close()
        raise InputUnavailable(
            f"the input did not open (the recording process's log: {self.log_path})"
        )

    def take(self, wait_s: float = 0.0) -> np.ndarray:
        """The samples recorded since the last call, waiting up to `wait_s` for
        the first of them; none once the input is lost (`problem` says why)."""
        chunks: list[np.ndarray] = []
        if self._conn is None or self._problem is not None:
            return np.zeros(0, dtype=np.float32)
        try:
            ready = self._conn.poll(wait_s)
            while ready:
                message = self._conn.recv()
                self._receive(message, chunks)
                ready = self._conn is not None and self._conn.poll(0)
        except (EOFError, OSError):
            self._problem = "the recording process ended"
            self.close()
        if self._proc is not None and self._proc.poll() is not None and self._problem is None:
            self._problem = f"the recording process ended (its log: {self.log_path})"
            self.close()
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)

    def _receive(self, message: tuple[Any, ...], chunks: list[np.ndarray]) -> None:
        kind = message[0]
        if kind == "audio":
            chunks.append(np.frombuffer(message[1], dtype=np.float32))
        elif kind == "lost":
            self._problem = str(message[1])
            self.close()
        elif kind == "done":
            self.lost_frames = int(message[1]["lost_frames"])

    def problem(self) -> str | None:
        """Why the input stopped while recording; None while all is well."""
        return self._problem

    def stop(self) -> np.ndarray:
        """Stop recording; the samples recorded since the last `take`."""
        chunks: list[np.ndarray] = []
        if self._conn is not None and self._problem is None:
            try:
                self._conn.send(("stop",))
                deadline = time.monotonic() + STOP_TIMEOUT_S
                while time.monotonic() < deadline:
                    if not self._conn.poll(0.05):
                        continue
                    message = self._conn.recv()
                    self._receive(message, chunks)
                    if message[0] in ("done", "lost"):
                        break
            except (EOFError, OSError):
                pass  # what came before it ended is kept
        self.close()
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        """End the recording process (at once if it does not end by itself)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=2.0)
            self._proc = None
