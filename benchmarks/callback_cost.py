"""What one audio callback's mixing costs, with every kind of source sounding at once.

Run:  .venv/bin/python benchmarks/callback_cost.py [BLOCKS]   (default: 20000)
Writes a routine and short synthesized WAVs into a temporary folder: 40 phases
of 10 s, each opening with the phase chime and a spoken (voice) prompt, over
the breath tone, a tone cue, a looping sound (with a fade-in at its start), a
sound restarted every 5 s with a fade-in, a short clip repeated back to back
(`min_length`) and a background sound ducked under the voice. It times `Engine.render` of one
block of the player's size (2048 frames at 48 kHz: what the audio callback does) in two runs:

- "all sources": BLOCKS blocks at random positions where every source above
  sounds through the whole block (checked against the mixer's placed sounds,
  and each block checked not to be silent);
- "live": the whole session (400 s) rendered block after block from frame 0,
  as the audio process plays it (its sounds placed beforehand by
  `Engine.prepare`, outside the callback), with the first block reported on
  its own.

For each it prints the median, 99th and 99.9th percentile and the largest
time as a share of the block's duration (2048 / 48000 s = 42.7 ms), on the
wall clock and in the thread's CPU time, and whether the wall-clock 99.9th
percentile meets the target: under 5%. The wall clock is what the callback
has; CPU time leaves out preemption, so where the two differ the machine was
busy (the load average is printed first): run it on a quiet machine. The
garbage collector is left on, as in the audio process (it is not touched in
calmflow/audio/worker.py).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from calmflow.audio.device import BLOCK_FRAMES
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine

RATE = 48_000
BLOCK_NS = BLOCK_FRAMES / RATE * 1e9
TARGET = 0.05
"""The 99.9th percentile of one block's mixing time (wall clock), as a share of BLOCK_NS."""
PHASE_S = 10
ROUNDS = 20
VOICE_S = 4.0

ROUTINE = f"""\
name: callback-cost
description: Every kind of sound at once, for benchmarks/callback_cost.py.
breathing: {{inhale_s: 4, exhale_s: 6, voice: tone}}
chime: true
ducking: -12dB
cues:
  music:                      # background, ducked under each voice prompt
    sound: music.wav
    volume: 0.4
  rain:                       # a looping sound with a slow fade-in
    sound: rain.wav
    loop: true
    fade_in: 3s
    fade_out: 2s
  bell:                       # a sound that does not loop, started every 5 s
    sound: bell.wav
    loop: false
    every: 5s
    fade_in: 1s
    fade_out: 0.5s
  baby:                       # a short clip played back to back for 8 s, every 10 s
    sound: baby.wav
    loop: false
    every: 10s
    min_length: 8s
    fade_in: 0.2s
  hum:                        # a tone cue
    tone: 180
    volume: 0.3
background: [music]
phases:
  - repeat: {ROUNDS}
    phases:
      - name: Stimulation
        kind: stimulation
        duration: {PHASE_S}s
        prompt: {{text: Fast and light., voice: voice-a.wav}}
        cues: [rain, bell, baby, hum]
      - name: Expression
        kind: expression
        duration: {PHASE_S}s
        breathing: {{inhale_s: 5, exhale_s: 5, voice: tone}}
        prompt: {{text: Slow and deep., voice: voice-b.wav}}
        cues: [rain, bell, baby, hum]
"""


def write_media(folder: Path) -> None:
    """Short sounds made here, at rates and channel counts a person's files might have."""
    rng = np.random.default_rng(1)

    def tone(seconds: float, rate: int, hz: float) -> np.ndarray:
        t = np.arange(int(seconds * rate)) / rate
        return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)

    music = np.stack([tone(20, 44_100, 261.6), tone(20, 44_100, 329.6)], axis=1)
    sf.write(folder / "music.wav", music, 44_100)
    rain = (0.2 * rng.standard_normal((30 * RATE, 2))).astype(np.float32)
    sf.write(folder / "rain.wav", rain, RATE)
    bell = tone(4.5, RATE, 660) * np.exp(-np.arange(int(4.5 * RATE)) / RATE)
    sf.write(folder / "bell.wav", bell, RATE)
    sf.write(folder / "baby.wav", tone(1.5, 22_050, 450), 22_050)
    sf.write(folder / "voice-a.wav", tone(VOICE_S, 16_000, 200), 16_000)
    sf.write(folder / "voice-b.wav", tone(VOICE_S, 16_000, 240), 16_000)


def all_sounding(engine: Engine, timeline: Timeline) -> list[tuple[int, int]]:
    """[lo, hi) ranges of frames where every source sounds throughout.

    Per segment: the breath guide and the chime (from the segment's start),
    each cue sound, a voice, and the background ducked under it (the
    voice's span), intersected; the mixer's placed sounds give each extent.
    """
    placed = engine._place(timeline)
    voices = set(map(id, engine._voices.values()))
    ranges = []
    for seg in timeline.segments:
        lo = seg.start_frame
        hi = min(seg.end_frame, lo + engine._chime.shape[0])
        breath = timeline.phase_of(seg).breath
        if breath is None or breath not in engine._breath:
            raise SystemExit(f"no breath tone at frame {lo}")
        for name, sound in engine._cues.items():
            spans = [(a, e) for a, _, e, s in placed.sounds if s is sound and a <= lo < e]
            if not spans:
                raise SystemExit(f"cue {name} is not sounding at frame {lo}")
            hi = min(hi, max(e for _, e in spans))
        heard = [e for a, _, e, s in placed.sounds if id(s) in voices and a <= lo < e]
        if not heard:
            raise SystemExit(f"no voice at frame {lo}")
        hi = min(hi, max(heard))
        if hi - lo < 10 * BLOCK_FRAMES:
            raise SystemExit(f"sources overlap for only {hi - lo} frames at {lo}")
        ranges.append((lo, hi))
    return ranges


def time_blocks(
    engine: Engine, timeline: Timeline, frames: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Nanoseconds each render took, wall-clock and CPU; raises if any block came out silent."""
    out = np.zeros((BLOCK_FRAMES, 2), dtype=np.float32)
    wall = np.zeros(len(frames), dtype=np.int64)
    cpu = np.zeros(len(frames), dtype=np.int64)
    silent = 0
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for i, frame in enumerate(frames):
        c0 = cpu_clock()
        t0 = clock()
        engine.render(timeline, frame, out)
        t1 = clock()
        cpu[i] = cpu_clock() - c0
        wall[i] = t1 - t0
        if frame < timeline.end_frame and not out.any():
            silent += 1
    if silent:
        raise SystemExit(f"{silent} of {len(frames)} blocks came out silent")
    return wall, cpu


def shares(took_ns: np.ndarray) -> str:
    share = took_ns / BLOCK_NS
    p50, p99, p999 = np.percentile(share, [50, 99, 99.9])
    return f"median {p50:.2%}  p99 {p99:.2%}  p99.9 {p999:.2%}  max {share.max():.2%}"


def report(label: str, wall_ns: np.ndarray, cpu_ns: np.ndarray) -> bool:
    p999 = float(np.percentile(wall_ns, 99.9)) / BLOCK_NS
    met = p999 < TARGET
    print(f"{label}: {len(wall_ns)} blocks of {BLOCK_FRAMES} frames ({BLOCK_NS / 1e6:.1f} ms each)")
    print(f"  wall clock: {shares(wall_ns)}  (median {np.median(wall_ns) / 1e3:.0f} us)")
    print(f"  CPU time:   {shares(cpu_ns)}  (the thread's own; preemption left out)")
    print(f"  p99.9 {'meets' if met else 'misses'} the target (under {TARGET:.0%} of the block)")
    return met


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_media(folder)
        (folder / "callback-cost.yaml").write_text(ROUTINE)
        plan = compile_plan(load_routine(folder / "callback-cost.yaml").routine, RATE)
        engine = Engine(plan, max_block=8192)
    session = Session(plan)
    session.start()
    timeline = session.timeline

    ranges = all_sounding(engine, timeline)
    rng = random.Random(7)
    positions = []
    for _ in range(blocks):
        lo, hi = rng.choice(ranges)
        positions.append(rng.randrange(lo, hi - BLOCK_FRAMES))
    sources = ["breath tone", "chime", *sorted(engine._cues), "voice prompt (ducking music)"]
    print(f"sources sounding in every timed block: {', '.join(sources)}")
    print("gc left on, as in the audio process (calmflow/audio/worker.py)")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before the runs: {load} on {os.cpu_count()} CPUs")
    time_blocks(engine, timeline, positions[:500])  # warm up caches and branches
    ok = report("all sources", *time_blocks(engine, timeline, positions))

    fresh = Session(plan)
    fresh.start()
    engine.prepare(fresh.timeline)  # as the audio process does when a timeline arrives
    frames = list(range(0, fresh.timeline.end_frame, BLOCK_FRAMES))
    wall, cpu = time_blocks(engine, fresh.timeline, frames)
    ok = report(f"live, {fresh.timeline.end_frame / RATE:.0f} s from frame 0", wall, cpu) and ok
    print(
        f"  first block of the new timeline: {wall[0] / BLOCK_NS:.2%}"
        f" wall clock, {cpu[0] / BLOCK_NS:.2%} CPU"
    )
    print("target met in both runs" if ok else "target missed")


if __name__ == "__main__":
    main()
