"""The routine language: breathing, volumes, cue timing, prompts, repeat blocks,
extends and cue sets, experiments and the nesting limit, checked by the values
a person would notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calmflow.core.plan import compile_plan
from calmflow.core.quantities import parse_volume
from calmflow.core.routine import HOLD_CAUTION, Breathing, Routine
from calmflow.core.routine_loading import load_routine
from calmflow.core.session import Session
from calmflow.core.timeline import CueSpan, Timeline
from calmflow.core.yamlsource import MAX_DEPTH, SourceError

RATE = 100
"""Frames a second in the plans here: 1 s is 100 frames."""
MIN = 60 * RATE


def _routine(phases: list[dict[str, Any]], **more: Any) -> Routine:
    return Routine.model_validate({"name": "t", "phases": phases, **more})


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(SourceError) as info:
        load_routine(path, bundled_media=path.parent)
    return [str(p) for p in info.value.problems]


# --- breathing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "pattern", "caution"),
    [
        ("resonance", (4, 0, 6, 0), None),
        ("even-5", (5, 0, 5, 0), None),
        ("even-5.5", (5.5, 0, 5.5, 0), None),
        ("box", (4, 4, 4, 4), HOLD_CAUTION),
        ("4-7-8", (4, 7, 8, 0), HOLD_CAUTION),
        ({"preset": "box", "hold_out_s": 0}, (4, 4, 4, 0), HOLD_CAUTION),
        ({"preset": "resonance", "exhale_s": 8}, (4, 0, 8, 0), None),
        ({"bpm": 6}, (4, 0, 6, 0), None),
        ({"bpm": 6, "ratio": "1:1"}, (5, 0, 5, 0), None),
        ({"bpm": 5, "ratio": "1:2", "hold_in_s": 3}, (3, 3, 6, 0), HOLD_CAUTION),
    ],
)
def test_breathing_patterns_in_seconds(written, pattern, caution):
    breathing = Breathing.model_validate(written)
    assert breathing.pattern() == pattern
    assert breathing.caution == caution


def test_breath_holds_come_with_a_caution_said_when_the_phase_starts():
    plan = compile_plan(
        _routine(
            [
                {"name": "A", "kind": "prep", "duration": "1m"},
                {"name": "B", "kind": "expression", "duration": "1m", "breathing": "box"},
            ]
        ),
        RATE,
    )
    assert [p.caution for p in plan.phases] == [None, HOLD_CAUTION]
    assert "asthma" in HOLD_CAUTION


def test_breathing_off_and_voices_reach_the_plan():
    plan = compile_plan(
        _routine(
            [
                {"name": "A", "kind": "prep", "duration": "1m", "breathing": "off"},
                {"name": "B", "kind": "expression", "duration": "1m"},
            ],
            breathing={"bpm": 6, "voice": "chime"},
        ),
        RATE,
    )
    assert plan.phases[0].breath is None
    breath = plan.phases[1].breath
    assert breath is not None
    assert (breath.inhale_frames, breath.exhale_frames, breath.voice) == (400, 600, "chime")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ({"bpm": 6, "inhale_s": 4}, "give either bpm or inhale_s/exhale_s, not both"),
        ({"ratio": "1:1"}, "ratio goes with bpm (e.g. bpm: 6, ratio: 2:3)"),
        ({"preset": "off", "voice": "wave"}, "breathing 'off' takes no other settings"),
        ({"bpm": 15, "hold_in_s": 2}, "at 15 breaths a minute with these holds"),
        ({"bpm": 6, "ratio": "fast"}, "expected a ratio of inhale to exhale like 2:3"),
    ],
)
def test_breathing_that_cannot_be_followed_is_refused(written, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Breathing.model_validate(written)


# --- volumes -------------------------------------------------------------------------------


def test_volumes_in_decibels():
    assert parse_volume("-12dB") == pytest.approx(0.251, abs=5e-4)
    assert parse_volume("-6 dB") == pytest.approx(0.501, abs=5e-4)
    assert parse_volume("0dB") == 1.0
    assert parse_volume(0.3) == 0.3
    with pytest.raises(ValueError, match=r"at most 0dB \(full\); found '\+3dB'"):
        parse_volume("+3dB")
    with pytest.raises(ValueError, match="in dB like -12dB; found 'loud'"):
        parse_volume("loud")


def test_ducking_is_a_volume_too():
    routine = _routine([{"name": "A", "kind": "prep", "duration": 60}], ducking="-20dB")
    assert compile_plan(routine, RATE).ducking == pytest.approx(0.1)


# --- repeat blocks ---------------------------------------------------------------------------


def test_repeat_blocks_play_in_order_with_rounds_in_their_names():
    routine = _routine(
        [
            {"name": "Settle", "kind": "prep", "duration": "1m"},
            {
                "repeat": 3,
                "phases": [
                    {"name": "Pump", "kind": "pump", "duration": "10m"},
                    {"name": "Rest", "kind": "rest", "duration": "10m"},
                ],
            },
        ]
    )
    plan = compile_plan(routine, RATE)
    assert [p.name for p in plan.phases] == [
        "Settle",
        "Pump (1 of 3)",
        "Rest (1 of 3)",
        "Pump (2 of 3)",
        "Rest (2 of 3)",
        "Pump (3 of 3)",
        "Rest (3 of 3)",
    ]
    assert [p.pump_mode for p in plan.phases] == ["off", *["expression", "off"] * 3]
    assert routine.duration_s == 61 * 60
    assert plan.duration_frames == 61 * MIN


# --- cue timing ------------------------------------------------------------------------------


def _timeline(cues: dict[str, Any], phases: list[dict[str, Any]]) -> Timeline:
    return Timeline.initial(compile_plan(_routine(phases, cues=cues), RATE))


def test_cue_every_and_duration_repeat_across_phases_that_share_the_cue():
    timeline = _timeline(
        {"cry": {"tone": 300, "at": "30s", "every": "2m", "duration": "20s"}},
        [
            {"name": "A", "kind": "stimulation", "duration": "3m", "cues": ["cry"]},
            {"name": "B", "kind": "expression", "duration": "2m", "cues": ["cry"]},
            {"name": "C", "kind": "rest", "duration": "1m"},
        ],
    )
    # one span over A and B, so the count does not start again at B
    assert timeline.cue_spans == (CueSpan("cry", 0, 5 * MIN),)
    assert timeline.cue_occurrences == (
        CueSpan("cry", 30 * RATE, 50 * RATE),
        CueSpan("cry", 150 * RATE, 170 * RATE),
        CueSpan("cry", 270 * RATE, 290 * RATE),
    )
    assert timeline.showing_at(40 * RATE) == ("cry",)
    assert timeline.showing_at(60 * RATE) == ()


def test_cue_every_without_duration_lasts_until_the_next_start_or_the_span_end():
    timeline = _timeline(
        {"bell": {"tone": 440, "every": "1m"}, "note": {"text": "Hi", "at": "90s"}},
        [{"name": "A", "kind": "expression", "duration": "2m30s", "cues": ["bell", "note"]}],
    )
    assert timeline.cue_occurrences == (
        CueSpan("bell", 0, 1 * MIN),
        CueSpan("bell", 1 * MIN, 2 * MIN),
        CueSpan("note", 90 * RATE, 150 * RATE),
        CueSpan("bell", 2 * MIN, 150 * RATE),
    )


def test_a_cue_whose_at_is_past_its_span_never_plays():
    timeline = _timeline(
        {"late": {"text": "Late", "at": "2m"}},
        [{"name": "A", "kind": "expression", "duration": "1m", "cues": ["late"]}],
    )
    assert timeline.cue_occurrences == ()


# --- prompts ---------------------------------------------------------------------------------

PROMPTED = {
    "name": "Expr",
    "kind": "expression",
    "duration": "10m",
    "prompt": "Slow and deep.",
    "prompts": [
        {"at": "2m", "text": "Drop your shoulders."},
        {"at": "5m", "text": "Think of your baby.", "duration": "30s"},
        {"at": "9m", "text": "Nearly there."},
    ],
}


def test_timed_prompts_show_until_the_next_prompt_or_for_their_duration():
    timeline = _timeline({}, [PROMPTED])
    spans = [(s.prompt.text, s.start_frame, s.end_frame) for s in timeline.prompt_spans]
    assert spans == [
        ("Drop your shoulders.", 2 * MIN, 5 * MIN),
        ("Think of your baby.", 5 * MIN, 5 * MIN + 30 * RATE),
        ("Nearly there.", 9 * MIN, 10 * MIN),
    ]
    assert timeline.prompt_at(1 * MIN) is None
    prompt = timeline.prompt_at(4 * MIN)
    assert prompt is not None and prompt.text == "Drop your shoulders."
    assert timeline.prompt_at(6 * MIN) is None


def test_prompts_are_not_repeated_when_a_phase_resumes_after_restimulation():
    plan = compile_plan(_routine([PROMPTED], rules={"restimulate_after": "6m"}), RATE)
    session = Session(plan)
    session.start()
    session.advance_to(20 * MIN)
    spans = [(s.prompt.text, s.start_frame, s.end_frame) for s in session.timeline.prompt_spans]
    # restimulation 6:00-7:30, the last 4 min of expression resumed from 7:30
    assert spans == [
        ("Drop your shoulders.", 2 * MIN, 5 * MIN),
        ("Think of your baby.", 5 * MIN, 5 * MIN + 30 * RATE),
        ("Nearly there.", 10 * MIN + 30 * RATE, 11 * MIN + 30 * RATE),
    ]


def test_a_voiced_main_prompt_comes_first_at_zero(tmp_path):
    _write(tmp_path, "voice/settle.wav", "x")
    path = _write(
        tmp_path,
        "r.yaml",
        "name: r\nphases:\n"
        "  - name: A\n    kind: prep\n    duration: 1m\n"
        "    prompt: {text: Settle in., voice: voice/settle.wav}\n"
        "    prompts: [{at: 30s, voice: voice/settle.wav}]\n",
    )
    plan = compile_plan(load_routine(path).routine, RATE)
    voice = str(tmp_path / "voice" / "settle.wav")
    assert [(p.at_frames, p.text, p.voice) for p in plan.phases[0].prompts] == [
        (0, "Settle in.", voice),
        (30 * RATE, "", voice),
    ]


def test_prompts_out_of_order_are_refused():
    with pytest.raises(ValueError, match=r"list the prompts in the order they come \(by 'at'\)"):
        _routine(
            [
                {
                    "name": "A",
                    "kind": "prep",
                    "duration": "5m",
                    "prompts": [{"at": "2m", "text": "b"}, {"at": "1m", "text": "a"}],
                }
            ]
        )


# --- extends and cue sets ----------------------------------------------------------------------

PARENT = """\
name: parent
breathing: {preset: box}
cues:
  baby: {sound: sounds/baby.wav, volume: 0.3}
  note: {text: Hi}
rules: {restimulate_after: 7m, after_flow_stops: 1m}
experiment: {slot: calm, arms: [baby, note]}
phases:
  - {name: A, kind: prep, duration: 1m, cues: [calm]}
  - {name: B, kind: expression, duration: 5m}
"""


def test_extends_merges_cues_and_rules_by_key_and_replaces_the_rest(tmp_path):
    _write(tmp_path, "parent.yaml", PARENT)
    _write(tmp_path, "sounds/baby.wav", "x")
    child = _write(
        tmp_path,
        "mine/child.yaml",
        """\
name: child
extends: ../parent.yaml
breathing: {bpm: 6}
cues:
  baby: {volume: -6dB}
  hum: {tone: 200}
rules: {after_flow_stops: 2m}
phases:
  - {name: C, kind: prep, duration: 2m, cues: [calm, hum]}
""",
    )
    routine = load_routine(child).routine
    assert routine.name == "child"
    # breathing replaced whole: no holds of the parent's box left over
    assert routine.breathing.pattern() == (4, 0, 6, 0)
    assert routine.cues["baby"].volume == pytest.approx(0.501, abs=5e-4)
    # a relative media path points beside the file that wrote it
    assert routine.cues["baby"].sound == str(tmp_path / "sounds" / "baby.wav")
    assert sorted(routine.cues) == ["baby", "hum", "note"]
    assert (routine.rules.restimulate_after, routine.rules.after_flow_stops) == (420, 120)
    assert routine.experiment is not None and routine.experiment.arms == ["baby", "note"]
    assert [p.name for p in routine.phases] == ["C"]


def test_a_cue_written_anew_in_a_child_replaces_the_parents_cue(tmp_path):
    _write(tmp_path, "parent.yaml", PARENT)
    _write(tmp_path, "sounds/baby.wav", "x")
    child = _write(
        tmp_path,
        "child.yaml",
        "name: child\nextends: parent\ncues:\n  baby: {text: Your baby}\n",
    )
    assert load_routine(child).routine.cues["baby"].text == "Your baby"
    assert load_routine(child).routine.cues["baby"].sound is None


def test_a_problem_in_what_the_parent_wrote_is_reported_in_the_parent(tmp_path):
    parent = _write(tmp_path, "parent.yaml", PARENT)
    _write(tmp_path, "sounds/baby.wav", "x")
    child = _write(
        tmp_path,
        "mine/child.yaml",
        "name: child\nextends: ../parent.yaml\nphases:\n  - {name: C, kind: prep, duration: 1m}\n",
    )
    assert _problems(child) == [
        f"{parent}:7:20: experiment.slot: no phase lists 'calm' in its cues,"
        " so the experiment never plays"
    ]


def test_extends_refuses_a_child_without_a_name_a_loop_and_a_missing_parent(tmp_path):
    _write(tmp_path, "parent.yaml", PARENT)
    nameless = _write(tmp_path, "nameless.yaml", "extends: parent\n")
    assert _problems(nameless) == [
        f"{nameless}:1:1: a routine that extends another needs its own name: add name:"
    ]
    a = _write(tmp_path, "a.yaml", "name: a\nextends: b\n")
    b = _write(tmp_path, "b.yaml", "name: b\nextends: a\n")
    assert _problems(a) == [f"{b}:2:10: extends 'a', which leads back to this routine"]
    itself = _write(tmp_path, "itself.yaml", "name: i\nextends: itself.yaml\n")
    assert _problems(itself) == [
        f"{itself}:2:10: extends 'itself.yaml', which leads back to this routine"
    ]
    orphan = _write(tmp_path, "orphan.yaml", "name: o\nextends: nowhere\n")
    assert _problems(orphan) == [
        f"{orphan}:2:10: extends 'nowhere': no routine of that name or path"
    ]


def test_cue_sets_lend_their_cues_and_report_their_own_problems(tmp_path):
    _write(tmp_path, "shared/rain.wav", "x")
    _write(tmp_path, "shared/cues.yaml", "rain:\n  sound: rain.wav\n")
    good = _write(
        tmp_path,
        "good.yaml",
        "name: g\ncue_sets: [shared/cues.yaml]\n"
        "phases:\n  - {name: A, kind: prep, duration: 1m, cues: [rain]}\n",
    )
    assert load_routine(good).routine.cues["rain"].sound == str(tmp_path / "shared" / "rain.wav")

    bad_set = _write(tmp_path, "bad.yaml", "bell:\n  tone: 5000\n")
    uses_bad = _write(
        tmp_path,
        "uses_bad.yaml",
        "name: u\ncue_sets: [bad.yaml]\n"
        "phases:\n  - {name: A, kind: prep, duration: 1m, cues: [bell]}\n",
    )
    assert _problems(uses_bad) == [
        f"{bad_set}:2:9: cues.bell.tone: must be at most 2000; found 5000"
    ]
    missing = _write(
        tmp_path,
        "missing.yaml",
        "name: m\ncue_sets: [cues.yaml, nowhere.yaml]\n"
        "phases:\n  - {name: A, kind: prep, duration: 1m}\n",
    )
    assert _problems(missing) == [f"{missing}:2:12: cue set not found: {tmp_path / 'cues.yaml'}"]


# --- experiments -------------------------------------------------------------------------------

EXPERIMENT = """\
name: e
cues:
  waves: {tone: 200}
  rain: {tone: 300}
experiment: {slot: %s, arms: [%s]}
phases:
  - {name: A, kind: prep, duration: 1m, cues: [%s]}
"""


@pytest.mark.parametrize(
    ("slot", "arms", "listed", "message"),
    [
        (
            "calm",
            "waves, rain",
            "waves",
            "5:20: experiment.slot: no phase lists 'calm' in its cues,"
            " so the experiment never plays",
        ),
        (
            "waves",
            "waves, rain",
            "waves",
            "5:20: experiment.slot: 'waves' is also a cue's name; give the slot a name of its own",
        ),
        ("calm", "waves, rian", "calm", "5:40: unknown cue 'rian' — did you mean 'rain'?"),
    ],
)
def test_experiments_that_cannot_work_are_refused(tmp_path, slot, arms, listed, message):
    path = _write(tmp_path, "e.yaml", EXPERIMENT % (slot, arms, listed))
    assert _problems(path) == [f"{path}:{message}"]


def test_compile_plan_puts_the_chosen_arm_in_the_slot(tmp_path):
    path = _write(tmp_path, "e.yaml", EXPERIMENT % ("calm", "waves, rain", "calm"))
    routine = load_routine(path).routine
    assert compile_plan(routine, RATE).phases[0].cues == ("waves",)
    plan = compile_plan(routine, RATE, arm="rain")
    assert plan.phases[0].cues == ("rain",)
    assert plan.experiment == ("calm", "rain")
    with pytest.raises(ValueError, match="'snow' is not one of the experiment's arms"):
        compile_plan(routine, RATE, arm="snow")


# --- nesting -----------------------------------------------------------------------------------


def test_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep(tmp_path):
    deep = "x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    path = _write(tmp_path, "deep.yaml", deep)
    assert _problems(path) == [
        f"{path}:1:{MAX_DEPTH + 4}: is nested more than {MAX_DEPTH} levels deep; a routine never is"
    ]


def test_a_ratio_written_without_quotes_is_a_ratio(tmp_path):
    # YAML 1.1 would read 2:3 as the base-60 number 123.
    path = _write(
        tmp_path,
        "r.yaml",
        "name: r\nbreathing: {bpm: 6, ratio: 1:1}\nphases:\n  - {name: a, kind: prep, duration: 1m}\n",
    )
    assert load_routine(path).routine.breathing.pattern() == (5.0, 0.0, 5.0, 0.0)


def test_voice_files_of_an_extended_routine_are_found_beside_it(tmp_path):
    parent_dir, child_dir = tmp_path / "shared", tmp_path / "mine"
    parent_dir.mkdir()
    child_dir.mkdir()
    voice = parent_dir / "settle.ogg"
    voice.write_bytes((Path(__file__).parents[2] / "media" / "waves.ogg").read_bytes())
    _write(
        parent_dir,
        "base.yaml",
        "name: base\nphases:\n"
        "  - name: Settle\n    kind: prep\n    duration: 30s\n"
        "    prompt: {text: Sit back., voice: settle.ogg}\n"
        "    prompts: [{at: 10s, text: Shoulders down., voice: settle.ogg}]\n",
    )
    child = _write(child_dir, "mine.yaml", "name: mine\nextends: ../shared/base.yaml\n")
    (phase,) = load_routine(child).routine.phases
    assert phase.prompt.voice == str(voice)
    assert phase.prompts[0].voice == str(voice)
