"""Measuring rendered sound the way a listener would hear it.

Helpers shared by the engine tests: routines and sound files made in a temp
folder, rendering a timeline, and a few measurements (band energy, onsets,
dominant frequency, clicks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from calmflow.core.plan import Plan, compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine import levels, synth
from calmflow.engine.mixer import Engine

RATE = 48_000


def plan_from_yaml(folder: Path, text: str, rate: int = RATE) -> Plan:
    """Write a routine into `folder` and compile it (media paths relative to it)."""
    path = folder / "routine.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_plan(load_routine(path).routine, rate)


def write_tone(
    path: Path,
    *,
    seconds: float,
    rate: int,
    hz: float | tuple[float, ...] = 5000.0,
    amplitude: float = 0.5,
    subtype: str = "PCM_16",
) -> np.ndarray:
    """A sine per channel (one frequency per channel); returns what was written."""
    freqs = (hz,) if isinstance(hz, float | int) else hz
    t = np.arange(round(seconds * rate)) / rate
    data = np.stack([amplitude * np.sin(2 * np.pi * f * t) for f in freqs], axis=1)
    sf.write(str(path), data.astype(np.float32), rate, subtype=subtype)
    return data


def matched_gain(path: Path | str, role: str, volume: float = 1.0) -> float:
    """The gain the engine gives the file at `path` in `role` at `volume`: its
    loudness matched to the role's (engine/levels.py)."""
    return levels.matched_gain(levels.file_level(Path(path)), role, volume).gain


def cue_gain(plan: Plan, name: str) -> float:
    """The gain the engine gives sound cue `name`'s file: matched, at its volume."""
    cue = plan.cue(name)
    assert cue.file is not None
    return matched_gain(cue.file, cue.role, cue.volume)


def render_all(timeline: Timeline, engine: Engine | None = None) -> np.ndarray:
    """The whole timeline, rendered in one call by an engine that needs no splitting."""
    total = timeline.end_frame
    engine = engine or Engine(timeline.plan, max_block=total)
    out = np.zeros((total, engine.channels), dtype=np.float32)
    engine.render(timeline, 0, out)
    return out


def seconds(s: float) -> int:
    return round(s * RATE)


def band(x: np.ndarray, lo_hz: float, hi_hz: float, rate: int = RATE) -> np.ndarray:
    """Zero-phase band-pass (so onsets are not delayed by the filter)."""
    sos = signal.butter(4, [lo_hz, hi_hz], btype="bandpass", fs=rate, output="sos")
    return np.asarray(signal.sosfiltfilt(sos, np.asarray(x, dtype=np.float64)))


def envelope(x: np.ndarray) -> np.ndarray:
    magnitude: np.ndarray = np.abs(np.asarray(signal.hilbert(x)))
    return magnitude


def true_peak_db(x: np.ndarray, rate: int = RATE) -> float:
    """The true peak in dBTP: the highest magnitude 4× oversampled (scipy's
    polyphase resampler, not calmflow's), where peaks between samples show."""
    up = signal.resample_poly(np.asarray(x, dtype=np.float64), 4, 1, axis=0)
    return float(20 * np.log10(max(np.abs(up).max(), 1e-12)))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(x, dtype=np.float64)))))


def chime_onsets(mono: np.ndarray, rate: int = RATE) -> list[int]:
    """Frames where energy around 880 Hz rises sharply: where a chime starts. Its
    attack is a smooth rise over CHIME_ATTACK_S, halfway up half of it after its
    first sample: that is taken off, so an onset is the chime's planned frame."""
    half_attack = round(synth.CHIME_ATTACK_S * rate / 2)
    # Its soft attack rises about 0.03 in 5 ms at full level: half that is a chime.
    found = onsets(mono, 800.0, 960.0, height=0.015, rate=rate)
    return [max(0, at - half_attack) for at in found]


def onsets(
    mono: np.ndarray, lo_hz: float, hi_hz: float, *, height: float = 0.03, rate: int = RATE
) -> list[int]:
    """Frames where energy between lo_hz and hi_hz rises sharply (over 5 ms).

    The onset is where the band's envelope has risen halfway from where it was
    before the attack to where it is after it, so a sound that starts while the
    previous one still rings is found too.
    """
    env = envelope(band(mono, lo_hz, hi_hz, rate))
    step = round(0.005 * rate)
    rise = np.zeros_like(env)
    rise[step:] = env[step:] - env[:-step]
    peaks, _ = signal.find_peaks(rise, height=height, distance=round(0.1 * rate))
    onsets = []
    for p in peaks:
        lo = max(0, p - 2 * step)
        base, top = env[lo], env[min(len(env) - 1, p + step)]
        half = base + 0.5 * (top - base)
        onsets.append(int(lo + np.argmax(env[lo : p + step] >= half)))
    return onsets


def dominant_hz(x: np.ndarray, lo_hz: float, hi_hz: float, rate: int = RATE) -> float:
    """The strongest frequency between lo_hz and hi_hz (Hann window, 0.5 Hz bins)."""
    x = np.asarray(x, dtype=np.float64) * np.hanning(len(x))
    n = 2 * rate
    spectrum = np.abs(np.fft.rfft(x, n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    inside = (freqs >= lo_hz) & (freqs <= hi_hz)
    return float(freqs[inside][np.argmax(spectrum[inside])])


def clicks(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Magnitude above 5 kHz (first channel): where a step in the waveform shows up."""
    sos = signal.butter(8, 5000.0, btype="highpass", fs=rate, output="sos")
    mono = np.asarray(x, dtype=np.float64)
    mono = mono[:, 0] if mono.ndim == 2 else mono
    magnitude: np.ndarray = np.abs(np.asarray(signal.sosfiltfilt(sos, mono)))
    return magnitude


def played(plan: Plan, action: str = "none", at_frame: int = 0) -> Timeline:
    """The timeline of a whole session of `plan` in which `action` ("letdown",
    "next_phase" or "none") happened at `at_frame`."""
    session = Session(plan)
    session.start()
    if action != "none":
        session.advance_to(at_frame)
        getattr(session, action)()
    session.advance_to(session.end_frame)
    return session.timeline
