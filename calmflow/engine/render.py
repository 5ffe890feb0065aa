"""Offline rendering: a whole timeline to a WAV file, block by block.

The mixer fills one block while a writer thread turns the one before into
samples on disk (numpy and file writes let go of the GIL, so the two overlap on
two cores). 16-bit files are converted by numpy and written raw through the
standard library's `wave`, which is several times faster than converting in
libsndfile; float files and files too big for a plain WAV header go through
soundfile.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import wave
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine
from calmflow.system.private_files import private_path, refuse_unless_file

BLOCK_FRAMES = 65_536
BUFFERS = 3
"""Blocks in flight: one being mixed, one being written, one spare."""
WAV_LIMIT_BYTES = 0xFFFF_FFFF - 1024
"""A plain WAV header counts bytes in 32 bits; bigger files are written as RF64."""


class _Sink(Protocol):
    def write(self, block: np.ndarray) -> None: ...

    def close(self) -> None: ...


class _Pcm16:
    """16-bit PCM through `wave`: float blocks rounded to the nearest step."""

    def __init__(self, path: Path, rate: int, channels: int, max_block: int) -> None:
        self._file = wave.open(str(path), "wb")  # noqa: SIM115  # closed by close()
        self._file.setnchannels(channels)
        self._file.setsampwidth(2)
        self._file.setframerate(rate)
        self._scaled = np.zeros((max_block, channels), dtype=np.float32)
        self._pcm = np.zeros((max_block, channels), dtype="<i2")

    def write(self, block: np.ndarray) -> None:
        n = block.shape[0]
        scaled, pcm = self._scaled[:n], self._pcm[:n]
        np.multiply(block, 32768.0, out=scaled)
        # the mixer keeps samples within ±FULL_SCALE, so they round into int16
        np.rint(scaled, out=pcm, casting="unsafe")
        self._file.writeframesraw(pcm.data)  # contiguous: a slice of whole rows

    def close(self) -> None:
        self._file.close()


class _Soundfile:
    def __init__(self, path: Path, rate: int, channels: int, subtype: str, big: bool) -> None:
        self._file = sf.SoundFile(
            str(path),
            "w",
            samplerate=rate,
            channels=channels,
            subtype=subtype,
            format="RF64" if big else "WAV",
        )

    def write(self, block: np.ndarray) -> None:
        self._file.write(block)

    def close(self) -> None:
        self._file.close()


def _make_private(path: Path) -> None:
    """Create `path` (or empty it) readable by its owner only, before any sample is
    written: a routine's sound can hold the baby's voice. A file already there is
    tightened to 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _open(path: Path, rate: int, channels: int, subtype: str, frames: int) -> _Sink:
    _make_private(path)
    bytes_per_frame = channels * (2 if subtype == "PCM_16" else 4)
    big = frames * bytes_per_frame > WAV_LIMIT_BYTES
    if subtype == "PCM_16" and not big:
        return _Pcm16(path, rate, channels, BLOCK_FRAMES)
    return _Soundfile(path, rate, channels, subtype, big)


def render_wav(
    timeline: Timeline,
    path: Path,
    *,
    subtype: str = "PCM_16",
    engine: Engine | None = None,
    levels_cache: Path | None = None,
) -> int:
    """Write the timeline's sound to `path`; return the number of frames written.

    `subtype` is "PCM_16" or "FLOAT". Raises OSError (or soundfile's errors) if
    the file cannot be written, after the writer has stopped. Whole or not at
    all: the sound is written beside `path` and moved into its place once
    complete, so a full disk, ctrl-c or a shutdown (SIGTERM) leaves no half
    file, and a file that had that name stays as it was. A `path` that is not a
    plain file (a folder, a device, a pipe) raises NotAFile (an OSError) before
    anything is mixed.
    """
    refuse_unless_file(path)
    if engine is None:
        engine = Engine(timeline.plan, max_block=BLOCK_FRAMES, levels_cache=levels_cache)
        try:
            return render_wav(timeline, path, subtype=subtype, engine=engine)
        finally:
            engine.close()
    with private_path(path) as part:
        return _render(timeline, part, subtype, engine)


def _render(timeline: Timeline, path: Path, subtype: str, engine: Engine) -> int:
    total = timeline.end_frame
    sink = _open(path, timeline.plan.rate, engine.channels, subtype, total)
    free: queue.Queue[np.ndarray] = queue.Queue()
    for _ in range(BUFFERS):
        free.put(np.zeros((BLOCK_FRAMES, engine.channels), dtype=np.float32))
    full: queue.Queue[np.ndarray | None] = queue.Queue()
    failed: list[BaseException] = []

    def write() -> None:
        # After a failure, keep handing buffers back so the mixer never waits forever.
        while (block := full.get()) is not None:
            if not failed:
                try:
                    sink.write(block)
                except BaseException as exc:  # re-raised in the caller's thread
                    failed.append(exc)
            free.put(block.base if block.base is not None else block)

    writer = threading.Thread(target=write, name="calmflow-render-writer", daemon=True)
    writer.start()
    try:
        for start in range(0, total, BLOCK_FRAMES):
            if failed:
                break
            block = free.get()[: min(BLOCK_FRAMES, total - start)]
            engine.render(timeline, start, block)
            full.put(block)
    finally:
        full.put(None)
        writer.join()
        try:
            sink.close()
        except BaseException as exc:
            failed.append(exc)
    if failed:
        raise failed[0]
    return total
