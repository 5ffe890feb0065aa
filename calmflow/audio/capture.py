"""The recording process: a PortAudio input stream, its samples sent to the parent.

It runs in a child process, as the player's audio does (audio/worker.py), so
that PortAudio's and ALSA's messages on file descriptor 2 go to a log file and
never into the level meter on the terminal, a sound server that does not
answer cannot hang the command (the parent gives up on it), and a source of
the sound server is chosen by `PULSE_SOURCE` in this process's environment
alone.

Threads inside this process and what they share (who writes, who reads):
- `_Capture.ring`: written by the callback, read by the main thread, which
  sends what is new to the parent;
- `_Capture.written`, `.overflows`, `.callbacks`: written by the callback, read
  by the main thread (a Python int each: read whole under the GIL);
- `_Capture.finished`: set by PortAudio's finished callback, read by main.

Started as `python -m calmflow.audio.capture CONN_FD` with stdout and stderr
pointing at a log file; the first message on CONN is (device, rate). Replies:
("ready", {"device", "rate", "channels"}), then ("audio", float32 mono bytes)
as it comes, and at the end ("done", {"lost_frames"}); or ("error", why,
kind) where kind is "portaudio" (no PortAudio), "device" (none, unknown or
busy); or ("lost", why) when the input stops while recording.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

RING_S = 8.0
"""What the callback can hold before the main thread takes it (it takes every 50 ms)."""
LATENCY_S = 0.1
"""Nothing here is heard back: a roomy buffer loses nothing on a busy machine."""
SEND_EVERY_S = 0.05
PA_DEVICE_UNAVAILABLE = -9985
"""PortAudio's error for a device another program holds (ALSA's EBUSY)."""
STALL_S = 5.0
"""No samples for this long while recording: the input is gone. (An idle
PulseAudio null sink's monitor sends its first samples after up to 2 s.)"""


class _Capture:
    """The callback's state; everything it touches is allocated up front."""

    def __init__(self, rate: int, channels: int) -> None:
        self.ring = np.zeros(int(RING_S * rate), dtype=np.float32)
        self.channels = channels
        self.written = 0
        """Frames the callback has written in all (the ring holds the last of them)."""
        self.overflows = 0
        self.callbacks = 0
        self.finished = False

    def callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        try:
            self.callbacks += 1
            if status.input_overflow:
                self.overflows += 1
            size = self.ring.size
            start = self.written % size
            first = min(frames, size - start)
            self._put(indata[:first], self.ring[start : start + first])
            if first < frames:
                self._put(indata[first:frames], self.ring[: frames - first])
            self.written += frames
        except Exception:
            self.overflows += 1

    def _put(self, block: np.ndarray, into: np.ndarray) -> None:
        if self.channels == 1:
            into[:] = block[:, 0]
        else:  # a device that records in stereo only: the mean of its two channels
            np.add(block[:, 0], block[:, 1], out=into)
            into *= 0.5

    def on_finished(self) -> None:
        self.finished = True


def _open(sd: Any, device: Any, rate: int) -> tuple[Any, _Capture, int, int]:
    """Open the input stream in mono (stereo where the device has no mono), at
    `rate` or else the device's own rate."""
    info = sd.query_devices(device, kind="input")
    tries = [
        (1, rate),
        (2, rate),
        (1, int(info["default_samplerate"])),
        (2, int(info["default_samplerate"])),
    ]
    last: Exception | None = None
    for channels, samplerate in tries:
        if channels > info["max_input_channels"]:
            continue
        try:
            sd.check_input_settings(
                device=device, channels=channels, dtype="float32", samplerate=samplerate
            )
        except (sd.PortAudioError, ValueError) as exc:
            last = exc
            continue
        capture = _Capture(samplerate, channels)
        stream = sd.InputStream(
            samplerate=samplerate,
            channels=channels,
            dtype="float32",
            device=device,
            latency=LATENCY_S,
            callback=capture.callback,
            finished_callback=capture.on_finished,
        )
        return stream, capture, samplerate, channels
    raise last if last is not None else ValueError("it has no input channels")


def run(conn: Connection) -> None:
    """Open the input the parent asks for and send what it hears until told to stop."""
    try:
        device, rate = conn.recv()
    except EOFError:
        return
    try:
        import sounddevice as sd
    except OSError as exc:
        conn.send(
            ("error", f"PortAudio is not installed ({exc}); install libportaudio2", "portaudio")
        )
        return
    try:
        if device is None and sd.default.device[0] < 0:
            conn.send(("error", "no microphone or other sound input was found", "device"))
            return
        stream, capture, rate, channels = _open(sd, device, rate)
        stream.start()
    except (sd.PortAudioError, ValueError) as exc:
        conn.send(("error", _why(sd, exc), "device"))
        return
    name = sd.query_devices(stream.device, kind="input").get("name", str(stream.device))
    conn.send(("ready", {"device": name, "rate": rate, "channels": channels}))
    try:
        _serve(conn, stream, capture)
    except OSError:
        return  # the parent is gone (a send failed): stop recording
    finally:
        with contextlib.suppress(Exception):
            stream.abort()
            stream.close()


def _why(sd: Any, exc: Exception) -> str:
    """PortAudio's complaint about an input, in a person's words."""
    code = exc.args[1] if isinstance(exc, sd.PortAudioError) and len(exc.args) > 1 else None
    if code == PA_DEVICE_UNAVAILABLE:
        return (
            "it is busy: another program is using it (close that program, or choose another input)"
        )
    text = str(exc.args[0] if exc.args else exc) or type(exc).__name__
    return text.rstrip(".")


def _serve(conn: Connection, stream: Any, capture: _Capture) -> None:
    sent = 0
    lost = 0
    last_change = time.monotonic()
    while True:
        stopping = conn.poll(SEND_EVERY_S)
        if stopping:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message[0] != "stop":
                continue
            stream.stop()  # what PortAudio holds is given to the callback first
        written = capture.written
        size = capture.ring.size
        if written - sent > size:  # the callback went round before we took it
            lost += written - sent - size
            sent = written - size
        if written > sent:
            start, end = sent % size, written % size
            if start < end:
                data = capture.ring[start:end].tobytes()
            else:
                data = capture.ring[start:].tobytes() + capture.ring[:end].tobytes()
            conn.send(("audio", data))
            sent = written
            last_change = time.monotonic()
        if stopping:
            conn.send(("done", {"lost_frames": lost, "overflows": capture.overflows}))
            return
        if capture.finished or not stream.active:
            conn.send(("lost", "it was unplugged, or the sound server went away"))
            return
        if time.monotonic() - last_change > STALL_S:
            why = f"no sound came for {STALL_S:g} s (unplugged, or the sound server stalled)"
            conn.send(("lost", why))
            return


if __name__ == "__main__":
    from calmflow.system.native_stderr import keep_in_log

    keep_in_log()  # stderr is the audio log
    run(Connection(socket.socket(fileno=int(sys.argv[1])).detach()))
