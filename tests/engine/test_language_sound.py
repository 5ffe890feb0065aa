"""The routine language, heard: breath voices, chime off, cue timing, fades,
min_length, voice prompts and ducking, each measured on the rendered samples.

(Block-size independence with all of these on is in test_block_size.py.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calmflow.core.breathing import chime_frames
from calmflow.core.plan import Plan
from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine
from tests.engine.listen import (
    RATE,
    band,
    chime_onsets,
    cue_gain,
    envelope,
    matched_gain,
    onsets,
    plan_from_yaml,
    played,
    render_all,
    rms,
    seconds,
    write_tone,
)

MS = RATE // 1000
FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)


def _breath_plan(folder: Path, breathing: str, *, chime: bool = False) -> Plan:
    return plan_from_yaml(
        folder,
        f"""
version: 1
name: voices
chime: {str(chime).lower()}
breathing: {breathing}
phases:
  - {{name: Settle, kind: prep, duration: 15s}}
  - {{name: Stimulation, kind: stimulation, duration: 6s}}
""",
    )


def _levels(x: np.ndarray, start_s: float, length_s: float) -> list[float]:
    """RMS in 0.2 s windows at 10 %, 30 %, ... 90 % of a step."""
    out = []
    for fraction in FRACTIONS:
        centre = seconds(start_s + fraction * length_s)
        out.append(rms(x[centre - seconds(0.1) : centre + seconds(0.1)]))
    return out


# --- breath voices ----------------------------------------------------------------


def test_wave_voice_is_broadband_noise_swelling_through_the_inhale_and_ebbing_out(
    tmp_path: Path,
) -> None:
    plan = _breath_plan(tmp_path, "{inhale_s: 4, exhale_s: 4, voice: wave}")
    out = render_all(Timeline.initial(plan))[:, 0]
    # Second cycle: inhale [8, 12), exhale [12, 16) (past the phase change at 15 s: 8 to 14).
    for lo_hz, hi_hz in ((100.0, 600.0), (2000.0, 5000.0)):  # body and hiss both
        x = band(out, lo_hz, hi_hz)
        inhale = _levels(x, 8.0, 4.0)
        assert all(a < b for a, b in zip(inhale, inhale[1:], strict=False)), (lo_hz, inhale)
        assert inhale[-1] > 5 * inhale[0], (lo_hz, inhale)
        # Exhale: its first 3 s (the next phase starts a new breath at 15 s).
        exhale = _levels(x, 12.0, 3.0)[1:]  # (its first moments are as full as the crest)
        assert all(a > b for a, b in zip(exhale, exhale[1:], strict=False)), (lo_hz, exhale)
        assert exhale[0] > 2 * exhale[-1], (lo_hz, exhale)
    # Noise, not a tone: no single frequency carries the sound at the crest.
    crest = out[seconds(11.5) : seconds(12.5)]
    power = np.abs(np.fft.rfft(crest * np.hanning(len(crest)))) ** 2
    assert power.max() < 0.01 * power.sum()  # a sine puts over a third in its top bin


def test_wave_voice_is_silent_in_holds_and_at_the_loop_point(tmp_path: Path) -> None:
    plan = _breath_plan(
        tmp_path, "{inhale_s: 2, hold_in_s: 1, exhale_s: 3, hold_out_s: 1.5, voice: wave}"
    )
    out = render_all(Timeline.initial(plan))
    cycle2 = 7.5
    assert np.abs(out[seconds(cycle2 + 2.0) : seconds(cycle2 + 3.0)]).max() < 1e-3
    assert np.abs(out[seconds(cycle2 + 6.0) : seconds(cycle2 + 7.5)]).max() < 1e-3
    loop_point = seconds(cycle2)
    assert np.abs(out[loop_point - 5 * MS : loop_point + 5 * MS]).max() < 1e-3
    assert rms(out[seconds(cycle2 + 1.0) : seconds(cycle2 + 1.4)]) > 0.02
    assert rms(out[seconds(cycle2 + 3.4) : seconds(cycle2 + 3.8)]) > 0.02


def test_wave_voice_is_the_same_every_time(tmp_path: Path) -> None:
    plan = _breath_plan(tmp_path, "{inhale_s: 2, exhale_s: 3, voice: wave}")
    timeline = Timeline.initial(plan)
    np.testing.assert_array_equal(
        render_all(timeline, Engine(plan, max_block=timeline.end_frame)),
        render_all(timeline, Engine(plan, max_block=timeline.end_frame)),
    )


def test_chime_voice_rings_high_at_each_inhale_and_low_at_each_exhale_only(
    tmp_path: Path,
) -> None:
    plan = _breath_plan(
        tmp_path, "{inhale_s: 2, hold_in_s: 1, exhale_s: 3, hold_out_s: 1.5, voice: chime}"
    )
    out = render_all(Timeline.initial(plan))[:, 0]
    # Cycles of 7.5 s from 0 and again from the phase change at 15 s.
    inhales = [0.0, 7.5, 15.0]
    exhales = [3.0, 10.5, 18.0]
    high = onsets(out, 550.0, 620.0, height=0.01)
    low = onsets(out, 370.0, 420.0, height=0.01)
    assert high == pytest.approx([seconds(s) for s in inhales], abs=5 * MS)
    assert low == pytest.approx([seconds(s) for s in exhales], abs=5 * MS)
    # Short: gone well before the next step, and the holds are otherwise silent.
    assert np.abs(out[seconds(1.0) : seconds(3.0) - 1]).max() < 1e-3
    assert np.abs(out[seconds(4.0) : seconds(7.5) - 1]).max() < 1e-3
    # Not the phase chime: nothing at 880 Hz.
    assert chime_onsets(out) == []


def test_chime_voice_and_the_phase_chime_are_told_apart(tmp_path: Path) -> None:
    plan = _breath_plan(tmp_path, "{inhale_s: 2, exhale_s: 3, voice: chime}", chime=True)
    timeline = Timeline.initial(plan)
    out = render_all(timeline)[:, 0]
    # Each phase chime waits for the inhale's bell to ring out (core/breathing.py).
    planned = [c.frame for c in chime_frames(timeline)]
    assert planned == [seconds(1.3), seconds(16.3)]
    assert chime_onsets(out) == pytest.approx(planned, abs=5 * MS)
    assert len(onsets(out, 550.0, 620.0, height=0.01)) == 3 + 2  # inhales at 0, 5, 10; 15, 20


def test_voice_none_and_breathing_off_are_silent(tmp_path: Path) -> None:
    for breathing in ("{inhale_s: 2, exhale_s: 3, voice: none}", "'off'"):
        out = render_all(Timeline.initial(_breath_plan(tmp_path, breathing)))
        assert np.abs(out).max() == 0.0, breathing


# --- the phase chime ---------------------------------------------------------------------


def test_chime_false_leaves_phase_changes_silent(tmp_path: Path) -> None:
    breathing = "{inhale_s: 2, exhale_s: 3}"
    with_chime = render_all(Timeline.initial(_breath_plan(tmp_path, breathing, chime=True)))
    assert len(chime_onsets(with_chime[:, 0])) == 2  # the measurement finds them when there
    out = render_all(Timeline.initial(_breath_plan(tmp_path, breathing)))[:, 0]
    assert chime_onsets(out) == []
    assert envelope(band(out, 800.0, 960.0)).max() < 0.005
    assert rms(out[seconds(15.5) : seconds(16.5)]) > 0.05  # the breath tone plays on


# --- cue timing and fades ---------------------------------------------------------------


def _cue_plan(folder: Path, cue: str, *, seconds_long: float = 3.0, extra: str = "") -> Plan:
    write_tone(folder / "bell.wav", seconds=seconds_long, rate=RATE, hz=5000.0)
    return plan_from_yaml(
        folder,
        f"""
version: 1
name: timing
chime: false
breathing: 'off'
{extra}
cues:
  bell: {cue}
phases:
  - {{name: Settle, kind: prep, duration: 10s, cues: [bell]}}
  - {{name: Stimulation, kind: stimulation, duration: 10s, cues: [bell]}}
""",
    )


def _level(out: np.ndarray, lo_hz: float = 4500.0, hi_hz: float = 5500.0) -> np.ndarray:
    return envelope(band(out[:, 0], lo_hz, hi_hz))


def _full(plan: Plan) -> float:
    """The bell's level as it plays: the file's amplitude × its matched gain."""
    return 0.5 * cue_gain(plan, "bell")


def test_a_repeating_cue_sounds_exactly_in_its_windows(tmp_path: Path) -> None:
    plan = _cue_plan(
        tmp_path,
        "{sound: bell.wav, volume: 1, at: 2s, every: 5s, duration: 1s, loop: false,"
        " fade_in: 0s, fade_out: 0s}",
    )
    full = _full(plan)
    level = _level(render_all(Timeline.initial(plan)))
    windows = [(2.0, 3.0), (7.0, 8.0), (12.0, 13.0), (17.0, 18.0)]  # all on one 20 s span
    sounding = np.zeros(len(level), dtype=bool)
    for start, stop in windows:
        inside = level[seconds(start) + 10 * MS : seconds(stop) - 10 * MS]
        assert inside.min() > 0.95 * full, (start, inside.min())
        sounding[seconds(start) - 10 * MS : seconds(stop) + 10 * MS] = True
    assert level[~sounding].max() < 0.01 * full


def test_a_looping_repeating_cue_loops_over_each_window(tmp_path: Path) -> None:
    plan = _cue_plan(
        tmp_path,
        "{sound: bell.wav, volume: 1, at: 1s, every: 6s, duration: 3s, loop: true,"
        " fade_in: 0s, fade_out: 0s}",
        seconds_long=0.5,
    )
    full = _full(plan)
    level = _level(render_all(Timeline.initial(plan)))
    for start in (1.0, 7.0, 13.0):
        assert level[seconds(start) + 10 * MS : seconds(start + 3) - 10 * MS].min() > 0.95 * full
        assert (
            level[seconds(start + 3) + 10 * MS : seconds(start + 6) - 10 * MS].max() < 0.01 * full
        )


def test_min_length_plays_a_short_sound_back_to_back_to_the_end_of_a_play(tmp_path: Path) -> None:
    # 0.5 s of sound, at least 1.8 s: four plays, so it ends at 2.0 s, not cut at 1.8 s.
    plan = _cue_plan(
        tmp_path, "{sound: bell.wav, volume: 1, min_length: 1.8s, fade_in: 0s}", seconds_long=0.5
    )
    full = _full(plan)
    level = _level(render_all(Timeline.initial(plan)))
    assert level[10 * MS : seconds(2.0) - 10 * MS].min() > 0.95 * full
    assert level[seconds(2.0) + 10 * MS : seconds(10)].max() < 0.01 * full
    # The next phase does not start it again: the cue is on throughout, one start.
    assert level[seconds(10) :].max() < 0.01 * full


def test_without_min_length_a_short_sound_plays_once(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, "{sound: bell.wav, volume: 1, loop: false}", seconds_long=0.5)
    full = _full(plan)
    level = _level(render_all(Timeline.initial(plan)))
    assert level[seconds(0.55) :].max() < 0.01 * full


def test_fade_in_of_three_seconds_rises_slowly(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, "{sound: bell.wav, volume: 1, loop: true, fade_in: 3s}")
    full = _full(plan)
    level = _level(render_all(Timeline.initial(plan))) / full
    at = [float(level[seconds(t)]) for t in (0.3, 1.0, 1.5, 2.0, 2.7, 3.2)]
    assert at[0] < 0.05
    assert all(a < b for a, b in zip(at, at[1:5], strict=False)), at
    assert at[2] == pytest.approx(0.5, abs=0.05)
    assert at[5] == pytest.approx(1.0, abs=0.02)


def test_fade_out_rings_on_after_the_cue_ends(tmp_path: Path) -> None:
    # A 2 s fade-out after a 1 s duration: half level a second after it ends.
    plan = _cue_plan(
        tmp_path, "{sound: bell.wav, volume: 1, loop: true, duration: 1s, fade_out: 2s}"
    )
    full = _full(plan)
    level = _level(render_all(Timeline.initial(plan))) / full
    assert level[seconds(0.99)] == pytest.approx(1.0, abs=0.02)
    assert level[seconds(2.0)] == pytest.approx(0.5, abs=0.05)
    assert level[seconds(3.05) :].max() < 0.01


def test_fade_in_zero_starts_at_once_without_a_step(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, "{sound: bell.wav, volume: 1, at: 1s, fade_in: 0s}")
    full = _full(plan)
    out = render_all(Timeline.initial(plan))[:, 0]
    start = seconds(1.0)
    assert np.abs(out[:start]).max() == 0.0
    assert np.abs(out[start + 7 * MS : start + 12 * MS]).max() > 0.95 * full
    # The shortest ramp: 5 ms, so the first samples are still far below full.
    assert np.abs(out[start : start + MS // 2]).max() < 0.05 * full


def test_a_tone_cue_with_a_duration_sounds_for_all_of_it(tmp_path: Path) -> None:
    # A tone with `duration` does not loop by the language's default; it still sustains.
    plan = _cue_plan(
        tmp_path, "{tone: 300, volume: 1, at: 1s, duration: 4s, fade_in: 0s, fade_out: 0s}"
    )
    level = _level(render_all(Timeline.initial(plan)), 250.0, 350.0)
    assert level[seconds(1.1) : seconds(4.9)].min() > 0.5 * level.max()
    assert level[seconds(5.1) :].max() < 0.01 * level.max()


# --- voice prompts and ducking ------------------------------------------------------

VOICE_ROUTINE = """
version: 1
name: voices
chime: false
breathing: 'off'
background: [sea]
ducking: -12dB
cues:
  sea: {sound: sea.wav, volume: 1, fade_in: 0s}
  hum: {tone: 150, volume: 1, fade_in: 0s}
phases:
  - name: Settle
    kind: prep
    duration: 10s
    cues: [hum]
    prompts: [{at: 4s, text: Breathe out slowly, voice: voice.wav}]
  - name: Stimulation
    kind: stimulation
    duration: 4s
    prompt: {text: Pump on, voice: long-voice.wav}
  - {name: Expression, kind: expression, duration: 4s}
"""


@pytest.fixture
def voice_plan(tmp_path: Path) -> Plan:
    write_tone(tmp_path / "sea.wav", seconds=1.0, rate=RATE, hz=5000.0)
    write_tone(tmp_path / "voice.wav", seconds=2.0, rate=RATE, hz=1000.0)
    write_tone(tmp_path / "long-voice.wav", seconds=6.0, rate=RATE, hz=1000.0)
    return plan_from_yaml(tmp_path, VOICE_ROUTINE)


def test_a_voice_prompt_plays_once_from_where_it_comes(voice_plan: Plan) -> None:
    voice = _level(render_all(Timeline.initial(voice_plan)), 900.0, 1100.0)
    full = voice[seconds(4.5) : seconds(5.5)].mean()
    folder = Path(voice_plan.cues[0].file or "").parent
    assert full == pytest.approx(0.5 * matched_gain(folder / "voice.wav", "voice"), rel=0.05)
    assert voice[: seconds(4.0) - 10 * MS].max() < 0.01 * full
    assert voice[seconds(4.0) + 10 * MS : seconds(6.0) - 10 * MS].min() > 0.9 * full
    # (30 ms: the 200 Hz wide band-pass rings on that long after the recording ends.)
    assert voice[seconds(6.0) + 30 * MS : seconds(10.0) - 10 * MS].max() < 0.01 * full


def test_a_voice_still_speaking_at_its_phase_end_stops_with_a_short_fade(
    voice_plan: Plan,
) -> None:
    # The 6 s recording starts with Stimulation at 10 s; a let-down at 12 s ends the phase.
    timeline = played(voice_plan, "letdown", seconds(12.0))
    assert timeline.segments[-1].start_frame == seconds(12.0)
    voice = _level(render_all(timeline), 900.0, 1100.0)
    full = voice[seconds(10.5) : seconds(11.5)].mean()
    assert voice[seconds(12.0) - 20 * MS] > 0.9 * full
    assert 0.1 * full < voice[seconds(12.05)] < 0.9 * full, "stopped dead, or not at all"
    assert voice[seconds(12.13) :].max() < 0.01 * full


def test_background_cues_duck_about_12_db_under_a_voice_and_come_back(
    voice_plan: Plan,
) -> None:
    out = render_all(Timeline.initial(voice_plan))
    sea = _level(out)
    before = sea[seconds(2.0) : seconds(3.8)].mean()
    during = sea[seconds(4.4) : seconds(5.9)]
    after = sea[seconds(6.4) : seconds(8.0)]
    assert 20 * np.log10(during.mean() / before) == pytest.approx(-12.0, abs=0.5)
    assert during.max() / during.min() < 1.05
    assert after.min() > 0.97 * before and after.max() < 1.03 * before
    # Smoothly: neither down nor up in one step.
    assert 0.4 * before < sea[seconds(4.15)] < 0.85 * before
    assert 0.4 * before < sea[seconds(6.15)] < 0.85 * before
    # A cue that is not background plays on under the voice.
    hum = _level(out, 130.0, 170.0)
    assert hum[seconds(4.4) : seconds(5.9)].min() > 0.95 * hum[seconds(2.0) : seconds(3.8)].mean()


def test_background_moves_smoothly_between_voices_close_together(tmp_path: Path) -> None:
    write_tone(tmp_path / "sea.wav", seconds=1.0, rate=RATE, hz=5000.0)
    write_tone(tmp_path / "voice.wav", seconds=1.0, rate=RATE, hz=1000.0)
    plan = plan_from_yaml(
        tmp_path,
        """
version: 1
name: close
chime: false
breathing: 'off'
background: [sea]
cues:
  sea: {sound: sea.wav, volume: 1, fade_in: 0s}
phases:
  - name: Settle
    kind: prep
    duration: 8s
    prompts: [{at: 2s, voice: voice.wav}, {at: 3.2s, voice: voice.wav}]
""",
    )
    sea = _level(render_all(Timeline.initial(plan)))
    before = sea[seconds(1.0) : seconds(1.9)].mean()
    # 0.2 s between the two: it starts back up, and turns down again from where it got
    # to, with no step (each voice's ducking is smooth; together they take the deeper).
    gap = sea[seconds(3.0) : seconds(3.5)]
    assert gap.max() < 0.97 * before
    assert np.abs(np.diff(gap[::MS])).max() < 0.01 * before
    assert sea[seconds(3.6) : seconds(4.1)].mean() == pytest.approx(0.25 * before, rel=0.03)
    assert sea[seconds(5.0) : seconds(6.0)].min() > 0.97 * before
