"""The routines that ship with calmflow: valid, sourced, and still doing what
each is for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.core.plan import Plan, compile_plan
from calmflow.core.routine_loading import load_routine

ROOT = Path(__file__).resolve().parents[2]
ROUTINES = sorted((ROOT / "routines").glob("*.yaml"))
BUNDLED_NAMES = {
    "standard",
    "quick-letdown",
    "power-pumping",
    "catch-up",
    "hands-on",
    "silent",
    "photo-or-waves",
}


def _plan(name: str, arm: str | None = None) -> Plan:
    routine = load_routine(ROOT / "routines" / f"{name}.yaml").routine
    return compile_plan(routine, rate=8_000, arm=arm)


def _minutes(plan: Plan, frames: int) -> float:
    return plan.seconds(frames) / 60


def test_the_bundled_routines_are_all_there():
    assert {p.stem for p in ROUTINES} >= BUNDLED_NAMES


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
def test_calmflow_check_passes(path, home):
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"ok ({path.stem}," in result.output


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
def test_header_names_its_sources_and_kind_of_evidence(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert header, f"{path.name} has no header comment"
    text = "\n".join(header)
    assert re.search(r"\[(trial|practice|ours)", text), f"{path.name}: no evidence label"
    assert "Sources:" in text


@pytest.mark.parametrize("path", ROUTINES, ids=lambda p: p.stem)
def test_only_bundled_media(path):
    routine = load_routine(path).routine
    media = ROOT / "media"
    for name, cue in routine.cues.items():
        if cue.file is not None:
            assert Path(cue.file).parent == media, f"{path.stem}: cue {name} uses {cue.file}"


def test_routines_json_lists_every_bundled_routine_with_length_and_description(home):
    result = CliRunner().invoke(main, ["routines", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    for path in ROUTINES:
        row = rows[path.stem]
        assert row["source"] == "bundled"
        assert row["valid"], row["description"]
        assert row["duration_s"] > 0
        assert len(row["description"]) > 20


def test_standard_goes_back_to_stimulation_after_7_min_for_90_s():
    plan = _plan("standard")
    assert [p.kind for p in plan.phases[: plan.planned]] == [
        "prep",
        "stimulation",
        "expression",
        "hands_on",
    ]
    assert plan.seconds(plan.duration_frames) == 20 * 60
    assert plan.rules.restimulate_after_frames == 7 * 60 * plan.rate
    restim = plan.phases[plan.rules.restimulation_phase]
    assert (restim.kind, plan.seconds(restim.duration_frames)) == ("stimulation", 90)


def test_quick_letdown_takes_five_minutes_with_warmth_photo_and_stimulation():
    plan = _plan("quick-letdown")
    assert plan.seconds(plan.duration_frames) == 5 * 60
    kinds = [p.kind for p in plan.phases]
    assert kinds[0] == "prep" and "stimulation" in kinds
    assert "picture" in plan.phases[0].cues
    assert plan.cue("picture").kind == "photo"
    assert any("warm" in p.prompt.lower() for p in plan.phases)
    assert sum(len(p.prompts) for p in plan.phases) >= 3
    assert all(p.breath is not None and p.breath.voice == "tone" for p in plan.phases)


def test_power_pumping_is_an_hour_of_pump_and_rest_20_10_10_10_10():
    plan = _plan("power-pumping")
    assert _minutes(plan, plan.duration_frames) == 60
    assert [(p.kind, _minutes(plan, p.duration_frames)) for p in plan.phases] == [
        ("pump", 20),
        ("rest", 10),
        ("pump", 10),
        ("rest", 10),
        ("pump", 10),
    ]
    assert [p.pump_mode for p in plan.phases] == ["expression", "off"] * 2 + ["expression"]
    for rest in plan.phases[1::2]:
        assert rest.breath is not None
        assert "waves" in rest.cues


def test_catch_up_starts_gently_and_ends_with_an_optional_hands_on_finish():
    plan = _plan("catch-up")
    kinds = [p.kind for p in plan.phases[: plan.planned]]
    assert kinds[:2] == ["prep", "prep"]
    assert "warmth" in plan.phases[0].cues
    assert any("by hand" in p.prompt for p in plan.phases[:2])
    stimulation = plan.phases[kinds.index("stimulation")]
    assert "light suction" in stimulation.pump_hint
    first_expression = plan.phases[kinds.index("expression")]
    assert "medium suction" in first_expression.pump_hint
    assert kinds[-1] == "hands_on"
    assert "optional" in plan.phases[plan.planned - 1].name.lower()
    # From standard, by extends: its breathing and restimulation rule.
    assert plan.phases[0].breath is not None
    assert plan.seconds(plan.phases[0].breath.cycle_frames) == 10
    assert plan.rules.restimulate_after_frames is not None


def test_hands_on_massages_before_compresses_during_and_finishes_until_soft():
    plan = _plan("hands-on")
    kinds = [p.kind for p in plan.phases[: plan.planned]]
    assert kinds[0] == "prep" and "massage" in plan.phases[0].prompt.lower()
    expression = plan.phases[kinds.index("expression")]
    assert "compress" in expression.cues
    assert plan.cue("compress").every_frames is not None
    assert kinds[-1] == "hands_on"
    assert "soft" in plan.phases[plan.planned - 1].prompt


def test_silent_makes_no_sound():
    plan = _plan("silent")
    assert plan.chime is False
    assert all(p.breath is not None and p.breath.voice == "none" for p in plan.phases)
    assert all(c.kind in ("photo", "text") for c in plan.cues)


@pytest.mark.parametrize("arm", ["picture", "waves"])
def test_photo_or_waves_fills_its_slot_with_either_arm(arm):
    routine = load_routine(ROOT / "routines" / "photo-or-waves.yaml").routine
    assert routine.experiment is not None
    assert routine.experiment.slot == "calm"
    assert routine.experiment.arms == ["picture", "waves"]
    plan = _plan("photo-or-waves", arm=arm)
    assert plan.experiment == ("calm", arm)
    other = {"picture", "waves"} - {arm}
    assert arm in plan.phases[0].cues and not other & set(plan.phases[0].cues)


def test_no_bundled_routine_holds_the_breath_without_saying_so():
    for path in ROUTINES:
        plan = compile_plan(load_routine(path).routine, rate=8_000)
        for phase in plan.phases:
            if phase.breath and (phase.breath.hold_in_frames or phase.breath.hold_out_frames):
                assert phase.caution, f"{path.stem}: {phase.name}"
