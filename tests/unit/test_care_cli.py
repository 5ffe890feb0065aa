"""`calmflow fit`, `calmflow parts` and the pump-care line after a session, with a
controlled clock."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calmflow import cli
from calmflow.cli import play
from calmflow.core.records import AfterSession
from calmflow.store.store import Store
from tests.unit.cli_clock import Clock, clocked_cli


@pytest.fixture
def clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return clocked_cli(home, monkeypatch)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args))


def _session(home: Path, clock: Clock, comfort: int | None = None) -> int:
    store = Store(home / "calmflow.sqlite3", clock=clock)
    sid = store.start_session(
        routine="standard", routine_path=None, routine_digest=None, planned_s=1200, output="null"
    )
    clock.now += timedelta(minutes=20)
    store.end_session(sid, status="completed", played_s=1200)
    if comfort is not None:
        store.save_form(sid, AfterSession(comfort=comfort))
    store.close()
    return sid


def test_fit_records_each_side_and_shows_both_rules(home, clock, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    done = _run("fit", "--left", "18", "--right", "19.5")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == "Recorded: left 18 mm, right 19.5 mm."
    assert "Left, 18 mm (measured 2026-11-10):" in lines
    assert "  - by the classic rule, nipple + 2–4 mm (20–22 mm): 21 mm" in lines
    # below the common 21 mm: the inserts and small flanges that exist
    assert (
        "  - by the newer smaller-fit practice, nipple + 0–2 mm (18–20 mm):"
        " 19 mm (an insert or a small flange)"
    ) in lines
    assert any("(21.5–23.5 mm): between 21 and 24 mm" in line for line in lines)
    assert "The two sides suit different sizes" in done.output
    assert "Little or none of the areola is drawn into the tunnel." in done.output
    assert "your size" not in done.output.lower()
    data = json.loads(_run("fit", "--json").output)
    assert data["sides"]["left"]["mm"] == 18
    assert [r["sizes_mm"] for r in data["sides"]["right"]["ranges"]] == [[], [21]]
    assert [r["beyond"] for r in data["sides"]["right"]["ranges"]] == ["between", None]
    assert data["remeasure"]["due"] is False


def test_both_sides_fitting_the_same_sizes_are_said_once(home, clock, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    done = _run("fit", "--left", "18", "--right", "18.5")  # both: 21 mm, or 19 mm
    assert "Both sides (left 18 mm, right 18.5 mm, measured 2026-11-10)" in done.output
    assert "Left, " not in done.output and "Right, " not in done.output
    assert "different sizes" not in done.output
    done = _run("fit", "--left", "19", "--right", "19.5")  # 21, or 19 or 21 / between, or 21
    assert "Both sides" not in done.output and "different sizes" in done.output
    done = _run("fit", "--both", "18")
    assert "Both sides (18 mm, measured 2026-11-10) suit the same flange sizes" in done.output
    assert "  - by the classic rule, nipple + 2–4 mm: 21 mm" in done.output.splitlines()


def test_bullets_wrap_under_their_text(home, clock, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    lines = _run("fit", "--left", "18").output.splitlines()
    assert all(len(line) <= 49 for line in lines)
    start = lines.index(next(line for line in lines if line.startswith("  - The nipple sits")))
    assert lines[start + 1].startswith("    ") and lines[start + 1][4] != " "
    assert lines[start + 2].startswith(("    ", "  - "))


def test_fit_with_nothing_measured_says_how(home, clock):
    done = _run("fit")
    assert done.exit_code == 0
    assert done.output.startswith("No measurement yet. Measure across the base of the nipple")
    data = json.loads(_run("fit", "--json").output)
    assert data["sides"] == {"left": None, "right": None}


def test_fit_reminds_to_measure_again_after_six_weeks(home, clock):
    _run("fit", "--both", "20")
    clock.now += timedelta(weeks=6)
    done = _run("fit")
    assert "It has been 6 weeks since you measured." in done.output
    data = json.loads(_run("fit", "--json").output)
    assert data["remeasure"]["time_due"] is True and data["remeasure"]["remeasure_after_days"] == 42
    _run("fit", "--both", "20")
    assert "since you measured" not in _run("fit").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "--left", "-3"], "calmflow: --left: a measurement of -3 mm cannot be right"),
        (["fit", "--both", "0"], "calmflow: --both: a measurement of 0 mm cannot be right"),
        (["fit", "--right", "80"], "measure across the base of the nipple only"),
        (["fit", "--both", "18", "--left", "18"], "calmflow: give --both, or --left and --right"),
        (["parts", "add", "pump"], "calmflow: 'pump' is not a part calmflow knows; the kinds are"),
        (["parts", "add", "tubing", "--every", "-5"], "calmflow: --every: an interval of -5 days"),
        (["parts", "add", "tubing", "--fitted", "2026-12-01"], "that day is still to come"),
        (["parts", "add", "tubing", "--fitted", "last week"], "give a date such as 2026-11-01"),
        (["parts", "replaced", "7"], "calmflow: there is no part 7; `calmflow parts` lists them"),
        (["parts", "replaced", "tubing"], "calmflow: no tubing are listed"),
        (["parts", "remove", "one"], "calmflow: 'one': give the part's id"),
        (["parts", "every", "1", "weekly"], "calmflow: 'weekly': give a number of days"),
    ],
)
def test_bad_input_is_one_clear_line(home, clock, args, message):
    done = _run(*args)
    assert done.exit_code == 1, done.output
    assert message in done.output
    assert len(done.output.strip().splitlines()) == 1
    assert "Traceback" not in done.output


def test_parts_due_by_days_and_replaced(home, clock):
    assert _run("parts", "add", "duckbills", "--fitted", "2026-09-01").exit_code == 0
    done = _run("parts", "add", "tubing", "--label", "spare", "--fitted", "yesterday")
    assert done.output.splitlines()[1] == (
        "  2  tubing (spare): 1 day and 0 sessions since fitted; due in 89 days;"
        " at once if there is mould or water in it."
    )
    listed = _run("parts").output.splitlines()
    assert listed[0] == (
        "  1  duckbill valves: 70 days and 0 sessions since fitted;"
        " due: 14 days past its 56-day interval."
    )
    assert listed[-1].startswith("Worn parts lose suction.")
    data = json.loads(_run("parts", "--json").output)
    assert [(p["id"], p["due"], p["due_by"], p["over"]) for p in data] == [
        (1, True, "days", 14),
        (2, False, None, 0),
    ]
    done = _run("parts", "replaced", "duckbill")
    assert done.exit_code == 0, done.output
    assert "duckbill valves: 0 days and 0 sessions since fitted; due in 56 days." in done.output
    data = json.loads(_run("parts", "--json").output)
    assert (data[0]["due"], data[0]["fittings"], data[0]["days_left"]) == (False, 2, 56)


def test_parts_due_by_sessions(home, clock):
    _run("parts", "add", "valve-membrane")
    for _ in range(112):
        _session(home, clock)
        clock.now += timedelta(hours=2, minutes=40)  # 8 a day
    data = json.loads(_run("parts", "--json").output)
    assert (data[0]["sessions_since"], data[0]["due_by"], data[0]["over"]) == (112, "sessions", 0)
    assert "due: reached its 112-session interval" in _run("parts").output


def test_an_interval_of_your_own(home, clock):
    _run("parts", "add", "flange", "--every", "30", "--fitted", "2026-10-11")
    assert "due: reached its 30-day interval (your interval)" in _run("parts").output
    assert _run("parts", "every", "1", "default").exit_code == 0
    assert "due in 152 days; at once if cracked." in _run("parts").output


def test_two_of_a_kind_are_told_apart_by_id(home, clock):
    _run("parts", "add", "duckbill", "--label", "set A")
    _run("parts", "add", "duckbill", "--label", "set B")
    done = _run("parts", "replaced", "duckbill")
    assert done.exit_code == 1
    assert "calmflow: 2 parts are duckbill valves (ids 1, 2): say which by its id" in done.output
    assert _run("parts", "replaced", "2").exit_code == 0
    assert _run("parts", "remove", "1").output == "Part 1 is no longer tracked.\n"
    assert [p["label"] for p in json.loads(_run("parts", "--json").output)] == ["set B"]


def test_no_parts_yet(home, clock):
    assert _run("parts").output.startswith("No parts yet. Add the ones you use")
    assert json.loads(_run("parts", "--json").output) == []


def _summary(home: Path, clock: Clock, sid: int, capsys: pytest.CaptureFixture[str]) -> list[str]:
    store = Store(home / "calmflow.sqlite3", clock=clock)
    play._print_session_summary(store, sid)
    store.close()
    return capsys.readouterr().out.splitlines()


def test_the_end_of_a_session_says_a_due_part_once(home, clock, capsys):
    sid = _session(home, clock, comfort=4)
    assert [line for line in _summary(home, clock, sid, capsys) if "Pump care" in line] == []
    _run("parts", "add", "duckbill", "--fitted", "2026-08-01")
    _run("parts", "add", "tubing", "--fitted", "2026-11-01")
    sid = _session(home, clock, comfort=4)
    lines = _summary(home, clock, sid, capsys)
    care = [line for line in lines if line.startswith("Pump care")]
    assert care == [
        "Pump care: the duckbill valves may be due for replacing, as worn parts lose suction"
        " (`calmflow parts`)."
    ]
    assert lines[-1] == care[0]
    _run("parts", "replaced", "duckbill")
    sid = _session(home, clock, comfort=4)
    assert not any("Pump care" in line for line in _summary(home, clock, sid, capsys))


def test_the_end_of_a_session_suggests_a_fit_check_when_comfort_falls(home, clock, capsys):
    _run("fit", "--both", "18")
    for comfort in (3, 2, 2, 1, 2):  # the last five: a mean of 2
        sid = _session(home, clock, comfort=comfort)
    lines = _summary(home, clock, sid, capsys)
    assert lines[-1] == (
        "Pump care: comfort has been low lately, so a flange-fit check may help (`calmflow fit`)."
    )
    assert "Comfort has been low over your last sessions" in _run("fit").output
    sid = _session(home, clock, comfort=1)
    assert "pumping should not hurt" in _summary(home, clock, sid, capsys)[-1]
    # Measured again: the ratings before it no longer count.
    _run("fit", "--both", "18")
    sid = _session(home, clock, comfort=4)
    assert not any("Pump care" in line for line in _summary(home, clock, sid, capsys))
