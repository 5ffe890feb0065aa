"""`calmflow label`, and the label `calmflow log add` and `calmflow play` print after
a session with a volume, on a set clock in New York (which changes its clocks)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from calmflow.cli import main, play
from calmflow.core.records import AfterSession
from calmflow.store.store import Store
from calmflow.system import wallclock
from calmflow.text.milk_label import GUIDANCE

NEW_YORK = ZoneInfo("America/New_York")
README = Path(__file__).resolve().parents[2] / "README.md"

MARCH_LABEL = (
    "Pumped Fri 6 Mar 06:10 · room temperature until 10:10 · fridge until Tue 10 Mar 07:10"
    " · freezer best by 6 Sep 2026 (up to 6 Mar 2027)"
)
"""Pumped on the Friday before New York's clocks go forward: 96 hours later the
fridge's deadline shows an hour later on the clock."""


class _Now:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 12, 17, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> _Now:
    """Commands run now on 12 Dec 2026, in New York, on a 24-hour clock."""
    now = _Now()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    monkeypatch.setattr(wallclock, "now", now)
    monkeypatch.setattr(wallclock, "zone", lambda: NEW_YORK)
    monkeypatch.setattr(wallclock, "twelve_hour", lambda: False)
    return now


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_log_add_with_a_volume_prints_the_label_after_its_confirmation(clock) -> None:  # type: ignore[no-untyped-def]
    done = _run("log", "add", "--at", "2026-03-06 06:10", "--minutes", "20", "--total", "120")
    assert _lines(done) == [
        "Logged a session pumped without calmflow: 2026-03-06 06:10, 20 min, 120 ml.",
        MARCH_LABEL,
        GUIDANCE,
    ]
    assert done.stderr == ""


@pytest.mark.parametrize("volume", [[], ["--total", "0"]])
def test_log_add_without_milk_prints_no_label(clock, volume: list[str]) -> None:  # type: ignore[no-untyped-def]
    done = _run("log", "add", "--at", "2026-03-06 06:10", *volume)
    (line,) = _lines(done)
    assert line.startswith("Logged a session pumped without calmflow: 2026-03-06 06:10")


def test_label_prints_the_latest_session_with_a_volume_again(clock) -> None:  # type: ignore[no-untyped-def]
    _run("log", "add", "--at", "2026-01-31 21:45", "--left", "50")
    _run("log", "add", "--at", "2026-03-06 06:10", "--total", "4", "--unit", "oz")
    _run("log", "add", "--at", "2026-03-07 08:00")  # no volume: nothing to label
    assert _lines(_run("label")) == [MARCH_LABEL, GUIDANCE]
    assert _lines(_run("label", "1")) == [
        "Pumped Sat 31 Jan 21:45 · room temperature until Sun 1 Feb 01:45"
        " · fridge until Wed 4 Feb 21:45 · freezer best by 31 Jul 2026 (up to 31 Jan 2027)",
        GUIDANCE,
    ]


def test_label_json_gives_each_time_with_the_offset_of_the_persons_zone(clock) -> None:  # type: ignore[no-untyped-def]
    _run("log", "add", "--at", "2026-03-06 06:10", "--minutes", "20", "--total", "120")
    done = _run("label", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert shown == {
        "session": 1,
        "pumped": "2026-03-06T06:10:00-05:00",
        "room_until": "2026-03-06T10:10:00-05:00",
        "fridge_until": "2026-03-10T07:10:00-04:00",
        "freezer_best_by": "2026-09-06T06:10:00-04:00",
        "freezer_until": "2027-03-06T06:10:00-05:00",
        "source": (
            "CDC, Proper Storage and Preparation of Breast Milk; Academy of Breastfeeding"
            " Medicine Clinical Protocol #8 (2017)"
        ),
        "guidance": "guidance, not a safety guarantee",
    }
    pumped, fridge = (datetime.fromisoformat(shown[k]) for k in ("pumped", "fridge_until"))
    assert fridge - pumped == timedelta(hours=96)  # different offsets: compared as instants


def test_label_on_a_12_hour_clock(clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(wallclock, "twelve_hour", lambda: True)
    _run("log", "add", "--at", "2026-03-06 18:10", "--total", "90")
    (line, _) = _lines(_run("label"))
    assert line.startswith(
        "Pumped Fri 6 Mar 6:10 PM · room temperature until 10:10 PM · fridge until Tue 10 Mar 7:10 PM"
    )


def test_label_with_nothing_to_label_says_so_in_one_line(clock, home: Path) -> None:  # type: ignore[no-untyped-def]
    done = _run("label")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (
        "calmflow: no session with a volume to label yet: give one in the form after a"
        " session, or `calmflow log add --total 120`\n"
    )
    _run("log", "add", "--at", "2026-03-06 06:10")  # a session, but no volume
    assert _run("label").exit_code == 1
    missing = _run("label", "7")
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert (
        missing.stderr == "calmflow: there is no session 7: `calmflow log` lists them by number\n"
    )
    assert _run("label", "--json").exit_code == 1
    nothing = _run("label", "0")
    assert nothing.exit_code == 2 and "Traceback" not in nothing.output


def test_a_session_given_by_number_is_labelled_though_unmeasured(clock) -> None:  # type: ignore[no-untyped-def]
    _run("log", "add", "--at", "2026-03-06 06:10")
    assert _lines(_run("label", "1")) == [MARCH_LABEL, GUIDANCE]
    _run("log", "add", "--at", "2026-03-07 06:10", "--total", "0")
    zero = _run("label", "2")
    assert zero.exit_code == 1
    assert zero.stderr == "calmflow: session 2 gave no milk (0 ml): there is nothing to label\n"


def test_the_end_of_a_played_session_prints_the_label_when_the_form_gave_a_volume(
    home: Path, clock, capsys
) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 12, 6, 6, 10, tzinfo=NEW_YORK).astimezone(UTC)
    store = Store(home / "calmflow.sqlite3")
    measured, skipped = (
        store.start_session(
            routine="standard", routine_path=None, routine_digest=None, planned_s=60, output="null"
        )
        for _ in range(2)
    )
    clock.now += timedelta(minutes=20)
    for sid in (measured, skipped):
        store.end_session(sid, status="completed", played_s=60)
    store.save_form(measured, AfterSession.from_entry(60, 55, None, "ml"))
    play._print_session_summary(store, measured)
    play._print_session_summary(store, skipped)
    store.close()
    said = capsys.readouterr().out.splitlines()
    label = [i for i, line in enumerate(said) if line.startswith("Pumped ")]
    assert [said[i] for i in label] == [
        "Pumped Sun 6 Dec 06:10 · room temperature until 10:10 · fridge until Thu 10 Dec 06:10"
        " · freezer best by 6 Jun 2027 (up to 6 Dec 2027)"
    ]
    assert said[label[0] - 1].startswith("Session saved (1:00 played")
    assert said[label[0] + 1] == GUIDANCE
    assert sum(line.startswith("Session saved") for line in said) == 2


def test_the_readmes_example_is_what_calmflow_prints(clock) -> None:  # type: ignore[no-untyped-def]
    section = README.read_text(encoding="utf-8").split("## Labelling the milk", 1)[1]
    example = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert example is not None
    _run("log", "add", "--at", "2026-12-06 06:10", "--total", "120")
    assert _run("label").stdout == example.group(1)
