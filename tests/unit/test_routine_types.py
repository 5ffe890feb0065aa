"""Strict types in routines: a boolean is only true or false, a number is never a
boolean, every routine lasts a few seconds, and numbers hundreds of digits long
are refused at their place (exit 1), never an unexpected error (70)."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, ValidationError

from calmflow.cli import main
from calmflow.core import routine as model
from calmflow.core.routine import MIN_ROUTINE_S, Routine

PHASE = {"name": "a", "kind": "prep", "duration": 60}
SMALLEST: dict[type[BaseModel], dict[str, Any]] = {
    model.Routine: {"name": "t", "phases": [PHASE]},
    model.Phase: PHASE,
    model.Block: {"repeat": 2, "phases": [PHASE]},
    model.Cue: {"tone": 220},
    model.Breathing: {"bpm": 6},
    model.PumpHint: {"mode": "off"},
    model.Rules: {},
    model.Experiment: {"slot": "s", "arms": ["a", "b"]},
    model.Prompt: {"text": "Breathe."},
    model.TimedPrompt: {"at": 5, "text": "Breathe."},
}
"""A valid instance of each model of a routine, to set one field wrong in."""


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    found = {root}
    for field in root.model_fields.values():
        for inner in _leaves(field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in found:
                found |= _models(inner)
    return found


def _leaves(annotation: Any) -> list[Any]:
    """The types an annotation is made of (through unions, Annotated, lists...)."""
    if get_origin(annotation) is Literal:
        return [type(arg) for arg in get_args(annotation)]
    args = get_args(annotation)
    if not args:
        return [annotation]
    if get_origin(annotation) in (typing.Annotated,):
        args = args[:1]
    return [leaf for arg in args for leaf in _leaves(arg)]


def _fields(kind: type) -> list[tuple[type[BaseModel], str]]:
    """Every field of every routine model that holds a `kind` (bool, or a number)."""
    out = []
    for cls in _models(Routine):
        for name, field in cls.model_fields.items():
            if get_origin(field.annotation) in (list, dict):
                continue  # names, phases, cues: their models are tried on their own
            leaves = _leaves(field.annotation)
            if kind is bool and bool in leaves:
                out.append((cls, name))
            if kind is float and any(t in (int, float) for t in leaves):
                out.append((cls, name))
    return sorted(out, key=lambda f: (f[0].__name__, f[1]))


BOOL_FIELDS = _fields(bool)
NUMBER_FIELDS = _fields(float)


def test_the_fields_are_found():
    # So that the tests below cannot pass by finding nothing to try.
    assert (model.Routine, "chime") in BOOL_FIELDS and (model.Cue, "loop") in BOOL_FIELDS
    assert {(model.Breathing, "inhale_s"), (model.Cue, "tone"), (model.Phase, "duration")} <= (
        set(NUMBER_FIELDS)
    )
    assert (model.Routine, "version") in NUMBER_FIELDS
    assert len(NUMBER_FIELDS) > 20


def _refused_at(cls: type[BaseModel], name: str, value: Any) -> list[str]:
    written = dict(SMALLEST[cls])
    written[name] = [value, 2] if name == "ratio" else value
    with pytest.raises(ValidationError) as info:
        cls.model_validate(written)
    return [".".join(str(p) for p in err["loc"][:1]) for err in info.value.errors()]


@pytest.mark.parametrize("value", [0, 1, "yes", "off", 1.0])
@pytest.mark.parametrize(("cls", "name"), BOOL_FIELDS, ids=lambda f: getattr(f, "__name__", f))
def test_every_yes_or_no_takes_only_true_or_false(cls, name, value):
    assert name in _refused_at(cls, name, value)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize(("cls", "name"), NUMBER_FIELDS, ids=lambda f: getattr(f, "__name__", f))
def test_no_number_is_ever_a_boolean(cls, name, value):
    assert name in _refused_at(cls, name, value)


# --- as `calmflow check` says it ----------------------------------------------------------


def _check(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["check", str(path)])
    return result.exit_code, result.stderr.replace(f"{path}:", "").splitlines()


def test_a_one_frame_routine_is_refused_and_one_of_the_least_length_is_not(home, tmp_path):
    phases = "phases:\n  - {name: a, kind: prep, duration: %s}\n  - {name: b, kind: rest, duration: %s}\n"
    assert _check(tmp_path, "name: mine\n" + phases % ("0.00001", "0.00001")) == (
        1,
        ["3:3: phases: the phases last under 0.01s in all; a routine lasts at least 3s"],
    )
    assert _check(tmp_path, "name: mine\n" + phases % ("1", "1.5")) == (
        1,
        ["3:3: phases: the phases last 2.5s in all; a routine lasts at least 3s"],
    )
    half = MIN_ROUTINE_S / 2
    assert _check(tmp_path, "name: mine\n" + phases % (half, half))[0] == 0


def test_blocks_count_towards_the_least_length(home, tmp_path):
    text = "name: mine\nphases:\n  - repeat: 3\n    phases: [{name: a, kind: prep, duration: 1}]\n"
    assert _check(tmp_path, text)[0] == 0
    code, lines = _check(tmp_path, text.replace("repeat: 3", "repeat: 2"))
    assert (code, lines) == (
        1,
        [
            "3:3: phases: the phases last 2s in all, with blocks repeated;"
            " a routine lasts at least 3s"
        ],
    )


DIGITS = "9" * 400


@pytest.mark.parametrize(
    ("written", "said"),
    [
        (
            f"phases: [{{name: a, kind: prep, duration: {DIGITS}}}]",
            "phases.0.duration: a number of 400 digits is far too long for a duration",
        ),
        (
            f"rules: {{after_flow_stops: {DIGITS}}}",
            "rules.after_flow_stops: a number of 400 digits is far too long for a duration",
        ),
        (
            f"breathing: {{bpm: {DIGITS}}}",
            "breathing.bpm: a number of 400 digits is far too large; expected a number",
        ),
        (
            f"phases: [{{repeat: {DIGITS}, phases: [{{name: a, kind: prep, duration: 1m}}]}}]",
            "phases.0.repeat: must be at most 20; found a number of 400 digits",
        ),
        (
            f"ducking: {DIGITS}",
            "ducking: a number of 400 digits is far too large; expected a number",
        ),
    ],
    ids=["duration", "rule", "bpm", "repeat", "volume"],
)
def test_a_number_of_400_digits_is_refused_at_its_place(home, tmp_path, written, said):
    text = f"name: mine\n{written}\n"
    if not written.startswith("phases"):
        text += "phases: [{name: a, kind: prep, duration: 1m}]\n"
    code, lines = _check(tmp_path, text)
    assert code == 1
    assert len(lines) == 1 and lines[0].endswith(f": {said}"), lines


def test_half_a_character_is_refused_at_its_place(home, tmp_path):
    # JSON's way of writing 😀, "\ud83d\ude00", is two halves of a character in
    # YAML: a name holding one could be neither printed nor logged.
    code, lines = _check(
        tmp_path,
        'name: "baby \\ud83d\\ude00"\nphases: [{name: a, kind: prep, duration: 1m}]\n',
    )
    assert code == 1
    assert lines == [
        "1:7: this text holds half a character (an escape from \\ud800 to \\udfff);"
        " write the character itself, or \\U0001F600 for one beyond \\uFFFF"
    ]
    assert (
        _check(
            tmp_path, 'name: "baby \\U0001F600"\nphases: [{name: a, kind: prep, duration: 1m}]\n'
        )[0]
        == 0
    )
