"""`calmflow check` on anything a person might type: it never crashes, and every
complaint names a file (and a line and column when it has one).

Documents are built around the real routine's shape, with keys near the real
ones, odd durations and volumes, wrong types, deep nesting and random bytes.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmflow.cli import main
from calmflow.core.routine_loading import load_routine
from calmflow.core.yamlsource import SourceError

TOP_KEYS = [
    "version",
    "name",
    "description",
    "extends",
    "cue_sets",
    "breathing",
    "chime",
    "cues",
    "background",
    "ducking",
    "rules",
    "experiment",
    "phases",
]
PHASE_KEYS = ["name", "kind", "duration", "prompt", "prompts", "pump", "breathing", "cues"]
CUE_KEYS = ["sound", "photo", "text", "tone", "volume", "loop", "fade_in", "fade_out", "at"]
CUE_KEYS += ["every", "duration", "min_length"]
RULE_KEYS = ["on_letdown", "restimulate_after", "restimulate_for", "after_flow_stops"]
RULE_KEYS += ["max_duration"]
BREATH_KEYS = ["preset", "inhale_s", "hold_in_s", "exhale_s", "hold_out_s", "bpm", "ratio"]
BREATH_KEYS += ["voice"]
WORDS = ["prep", "stimulation", "expression", "hands_on", "rest", "pump", "resonance", "box"]
WORDS += ["4-7-8", "off", "stay", "tone", "chime", "fast", "light", "parent", "calm", "waves"]
WORDS += ["set.yaml", "parent.yaml", "missing.wav", "bundled:waves.ogg", "~nobody/x.wav"]

PROBLEM = re.compile(r"^.+?(:\d+:\d+)?: .+$")


def _near(words: list[str]) -> st.SearchStrategy[str]:
    """A real word, one with a letter changed or dropped, or any text."""

    def misspell(pair: tuple[str, int]) -> str:
        word, i = pair
        i %= max(1, len(word))
        return word[:i] + word[i + 1 :] if i % 2 else word[:i] + "x" + word[i + 1 :]

    real = st.sampled_from(words)
    return st.one_of(
        real,
        real,
        st.tuples(real, st.integers(0, 30)).map(misspell),
        st.text(max_size=12),
    )


DURATIONS = st.one_of(
    st.integers(-100, 100_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["90s", "2m", "1m30s", "1h", "1.5", "2 m", "m", "1m30", "", "0", "-5s"]),
    st.from_regex(r"\A[0-9.hms ]{0,8}\Z"),
)
VOLUMES = st.one_of(
    st.floats(-2, 2),
    st.sampled_from(["-12dB", "0dB", "+3dB", "-0dB", "dB", "-1e9dB", "1e400dB", "-12 db"]),
    st.from_regex(r"\A[-+0-9.dB ]{0,8}\Z"),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(WORDS),
    DURATIONS,
    VOLUMES,
)
ANY = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_near(TOP_KEYS), inner, max_size=4)
    ),
    max_leaves=20,
)


def _mapping(keys: list[str], value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.dictionaries(_near(keys), value, max_size=len(keys)), ANY)


VALUE = st.one_of(SCALARS, DURATIONS, VOLUMES, st.sampled_from(WORDS), ANY)
CUE = _mapping(CUE_KEYS, VALUE)
PHASE = _mapping(PHASE_KEYS, st.one_of(VALUE, st.lists(st.sampled_from(WORDS), max_size=3)))
BLOCK = st.fixed_dictionaries({"repeat": VALUE, "phases": st.lists(PHASE, max_size=3)})
ROUTINE = st.dictionaries(
    _near(TOP_KEYS),
    st.one_of(
        VALUE,
        st.dictionaries(_near(WORDS), CUE, max_size=3),
        st.lists(st.one_of(PHASE, BLOCK), max_size=4),
        _mapping(RULE_KEYS, VALUE),
        _mapping(BREATH_KEYS, VALUE),
        st.fixed_dictionaries({"slot": VALUE, "arms": st.lists(VALUE, max_size=3)}),
    ),
    max_size=8,
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """The bytes of a routine file: usually YAML of a routine-like mapping."""
    how = draw(st.integers(0, 9))
    if how == 0:
        return draw(st.binary(max_size=200))
    if how == 1:
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    data = draw(ROUTINE)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=how % 2)
    if how == 2:  # a cut, or a stray character, somewhere in it
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", "\t", ":", "- ", "[", "&a ", "*a", "!!"]))
    return text.encode("utf-8", "surrogatepass")


def _folder(root: Path) -> None:
    """A parent routine and a cue set that generated documents may name."""
    (root / "parent.yaml").write_text(
        "name: parent\ncues: {waves: {tone: 200}}\n"
        "phases: [{name: A, kind: expression, duration: 1m, cues: [waves]}]\n"
    )
    (root / "set.yaml").write_text("calm: {text: Calm}\nrain: {sound: missing.wav}\n")


@contextlib.contextmanager
def _written(document: bytes) -> Iterator[Path]:
    """`document` as mine.yaml in a fresh folder with the files it may name."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _folder(root)
        path = root / "mine.yaml"
        path.write_bytes(document)
        yield path


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(documents())
def test_loading_anything_raises_only_source_error(document: bytes) -> None:
    with _written(document) as path:
        root = path.parent
        try:
            load_routine(path, bundled_media=root)
        except SourceError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.message
                assert problem.line >= 0 and problem.col >= 0
                assert problem.path.name in ("mine.yaml", "parent.yaml", "set.yaml")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_check_exits_0_or_1_with_one_line_per_problem(document: bytes) -> None:
    with _written(document) as path:
        result = CliRunner().invoke(
            main, ["check", str(path)], env={"CALMFLOW_HOME": str(path.parent)}
        )
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code == 1:
            lines = result.stderr.splitlines()
            assert lines
            for line in lines:
                assert line.startswith(str(path.parent)) and PROBLEM.match(line), line
