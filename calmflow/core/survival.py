"""The few statistics the review needs, in plain Python, checked against scipy.stats.

- `wilson`: the Wilson score interval of a proportion (what
  `scipy.stats.binomtest(k, n).proportion_ci(method="wilson")` gives);
- `KaplanMeier`: the survival curve of time to the first let-down, where a
  session that ended without one is censored at its length (what
  `scipy.stats.ecdf(CensoredData(...)).sf` gives), with the "log-log"
  (exponential Greenwood) pointwise interval;
- `logrank`: the two-sided log-rank test of two such samples (what
  `scipy.stats.logrank` gives).

Why not scipy itself: importing scipy.stats takes 0.8 to 1.8 s on the machines
calmflow runs on, longer than the whole review may take (benchmarks/
review_speed.py: under 1 s for 20,000 sessions). tests/unit/test_survival.py
checks every function here against scipy.stats on random samples, ties and
censoring included.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

HALF = Fraction(1, 2)
NEAR_HALF = 1e-9
"""Far more than a running product of a few thousand factors can drift, far less
than any two values of a curve of fewer than a billion sessions stand apart."""
Z_95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""


def wilson(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The 95% Wilson score interval of k successes in n trials (n > 0)."""
    if n <= 0:
        raise ValueError("no trials")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class KaplanMeier:
    """A survival curve from event times and censoring times.

    `times` are the distinct times of the sample (events and censorings), and
    at each: `at_risk` (still without the event just before it), `events` (that
    happened at it) and `survival` (the share still without the event after it).
    """

    times: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    survival: tuple[float, ...]

    @classmethod
    def fit(cls, observed: Sequence[float], censored: Sequence[float]) -> KaplanMeier:
        """`observed`: times at which the event came; `censored`: times at which
        watching stopped without it."""
        died = Counter(observed)
        lost = Counter(censored)
        times = sorted(died.keys() | lost.keys())
        at_risk: list[int] = []
        events: list[int] = []
        survival: list[float] = []
        remaining = len(observed) + len(censored)
        s = 1.0
        for t in times:
            d = died.get(t, 0)
            s *= (remaining - d) / remaining
            at_risk.append(remaining)
            events.append(d)
            survival.append(s)
            remaining -= d + lost.get(t, 0)
        return cls(tuple(times), tuple(at_risk), tuple(events), tuple(survival))

    @property
    def sessions(self) -> int:
        return self.at_risk[0] if self.at_risk else 0

    def interval(self, z: float = Z_95) -> list[tuple[float, float]]:
        """The pointwise "log-log" interval of the survival at each time, as
        scipy's `confidence_interval(method="log-log")` (NaN where undefined)."""
        return list(self._bands(z))

    def _bands(self, z: float = Z_95) -> Iterator[tuple[float, float]]:
        greenwood = 0.0
        for n, d, s in zip(self.at_risk, self.events, self.survival, strict=True):
            greenwood = greenwood + d / (n * (n - d)) if n > d else math.inf
            if s <= 0.0 or s >= 1.0 or math.isinf(greenwood):
                yield math.nan, math.nan
                continue
            se = math.sqrt(greenwood) / abs(math.log(s))
            centre = math.log(-math.log(s))
            yield math.exp(-math.exp(centre + z * se)), math.exp(-math.exp(centre - z * se))

    def median(self) -> float | None:
        """The median time to the event: the first time the curve is at or below
        one half (lifelines' and scipy's convention); None when it never is.

        The curve is a running product of floats, which can land a hair above one
        half where the exact value is one half (200/400 comes out 0.5000000000000001),
        so a value that close is settled in exact fractions."""
        for i, t in enumerate(self.times):
            if self._at_or_below_half(i):
                return t
        return None

    def _at_or_below_half(self, i: int) -> bool:
        s = self.survival[i]
        if abs(s - 0.5) > NEAR_HALF:
            return s < 0.5
        exact = Fraction(1)
        for n, d in zip(self.at_risk[: i + 1], self.events[: i + 1], strict=True):
            exact *= Fraction(n - d, n)
        return exact <= HALF

    def median_interval(self) -> tuple[float | None, float | None]:
        """A 95% interval for the median: where the lower and upper bounds of
        the survival's interval first reach one half (Brookmeyer–Crowley style).
        None for a bound not reached (the upper one, with few let-downs)."""
        low = high = None
        for t, (lo, hi) in zip(self.times, self._bands(), strict=True):
            if low is None and lo <= 0.5:  # NaN compares False: undefined is skipped
                low = t
            if hi <= 0.5:
                high = t
                break  # the upper band is above the lower one: both are found
        return low, high

    def at_risk_at(self, t: float) -> int:
        """How many were still without the event just before `t`."""
        i = bisect_left(self.times, t)
        return self.at_risk[i] if i < len(self.at_risk) else 0


@dataclass(frozen=True)
class LogRank:
    statistic: float
    """Signed: below 0 when the first sample had fewer events than expected."""
    pvalue: float


def logrank(
    x_observed: Sequence[float],
    x_censored: Sequence[float],
    y_observed: Sequence[float],
    y_censored: Sequence[float],
) -> LogRank:
    """The two-sided log-rank test of two samples of times (as scipy.stats.logrank)."""
    both = KaplanMeier.fit([*x_observed, *y_observed], [*x_censored, *y_censored])
    x = KaplanMeier.fit(x_observed, x_censored)
    variance = 0.0
    expected_x = 0.0
    for t, n, d in zip(both.times, both.at_risk, both.events, strict=True):
        if d == 0:
            continue
        n_x = x.at_risk_at(t)
        n_y = n - n_x
        expected_x += n_x * d / n
        if n > 1:
            variance += n_x * n_y * d * (n - d) / (n * n * (n - 1))
    if variance <= 0:
        return LogRank(math.nan, math.nan)
    statistic = (len(x_observed) - expected_x) / math.sqrt(variance)
    return LogRank(statistic, math.erfc(abs(statistic) / math.sqrt(2)))
