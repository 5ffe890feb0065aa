"""The sound of every bundled routine, as an audio engineer would measure it.

Run:  .venv/bin/python benchmarks/sound_figures.py [ROUTINE...] [--no-live]
Prints, for each bundled routine (or those named), measured with software
calmflow did not write (pyloudnorm, scipy; the test extra installs them):
- integrated loudness (LUFS) and loudness range (LRA, LU), at 16 kHz, where
  everything these routines play lies (tests/engine/meter.py);
- true peak (dBTP), the whole routine at 48 kHz oversampled 4× (scipy);
- each phase's loudness (LUFS);
- the loudest click: the highest level above 5 kHz anywhere in the render at 48
  kHz (these routines have nothing there but a step in the waveform would), and
  where it is;
then the live let-down latency (benchmarks/letdown_latency.py: key press to the
first changed frame through a PulseAudio null sink, calmflow's block size and
latency; --no-live skips it), and the render speed: an hour (power-pumping) to a
48 kHz 16-bit WAV, against numpy writing and fsyncing the same bytes.
Targets: docs/sound.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calmflow.core.plan import compile_plan  # noqa: E402
from calmflow.core.routine_loading import load_routine  # noqa: E402
from calmflow.core.timeline import Timeline  # noqa: E402
from calmflow.engine.mixer import Engine  # noqa: E402
from calmflow.engine.render import render_wav  # noqa: E402
from calmflow.system.paths import bundled_routines_dir  # noqa: E402

MEASURE_RATE = 16_000
PEAK_RATE = 48_000
BLOCK = 65_536
STEREO_LU = 10 * np.log10(2)


def _plan(name: str, rate: int):  # type: ignore[no-untyped-def]
    return compile_plan(load_routine(bundled_routines_dir() / f"{name}.yaml").routine, rate)


def _render(timeline: Timeline) -> np.ndarray:
    """The first channel (both carry the same in the bundled routines)."""
    engine = Engine(timeline.plan, max_block=BLOCK)
    out = np.zeros(timeline.end_frame, dtype=np.float32)
    block = np.zeros((BLOCK, 2), dtype=np.float32)
    for at in range(0, timeline.end_frame, BLOCK):
        n = min(BLOCK, timeline.end_frame - at)
        engine.render(timeline, at, block[:n])
        out[at : at + n] = block[:n, 0]
    engine.close()
    return out


def _peak_and_click(timeline: Timeline) -> tuple[float, float, float]:
    """True peak (dBTP), the loudest level above 5 kHz (dBFS) and where (s), in blocks."""
    rate = timeline.plan.rate
    engine = Engine(timeline.plan, max_block=BLOCK)
    block = np.zeros((BLOCK, 2), dtype=np.float32)
    high = signal.butter(8, 5000.0, btype="highpass", fs=rate, output="sos")
    state = signal.sosfilt_zi(high) * 0.0
    peak, click, click_at = 0.0, 0.0, 0.0
    tail = np.zeros(64)
    for at in range(0, timeline.end_frame, BLOCK):
        n = min(BLOCK, timeline.end_frame - at)
        engine.render(timeline, at, block[:n])
        mono = block[:n, 0].astype(np.float64)
        joined = np.concatenate([tail, mono])  # the oversampler sees across blocks
        up = signal.resample_poly(joined, 4, 1)[4 * tail.size :]
        peak = max(peak, float(np.abs(up).max()))
        tail = joined[-64:]
        filtered, state = signal.sosfilt(high, mono, zi=state)
        if at > 0:  # the filter starting from rest is not a click
            loudest = int(np.abs(filtered).argmax())
            if abs(filtered[loudest]) > click:
                click, click_at = float(abs(filtered[loudest])), (at + loudest) / rate
    engine.close()
    return _db(peak), _db(click), click_at


def _db(x: float) -> float:
    return float(20 * np.log10(max(x, 1e-12)))


def figures(name: str) -> None:
    routine = load_routine(bundled_routines_dir() / f"{name}.yaml").routine
    arms: list[str | None] = list(routine.experiment.arms) if routine.experiment else [None]
    for arm in arms:
        label = name if arm is None else f"{name} ({arm})"
        plan = compile_plan(routine, MEASURE_RATE, arm=arm)
        timeline = Timeline.initial(plan)
        audio = _render(timeline)
        if not np.any(audio):
            print(f"{label}: silent (not one sample above zero)")
            continue
        meter = pyloudnorm.Meter(MEASURE_RATE)
        lufs = meter.integrated_loudness(audio.astype(np.float64)) + STEREO_LU
        lra = meter.loudness_range(audio.astype(np.float64))
        loud = compile_plan(routine, PEAK_RATE, arm=arm)
        peak, click, click_at = _peak_and_click(Timeline.initial(loud))
        print(
            f"{label}: {lufs:.1f} LUFS, LRA {lra:.1f} LU, true peak {peak:.1f} dBTP, "
            f"loudest click {click:.0f} dBFS above 5 kHz (at {int(click_at // 60)}:"
            f"{click_at % 60:04.1f})"
        )
        for seg in timeline.segments:
            phase = plan.phases[seg.phase]
            part = audio[seg.start_frame : seg.end_frame].astype(np.float64)
            if part.size >= MEASURE_RATE:
                level = meter.integrated_loudness(part) + STEREO_LU
                print(f"    {phase.name:<32} {phase.kind:<12} {level:6.1f} LUFS")


def live_latency() -> None:
    import shutil

    if not (shutil.which("pulseaudio") and shutil.which("parec")):
        print("live let-down latency: not measured (pulseaudio and parec are not installed)")
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import letdown_latency

    from calmflow.audio import device

    found = letdown_latency.run(10, device.BLOCK_FRAMES, device.LATENCY_S)
    print(
        f"live let-down latency (key to the sink, blocks of {device.BLOCK_FRAMES} frames, "
        f"{device.LATENCY_S} s asked): median {found['median_ms']} ms, "
        f"largest {found['max_ms']} ms; live matched offline: {found['live_matches_offline']}"
    )


def render_speed() -> None:
    plan = _plan("power-pumping", PEAK_RATE)
    timeline = Timeline.initial(plan)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hour.wav"
        started = time.perf_counter()
        render_wav(timeline, out)
        ours = time.perf_counter() - started
        size = out.stat().st_size
        out.unlink()
        raw = Path(tmp) / "raw"
        data = np.zeros(size // 2, dtype="<i2")
        started = time.perf_counter()
        with raw.open("wb") as f:
            data.tofile(f)
            f.flush()
            os.fsync(f.fileno())
        disk = time.perf_counter() - started
    minutes = timeline.end_frame / PEAK_RATE / 60
    print(
        f"render speed: {minutes:.0f} min in {ours:.2f} s ({size / 1e6:.0f} MB); numpy writing "
        f"and fsyncing the same bytes: {disk:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("routines", nargs="*")
    parser.add_argument("--no-live", action="store_true", help="skip the live latency")
    args = parser.parse_args()
    names = args.routines or sorted(p.stem for p in bundled_routines_dir().glob("*.yaml"))
    for name in names:
        figures(name)
    if not args.no_live:
        live_latency()
    render_speed()


if __name__ == "__main__":
    main()
