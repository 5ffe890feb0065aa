"""Long sound files played from disk through a bounded buffer, never loaded whole.

A 60-minute guided recording is 690 MB as float samples: `StreamedSound` keeps
its first HEAD_S in memory (so every new start sounds at once) and a ring of
RING_S that a reader fills ahead of where the sound is playing. Memory stays
the same whatever the file's length.

Positions are in frames at the output rate since the sound was placed, as the
mixer counts them; past the end of the file they wrap to its start (loops,
back-to-back plays). Decoding goes in fixed chunks and soxr's stream
resampler gives the same samples however its input is cut, so a sound played
from the start through the ring equals the same file decoded whole.

Two ways to fill the ring:
- live (`start()`): a reader thread keeps RING_S - MARGIN_S ahead of the last
  position the mixer read. `read()` from the audio callback only copies what
  is there; a part that is not (the reader fell behind, or a jump the ring
  cannot serve) is silence and counted in `misses`.
- offline (no thread): `read()` decodes what it needs before copying, so a
  render is complete and exact. Decoders' notes on file descriptor 2 ("Note:
  Illegal Audio-MPEG-Header ...") are silenced for it: offline reads can run
  in a process whose fd 2 is a terminal.

A file that fails to decode partway (cut short, damaged) sets `failed`, once,
in a person's words: what was decoded before still plays, the rest is
silence, which is the file's fault and not counted as a miss (a skip).

Shared between the reader thread (writer) and the callback (reader): `_lo`,
`_hi` (the virtual frames the ring holds, [lo, hi)) and the ring's samples.
The reader raises `_lo` before it overwrites and publishes `_hi` after it
writes; the callback checks `_lo` again after copying. `want` is written by the
callback and read by the reader. Plain int fields: no lock anywhere.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import numpy as np
import soxr

from calmflow.engine.media import damaged
from calmflow.engine.readers import open_reader
from calmflow.system.native_stderr import silenced

HEAD_S = 8.0
"""Kept in memory from the start of the file: a fresh start never waits."""
RING_S = 12.0
"""The bounded buffer."""
MARGIN_S = 3.0
"""Of the ring, this much is kept behind the play position (what was just played)."""
CHUNK_S = 0.5
"""Decoded at a time, in seconds of the file."""
IDLE_S = 0.02
"""How long the reader sleeps when the ring is as full as it should be."""
PAD_S = 0.05
"""After a jump, decoding starts this much earlier and the resampler's start is dropped."""
READY_S = 1.0
"""A prefetch is ready when this much from its offset can be read."""


def resampled_length(frames: int, source_rate: int, rate: int) -> int:
    """How many frames soxr makes of `frames` at `source_rate` (what one-shot
    `soxr.resample` returns, and what its stream gives in all)."""
    return math.floor(frames * rate / source_rate + 0.5)


class StreamedSound:
    """A sound file read from disk as it plays; see the module docstring."""

    def __init__(self, path: Path, rate: int, channels: int, *, loop: bool = False) -> None:
        self.path = path
        self.rate = rate
        self.channels = channels
        self.loop = loop
        """Plays go back to back: each is resampled as part of a circle (the
        file's end before its start, its start after its end), so the seam
        between them is as smooth as in the file."""
        with silenced():
            self._file = open_reader(path)
        self.source_rate: int = self._file.samplerate
        self.frames = resampled_length(self._file.frames, self.source_rate, rate)
        """Length of one play at the output rate."""
        unit = math.gcd(self.source_rate, rate)
        self._grid_in, self._grid_out = self.source_rate // unit, rate // unit
        """A jump lands on a multiple of these: input and output frames that start together."""
        self._chunk_in = max(256, round(CHUNK_S * self.source_rate))
        chunk_out = resampled_length(self._chunk_in, self.source_rate, rate) + 64
        self._capacity = max(round(RING_S * rate), 4 * chunk_out)
        self._ahead = self._capacity - max(round(MARGIN_S * rate), 2 * chunk_out)
        self._ready = min(round(READY_S * rate), self._ahead)
        self._ring = np.zeros((self._capacity, channels), dtype=np.float32)
        self._lo = 0
        self._hi = 0
        self.want = 0
        """Where the mixer's last read started (written by the callback)."""
        self.misses = 0
        """Reads that found part of what they asked for missing (live only)."""
        self.failed: str | None = None
        """Why reading the file stopped partway, in a person's words; None while all is well."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # the decoder: its next output frame lands at `_hi`, after it drops `_drop`
        self._drop = 0
        self._resampler: soxr.ResampleStream | None = None
        self._seek(0)
        self._head_frames = min(self.frames, round(HEAD_S * rate))
        self._head = np.zeros((self._head_frames, channels), dtype=np.float32)
        with silenced():
            while self._hi < self._head_frames:
                self._decode_chunk()
        self._copy_out(0, self._head)

    # --- the mixer's side -----------------------------------------------------------------

    def read(self, offset: int, dest: np.ndarray) -> None:
        """dest[:] = the sound from `offset` frames after its placed start, wrapping."""
        n = dest.shape[0]
        length = self.frames
        pos = 0
        while pos < n:
            v = offset + pos
            f = v % length
            if f < self._head_frames:
                take = min(n - pos, self._head_frames - f)
                dest[pos : pos + take] = self._head[f : f + take]
            else:
                take = min(n - pos, length - f)
                if self._thread is None:
                    self._fill_offline(v, v + take)
                self._from_ring(v, dest[pos : pos + take])
            pos += take
        self.want = offset

    def prefetch(self, offset: int) -> bool:
        """Have the reader fill the ring from `offset` next, for reads that will
        start there (the sound opened again mid-play); return whether the first
        READY_S from it can be read now. Live only, and not while the mixer reads."""
        self.want = offset
        f = offset % self.frames
        if f + self._ready <= self._head_frames or self.failed is not None:
            return True  # in memory, or never coming: nothing to wait for
        start = self._fill_start(offset)
        play_end = (offset // self.frames + 1) * self.frames
        return self._lo <= start and self._hi >= min(offset + self._ready, play_end)

    def _from_ring(self, v: int, dest: np.ndarray) -> None:
        take = dest.shape[0]
        lo, hi = self._lo, self._hi
        have = min(hi, v + take) - v if lo <= v else 0
        if have > 0:
            self._copy_out(v, dest[:have])
            if self._lo > v:  # overwritten while copying
                have = 0
        if have < take:
            dest[max(have, 0) :] = 0.0
            if self.failed is None:  # late, not gone for good
                self.misses += 1

    def _copy_out(self, v: int, dest: np.ndarray) -> None:
        """dest[:] = the ring's frames from virtual frame `v` (which it holds)."""
        n = dest.shape[0]
        i = v % self._capacity
        first = min(n, self._capacity - i)
        dest[:first] = self._ring[i : i + first]
        if first < n:
            dest[first:] = self._ring[: n - first]

    # --- filling the ring ----------------------------------------------------------------

    def start(self) -> None:
        """Fill the ring from a thread from now on (for live play)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"calmflow-stream-{self.path.name}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._file.close()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                start = self._fill_start(self.want)
                if not self._fill(start, start + self._ahead, one_chunk=True):
                    time.sleep(IDLE_S)
        except Exception as exc:  # whatever the decoder raised, the file is what failed
            self.failed = damaged(exc)

    def _fill_offline(self, start: int, end: int) -> None:
        """`_fill`, for a read that waits for it; a failure is kept in `failed`."""
        if self.failed is not None or (self._lo <= start and end <= self._hi):
            return
        try:
            with silenced():
                self._fill(start, end)
        except Exception as exc:
            self.failed = damaged(exc)

    def _fill_start(self, want: int) -> int:
        """Where the ring must hold frames from, for the mixer at `want`: the head
        of each play is in memory already."""
        play, f = divmod(want, self.frames)
        return play * self.frames + self._head_frames if f < self._head_frames else want

    def _fill(self, start: int, end: int, *, one_chunk: bool = False) -> bool:
        """Make the ring hold [start, end) (it must fit); return whether it decoded."""
        if not self._lo <= start <= self._hi:
            self._seek(start)
        decoded = False
        while self._hi < end:
            self._decode_chunk()
            decoded = True
            if one_chunk:
                break
        return decoded

    def _seek(self, v: int) -> None:
        """Start decoding afresh at or just before virtual frame `v`."""
        play, f = divmod(v, self.frames)
        units = f // self._grid_out
        pad = self._pad_units if self._resampling else 0
        pad = min(pad, units)
        self._file.seek((units - pad) * self._grid_in)
        self._drop = pad * self._grid_out
        self._resampler = self._new_resampler()
        if units == 0:
            self._prime()
        self._lo = self._hi = play * self.frames + units * self._grid_out

    @property
    def _pad_units(self) -> int:
        return int(math.ceil(PAD_S * self.source_rate / self._grid_in))

    def _prime(self) -> None:
        """At the start of a play of a loop, give the resampler the file's end
        first (and drop what it makes of it), so the play starts as the last one
        ended, not from a resampler's cold start. Leaves the file at its start."""
        if not (self.loop and self._resampler is not None):
            return
        tail_in = min(self._pad_units * self._grid_in, self._file.frames)
        tail_in -= tail_in % self._grid_in
        if tail_in <= 0:
            return
        self._file.seek(self._file.frames - tail_in)
        tail = self._adapt(self._file.read(tail_in, dtype="float32", always_2d=True))
        made = self._resampler.resample_chunk(tail, last=False).shape[0]
        self._drop = tail_in // self._grid_in * self._grid_out - made
        self._file.seek(0)

    def _adapt(self, data: np.ndarray) -> np.ndarray:
        """`data` with the channels played: the first ones, or a mono file's in each."""
        if data.shape[1] >= self.channels:
            return np.ascontiguousarray(data[:, : self.channels])
        return np.ascontiguousarray(np.repeat(data[:, :1], self.channels, axis=1))

    @property
    def _resampling(self) -> bool:
        return self.source_rate != self.rate

    def _new_resampler(self) -> soxr.ResampleStream | None:
        if not self._resampling:
            return None
        return soxr.ResampleStream(self.source_rate, self.rate, self.channels, dtype="float32")

    def _decode_chunk(self) -> None:
        """Decode the next chunk of the file into the ring; at its end, go on
        from its start (the next play)."""
        data = self._file.read(self._chunk_in, dtype="float32", always_2d=True)
        at_end = data.shape[0] < self._chunk_in or self._file.tell() >= self._file.frames
        data = self._adapt(data)
        if self._resampler is not None and at_end and self.loop:
            # The play's end runs into the file's start, as the next play does.
            made = self._resampler.resample_chunk(data, last=False)
            self._file.seek(0)
            head_in = min(self._pad_units * self._grid_in, self._file.frames)
            head = self._adapt(self._file.read(head_in, dtype="float32", always_2d=True))
            data = np.concatenate([made, self._resampler.resample_chunk(head, last=True)])
        elif self._resampler is not None:
            data = self._resampler.resample_chunk(data, last=at_end)
        if self._drop:
            dropped = min(self._drop, data.shape[0])
            data, self._drop = data[dropped:], self._drop - dropped
        play_end = (self._hi // self.frames + 1) * self.frames
        data = data[: play_end - self._hi]
        short = play_end - self._hi - data.shape[0]
        if at_end and short > 0:  # a play is never shorter than `frames`
            data = np.concatenate([data, np.zeros((short, self.channels), np.float32)])
        self._append(data)
        if at_end:  # the next play starts from the top
            self._file.seek(0)
            self._resampler = self._new_resampler()
            self._drop = 0
            self._prime()

    def _append(self, data: np.ndarray) -> None:
        n = data.shape[0]
        if n == 0:
            return
        hi = self._hi
        if hi + n - self._lo > self._capacity:
            self._lo = hi + n - self._capacity  # before overwriting: readers see it
        i = hi % self._capacity
        first = min(n, self._capacity - i)
        self._ring[i : i + first] = data[:first]
        if first < n:
            self._ring[: n - first] = data[first:]
        self._hi = hi + n  # after the samples are in: readers see them whole
