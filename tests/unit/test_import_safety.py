"""`calmflow import` of what is not an export, or an export with what no session
has: refused at once with one line and exit 1, the log as it was."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from calmflow.cli import main
from calmflow.services.exchange import reading
from calmflow.services.exchange.json_file import JsonExport
from calmflow.services.exchange.reading import MAX_IMPORT_BYTES, MAX_IMPORT_MB
from calmflow.store.store import Store
from tests.unit.sample_log import fill

Document = dict[str, Any]


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def export(tmp_path: Path) -> Document:
    """The sample log's sessions as a JSON export."""
    source = tmp_path / "source.sqlite3"
    fill(source)
    from calmflow.services.exchange.json_file import to_json

    store = Store(source)
    try:
        return json.loads(to_json(store.dump_sessions()))  # type: ignore[no-any-return]
    finally:
        store.close()


def _sessions_in(home: Path) -> int:
    path = home / "calmflow.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM sessions").fetchone()
    conn.close()
    return int(count)


def _refused(path: Path, home: Path) -> str:
    """The one line an import of `path` says, refused, with the log unchanged."""
    before = _sessions_in(home)
    result = _run("import", str(path))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"calmflow: {path}: ")
    assert _sessions_in(home) == before
    return line.removeprefix(f"calmflow: {path}: ")


# --- only a plain file, and not a huge one ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/zero", "a device"), ("/dev/urandom", "a device")]
)
def test_a_device_is_refused_before_it_is_read(home: Path, path: str, kind: str) -> None:
    began = time.monotonic()
    said = _refused(Path(path), home)
    assert said.startswith(f"it is {kind}, not a file; calmflow imports only a file")
    assert time.monotonic() - began < 2


def test_a_pipe_is_refused_without_waiting_for_a_writer(home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "sessions.json"
    os.mkfifo(fifo)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(_refused(fifo, home)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "import waited on a pipe"
    assert outcome[0].startswith("it is a pipe, not a file")


def test_a_folder_is_refused_with_exit_1(home: Path, tmp_path: Path) -> None:
    assert _refused(tmp_path, home).startswith("it is a folder, not a file")


def test_a_file_over_the_limit_is_refused_at_once_by_its_size(home: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:  # sparse: its size is all that is looked at
        f.truncate(MAX_IMPORT_BYTES + 1)
    began = time.monotonic()
    said = _refused(huge, home)
    assert time.monotonic() - began < 1
    assert said == (
        f"the file is {MAX_IMPORT_MB} MB, more than the {MAX_IMPORT_MB} MB calmflow imports"
        " (a calmflow export of years of sessions is a few MB); nothing was imported"
    )


def test_a_file_that_grows_past_the_limit_while_read_is_refused(
    monkeypatch: pytest.MonkeyPatch, export: Document
) -> None:
    """As a file appended to while it is imported would be."""
    text = json.dumps(export).encode()
    monkeypatch.setattr(reading, "MAX_IMPORT_BYTES", len(text) // 2)
    with pytest.raises(reading.ImportProblem, match="more than the"):
        list(reading.sessions_in(io.BufferedReader(reading._Capped(io.BytesIO(text))), name="x"))


def test_sessions_are_taken_as_they_are_read_not_after_the_whole_file(
    export: Document,
) -> None:
    """Memory stays flat: the first session comes before the file is read to its end
    (benchmarks/import_memory.py measures it on 64 MB)."""
    first = json.dumps(export)[:-2]  # without the end of the list and of the object
    many = (
        first
        + ", "
        + ", ".join(
            json.dumps({**export["sessions"][0], "uuid": f"00000000-0000-4000-8000-{i:012d}"})
            for i in range(3000)
        )
    )
    data = (many + "]}").encode()
    raw = io.BytesIO(data)
    sessions = iter(JsonExport(raw))
    next(sessions)
    assert raw.tell() < len(data) / 2


# --- values no session has -------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Document], None]:
    """A change to the document: the value at a JSON path such as sessions[0].played_s."""

    def change(document: Document) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            _set("sessions[0].started_at", "0001-01-01T00:00:00Z"),
            "sessions[0].started_at: expected a time from 2000-01-01 to 2100-01-01 (UTC)",
        ),
        (
            _set("sessions[2].started_at", "9999-12-31T23:00:00Z"),
            "sessions[2].started_at: expected a time from 2000-01-01 to 2100-01-01 (UTC)",
        ),
        (
            _set("sessions[1].letdowns[0].marked_at", "1999-12-31T23:59:59.999Z"),
            "sessions[1].letdowns[0].marked_at: expected a time from 2000-01-01",
        ),
        (
            _set("sessions[0].events[0].at", "2100-01-01T00:00:00Z"),
            "sessions[0].events[0].at: expected a time from 2000-01-01",
        ),
        (
            _set("sessions[0].played_s", 1e308),
            "sessions[0].played_s: expected a number of seconds from 0 to 604800 (a week)",
        ),
        (
            _set("sessions[0].letdowns[1].t_s", 1e300),
            "sessions[0].letdowns[1].t_s: expected a number of seconds from 0 to 604800",
        ),
        (
            _set("sessions[1].first_letdown_s", 5),
            "sessions[1]: unknown field first_letdown_s",
        ),
        (
            _set("sessions[0].volume_left_ml", 5000),
            "sessions[0].volume_left_ml: expected a volume in ml from 0 to 2000",
        ),
        (
            _set("sessions[0].ended_at", "2025-03-01T07:59:00.000Z"),
            "sessions[0].ended_at: before the session starts",
        ),
        (
            _set("sessions[0].played_s", 3600.0),
            "sessions[0].played_s: longer than the session lasted (1235 s from start to end)",
        ),
        (
            _set("sessions[0].letdowns[1].t_s", 1300.0),
            "sessions[0].letdowns[1].t_s: after the 1200 s the session played",
        ),
        (
            _set("sessions[0].notes", "\ud800 a half"),
            "sessions[0].notes: expected text, found \\ud800, half of a character",
        ),
        (
            _set("sessions[0].letdowns[0].cues", ["photo", "\udfff"]),
            "sessions[0].letdowns[0].cues: expected text, found \\udfff",
        ),
    ],
)
def test_a_value_no_session_has_is_refused_at_its_path(
    home: Path,
    tmp_path: Path,
    export: Document,
    change: Callable[[Document], None],
    said: str,
) -> None:
    change(export)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, indent=2))
    assert _refused(path, home).startswith(said)


def _text_with(export: Document, old: str, new: str) -> str:
    text = json.dumps(export, indent=2)
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('"played_s": 1200.0', '"played_s": 1200.0, "played_s": 5', "sessions[0].played_s"),
        ('"number": 1,', '"number": 1, "number": 2,', "sessions[0].letdowns[0].number"),
        ('"kind": "owner",', '"kind": "owner", "kind": "cue",', "sessions[0].events[0].kind"),
        ('"version": 2,', '"version": 2, "version": 2,', "version"),
    ],
)
def test_a_key_given_twice_is_refused_with_its_path(
    home: Path, tmp_path: Path, export: Document, old: str, new: str, said: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(_text_with(export, old, new))
    assert _refused(path, home) == f"{said}: given twice in one object; nothing was imported"


def test_numbers_of_thousands_of_digits_are_refused_by_name(
    home: Path, tmp_path: Path, export: Document
) -> None:
    path = tmp_path / "export.json"
    path.write_text(_text_with(export, '"played_s": 1200.0', '"played_s": ' + "7" * 5000))
    assert _refused(path, home).startswith(
        "sessions[0].played_s: expected a number of seconds from 0 to 604800 (a week),"
        " got a number of 5000 characters"
    )
    path.write_text(_text_with(export, '"version": 2', '"version": ' + "1" * 5000))
    assert _refused(path, home).startswith("version: expected a whole number")


@pytest.mark.parametrize("where", ["sessions", "in a session"])
def test_json_nested_100_000_deep_is_refused_in_one_line(
    home: Path, tmp_path: Path, where: str
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    inner = deep if where == "sessions" else f'[{{"notes": {deep}}}]'
    path = tmp_path / "export.json"
    path.write_text(f'{{"format": "calmflow-export", "version": 1, "sessions": {inner}}}')
    said = _refused(path, home)
    assert said.startswith("sessions[0]: nested too deeply for a calmflow export (line 1, column")


def test_a_file_that_is_not_utf8_or_not_an_export_is_refused(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b'{"format": "calmflow-export", "notes": "\xff"}')
    assert _refused(path, home).startswith("not a calmflow export (not UTF-8 text)")
    path.write_text('{"sessions": [], "format": "calmflow-export", "version": 1}')
    assert _refused(path, home).startswith('not a calmflow export: no "format"')
    path.write_text('{"format": "calmflow-export", "version": 1, "sessions": []} []')
    assert _refused(path, home).startswith("not JSON (line 1, column 61: more after the end)")


def test_keys_in_any_order_import_as_jq_sort_keys_writes_them(
    home: Path, tmp_path: Path, export: Document
) -> None:
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(export, sort_keys=True))
    result = _run("import", str(path))
    assert (result.exit_code, result.stdout) == (0, "added 5, already there 0\n")


# --- one uuid, however written ------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        lambda u: "{" + u + "}",
        lambda u: "urn:uuid:" + u,
        lambda u: u.replace("-", ""),
        lambda u: u.upper(),
    ],
    ids=["braces", "urn", "no dashes", "capitals"],
)
def test_a_uuid_however_written_is_the_same_session(
    home: Path, tmp_path: Path, export: Document, spelling: Callable[[str], str]
) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    assert _run("import", str(path)).stdout == "added 5, already there 0\n"
    first = export["sessions"][0]["uuid"]
    export["sessions"][0]["uuid"] = spelling(first)
    path.write_text(json.dumps(export))
    assert _run("import", str(path)).stdout == "added 0, already there 5\n"
    with sqlite3.connect(home / "calmflow.sqlite3") as conn:
        assert conn.execute("SELECT uuid FROM sessions ORDER BY id LIMIT 1").fetchone() == (first,)
    conn.close()
    # Both spellings in one file are one session twice.
    export["sessions"].append({**export["sessions"][1], "uuid": spelling(first)})
    path.write_text(json.dumps(export))
    assert _refused(path, home).startswith("sessions[5].uuid: the same as sessions[0].uuid")


# --- log add, by the same checks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("0001-01-01T00:00+14:00", "0001-01-01 00:00+14:00: expected a time from 2000-01-01"),
        ("1999-12-31T23:00+00:00", "1999-12-31 23:00+00:00: expected a time from 2000-01-01"),
    ],
)
def test_log_add_refuses_a_time_out_of_range_in_one_line(home: Path, at: str, said: str) -> None:
    result = _run("log", "add", "--at", at, "--minutes", "10")
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"calmflow: {said}")
    assert _sessions_in(home) == 0
