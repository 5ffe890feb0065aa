"""`calmflow export`, `calmflow import` and `calmflow log add`, as a person runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from calmflow.cli import main
from calmflow.store.store import Store
from tests.unit.sample_log import fill, local_zone


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def db(home: Path) -> Path:
    """The person's log, with the sample sessions in it."""
    path = home / "calmflow.sqlite3"
    fill(path)
    return path


def _dump(path: Path) -> list[dict[str, Any]]:
    store = Store(path)
    sessions = [s.model_dump(mode="json") for s in store.dump_sessions()]
    store.close()
    return sessions


def _exported(tmp_path: Path, fmt: str = "json") -> Path:
    out = tmp_path / f"export.{fmt}"
    result = _run("export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


# --- export ---------------------------------------------------------------------------------


def test_export_prints_json_by_default_and_writes_nothing_else(db: Path) -> None:
    result = _run("export")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format"] == "calmflow-export"
    assert [s["uuid"] for s in document["sessions"]] == [s["uuid"] for s in _dump(db)]


def test_an_export_file_is_readable_by_its_owner_only(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "sessions.csv"
    out.write_text("old")
    out.chmod(0o644)  # a file that was there, readable by all, is replaced
    old_umask = os.umask(0)
    try:
        result = _run("export", "--format", "csv", "--output", str(out))
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text(encoding="utf-8").startswith("start,end,amount,notes,")
    assert "exported 5 sessions" in result.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_to_a_missing_folder_says_so(db: Path, tmp_path: Path) -> None:
    result = _run("export", "-o", str(tmp_path / "nowhere" / "x.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith("calmflow: ") and "does not exist" in result.stderr


def test_child_id_fills_baby_buddys_column(db: Path) -> None:
    result = _run("export", "--format", "csv", "--child-id", "3")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["child_id"] for row in rows] == ["3"] * 5
    assert _run("export", "--child-id", "3").exit_code == 1  # JSON has no such column


# --- import ---------------------------------------------------------------------------------


def test_json_round_trip_through_the_commands(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported = _exported(tmp_path)
    monkeypatch.setenv("CALMFLOW_HOME", str(tmp_path / "elsewhere"))
    result = _run("import", str(exported))
    assert (result.exit_code, result.stdout) == (0, "added 5, already there 0\n")
    assert _run("export").stdout == exported.read_text(encoding="utf-8")


def test_importing_the_same_file_twice_adds_nothing_twice(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for fmt in ("json", "csv"):
        exported = _exported(tmp_path, fmt)
        monkeypatch.setenv("CALMFLOW_HOME", str(tmp_path / f"other-{fmt}"))
        assert _run("import", str(exported)).stdout == "added 5, already there 0\n"
        assert _run("import", str(exported)).stdout == "added 0, already there 5\n"
        assert len(json.loads(_run("log", "--json").stdout)) == 5
        monkeypatch.setenv("CALMFLOW_HOME", str(db.parent))
    # Into the log it came from: all there already.
    assert _run("import", str(exported)).stdout == "added 0, already there 5\n"


def test_import_never_changes_a_session_already_in_the_log(db: Path, tmp_path: Path) -> None:
    before = _dump(db)
    document = json.loads(_exported(tmp_path).read_text(encoding="utf-8"))
    # The same session (by uuid) with other values, and one new session.
    document["sessions"][0]["notes"] = "changed elsewhere"
    document["sessions"][0]["letdowns"] = []
    new = json.loads(json.dumps(document["sessions"][1]))
    new["uuid"] = "7f0c3c56-4d1a-4b54-8a34-0a4f3b6c2e99"
    document["sessions"].append(new)
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document), encoding="utf-8")

    result = _run("import", str(changed))
    assert result.stdout == "added 1, already there 5\n"
    after = _dump(db)
    assert [s for s in after if s["uuid"] != new["uuid"]] == before
    (added,) = [s for s in after if s["uuid"] == new["uuid"]]
    assert added["letdowns"] == before[1]["letdowns"]


def _bad_files(tmp_path: Path, good: dict[str, Any], csv_text: str) -> list[tuple[Path, str]]:
    def written(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    wrong_format = {**good, "format": "other"}
    wrong_version = {**good, "version": 9}
    missing = json.loads(json.dumps(good))
    del missing["sessions"][2]["status"]
    bad_value = json.loads(json.dumps(good))
    bad_value["sessions"][3]["letdowns"] = [dict(good["sessions"][0]["letdowns"][0], t_s="soon")]
    lines = csv_text.split("\r\n")
    lines[3] = lines[3].replace("interrupted", "stopped")
    return [
        (written("not.json", "{not json"), "not JSON (line 1, column 2"),
        (written("format.json", json.dumps(wrong_format)), "not a calmflow export"),
        (written("version.json", json.dumps(wrong_version)), "version 9: made by a newer"),
        (written("missing.json", json.dumps(missing)), "sessions[2]: missing field status"),
        (written("value.json", json.dumps(bad_value)), "sessions[3].letdowns[0].t_s: expected"),
        (written("row.csv", "\r\n".join(lines)), "line 5, column status: expected one of"),
        (written("latin1.csv", "start,é".encode("latin-1")), "not UTF-8 text"),
    ]


def test_a_bad_file_imports_nothing_and_says_where_in_one_line(db: Path, tmp_path: Path) -> None:
    good = json.loads(_exported(tmp_path).read_text(encoding="utf-8"))
    csv_text = _exported(tmp_path, "csv").read_bytes().decode("utf-8")
    # Into an empty log, so that the good sessions before the bad one would show.
    empty = tmp_path / "empty-home"
    for path, place in _bad_files(tmp_path, good, csv_text):
        result = CliRunner().invoke(main, ["import", str(path)], env={"CALMFLOW_HOME": str(empty)})
        assert result.exit_code == 1, (path, result.output)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith(f"calmflow: {path}: ")
        assert place in result.stderr, result.stderr
        assert "nothing was imported" in result.stderr
        log = _run_in(empty, "log", "--json")
        assert json.loads(log.stdout) == []


def _run_in(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"CALMFLOW_HOME": str(home)})


def test_importing_a_file_that_is_not_there_says_so(home: Path) -> None:
    result = _run("import", str(home / "nope.json"))
    assert result.exit_code == 1
    assert result.stderr == f"calmflow: {home / 'nope.json'}: no such file\n"


# --- log, and log add -----------------------------------------------------------------------------


def test_log_add_is_stored_and_listed(home: Path) -> None:
    with local_zone("Europe/Paris"):
        result = _run(
            "log", "add", "--at", "2025-11-23 14:05", "--minutes", "20", "--left", "60",
            "--right", "55", "--letdowns", "2", "--notes", "après le bain",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        logged, label, guidance = result.stdout.splitlines()  # the milk label: test_label_cli.py
        assert logged == (
            "Logged a session pumped without calmflow: 2025-11-23 14:05, 20 min, 115 ml, "
            "2 let-downs."
        )
        assert label.startswith("Pumped Sun 23 Nov 14:05 · ")
        assert guidance.startswith("storage guidance: CDC")
        (shown,) = json.loads(_run("log", "--json").stdout)
        text = _run("log").stdout
    assert shown["started_at"] == "2025-11-23T13:05:00+00:00"
    assert shown["ended_at"] == "2025-11-23T13:25:00+00:00"
    assert (shown["routine"], shown["status"], shown["output"]) == ("manual", "completed", "manual")
    assert (shown["volume_left_ml"], shown["volume_right_ml"], shown["volume_total_ml"]) == (
        60.0,
        55.0,
        115.0,
    )
    assert (shown["volume_unit"], shown["notes"]) == ("ml", "après le bain")
    assert (shown["counted_letdowns"], shown["letdowns"]) == (2, [])
    assert "2025-11-23 14:05  manual" in text and "2 let-downs" in text


def test_log_add_uses_the_unit_used_last(home: Path) -> None:
    assert _run("log", "add", "--total", "3", "--unit", "oz").exit_code == 0
    assert _run("log", "add", "--total", "2").exit_code == 0
    first, second = json.loads(_run("log", "--json").stdout)
    assert (second["volume_unit"], second["volume_total_ml"]) == ("oz", 59.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "last night"], "calmflow: --at 'last night': give a date and time"),
        (["--at", "2999-01-01 10:00"], "calmflow: 2999-01-01 10:00 is still to come"),
        (["--total", "5000"], "calmflow: a volume of 5000 ml cannot be right"),
    ],
)
def test_log_add_refuses_what_cannot_be_right(home: Path, args: list[str], message: str) -> None:
    result = _run("log", "add", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert not (home / "calmflow.sqlite3").exists() or _dump(home / "calmflow.sqlite3") == []


def test_bare_log_still_lists_sessions(db: Path) -> None:
    shown = json.loads(_run("log", "--json").stdout)
    assert [s["routine"] for s in shown] == ["standard", "calm", "standard", "manual", "standard"]
    assert shown[3]["counted_letdowns"] == 2
    text = _run("log").stdout
    assert len(text.splitlines()) == 5
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 5
    conn.close()
