"""Flange sizes to try, the re-measure reminder and part intervals (calmflow.core.fit and calmflow.core.parts)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from calmflow.core.fit import (
    CLASSIC,
    REMEASURE_AFTER,
    SMALLER_FIT,
    Measurement,
    check_nipple_mm,
    comfort_fell,
    fit_reminder,
    same_sizes,
    size_range,
    size_ranges,
)
from calmflow.core.parts import (
    Part,
    care_line,
    check_interval_days,
    part_kind,
    part_status,
    sessions_per_day,
)

TZ = timezone(timedelta(hours=-5))
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)


def _sizes(mm: float) -> dict[str, tuple[tuple[int, ...], str, tuple[int, ...]]]:
    return {r.rule: (r.sizes_mm, r.beyond, r.nearest_mm) for r in size_ranges(mm)}


# --- sizes to try ------------------------------------------------------------------


def test_both_rules_are_shown_as_ranges_classic_first():
    classic, smaller = size_ranges(22)
    assert (classic.rule, classic.low_mm, classic.high_mm) == ("classic", 24, 26)
    assert (smaller.rule, smaller.low_mm, smaller.high_mm) == ("smaller-fit", 22, 24)
    assert classic.sizes_mm == (24,) and smaller.sizes_mm == (24,)
    assert "nipple + 2–4 mm" in classic.text() and "nipple + 0–2 mm" in smaller.text()


def test_a_range_touching_two_sizes_offers_both():
    # 25 mm: classic 27–29 (27), smaller-fit 25–27 (27); 20 mm: classic 22–24 (24),
    # smaller-fit 20–22 (21).
    assert _sizes(25)["classic"][0] == (27,)
    assert size_range(22, CLASSIC).sizes_mm == (24,)
    assert size_range(19, SMALLER_FIT).sizes_mm == (19, 21)  # an insert, or the flange
    # Exactly on the edges: 21 + 0 = 21 and 21 + 2 = 23, 24 lies outside.
    assert size_range(21, SMALLER_FIT).sizes_mm == (21,)
    assert size_range(24, SMALLER_FIT).sizes_mm == (24,)
    assert size_range(20, CLASSIC).sizes_mm == (24,)  # 22–24: 24 at the edge
    # A range of 2 mm holds at most two sizes: the inserts 2 mm apart, at its very edges.
    assert all(len(r.sizes_mm) <= 2 for mm in range(5, 46) for r in size_ranges(mm))
    assert all(
        len(r.sizes_mm) <= 1 for mm in range(20, 46) for r in size_ranges(mm)
    )  # the common sizes are 3 mm or more apart


def test_between_sizes_names_the_neighbours():
    sizes, beyond, nearest = _sizes(19.5)["classic"]  # 21.5–23.5
    assert (sizes, beyond, nearest) == ((), "between", (21, 24))
    assert "between 21 and 24 mm" in size_range(19.5, CLASSIC).text()
    assert _sizes(31)["classic"] == ((), "between", (30, 36))  # 33–35
    assert _sizes(31)["smaller-fit"] == ((), "between", (30, 36))  # 31–33


def test_a_small_nipple_is_offered_inserts_and_small_flanges_from_13_mm():
    assert _sizes(12)["classic"] == ((15,), "", ())  # 14–16
    assert _sizes(12)["smaller-fit"] == ((13,), "", ())  # 12–14
    assert size_range(12, CLASSIC).sizes_text() == "15 mm (an insert or a small flange)"
    assert size_range(13, CLASSIC).sizes_text() == "15 or 17 mm (inserts or small flanges)"
    assert size_range(17, CLASSIC).sizes_text() == "19 mm (an insert or a small flange) or 21 mm"
    # 18 mm: the classic rule reaches 21, the smaller-fit one an insert of 19.
    assert _sizes(18) == {"classic": ((21,), "", ()), "smaller-fit": ((19,), "", ())}
    # below every insert made
    assert _sizes(8) == {"classic": ((), "smaller", (13,)), "smaller-fit": ((), "smaller", (13,))}
    assert "smaller than the smallest inserts (13 mm)" in size_range(8, CLASSIC).text()


def test_both_sides_fit_the_same_sizes_when_both_rules_agree():
    assert same_sizes(18, 18.5)  # 21 mm, or 19 mm, for both
    assert not same_sizes(19, 20)  # 21 / 24 by the classic rule
    assert not same_sizes(19, 19.5)


def test_a_very_large_nipple_points_to_larger_sizes():
    assert _sizes(34)["classic"] == ((36,), "", ())
    assert _sizes(35)["classic"] == ((), "larger", (36,))  # 37–39
    assert _sizes(35)["smaller-fit"] == ((36,), "", ())  # 35–37
    assert "larger than the common sizes" in size_range(40, SMALLER_FIT).text()


def test_no_text_says_your_size():
    for mm in (8, 12, 18, 19.5, 22, 25, 31, 35, 40, 45):
        for r in size_ranges(mm):
            assert "your size" not in r.text().lower()


@pytest.mark.parametrize("mm", [-3, 0, 2, 60, float("nan")])
def test_a_measurement_that_cannot_be_right_is_refused(mm):
    with pytest.raises(ValueError, match="cannot be right"):
        check_nipple_mm(mm)


# --- measure again -------------------------------------------------------------------


def _measured(days_ago: float, left: float = 18, right: float = 18) -> dict[str, Measurement]:
    at = NOW - timedelta(days=days_ago)
    return {"left": Measurement("left", left, at), "right": Measurement("right", right, at)}


def test_measure_again_after_six_weeks():
    assert timedelta(weeks=6) == REMEASURE_AFTER
    assert not fit_reminder(_measured(41), [], NOW).due
    later = fit_reminder(_measured(42), [], NOW)
    assert later.due and later.time_due and later.comfort == ""
    assert later.lines() == [
        "It has been 6 weeks since you measured. Nipples can change size, so measuring"
        " again may be worth it."
    ]


def test_never_measured_is_not_nagged_about():
    assert not fit_reminder({}, [], NOW).due


@pytest.mark.parametrize(
    ("comforts", "fell"),
    [
        ([], ""),
        ([4, 4, 1], "pain"),  # the latest was painful
        ([1, 4], ""),  # pain earlier, comfortable since
        ([2, 2], ""),  # too few rated for a mean
        ([2, 2, 2], "low"),
        ([1, 1, 2, 2, 2, 3, 2], ""),  # the last five 2, 2, 2, 3, 2: 2.2, above the line
        ([4, 2, 2, 3, 3], ""),  # mean 2.8
        ([3, 2, 2, 2, 1, 2], "low"),  # last five 2,2,2,1,2 → 1.8
    ],
)
def test_comfort_falling(comforts, fell):
    assert comfort_fell(comforts) == fell


def test_comfort_falling_makes_the_fit_worth_checking_before_six_weeks():
    reminder = fit_reminder(_measured(3), [2, 1], NOW)
    assert reminder.due and not reminder.time_due and reminder.comfort == "pain"
    assert "Pumping should not hurt" in reminder.lines()[0]


# --- parts -------------------------------------------------------------------------


def _part(kind: str, days_ago: int, every: int | None = None) -> Part:
    return Part(1, kind, None, NOW - timedelta(days=days_ago), every)


def test_kinds_and_their_other_names():
    assert part_kind("Duckbills").kind == "duckbill"
    assert part_kind("valve + membrane".replace(" ", "")).kind == "valve-membrane"
    assert part_kind("backflow protectors").kind == "backflow"
    with pytest.raises(ValueError, match="'pump' is not a part calmflow knows; the kinds are"):
        part_kind("pump")
    with pytest.raises(ValueError, match="cannot be right"):
        check_interval_days(0)


def test_duckbills_last_four_weeks_at_three_sessions_a_day_eight_otherwise():
    heavy = part_status(_part("duckbill", 28), sessions_since=84, per_day=3.0, now=NOW, tz=TZ)
    assert (heavy.interval_days, heavy.interval_from, heavy.due_by, heavy.over) == (
        28,
        "heavy use",
        "days",
        0,
    )
    light = part_status(_part("duckbill", 28), sessions_since=56, per_day=2.0, now=NOW, tz=TZ)
    assert (light.interval_days, light.interval_from, light.due, light.over) == (
        56,
        "default",
        False,
        28,
    )
    late = part_status(_part("duckbill", 60), sessions_since=120, per_day=2.0, now=NOW, tz=TZ)
    assert (late.due_by, late.over) == ("days", 4)
    assert "due: 4 days past its 56-day interval" in late.text()
    just = part_status(_part("duckbill", 57), sessions_since=114, per_day=2.0, now=NOW, tz=TZ)
    assert "due: 1 day past its 56-day interval" in just.text()  # not "1 days"


def test_due_by_days_counts_local_calendar_days():
    # Fitted late yesterday evening (local), checked early this morning: one day.
    fitted = datetime(2026, 11, 19, 23, 30, tzinfo=TZ)
    status = part_status(
        Part(1, "tubing", None, fitted), sessions_since=0, per_day=0, now=NOW, tz=TZ
    )
    assert status.days_since == 1
    on_day = part_status(
        Part(1, "tubing", None, NOW - timedelta(days=90)),
        sessions_since=0,
        per_day=0,
        now=NOW,
        tz=TZ,
    )
    assert on_day.due_by == "days" and on_day.over == 0
    assert "due: reached its 90-day interval" in on_day.text()
    day_before = part_status(
        Part(1, "tubing", None, NOW - timedelta(days=89)),
        sessions_since=0,
        per_day=0,
        now=NOW,
        tz=TZ,
    )
    assert not day_before.due and day_before.over == 1
    assert day_before.text().endswith("due in 1 day")


def test_due_by_sessions_before_the_days():
    # Valve + membrane: 8 weeks or 112 sessions, whichever first (8 a day → 2 weeks).
    early = part_status(_part("valve-membrane", 14), sessions_since=111, per_day=8, now=NOW, tz=TZ)
    assert not early.due
    assert "due in 42 days or 1 session, whichever comes first" in early.text()
    due = part_status(_part("valve-membrane", 15), sessions_since=120, per_day=8, now=NOW, tz=TZ)
    assert (due.due_by, due.over) == ("sessions", 8)
    assert "due: 8 sessions past its 112-session interval" in due.text()
    # Light use: the days come first.
    light = part_status(_part("valve-membrane", 56), sessions_since=100, per_day=2, now=NOW, tz=TZ)
    assert light.due_by == "days"


def test_an_interval_of_your_own_replaces_the_defaults():
    mine = part_status(
        _part("duckbill", 20, every=21), sessions_since=200, per_day=8, now=NOW, tz=TZ
    )
    assert (mine.interval_days, mine.interval_sessions, mine.interval_from) == (21, None, "yours")
    assert not mine.due and mine.over == 1
    mine = part_status(
        _part("valve-membrane", 3, every=21), sessions_since=500, per_day=8, now=NOW, tz=TZ
    )
    assert not mine.due  # your interval in days is the only one then


def test_sessions_per_day_over_two_weeks_or_since_the_first():
    starts = [NOW - timedelta(hours=8 * i + 1) for i in range(60)]  # 3 a day for 20 days
    assert sessions_per_day(starts, NOW, starts[-1]) == pytest.approx(42 / 14)
    # Logging began 2 days ago: 6 sessions over 2 days, not over 14.
    recent = starts[:6]
    assert sessions_per_day(recent, NOW, recent[-1]) == pytest.approx(6 / (41 / 24))
    assert sessions_per_day([], NOW) == 0.0
    assert sessions_per_day([NOW], NOW) == 1.0  # a first session today: at least a day


def test_the_end_of_session_line():
    due = part_status(_part("duckbill", 70), sessions_since=0, per_day=1, now=NOW, tz=TZ)
    assert care_line([], "") is None
    assert care_line([due], "") == (
        "Pump care: the duckbill valves may be due for replacing, as worn parts lose suction"
        " (`calmflow parts`)."
    )
    both = care_line([due, due], "low")
    assert both is not None and both.count("\n") == 0
    assert "some parts may be due for replacing (duckbill valves, duckbill valves)" in both
    assert "comfort has been low lately, so a flange-fit check may help" in both
    assert "pumping should not hurt" in (care_line([], "pain") or "")


def test_the_care_core_imports_nothing_heavy():
    code = (
        "import json, sys, calmflow.core.fit, calmflow.core.parts\n"
        "print(json.dumps(sorted(m for m in ('numpy', 'scipy', 'textual', 'sounddevice',"
        " 'pydantic', 'yaml', 'sqlite3', 'click') if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
