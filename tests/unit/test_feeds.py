"""Breastfeeds, as a person logs them with `calmflow log feed` and meets them after:
in `calmflow log`, in the schedule (`next`, `next --json`), left out of the review
and of the CSV files, kept by the JSON export and put back by its import.

Commands run through click with calmflow's clock and zone set (cli_clock).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from calmflow.cli import main
from calmflow.core.feeds import Side
from calmflow.core.values import FEED_SIDES
from tests.unit.cli_clock import TZ, Clock, clocked_cli


@pytest.fixture
def clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return clocked_cli(home, monkeypatch)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def at(hh: int, mm: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


def a_day(clock: Clock, *, feeds: bool) -> None:
    """Five slots (06:00 to 18:00, every 3 h); three sessions pumped and logged, and,
    with `feeds`, a breastfeed at 09:20 (on time) and one at 15:50 (late)."""
    clock.now = at(5)
    ok("schedule", "--times", "06:00,09:00,12:00,15:00,18:00")
    clock.now = at(19)
    for when, ml, letdowns in (("06:05", "120", "2"), ("12:10", "90", "1"), ("18:00", "100", "3")):
        ok("log", "add", "--at", when, "--minutes", "20", "--total", ml, "--letdowns", letdowns)
    if feeds:
        ok("log", "feed", "--at", "09:20", "--minutes", "15", "--side", "left")
        ok("log", "feed", "--at", "15:50", "--side", "both")
    clock.now = at(19, 30)


def next_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok("next", "--json").stdout)
    return data


# --- the schedule and the review ---------------------------------------------------------


def test_a_day_of_three_sessions_and_two_feeds_misses_nothing(home: Path, clock: Clock) -> None:
    a_day(clock, feeds=True)

    data = next_json()
    assert data["missed_last_24h"] == []
    assert data["suggest_catch_up"] is False
    slots = {s["due"]: (s["state"], s["kept_by_kind"]) for s in data["slots"]}
    assert slots[at(6).isoformat()] == ("on time", "pumping")
    assert slots[at(9).isoformat()] == ("on time", "breastfeed")
    assert slots[at(15).isoformat()] == ("late", "breastfeed")  # 50 min: past the 45 min grace
    assert data["last_feed"] == at(15, 50).isoformat()
    assert data["last_session"] == at(18).isoformat()  # a feed is no pumping session
    said = ok("next").stdout
    assert "Missed" not in said and "catch-up" not in said


def test_without_the_feeds_the_same_day_misses_two_slots(home: Path, clock: Clock) -> None:
    a_day(clock, feeds=False)
    assert next_json()["missed_last_24h"] == [at(9).isoformat(), at(15).isoformat()]


def test_a_feed_after_a_missed_slot_takes_the_catch_up_away(home: Path, clock: Clock) -> None:
    clock.now = at(5)
    ok("schedule", "--times", "06:00,09:00,12:00")
    clock.now = at(10, 40)  # 09:00 missed: its grace is gone, and its window ended at 10:30
    ok("log", "add", "--at", "06:00", "--minutes", "20", "--total", "100")
    assert next_json()["suggest_catch_up"] is True
    said = ok("log", "feed").stdout
    assert said.startswith("Logged a breastfeed at 2026-11-10 10:40 (f1)")
    data = next_json()
    assert data["missed_last_24h"] == [at(9).isoformat()]  # missed it was: no feed in time
    assert data["suggest_catch_up"] is False  # but the milk was removed since
    assert "The last breastfeed began 0 min ago, at 10:40." in ok("next").stdout


def test_the_review_is_the_same_with_the_feeds_as_without(home: Path, clock: Clock) -> None:
    a_day(clock, feeds=True)
    with_feeds = json.loads(ok("review", "--json").stdout)
    for number in ("f1", "f2"):
        ok("log", "delete", number, "--yes")
    without = json.loads(ok("review", "--json").stdout)
    assert with_feeds == without
    assert with_feeds["sessions"] == 3


# --- log feed, log, log delete ---------------------------------------------------------------


def test_a_feed_is_logged_listed_among_sessions_and_deleted(home: Path, clock: Clock) -> None:
    clock.now = at(13)
    ok("log", "add", "--at", "08:00", "--minutes", "20", "--total", "100")
    said = ok("log", "feed", "--minutes", "15", "--side", "right").stdout
    assert said.startswith("Logged a breastfeed, right, 15 min at 2026-11-10 12:45 (f1)")
    ok("log", "feed", "--at", "2026-11-10 06:30")

    lines = ok("log").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["f2", "1", "f1"]  # by when each began
    assert lines[0] == "  f2  2026-11-10 06:30  breastfeed"
    assert lines[2] == "  f1  2026-11-10 12:45  breastfeed, right, 15 min"
    # `log --json` stays a list of sessions; the feeds have their own.
    assert [s["routine"] for s in json.loads(ok("log", "--json").stdout)] == ["manual"]
    feeds = json.loads(ok("log", "--feeds", "--json").stdout)
    assert [(f["id"], f["side"], f["started_at"]) for f in feeds] == [
        (2, None, "2026-11-10T05:30:00.000Z"),
        (1, "right", "2026-11-10T11:45:00.000Z"),
    ]
    assert feeds[1]["ended_at"] == "2026-11-10T12:00:00.000Z"

    assert ok("log", "delete", "f1", "--yes").stdout == (
        "Deleted f1 (breastfeed, right, 15 min, 2026-11-10 12:45).\n"
    )
    assert [f["id"] for f in json.loads(ok("log", "--feeds", "--json").stdout)] == [2]
    assert [s["id"] for s in json.loads(ok("log", "--json").stdout)] == [1]  # untouched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "last night"], "calmflow: --at 'last night': give a date and time"),
        (["--at", "2999-01-01 10:00"], "calmflow: 2999-01-01 10:00 is still to come"),
        (["--at", "1999-12-31 10:00"], "calmflow: 1999-12-31 09:00+00:00: expected a time from"),
        (["--side", "middle"], "calmflow: --side 'middle': give left, right or both"),
        (["--minutes", "0"], "calmflow: --minutes '0': give how many minutes it lasted"),
        (["--minutes", "many"], "calmflow: --minutes 'many': give how many minutes it lasted"),
    ],
)
def test_log_feed_refuses_what_cannot_be_right(
    home: Path, clock: Clock, args: list[str], message: str
) -> None:
    result = run("log", "feed", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert ok("log", "--feeds", "--json").stdout.strip() == "[]"


def test_delete_says_which_numbers_there_are(home: Path, clock: Clock) -> None:
    result = run("log", "delete", "f9", "--yes")
    assert (result.exit_code, result.stderr) == (
        1,
        "calmflow: there is no breastfeed f9: `calmflow log` lists them as f1, f2, ...\n",
    )
    result = run("log", "delete", "x1", "--yes")
    assert result.exit_code == 1
    assert "give a session's (12) or a feed's (f3)" in result.stderr


def test_the_sides_are_one_list() -> None:
    from typing import get_args

    assert get_args(Side) == FEED_SIDES


# --- export and import -------------------------------------------------------------------------


def test_the_json_export_keeps_the_feeds_and_import_puts_them_back(
    home: Path, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_day(clock, feeds=True)
    exported = tmp_path / "out.json"
    assert ok("export", "-o", str(exported)).stdout.startswith(
        "exported 3 sessions and 2 breastfeeds to"
    )
    document = json.loads(exported.read_text())
    assert document["version"] == 2
    assert [s["routine"] for s in document["sessions"]] == ["manual"] * 3  # no feed among them
    assert [(f["side"], f["source"]) for f in document["feeds"]] == [
        ("left", "calmflow"),
        ("both", "calmflow"),
    ]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    monkeypatch.setenv("CALMFLOW_HOME", str(elsewhere))
    assert ok("import", str(exported)).stdout == (
        "added 3, already there 0; breastfeeds added 2, already there 0\n"
    )
    assert ok("import", str(exported)).stdout == (
        "added 0, already there 3; breastfeeds added 0, already there 2\n"
    )
    again = tmp_path / "again.json"
    ok("export", "-o", str(again))
    assert again.read_text() == exported.read_text()  # lossless, byte for byte


def test_an_export_without_feeds_and_one_of_version_1_import(
    home: Path, clock: Clock, tmp_path: Path
) -> None:
    old = tmp_path / "old.json"
    old.write_text('{"format": "calmflow-export", "version": 1, "sessions": []}')
    assert ok("import", str(old)).stdout == "added 0, already there 0\n"


def test_a_bad_feed_in_a_file_imports_nothing_and_says_where(
    home: Path, clock: Clock, tmp_path: Path
) -> None:
    a_day(clock, feeds=True)
    document = json.loads(ok("export").stdout)
    document["feeds"][1]["ended_at"] = "2026-11-09T10:00:00.000Z"  # before it began
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    db = home / "calmflow.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM sessions")
        conn.execute("DELETE FROM feeds")
    conn.close()
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert result.stderr == (
        f"calmflow: {bad}: feeds[1].ended_at: before the feed starts; nothing was imported\n"
    )
    with sqlite3.connect(db) as conn:  # all or none: the sessions before it are not kept
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
    conn.close()


@pytest.mark.parametrize("fmt", ["csv", "babybuddy"])
def test_the_pumping_files_leave_feeds_out_and_say_how_many(
    home: Path, clock: Clock, fmt: str
) -> None:
    a_day(clock, feeds=True)
    result = ok("export", "--format", fmt, *(["--zone", "UTC"] if fmt == "babybuddy" else []))
    rows = result.stdout.strip().splitlines()
    assert len(rows) == 1 + 3  # the header and the three sessions
    assert "left out 2 breastfeeds: they are no pumping sessions (--format json keeps them)" in (
        result.stderr
    )


def test_a_pumping_file_says_nothing_of_feeds_when_there_are_none(home: Path, clock: Clock) -> None:
    clock.now = at(13)
    ok("log", "add", "--at", "08:00", "--minutes", "20", "--total", "100")
    assert "breastfeed" not in ok("export", "--format", "csv").stderr


def test_feeds_import_whatever_the_order_of_the_keys(
    home: Path, clock: Clock, tmp_path: Path
) -> None:
    a_day(clock, feeds=True)
    document = json.loads(ok("export").stdout)
    with sqlite3.connect(home / "calmflow.sqlite3") as conn:
        conn.execute("DELETE FROM feeds")
    conn.close()
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(document, sort_keys=True))  # "feeds" before "format"
    assert ok("import", str(path)).stdout == (
        "added 0, already there 3; breastfeeds added 2, already there 0\n"
    )
    path.write_text(json.dumps({"feeds": document["feeds"]}))
    result = run("import", str(path))
    assert result.exit_code == 1
    assert 'not a calmflow export: no "format"' in result.stderr
