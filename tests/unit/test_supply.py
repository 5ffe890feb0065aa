"""The supply flag: a trend, never one low day, never with too few days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from calmflow.core.supply import DayTotal, daily_totals, supply_flag

TODAY = date(2026, 11, 23)
TZ = timezone(timedelta(hours=-5))


def days(values_oldest_first: list[float | None]) -> list[DayTotal]:
    """Totals for the days up to yesterday; None is a day with nothing logged."""
    n = len(values_oldest_first)
    return [
        DayTotal(TODAY - timedelta(days=n - i), v, 8)
        for i, v in enumerate(values_oldest_first)
        if v is not None
    ]


def test_a_real_drop_is_flagged_gently():
    flag = supply_flag(days([800.0] * 14 + [620.0, 640.0, 600.0]), TODAY)
    assert flag is not None
    assert (flag.recent_mean_ml, flag.baseline_median_ml) == (620.0, 800.0)
    assert flag.message.startswith(
        "The last 3 days averaged 620 ml a day, 78% of your usual 800 ml."
    )
    assert any("Flange fit" in line for line in flag.checklist)
    assert "lactation consultant" in flag.see_someone
    for word in ("diagnos", "warning", "danger", "problem"):
        assert word not in (flag.message + " ".join(flag.checklist)).lower()


def test_a_single_low_day_is_not_a_trend():
    assert supply_flag(days([800.0] * 14 + [800.0, 790.0, 420.0]), TODAY) is None


def test_too_few_days_logged_gives_no_flag():
    # Only 9 of the 14 baseline days have volumes.
    baseline = [800.0] * 9 + [None] * 5
    assert supply_flag(days(baseline + [500.0, 500.0, 500.0]), TODAY) is None
    # A recent day not logged: no flag either (not logging is not a drop).
    assert supply_flag(days([800.0] * 14 + [500.0, None, 500.0]), TODAY) is None


def test_just_above_the_line_is_not_flagged():
    # 85% of 800 is 680: a mean of exactly 680 is not below it.
    assert supply_flag(days([800.0] * 14 + [680.0, 680.0, 680.0]), TODAY) is None
    assert supply_flag(days([800.0] * 14 + [679.0, 679.0, 679.0]), TODAY) is not None


def test_daily_totals_by_local_day():
    late = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)  # 22:30 the day before, in TZ
    totals = daily_totals([(late, 90.0), (late + timedelta(hours=3), 60.5)], TZ)
    assert totals == [DayTotal(date(2026, 11, 21), 90.0, 1), DayTotal(date(2026, 11, 22), 60.5, 1)]
