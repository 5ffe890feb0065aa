"""What a person with closed eyes hears, measured on the rendered samples.

The routine has to be carried by sound alone: a chime for each phase change,
exactly where it was planned (core/breathing.py), a breath tone that rises
while breathing in and falls while breathing out, silence while holding, no
click when a let-down changes course, nothing past -1 dBTP, and cues that
start and end gently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calmflow.core.breathing import chime_frames
from calmflow.core.plan import Plan
from calmflow.core.timeline import Timeline
from tests.engine.listen import (
    RATE,
    band,
    chime_onsets,
    clicks,
    cue_gain,
    dominant_hz,
    envelope,
    plan_from_yaml,
    played,
    render_all,
    rms,
    seconds,
    true_peak_db,
    write_tone,
)

MS = RATE // 1000

# --- chimes and the breath guide ---------------------------------------------------

BREATH_ROUTINE = """
version: 1
name: breath
breathing: {inhale_s: 2, hold_in_s: 1, exhale_s: 3, hold_out_s: 1.5}
phases:
  - {name: Settle, kind: prep, duration: 15s}
  - {name: Stimulation, kind: stimulation, duration: 6s}
  - {name: Expression, kind: expression, duration: 6s}
"""
# One breathing cycle is 7.5 s: in [0, 2), hold [2, 3), out [3, 6), hold [6, 7.5).
# The second cycle of Settle (7.5 s to 15 s) is clear of the first chime (3 s long).
CYCLE2_S = 7.5


@pytest.fixture(scope="module")
def breath_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return plan_from_yaml(tmp_path_factory.mktemp("breath"), BREATH_ROUTINE)


@pytest.mark.parametrize(
    ("action", "at_s"),
    [("none", 0.0), ("letdown", 16.3), ("next_phase", 4.25), ("letdown", 18.0)],
    ids=["as planned", "let-down 1.3 s into stimulation", "n in settle", "let-down late"],
)
def test_a_chime_sounds_exactly_where_planned_for_each_phase_change(
    breath_plan: Plan, action: str, at_s: float
) -> None:
    timeline = played(breath_plan, action, seconds(at_s))
    starts = [s.start_frame for s in timeline.segments if s.end_frame > s.start_frame]
    if action != "none":
        assert seconds(at_s) in starts  # the cut made a phase change there
    planned = chime_frames(timeline)
    assert [c.change_frame for c in planned] == starts
    onsets = chime_onsets(render_all(timeline)[:, 0])
    assert len(onsets) == len(planned), (onsets, planned)
    for onset, chime in zip(onsets, planned, strict=True):
        assert abs(onset - chime.frame) <= 5 * MS, (
            f"chime heard at {onset / RATE:.4f} s, planned at {chime.frame / RATE:.4f} s"
        )
        # At the change, or at the breath's next quiet point: the end of the step
        # under way, or at once in a hold (in [0, 2) [2, 3) [3, 6) [6, 7.5) cycles).
        wait_s = (chime.frame - chime.change_frame) / RATE
        assert 0 <= wait_s <= 3.0, wait_s


def test_a_letdown_on_the_first_frame_of_stimulation_gives_one_chime_not_two(
    breath_plan: Plan,
) -> None:
    # Stimulation is cut to zero frames where it began; expression starts there.
    timeline = played(breath_plan, "letdown", seconds(15.0))
    assert [(s.start_frame, s.end_frame) for s in timeline.segments][1] == (
        seconds(15),
        seconds(15),
    )
    out = render_all(timeline)[:, 0]
    assert [c.frame for c in chime_frames(timeline)] == [0, seconds(15)]
    assert chime_onsets(out) == pytest.approx([0, seconds(15)], abs=5 * MS)
    chime = envelope(band(out, 800.0, 960.0))
    first = chime[: seconds(0.1)].max()
    at_cut = chime[seconds(15) : seconds(15.1)].max()
    assert at_cut == pytest.approx(first, rel=0.15), "the chime at the cut is louder than one chime"


def _breath_windows(out: np.ndarray, start_s: float, length_s: float) -> list[float]:
    """Dominant breath frequency in 0.2 s windows at 10 %, 30 %, ... 90 % of a step."""
    found = []
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9):
        centre = seconds(start_s + fraction * length_s)
        found.append(dominant_hz(out[centre - seconds(0.1) : centre + seconds(0.1)], 150, 500))
    return found


def test_breath_tone_rises_through_the_inhale(breath_plan: Plan) -> None:
    out = render_all(Timeline.initial(breath_plan))[:, 0]
    hz = _breath_windows(out, CYCLE2_S, 2.0)
    assert all(a < b for a, b in zip(hz, hz[1:], strict=False)), hz
    assert hz[0] == pytest.approx(220, abs=10)
    assert hz[-1] == pytest.approx(330, abs=10)


def test_breath_tone_falls_through_the_exhale(breath_plan: Plan) -> None:
    out = render_all(Timeline.initial(breath_plan))[:, 0]
    hz = _breath_windows(out, CYCLE2_S + 3.0, 3.0)
    assert all(a > b for a, b in zip(hz, hz[1:], strict=False)), hz
    assert hz[0] == pytest.approx(330, abs=10)
    assert hz[-1] == pytest.approx(220, abs=10)


def test_holds_are_silent_and_breathing_is_not(breath_plan: Plan) -> None:
    out = render_all(Timeline.initial(breath_plan))
    hold_in = out[seconds(CYCLE2_S + 2.0) : seconds(CYCLE2_S + 3.0)]
    hold_out = out[seconds(CYCLE2_S + 6.0) : seconds(CYCLE2_S + 7.5)]
    assert np.abs(hold_in).max() < 1e-4  # below -80 dBFS
    assert np.abs(hold_out).max() < 1e-4
    mid_inhale = out[seconds(CYCLE2_S + 0.8) : seconds(CYCLE2_S + 1.2)]
    mid_exhale = out[seconds(CYCLE2_S + 4.3) : seconds(CYCLE2_S + 4.7)]
    assert rms(mid_inhale) > 0.05
    assert rms(mid_exhale) > 0.05


def test_breath_steps_start_and_end_at_zero(breath_plan: Plan) -> None:
    # Each step swells from silence and back, so step edges and the loop point never click.
    out = render_all(Timeline.initial(breath_plan))[:, 0]
    for edge_s in (CYCLE2_S, CYCLE2_S + 2.0, CYCLE2_S + 3.0, CYCLE2_S + 6.0):
        edge = seconds(edge_s)
        assert np.abs(out[edge - 5 * MS : edge + 5 * MS]).max() < 0.01, edge_s


# --- cues, cuts and loudness -----------------------------------------------------------

CUE_ROUTINE = """
version: 1
name: cues
breathing: {{inhale_s: 1, exhale_s: 2}}
chime: {chime}
cues:
  sea: {{sound: sea.wav, volume: 0.8, loop: {loop}}}
  hum: {{tone: 150, volume: 1}}
phases:
  - {{name: Settle, kind: prep, duration: 3s, cues: [sea]}}
  - {{name: Stimulation, kind: stimulation, duration: 3s, cues: [sea, hum]}}
  - {{name: Expression, kind: expression, duration: 3s, cues: [sea]}}
"""


def _cue_plan(folder: Path, *, sea_hz: float, sea_s: float, loop: bool, chime: bool = True) -> Plan:
    """The cue routine; without its chime, a cue's level is all there is to hear
    at a phase change (sound cues are ducked under a chime)."""
    write_tone(folder / "sea.wav", seconds=sea_s, rate=44_100, hz=sea_hz)
    return plan_from_yaml(
        folder, CUE_ROUTINE.format(loop=str(loop).lower(), chime=str(chime).lower())
    )


HUM_PEAK = 70
"""Frames into each 150 Hz period where the hum is at its crest."""


CLICK_FREE = 1e-3
"""Peak above 5 kHz, where none of these sounds has any energy: -60 dBFS.

A click is a step in the waveform, heard as a broadband tick. The largest
sample-to-sample jump cannot tell it apart from the chime's attack landing on
loud breath and cues (0.044 at a clean cut against 0.041 at its loudest in
normal playback), but a step puts energy above 5 kHz: a clean cut measures
about 1e-5 there, a sound stopped dead 1e-2.
"""


@pytest.mark.parametrize("offset", [0, 35, HUM_PEAK, 120, 200])
def test_a_letdown_does_not_click(tmp_path: Path, offset: int) -> None:
    # Breath (mid-exhale), hum (ending at the cut) and sea (playing on) all sound
    # at the let-down; the offsets move the cut through a period of the hum.
    plan = _cue_plan(tmp_path, sea_hz=250.0, sea_s=2.0, loop=True)
    cut = seconds(4.5) + offset
    timeline = played(plan, "letdown", cut)
    assert timeline.segments[-1].start_frame == cut
    out = render_all(timeline)
    around = out[cut - 20 * MS : cut + 100 * MS]
    assert np.abs(around).max() > 0.1  # there is something to click
    assert clicks(out)[cut - 20 * MS : cut + 100 * MS].max() < CLICK_FREE


def test_normal_playback_does_not_click(tmp_path: Path) -> None:
    # Phase changes, cues starting and ending, the breath's steps; the file's loop
    # point is seamless. (The very end is left out: the render stops there.)
    plan = _cue_plan(tmp_path, sea_hz=250.0, sea_s=2.0, loop=True)
    out = render_all(Timeline.initial(plan))
    assert clicks(out)[: -seconds(0.05)].max() < CLICK_FREE


def test_a_cue_cut_by_a_letdown_rings_out_briefly(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, sea_hz=250.0, sea_s=2.0, loop=True, chime=False)
    cut = seconds(4.5)
    hum = envelope(band(render_all(played(plan, "letdown", cut))[:, 0], 130.0, 170.0))
    before = hum[cut - seconds(0.3) : cut].mean()
    assert before > 0.02
    assert hum[cut + seconds(0.1)] > 0.5 * before, "the hum stopped dead at the cut"
    assert hum[cut + seconds(0.85) : cut + seconds(2.5)].max() < 0.01 * before, "the hum went on"


def test_a_cue_that_continues_after_a_letdown_plays_on_without_a_dip(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, sea_hz=5000.0, sea_s=2.0, loop=True, chime=False)
    cut = seconds(4.5)
    sea = envelope(band(render_all(played(plan, "letdown", cut))[:, 0], 4500.0, 5500.0))
    level = sea[cut - seconds(0.5) : cut - seconds(0.1)].mean()
    after = sea[cut + seconds(0.1) : cut + seconds(1.5)]
    assert after.min() > 0.9 * level
    assert after.max() < 1.1 * level


def test_a_sound_cue_fades_in(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, sea_hz=5000.0, sea_s=2.0, loop=True, chime=False)
    sea = envelope(band(render_all(Timeline.initial(plan))[:, 0], 4500.0, 5500.0))
    full = sea[seconds(1.5) : seconds(2.5)].mean()
    # file × its matched gain × volume (0.8)
    assert full == pytest.approx(0.5 * cue_gain(plan, "sea"), rel=0.05)
    levels = [sea[seconds(t)] / full for t in (0.02, 0.25, 0.5, 0.75, 1.1)]
    assert levels[0] < 0.05, "the sound starts abruptly"
    assert all(a < b for a, b in zip(levels, levels[1:4], strict=False)), levels
    assert levels[2] == pytest.approx(0.5, abs=0.1)
    assert levels[4] == pytest.approx(1.0, abs=0.05)


def test_a_looping_sound_cue_plays_for_its_whole_span(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, sea_hz=5000.0, sea_s=1.5, loop=True, chime=False)
    sea = envelope(band(render_all(Timeline.initial(plan))[:, 0], 4500.0, 5500.0))
    full = sea[seconds(1.2) : seconds(1.4)].mean()
    # Settle, Stimulation and Expression all have it: 9 s of a 1.5 s file, at
    # full level until the session's closing fade (the last 1.5 s).
    assert sea[seconds(1.2) : seconds(7.4)].min() > 0.9 * full


def test_everything_fades_out_as_the_session_ends(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, sea_hz=5000.0, sea_s=1.5, loop=True, chime=False)
    sea = envelope(band(render_all(Timeline.initial(plan))[:, 0], 4500.0, 5500.0))
    full = sea[seconds(1.2) : seconds(1.4)].mean()
    # A session ends softly, not with the cue cut off mid-sound.
    assert 0.3 * full < sea[seconds(8.25)] < 0.7 * full
    assert sea[seconds(8.97) :].max() < 0.05 * full


def test_a_non_looping_sound_cue_stops_when_the_file_ends(tmp_path: Path) -> None:
    plan = _cue_plan(tmp_path, sea_hz=5000.0, sea_s=1.5, loop=False, chime=False)
    sea = envelope(band(render_all(Timeline.initial(plan))[:, 0], 4500.0, 5500.0))
    full = sea[seconds(1.2) : seconds(1.4)].mean()
    assert full == pytest.approx(0.5 * cue_gain(plan, "sea"), rel=0.05)
    assert sea[seconds(1.55) :].max() < 0.01 * full


def test_sounds_keep_their_pitch_after_resampling(tmp_path: Path) -> None:
    # The file is at 44.1 kHz and plays at 48 kHz: unresampled, 5 kHz would come out at 5442 Hz.
    plan = _cue_plan(tmp_path, sea_hz=5000.0, sea_s=2.0, loop=True)
    out = render_all(Timeline.initial(plan))[:, 0]
    assert dominant_hz(out[seconds(1.5) : seconds(2.5)], 3000, 8000) == pytest.approx(5000, abs=2)
    hum = out[seconds(4.5) : seconds(5.5)]
    assert dominant_hz(hum, 100, 200) == pytest.approx(150, abs=1)


LOUD_ROUTINE = """
version: 1
name: loud
breathing: {inhale_s: 1, exhale_s: 2}
cues:
  baby: {sound: baby.wav, volume: 1}
  music: {sound: music.wav, volume: 1}
  hum: {tone: 150, volume: 1}
phases:
  - {name: Settle, kind: prep, duration: 3s, cues: [baby, music, hum]}
  - {name: Stimulation, kind: stimulation, duration: 3s, cues: [baby, music, hum]}
"""


def test_files_recorded_at_full_scale_play_at_their_level_and_under_minus_1_dbtp(
    tmp_path: Path,
) -> None:
    write_tone(tmp_path / "baby.wav", seconds=1.0, rate=RATE, hz=100.0, amplitude=0.99)
    write_tone(tmp_path / "music.wav", seconds=1.0, rate=RATE, hz=100.0, amplitude=0.99)
    plan = plan_from_yaml(tmp_path, LOUD_ROUTINE)
    out = render_all(Timeline.initial(plan))
    assert np.isfinite(out).all()
    # Each is brought down to its role's loudness, not played at full scale.
    assert cue_gain(plan, "baby") < 0.2 and cue_gain(plan, "music") < 0.2
    assert true_peak_db(out) <= -1.0
