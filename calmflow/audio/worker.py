"""The audio process: an Engine feeding a PortAudio stream.

It runs in a child process so that (see PITFALLS.md) PortAudio's and ALSA's
messages on file descriptor 2 never reach the terminal Textual draws on, and
the UI's Python work never starves the audio callback of the GIL.

Threads inside this process and what they share (who writes, who reads):
- `_Playback.pending`, `.want_paused`, `.want_gain`: written by the main
  thread (commands from the parent), read by the callback.
- `_Playback.pos`: the callback's, except that the main thread sets it while
  the stream is held (paused before its first frame; the callback leaves it alone).
- `counters[FRAMES]`, `[UNDERRUNS]`, `[FAULTS]`, `[LATE_READS]`: written by the
  callback, read by the parent process (a shared mmap, one aligned int64 each);
  FRAMES is set by the parent once, before it lets a held stream go.
- `_Playback.finished`: set by PortAudio's finished callback, read by main.

Started as `python -m calmflow.audio.worker CONN_FD COUNTERS_FD` with stdout
and stderr already pointing at a log file; the first message on CONN is the
plan, the stream settings and the sound files to leave out (found bad before).
A held stream (the sound opened again after it was lost) plays silence until
`("go", frame, paused)` says where the session is.

A sound file that cannot be opened, or fails while playing, silences only the
cues using it: the main thread looks at `Engine.problems()` between commands
(never the callback) and sends each file once, `("media", SoundProblem)`.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from calmflow.audio.shared import (
    CALLBACKS,
    FAULTS,
    FRAMES,
    LATE_READS,
    UNDERRUNS,
    counters_view,
)
from calmflow.core.timeline import Timeline

FADE_S = 0.03
STALL_S = 3.0
SERVE_S = 0.25
"""How long the process waits for a message before it looks at the stream again."""
PREROLL_S = 0.25
"""Silence played before the session's first frame: sound servers can swallow
the first tenth of a second of a new stream, and the opening chime is in it."""
CHANNELS = 2


class _Playback:
    """The callback's state; everything it touches is allocated up front."""

    def __init__(
        self, engine: Any, timeline: Timeline, counters: Any, *, held: bool = False
    ) -> None:
        self.engine = engine
        self.timeline = timeline
        self.pending: Timeline | None = None
        self.held = held
        """Silent before its first frame until the parent says where the session is."""
        self.want_paused = held
        self.finished = False
        self.counters = counters
        self.pos = 0
        self.preroll = int(PREROLL_S * timeline.plan.rate)
        self.mode = "paused" if held else "play"  # play | fading_out | paused | fading_in
        self.fade_done = 0
        self.fade = max(1, int(FADE_S * timeline.plan.rate))
        ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(self.fade) + 0.5) / self.fade)).astype(
            np.float32
        )
        # One column per channel: multiplying a block by a same-shaped array
        # allocates nothing, where broadcasting a column would buffer a block.
        channels = engine.channels
        self.ramp_up = np.repeat(ramp[:, None], channels, axis=1)
        self.ramp_down = self.ramp_up[::-1].copy()
        # The volume: the callback moves `gain` from `gain_from` to `gain_to`
        # along `ramp_up`, so a change (even to silence) never clicks.
        self.want_gain = 1.0
        self.gain = 1.0
        self.gain_from = 1.0
        self.gain_to = 1.0
        self.gain_done = self.fade
        self._gains = np.ones((self.fade, channels), dtype=np.float32)

    def callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        try:
            self.counters[CALLBACKS] += 1
            if status.output_underflow:
                self.counters[UNDERRUNS] += 1
            pending = self.pending
            if pending is not None:
                self.timeline = pending
                self.pending = None
            self._steer()
            if self.mode == "paused" or self.preroll > 0:
                # Any silence at the stream's start is the preroll: a stream
                # held silent for a while starts its sound at once.
                self.preroll = max(0, self.preroll - frames)
                outdata.fill(0.0)
                # Nothing is heard: the volume can change at once.
                self.gain = self.gain_from = self.gain_to = self.want_gain
                self.gain_done = self.fade
                return
            self.engine.render(self.timeline, self.pos, outdata)
            self.counters[LATE_READS] = self.engine.late_reads()
            advance = frames
            if self.mode in ("fading_out", "fading_in"):
                ramp = self.ramp_down if self.mode == "fading_out" else self.ramp_up
                m = min(frames, self.fade - self.fade_done)
                outdata[:m] *= ramp[self.fade_done : self.fade_done + m]
                self.fade_done += m
                if self.mode == "fading_out":
                    outdata[m:] = 0.0
                    advance = m
                    if self.fade_done >= self.fade:
                        self.mode = "paused"
                elif self.fade_done >= self.fade:
                    self.mode = "play"
            self._apply_gain(outdata, frames)
            self.pos += advance
            self.counters[FRAMES] = self.pos
        except Exception:
            outdata.fill(0.0)
            self.counters[FAULTS] += 1

    def _apply_gain(self, outdata: np.ndarray, frames: int) -> None:
        """Scale the block by the volume, ramping over FADE_S to a new one."""
        target = self.want_gain
        if target != self.gain_to:
            self.gain_from, self.gain_to, self.gain_done = self.gain, target, 0
        if self.gain_done < self.fade:
            m = min(frames, self.fade - self.gain_done)
            gains = self._gains[:m]
            np.multiply(
                self.ramp_up[self.gain_done : self.gain_done + m],
                self.gain_to - self.gain_from,
                out=gains,
            )
            gains += self.gain_from
            outdata[:m] *= gains
            self.gain_done += m
            self.gain = self.gain_to if self.gain_done >= self.fade else float(gains[m - 1, 0])
            if m < frames and self.gain_to != 1.0:
                outdata[m:] *= self.gain_to
        elif self.gain != 1.0:
            outdata *= self.gain

    def _steer(self) -> None:
        if self.want_paused and self.mode in ("play", "fading_in"):
            self.fade_done = self.fade - self.fade_done if self.mode == "fading_in" else 0
            self.mode = "fading_out"
        elif not self.want_paused and self.mode in ("paused", "fading_out"):
            self.fade_done = self.fade - self.fade_done if self.mode == "fading_out" else 0
            self.mode = "fading_in"

    def on_finished(self) -> None:
        self.finished = True


def run(conn: Connection, counters: Any) -> None:
    """Open the stream the parent asks for and play until told to stop."""
    try:
        plan, device, latency_s, block_frames, held, leave_out = conn.recv()
    except EOFError:
        return
    try:
        import sounddevice as sd
    except OSError as exc:
        conn.send(("error", f"PortAudio is not installed ({exc}); install libportaudio2"))
        return
    from calmflow.engine.levels import default_cache
    from calmflow.engine.mixer import Engine

    try:
        # Before the sounds are prepared: while the sound is lost, the player
        # tries every few seconds, and each try that fails should cost little.
        sd.check_output_settings(device=device, channels=CHANNELS, samplerate=plan.rate)
    except (sd.PortAudioError, ValueError) as exc:
        conn.send(("error", f"no sound output could be opened ({exc})"))
        return
    try:
        # A bad sound file leaves its cues silent (said in problems()), not the session.
        engine = Engine(
            plan,
            CHANNELS,
            max_block=max(block_frames, 8192),
            live=True,
            skip_bad=True,
            leave_out=leave_out,
            levels_cache=default_cache(),
        )
    except Exception as exc:  # not a file's fault: trying again will not help
        why = f"the routine's sounds could not be prepared ({type(exc).__name__}: {exc})"
        conn.send(("error", why, "sounds"))
        return
    playback = _Playback(engine, Timeline.initial(plan), counters, held=held)
    engine.prepare(playback.timeline)
    try:
        stream = sd.OutputStream(
            samplerate=plan.rate,
            channels=engine.channels,
            dtype="float32",
            device=device,
            latency=latency_s,
            blocksize=block_frames,
            callback=playback.callback,
            finished_callback=playback.on_finished,
        )
        stream.start()
    except (sd.PortAudioError, ValueError) as exc:
        conn.send(("error", f"no sound output could be opened ({exc})"))
        return
    name = sd.query_devices(stream.device).get("name", str(stream.device))
    conn.send(("ready", {"device": name, "latency_s": stream.latency}))
    _serve(conn, stream, playback, counters)


def _fade_out(playback: _Playback) -> None:
    """Let the callback fade to silence before the stream is cut, so the end never clicks."""
    playback.want_paused = True
    deadline = time.monotonic() + 0.5
    while playback.mode != "paused" and time.monotonic() < deadline:
        time.sleep(0.01)


def _go(playback: _Playback, timeline: Timeline, frame: int, paused: bool) -> None:
    """Let a held stream play the session from `frame` (it is silent until then)."""
    if not playback.held:
        return
    playback.engine.seek(timeline, frame)
    playback.pos = frame  # before the callback may move on from here
    playback.held = False
    playback.want_paused = paused


def _tell_problems(conn: Connection, engine: Any, told: set[str]) -> None:
    """Send each sound file found bad, once."""
    for problem in engine.problems():
        if problem.file not in told:
            told.add(problem.file)
            conn.send(("media", problem))


def _serve(conn: Connection, stream: Any, playback: _Playback, counters: Any) -> None:
    last_frames, last_change = -1, time.monotonic()
    latest = playback.timeline
    told: set[str] = set()
    try:
        while True:
            _tell_problems(conn, playback.engine, told)
            # A message wakes it at once; otherwise it looks after the stream four
            # times a second (each wait costs a selector: at 20 a second the loop
            # took a fifth of the process's CPU).
            if conn.poll(SERVE_S):
                try:
                    message = conn.recv()
                except EOFError:
                    return  # the parent is gone: stop playing
                kind = message[0]
                if kind == "timeline":
                    latest = message[1]
                    playback.engine.prepare(latest)  # here, not in the callback
                    playback.pending = latest
                elif kind == "go":
                    _go(playback, latest, message[1], message[2])
                elif kind == "pause":
                    playback.want_paused = True
                elif kind == "resume" and not playback.held:
                    playback.want_paused = False
                elif kind == "gain":
                    playback.want_gain = min(1.0, max(0.0, float(message[1])))
                elif kind == "stop":
                    _fade_out(playback)
                    return
            if playback.finished or not stream.active:
                conn.send(
                    ("lost", "the sound output stopped (device unplugged or sound server gone)")
                )
                return
            frames = counters[FRAMES]
            now = time.monotonic()
            if frames != last_frames or playback.mode == "paused":
                last_frames, last_change = frames, now
            elif now - last_change > STALL_S:
                conn.send(("lost", "the sound output stopped consuming audio"))
                return
    except OSError:
        return  # the parent is gone (a send failed): stop playing
    finally:
        # stop() plays out what is buffered (the fade); abort() would cut it off.
        with contextlib.suppress(Exception):
            if playback.mode == "paused":
                stream.stop()
            else:
                stream.abort()
            stream.close()


if __name__ == "__main__":
    from calmflow.system.native_stderr import keep_in_log

    keep_in_log()  # stderr is the audio log: decoders' notes are kept in it
    _conn_fd, _counters_fd = (int(a) for a in sys.argv[1:3])
    run(Connection(socket.socket(fileno=_conn_fd).detach()), counters_view(_counters_fd))
