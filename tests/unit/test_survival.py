"""calmflow's own statistics agree with scipy.stats, and with hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from calmflow.core.survival import KaplanMeier, logrank, wilson

# Whole seconds from a small range: ties between events and censorings are common,
# as they are in real sessions (every session without a let-down ends at its length).
times = st.lists(st.integers(min_value=1, max_value=30).map(float), min_size=0, max_size=25)


def _scipy_sf(observed, censored):
    return stats.ecdf(stats.CensoredData(uncensored=observed, right=censored)).sf


@pytest.mark.filterwarnings("ignore:The confidence interval is undefined")
@settings(max_examples=200, deadline=None)
@given(observed=times.filter(bool), censored=times)
def test_survival_and_its_interval_are_scipys(observed, censored):
    ours = KaplanMeier.fit(observed, censored)
    theirs = _scipy_sf(observed, censored)
    np.testing.assert_allclose(ours.times, theirs.quantiles)
    np.testing.assert_allclose(ours.survival, theirs.probabilities, atol=1e-12)
    with np.errstate(all="ignore"):
        ci = theirs.confidence_interval(method="log-log")
        low, high = ci.low.probabilities, ci.high.probabilities
    mine = ours.interval()
    for (lo, hi), s_lo, s_hi, s in zip(mine, low, high, ours.survival, strict=True):
        if 0 < s < 1 and not math.isnan(lo):
            assert lo == pytest.approx(s_lo, abs=1e-9)
            assert hi == pytest.approx(s_hi, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(xo=times, xc=times, yo=times, yc=times)
def test_logrank_is_scipys(xo, xc, yo, yc):
    if not (xo or xc) or not (yo or yc) or not (xo or yo):
        return
    ours = logrank(xo, xc, yo, yc)
    with np.errstate(all="ignore"):
        theirs = stats.logrank(
            stats.CensoredData(uncensored=xo, right=xc), stats.CensoredData(uncensored=yo, right=yc)
        )
    if math.isnan(ours.statistic):
        assert not np.isfinite(theirs.statistic)
    else:
        assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-9, abs=1e-12)
        assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=1, max_value=500), data=st.data())
def test_wilson_is_scipys(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_a_hand_worked_curve_with_censoring_and_a_tie():
    # Let-downs at 60, 90, 90 and 150 s; sessions without one ended at 90 and 120 s.
    km = KaplanMeier.fit([60, 90, 90, 150], [90, 120])
    assert km.times == (60, 90, 120, 150)
    assert km.at_risk == (6, 5, 2, 1)  # the session censored at 90 is still at risk at 90
    assert km.events == (1, 2, 0, 1)
    # 5/6, then 5/6 * 3/5 = 1/2, unchanged by the censoring at 120, then 0.
    assert km.survival == pytest.approx((5 / 6, 0.5, 0.5, 0.0))
    assert km.median() == 90  # the first time at or below one half


def test_no_letdowns_at_all_has_no_median():
    km = KaplanMeier.fit([], [600, 600, 900])
    assert km.survival == (1.0, 1.0)
    assert km.median() is None
    assert km.median_interval() == (None, None)


def test_one_session():
    km = KaplanMeier.fit([75], [])
    assert km.median() == 75
    assert km.sessions == 1


def test_wilson_by_hand():
    # 7 of 10: centre (0.7 + 1.92/10) / 1.384, half-width 1.96·√(0.021 + 0.00096)/1.384
    low, high = wilson(7, 10)
    assert (round(low, 3), round(high, 3)) == (0.397, 0.892)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0
