"""Reading routine YAML safely, and saying exactly where each problem is."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmflow.core.yamlsource import MAX_BYTES, Problem, SourceError, read_yaml


def _write(tmp_path: Path, text: str | bytes, name: str = "routine.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path) -> list[tuple[int, int, str]]:
    with pytest.raises(SourceError) as info:
        read_yaml(path)
    assert all(p.path == path for p in info.value.problems)
    return [(p.line, p.col, p.message) for p in info.value.problems]


# --- refusals, each at its 1-based line and column ---------------------------


def test_alias_is_refused_where_the_alias_is_written(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\n"
        "phases:\n"
        "  - &settle\n"
        "    name: Settle\n"
        "    kind: prep\n"
        "    duration: 2m\n"
        "  - *settle\n",
    )
    [(line, col, message)] = _refused(path)
    assert (line, col) == (7, 5)
    assert message.startswith("invalid YAML: anchors and aliases (*name) are not allowed")


def test_alias_used_as_a_mapping_value_is_refused(tmp_path):
    path = _write(tmp_path, "a: &x 4\nb: *x\n")
    [(line, col, message)] = _refused(path)
    assert (line, col) == (2, 4)
    assert "aliases" in message


def test_duplicate_key_is_reported_at_its_second_occurrence(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\nphases:\n  - name: Settle\n    duration: 2m\n    duration: 3m\n",
    )
    assert _refused(path) == [(5, 5, "key 'duration' appears twice; keep one of them")]


def test_duplicate_keys_in_flow_mappings_are_all_reported(tmp_path):
    path = _write(
        tmp_path,
        "cues:\n  hum: {tone: 220}\n  hum: {tone: 330}\nphases:\n  - {kind: prep, kind: rest}\n",
    )
    assert _refused(path) == [
        (3, 3, "key 'hum' appears twice; keep one of them"),
        (5, 18, "key 'kind' appears twice; keep one of them"),
    ]


def test_python_tag_on_a_value_is_refused_at_the_tag(tmp_path):
    path = _write(tmp_path, "name: !!python/name:os.system\n")
    [(line, col, message)] = _refused(path)
    assert (line, col) == (1, 7)
    assert message.startswith("invalid value: could not determine a constructor")
    assert "python/name:os.system" in message


def test_python_object_tag_on_a_mapping_is_refused_not_ignored(tmp_path):
    # A tag that asks for a Python object must be refused wherever it is
    # written, not silently dropped so the file looks valid.
    path = _write(
        tmp_path,
        "name: mine\nbreathing: !!python/object:calmflow.core.routine.Breathing {inhale_s: 4}\n",
    )
    [(line, col, message)] = _refused(path)
    assert (line, col) == (2, 12)
    assert "python/object" in message


def test_python_apply_tag_on_a_sequence_is_refused_not_ignored(tmp_path):
    path = _write(tmp_path, "name: !!python/object/apply:os.system [echo hi]\n")
    [(line, col, message)] = _refused(path)
    assert (line, col) == (1, 7)
    assert "python/object/apply" in message


def test_an_unclosed_bracket_is_named_where_it_opened(tmp_path):
    path = _write(
        tmp_path, "name: mine\nphases:\n  - name: Settle\n    kind: [prep\n    duration: 2m\n"
    )
    assert _refused(path) == [(4, 11, "the '[' opened here is never closed: end it with ']'")]


def test_tab_indentation_is_reported_at_the_tab(tmp_path):
    path = _write(tmp_path, "name: mine\nphases:\n\t- name: Settle\n")
    assert _refused(path) == [(3, 1, "line 3 starts with a tab: indent with spaces")]


# --- YAML syntax in plain words, at the line of the mistake ---------------------------

SETTLE = "name: mine\nphases:\n  - name: Settle\n    kind: prep\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the key has no colon: PyYAML complains at the next line's colon
        (
            SETTLE + "    duration 2m\n    prompt: Breathe.\n",
            (5, 13, "a colon is missing after 'duration'"),
        ),
        (SETTLE + "    duration 2m\n", (5, 13, "a colon is missing after 'duration'")),
        ("name mine\nphases: []\n", (1, 5, "a colon is missing after 'name'")),
        (
            SETTLE + '    prompt: "Sit back.\n  - name: Next\n',
            (5, 13, 'the double quote (") opened here is never closed: end the value with it'),
        ),
        (
            SETTLE + "    prompt: Breathe: slowly\n",
            (5, 20, "a second colon on this line: put the value in quotes"),
        ),
        ("name: mine\nphases:\n  - name: a\n    kind: prep\n    - cues\n", (5, 5, "a list item")),
        ("name: mine\nphases:\n  -name: a\n  - name: b\n", (3, 4, "a space is missing after '-'")),
        ("name: mine\nphases:\n  - name: a\n     kind: prep\n", (4, 6, "indented further")),
        ("name: mine\nphases:\n  - name: a\n   kind: prep\n", (4, 4, "indented differently")),
        ("name:\tmine\nphases: []\n", (1, 6, "a tab here: use spaces instead")),
    ],
    ids=[
        "colon-mid",
        "colon-last",
        "colon-top",
        "quote",
        "second-colon",
        "list-item",
        "dash-space",
        "indent-further",
        "indent-less",
        "tab-mid",
    ],
)
def test_syntax_mistakes_in_plain_words(tmp_path, text, expected):
    [(line, col, message)] = _refused(_write(tmp_path, text))
    assert (line, col) == expected[:2]
    assert expected[2] in message
    assert "YAML" not in message


def test_a_file_not_known_to_be_a_routine_is_not_quoted(tmp_path):
    path = _write(tmp_path, "secret-token 2m\nother: x\n")
    with pytest.raises(SourceError) as info:
        read_yaml(path, quote=False)
    [problem] = info.value.problems
    assert (problem.line, problem.col) == (1, 13)
    assert "secret" not in problem.message
    assert problem.message == "a colon is missing after the first word of this line"


def test_a_second_document_is_refused(tmp_path):
    path = _write(tmp_path, "name: mine\n---\nname: other\n")
    [(line, col, message)] = _refused(path)
    assert (line, col) == (2, 1)
    assert "another document" in message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n   \n"])
def test_empty_file_is_refused_at_its_start(tmp_path, text):
    path = _write(tmp_path, text)
    assert _refused(path) == [(1, 1, "is empty; a routine needs at least name and phases")]


def test_file_over_the_size_cap_is_refused_without_parsing(tmp_path):
    path = _write(tmp_path, "a: " + "x" * MAX_BYTES + "\n")
    [(line, col, message)] = _refused(path)
    assert (line, col) == (0, 0)
    assert message == f"is {MAX_BYTES + 4:,} bytes; a routine may be at most {MAX_BYTES:,}"


def test_file_at_the_size_cap_is_read(tmp_path):
    path = _write(tmp_path, "a: " + "x" * (MAX_BYTES - 4) + "\n")
    assert path.stat().st_size == MAX_BYTES
    assert len(read_yaml(path).data["a"]) == MAX_BYTES - 4


def test_deep_nesting_is_refused_as_such(tmp_path):
    depth = 1000
    path = _write(tmp_path, "a: " + "{a: " * depth + "1" + "}" * depth + "\n")
    assert _refused(path) == [(0, 0, "is nested too deeply to be a routine")]


def test_text_that_is_not_utf8_is_refused_with_the_byte(tmp_path):
    path = _write(tmp_path, "name: caf\xe9\n".encode("latin-1"))
    assert _refused(path) == [(0, 0, "is not UTF-8 text (byte 9); save it as UTF-8")]


def test_missing_file_and_folder_are_refused(tmp_path):
    assert _refused(tmp_path / "nope.yaml") == [(0, 0, "no such file")]
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert _refused(folder) == [(0, 0, "is a folder, not a routine file")]


def test_problem_prints_as_file_line_col_message(tmp_path):
    path = tmp_path / "mine.yaml"
    assert str(Problem(path, 3, 7, "missing 'kind'")) == f"{path}:3:7: missing 'kind'"
    # Without a position (line 0) there is no ":0:0" to mislead an editor.
    assert str(Problem(path, 0, 0, "no such file")) == f"{path}: no such file"


def test_source_error_message_lists_every_problem(tmp_path):
    path = _write(tmp_path, "a: 1\na: 2\nb: 1\nb: 2\n")
    with pytest.raises(SourceError) as info:
        read_yaml(path)
    assert str(info.value).splitlines() == [
        f"{path}:2:1: key 'a' appears twice; keep one of them",
        f"{path}:4:1: key 'b' appears twice; keep one of them",
    ]


# --- values ----------------------------------------------------------------------


def test_yaml_1_1_boolean_words_stay_the_words_written(tmp_path):
    path = _write(tmp_path, "a: off\nb: on\nc: yes\nd: no\ne: y\nf: n\ng: Off\nh: YES\n")
    assert read_yaml(path).data == {
        "a": "off",
        "b": "on",
        "c": "yes",
        "d": "no",
        "e": "y",
        "f": "n",
        "g": "Off",
        "h": "YES",
    }


def test_true_and_false_are_still_booleans(tmp_path):
    path = _write(tmp_path, "a: true\nb: false\nc: True\nd: FALSE\n")
    assert read_yaml(path).data == {"a": True, "b": False, "c": True, "d": False}


def test_numbers_strings_and_nulls_are_plain_values(tmp_path):
    path = _write(tmp_path, "a: 4\nb: 4.5\nc: '4'\nd: ~\ne:\nf: !!str 5\n")
    data = read_yaml(path).data
    assert data == {"a": 4, "b": 4.5, "c": "4", "d": None, "e": None, "f": "5"}
    assert type(data["a"]) is int


def test_non_string_keys_become_strings(tmp_path):
    path = _write(tmp_path, "1: a\ntrue: b\n")
    assert read_yaml(path).data == {"1": "a", "True": "b"}


# --- positions ---------------------------------------------------------------------

NESTED = """\
top:
  list:
    - a
    - {x: 1, y: [2, 3]}
  other: z
"""


def test_marks_of_nested_values(tmp_path):
    src = read_yaml(_write(tmp_path, NESTED))
    assert src.data == {"top": {"list": ["a", {"x": 1, "y": [2, 3]}], "other": "z"}}
    assert src.marks[()] == (1, 1)
    assert src.marks[("top",)] == (2, 3)
    assert src.marks[("top", "list", 0)] == (3, 7)
    assert src.marks[("top", "list", 1)] == (4, 7)
    assert src.marks[("top", "list", 1, "x")] == (4, 11)
    assert src.marks[("top", "list", 1, "y", 1)] == (4, 21)
    assert src.marks[("top", "other")] == (5, 10)


def test_marks_of_nested_keys(tmp_path):
    src = read_yaml(_write(tmp_path, NESTED))
    assert src.key_marks[("top",)] == (1, 1)
    assert src.key_marks[("top", "list")] == (2, 3)
    assert src.key_marks[("top", "list", 1, "y")] == (4, 14)
    assert src.key_marks[("top", "other")] == (5, 3)


def test_where_falls_back_to_the_nearest_ancestor(tmp_path):
    src = read_yaml(_write(tmp_path, NESTED))
    # A field that is missing is reported where its mapping starts.
    assert src.where(("top", "list", 1, "missing")) == (4, 7)
    assert src.where(("top", "list", 1, "x")) == (4, 11)
    assert src.where(("top", "list", 1, "x"), key=True) == (4, 8)
    assert src.where(("nothing", "here")) == (1, 1)
    problem = src.problem(("top", "other"), "wrong")
    assert (problem.line, problem.col, problem.message) == (5, 10, "wrong")


def test_marks_count_characters_not_bytes_and_ignore_crlf(tmp_path):
    src = read_yaml(_write(tmp_path, "é: 1\r\nb:\r\n  c: 😀\r\n"))
    assert src.data == {"é": 1, "b": {"c": "😀"}}
    assert src.marks[("é",)] == (1, 4)
    assert src.marks[("b", "c")] == (3, 6)
