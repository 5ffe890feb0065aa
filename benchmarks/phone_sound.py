"""Decode speed and streaming memory of a 10-minute M4A voice memo.

Run:  .venv/bin/python benchmarks/phone_sound.py [--minutes 10]
Makes a recording of --minutes (default 10) as AAC in an M4A at 44.1 kHz stereo,
160 kbit/s (as a phone's voice memo, and resampled to 48 kHz, the costly case;
encoding it takes a few seconds a minute), then prints:
- how fast its sound track decodes: the scan that finds its exact length
  (calmflow.engine.containers.scan, what `calmflow check` and the first play
  of each version of the file do), and a read through as the engine streams it,
  both in times real time;
- its loudness measured (once per version of the file, by `calmflow check`,
  then kept in the loudness cache);
- in a fresh process, what the audio process does with it: opened by the
  engine (streamed from disk, as any file over a minute is; its loudness from
  the cache, as in `calmflow play`), and rendered through to the end in
  4096-frame blocks. The time to open it, the peak resident memory (VmHWM)
  that adds to the process, the peak of what Python allocated (tracemalloc:
  numpy's arrays included), and the render's speed; the same for the same
  sound in a FLAC, beside it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILE_RATE = 44_100

ROUTINE = """\
version: 1
name: memo
breathing: 'off'
chime: false
background: [memo]
cues:
  memo: {{sound: {file}, volume: 1, loop: false, fade_in: 0s, role: baby}}
phases:
  - {{name: Listen, kind: prep, duration: {seconds}s}}
"""


def make_memo(path: Path, minutes: int) -> None:
    """A baby's babble over room noise, a second at a time, as AAC in an M4A."""
    import av

    rng = np.random.default_rng(1)
    with av.open(str(path), "w", options={"movie_timescale": str(FILE_RATE)}) as out:
        stream = out.add_stream("aac", rate=FILE_RATE)
        stream.layout = "stereo"
        stream.bit_rate = 160_000
        t = np.arange(FILE_RATE) / FILE_RATE
        for second in range(minutes * 60):
            pitch = 320 + 80 * np.sin(2 * np.pi * 0.3 * (t + second))
            phase = 2 * np.pi * np.cumsum(pitch) / FILE_RATE
            voice = np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)
            babble = 0.2 * voice * np.sin(np.pi * (t + second) / 0.5) ** 2
            noise = 0.01 * rng.standard_normal((2, FILE_RATE))
            block = (babble[None, :] + noise).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            frame.sample_rate = FILE_RATE
            frame.pts = second * FILE_RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def decode_speeds(path: Path, seconds: float) -> tuple[float, float]:
    """Times real time: the scan (decode through, kept tail), and a read through
    in 0.5 s chunks (decode and convert, as the stream reader does)."""
    from calmflow.engine import containers

    started = time.perf_counter()
    track = containers.scan(path)
    scan_s = time.perf_counter() - started
    assert abs(track.frames - seconds * FILE_RATE) <= 1, track.frames
    started = time.perf_counter()
    with containers.TrackReader(path) as reader:
        while reader.read(FILE_RATE // 2, dtype="float32", always_2d=True).shape[0]:
            pass
    read_s = time.perf_counter() - started
    return seconds / scan_s, seconds / read_s


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(path: Path, cache: Path) -> float:
    """Seconds to measure the loudness of `path` (as `check` does), kept in `cache`."""
    from calmflow.engine import levels

    started = time.perf_counter()
    levels.file_level(path, cache)
    return time.perf_counter() - started


def stream_child(path: Path, seconds: float, cache: Path) -> None:
    """In a fresh process: open, measure and render the memo as the audio process
    would; print what it cost as JSON."""
    import tracemalloc

    import av  # noqa: F401  # loaded before the baseline: its libraries are not the memo's cost

    from calmflow.core.plan import compile_plan
    from calmflow.core.routine_loading import load_routine
    from calmflow.core.timeline import Timeline
    from calmflow.engine.mixer import Engine
    from calmflow.engine.stream import StreamedSound

    routine = path.parent / f"{path.stem}.yaml"
    routine.write_text(ROUTINE.format(file=path.name, seconds=int(seconds) + 1))
    plan = compile_plan(load_routine(routine).routine, 48_000)
    timeline = Timeline.initial(plan)
    block = np.zeros((4096, 2), dtype=np.float32)

    def play(traced: bool) -> tuple[float, float, float]:
        """Open and render it through: seconds to open, to render, and the peak
        Python allocated (if `traced`, which slows both)."""
        from calmflow.engine import containers

        containers._scanned.clear()  # as a fresh process: its length found again
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        engine = Engine(plan, max_block=4096, levels_cache=cache)
        opened_s = time.perf_counter() - started
        assert isinstance(engine._sources[0], StreamedSound), "streamed from disk"
        loudest = 0.0
        for at in range(0, timeline.end_frame, 4096):
            n = min(4096, timeline.end_frame - at)
            engine.render(timeline, at, block[:n])
            loudest = max(loudest, float(np.abs(block[:n]).max()))
        render_s = time.perf_counter() - started - opened_s
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
        engine.close()
        assert loudest > 0.01, "it was heard"
        return opened_s, render_s, peak

    baseline = vm_rss_mb()
    opened_s, render_s, _ = play(traced=False)
    added_mb = vm_hwm_mb() - baseline
    _, _, traced = play(traced=True)
    print(
        json.dumps(
            {
                "opened_s": opened_s,
                "render_x": seconds / render_s,
                "rss_added_mb": added_mb,
                "traced_mb": traced / 1e6,
            }
        )
    )


def run_child(path: Path, seconds: float, cache: Path) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--stream",
            str(path),
            "--seconds",
            str(seconds),
            "--cache",
            str(cache),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=10, help="length of the memo")
    parser.add_argument("--stream", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stream is not None:
        stream_child(args.stream, args.seconds, args.cache)
        return
    seconds = args.minutes * 60.0
    with tempfile.TemporaryDirectory() as tmp:
        memo = Path(tmp) / "memo.m4a"
        started = time.monotonic()
        make_memo(memo, args.minutes)
        print(
            f"memo: {args.minutes} min AAC in M4A, 44.1 kHz stereo, 160 kbit/s,"
            f" {memo.stat().st_size / 1e6:.1f} MB (made in {time.monotonic() - started:.0f} s)"
        )
        scan_x, read_x = decode_speeds(memo, seconds)
        print(f"decode speed, the scan for its exact length: {scan_x:,.0f}x real time")
        print(f"                      (a {args.minutes}-minute memo in {seconds / scan_x:.2f} s)")
        print(f"decode speed, read through as it streams:    {read_x:,.0f}x real time")
        import soundfile as sf

        from calmflow.engine.containers import TrackReader

        flac = Path(tmp) / "same.flac"
        with (
            TrackReader(memo) as reader,
            sf.SoundFile(str(flac), "w", samplerate=FILE_RATE, channels=2, subtype="PCM_16") as out,
        ):
            while (part := reader.read(FILE_RATE * 10, always_2d=True)).shape[0]:
                out.write(part)
        cache = Path(tmp) / "loudness.json"
        for name, path in (("M4A", memo), ("FLAC, the same sound", flac)):
            measured_s = measure(path, cache)
            f = run_child(path, seconds, cache)
            print(
                f"{name}: loudness measured (by check, once) in {measured_s:.2f} s;"
                f" streamed: opened in {f['opened_s']:.2f} s,"
                f" rendered at {f['render_x']:.0f}x real time, peak memory added"
                f" {f['rss_added_mb']:.1f} MB resident, {f['traced_mb']:.1f} MB allocated"
            )
        decoded_mb = seconds * 48_000 * 2 * 4 / 1e6
        print(f"(the memo decoded whole at 48 kHz stereo float would be {decoded_mb:.0f} MB)")


if __name__ == "__main__":
    main()
