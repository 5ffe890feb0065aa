"""Experiments as n-of-1 trials (calmflow.core.trial) held against references
written here: the randomization test by brute
force (every allocation the design could have made), by sign flips of the
blocks' differences and by scipy's permutation test, the Monte-Carlo path
against the exact p of all 6^8 allocations, the permuted blocks against
chance, the progress and answer of `report`, and the effect's interval against
a brute-force inversion of the sign-flip test (and its agreement with the p).

Let-down times here are drawn from a continuous distribution (no two
allocations tie by accident); the one test with times in tenths of a second,
where different allocations tie exactly, checks that such ties count.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from calmflow.core.trial import (
    ANSWERED,
    EXACT_UP_TO,
    RESHUFFLES,
    RUNNING,
    Counted,
    InTrial,
    Trial,
    answer,
    arm_at,
    block_order,
    counted,
    next_place,
    report,
    seconds_words,
    verdict,
)

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
TIE = 1e-9
"""Relative tolerance of the references: a statistic within it of the observed
one counts as at least as large (a tie)."""


# --- references -----------------------------------------------------------------


def _restricted(sessions: Sequence[Counted]) -> list[float]:
    """Each session's time to its first let-down within tau, as the docstring says:
    tau is the shortest session without a let-down, or the latest first let-down
    when every session had one; a session without one counts as tau."""
    censored = [c.played for c in sessions if c.first is None]
    tau = min(censored) if censored else max(c.first for c in sessions if c.first is not None)
    return [tau if c.first is None else min(c.first, tau) for c in sessions]


def _compared(sessions: Sequence[Counted]) -> list[float]:
    """What the test compares, as the docstring says: the log of each restricted
    time, a second at least."""
    return [math.log(max(t, 1.0)) for t in _restricted(sessions)]


def _spread(values: np.ndarray, labels: Sequence[str], arms: Sequence[str]) -> float:
    """Between-arm sum of squares: sum over arms of n_a (mean_a - grand mean)^2."""
    grand = values.mean()
    out = 0.0
    for arm in arms:
        mine = values[[label == arm for label in labels]]
        if len(mine):
            out += len(mine) * (mine.mean() - grand) ** 2
    return float(out)


def _brute_force_p(
    values: Sequence[float],
    labels: Sequence[str],
    blocks: Sequence[Sequence[int]],
    arms: Sequence[str],
) -> float:
    """Every within-block permutation of the arm labels; the share whose spread is at
    least the observed one."""
    v = np.asarray(values, dtype=float)
    observed = _spread(v, labels, arms)
    orders = [list(dict.fromkeys(itertools.permutations(labels[i] for i in b))) for b in blocks]
    hits = total = 0
    for choice in itertools.product(*orders):
        shuffled = list(labels)
        for block, order in zip(blocks, choice, strict=True):
            for i, arm in zip(block, order, strict=True):
                shuffled[i] = arm
        total += 1
        hits += _spread(v, shuffled, arms) >= observed * (1 - TIE)
    return hits / total


def _sign_flip_p(diffs: Sequence[float]) -> float:
    """Two arms: the share of sign patterns of the blocks' differences whose mean is
    at least as far from 0 as the observed mean."""
    d = np.asarray(diffs, dtype=float)
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
    means = np.abs(signs @ d) / len(d)
    return float(np.mean(means >= abs(d.mean()) * (1 - TIE)))


def _experiment(
    seed: int,
    arms: Sequence[str],
    blocks: int,
    *,
    effect_s: float = 0.0,
    no_letdown: float = 0.15,
) -> list[Counted]:
    """Sessions allocated by the design (`arm_at`), times log-normal around 180 s;
    the last arm's let-downs come `effect_s` sooner (floor 5 s)."""
    rng = np.random.default_rng(seed)
    out = []
    for position in range(blocks * len(arms)):
        arm = arm_at(seed, arms, position)
        first: float | None = float(rng.lognormal(math.log(180.0), 0.6))
        if arm == arms[-1]:
            first = max(first - effect_s, 5.0)
        played = float(rng.uniform(900.0, 1200.0))
        if rng.random() < no_letdown or first > played:
            first = None
        out.append(Counted(position // len(arms), arm, first, played))
    return out


def _blocks_of(sessions: Sequence[Counted]) -> list[list[int]]:
    by_block: dict[int, list[int]] = {}
    for i, c in enumerate(sessions):
        by_block.setdefault(c.block, []).append(i)
    return list(by_block.values())


def _by_block(sessions: Sequence[Counted], values: Sequence[float], arm: str) -> np.ndarray:
    """The value of `arm`'s session in each block, in block order."""
    return np.array([values[i] for b in _blocks_of(sessions) for i in b if sessions[i].arm == arm])


# --- the randomization test ---------------------------------------------------------

SMALL = [(("rain", "piano"), blocks) for blocks in range(2, 11)] + [
    (("rain", "piano", "waves"), blocks) for blocks in range(2, 5)
]


@pytest.mark.parametrize(("arms", "blocks"), SMALL)
@pytest.mark.parametrize("effect_s", [0.0, 120.0])
def test_exact_p_is_the_brute_force_share_of_allocations(
    arms: tuple[str, ...], blocks: int, effect_s: float
) -> None:
    for seed in range(3):
        sessions = _experiment(1000 * blocks + seed, arms, blocks, effect_s=effect_s)
        labels = [c.arm for c in sessions]
        got = answer(sessions, arms, seed)
        n = math.factorial(len(arms)) ** blocks
        assert n <= EXACT_UP_TO
        assert got.method == f"exact ({n} allocations)"
        times = _compared(sessions)
        assert got.tau_s == max(_restricted(sessions))
        assert got.p_time == pytest.approx(
            _brute_force_p(times, labels, _blocks_of(sessions), arms), abs=1e-12
        )
        had = [0.0 if c.first is None else 1.0 for c in sessions]
        assert got.p_share == pytest.approx(
            _brute_force_p(had, labels, _blocks_of(sessions), arms), abs=1e-12
        )


@pytest.mark.parametrize("blocks", range(2, 11))
def test_two_arm_p_is_the_sign_flip_p_and_scipys_permutation_test(blocks: int) -> None:
    arms = ("rain", "piano")
    for seed in range(4):
        sessions = _experiment(50 * blocks + seed, arms, blocks, effect_s=60.0 * seed)
        times = _compared(sessions)
        x, y = _by_block(sessions, times, "rain"), _by_block(sessions, times, "piano")
        got = answer(sessions, arms, seed).p_time
        assert got == pytest.approx(_sign_flip_p(x - y), abs=1e-12)
        scipy_p = stats.permutation_test(
            (x, y),
            lambda a, b, axis: np.mean(a - b, axis=axis),
            permutation_type="samples",
            vectorized=True,
            n_resamples=np.inf,
            alternative="two-sided",
        ).pvalue
        assert got == pytest.approx(scipy_p, abs=1e-12)


def _exact_p_all_allocations(sessions: Sequence[Counted], arms: Sequence[str]) -> float:
    """The exact p of an experiment in which every block has each arm once, over every
    allocation (6^8 for three arms and eight blocks), in numpy: each arm's sum per
    allocation, built up block by block."""
    times = _compared(sessions)
    k = len(arms)
    sums = np.zeros((1, k))
    for block in _blocks_of(sessions):
        values = np.array([times[i] for i in block])
        orders = np.array(list(itertools.permutations(range(k))))  # arm index of each session
        adds = np.zeros((len(orders), k))
        for row, order in enumerate(orders):
            adds[row, order] = values
        sums = (sums[:, None, :] + adds[None, :, :]).reshape(-1, k)
    n = len(_blocks_of(sessions))
    means = sums / n
    grand = means.mean(axis=1, keepdims=True)
    spreads = n * ((means - grand) ** 2).sum(axis=1)
    labels = [c.arm for c in sessions]
    observed = _spread(np.asarray(times), labels, arms)
    return float(np.mean(spreads >= observed * (1 - TIE)))


@pytest.mark.parametrize("effect_s", [0.0, 80.0])
def test_reshuffled_p_is_reproducible_and_near_the_exact_p(effect_s: float) -> None:
    arms = ("rain", "piano", "waves")
    sessions = _experiment(7, arms, 8, effect_s=effect_s)
    assert math.factorial(3) ** 8 > EXACT_UP_TO
    first, again = answer(sessions, arms, 7), answer(sessions, arms, 7)
    assert first.method == f"{RESHUFFLES} reshuffles"
    assert (first.p_time, first.p_share) == (again.p_time, again.p_share)
    hits = first.p_time * (RESHUFFLES + 1) - 1
    assert hits == pytest.approx(round(hits), abs=1e-6)  # (hits + 1) / (RESHUFFLES + 1)
    exact = _exact_p_all_allocations(sessions, arms)
    standard_error = math.sqrt(exact * (1 - exact) / RESHUFFLES) + 1 / RESHUFFLES
    assert abs(first.p_time - exact) <= min(0.02, 4.5 * standard_error), (first.p_time, exact)


@pytest.mark.parametrize(
    "pairs",
    [
        [(100.0, 400.0), (800.0, 100.0), (400.0, 100.0)],  # whole seconds
        [(50.5, 202.0), (404.0, 50.5), (202.0, 50.5)],  # tenths
    ],
    ids=["seconds", "tenths"],
)
def test_allocations_that_tie_exactly_count(pairs: list[tuple[float, float]]) -> None:
    """Times a quarter, eight and four times as long (log differences -2, +3, +2
    times log 2): an allocation that ties the observed one (not only its mirror
    image) counts as at least as large, though the logs are rounded."""
    sessions = [
        Counted(b, arm, t, 900.0)
        for b, pair in enumerate(pairs)
        for arm, t in zip(("a", "b"), pair, strict=True)
    ]
    # |+-2 +-3 +-2| >= 3 for 6 of the 8 sign patterns (+2 +3 -2 ties).
    d = [-2, 3, 2]
    exact = (
        sum(
            abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= abs(sum(d))
            for signs in itertools.product((1, -1), repeat=3)
        )
        / 8
    )
    assert exact == 0.75
    assert answer(sessions, ("a", "b"), 0).p_time == exact


# --- permuted blocks --------------------------------------------------------------


@pytest.mark.parametrize(
    "arms", [("rain", "piano"), ("rain", "piano", "waves"), ("a", "b", "c", "d")]
)
def test_each_block_gives_every_arm_once_and_arm_at_follows_the_blocks(
    arms: tuple[str, ...],
) -> None:
    for seed in range(100):
        for block in range(10):
            order = block_order(seed, arms, block)
            assert sorted(order) == sorted(arms)
            assert order == block_order(seed, arms, block)  # drawn again from the seed
            for place, arm in enumerate(order):
                assert arm_at(seed, arms, block * len(arms) + place) == arm


def test_each_arm_comes_first_about_equally_often_over_seeds() -> None:
    two = Counter(block_order(seed, ("rain", "piano"), 0)[0] for seed in range(4000))
    assert stats.chisquare(list(two.values())).pvalue > 0.001, two
    assert len(two) == 2
    three = Counter(tuple(block_order(seed, ("a", "b", "c"), 0)) for seed in range(6000))
    assert len(three) == 6
    assert stats.chisquare(list(three.values())).pvalue > 0.001, three


def test_blocks_are_drawn_independently_not_alternated() -> None:
    """Within one experiment, the next block's first arm is no more predictable than
    a coin: it repeats the previous block's first arm about half the time, and the
    session after a block's end repeats its last arm about half the time."""
    arms = ("rain", "piano")
    firsts = [block_order(12345, arms, b)[0] for b in range(4000)]
    assert stats.chisquare(list(Counter(firsts).values())).pvalue > 0.001
    same = sum(a == b for a, b in itertools.pairwise(firsts))
    assert stats.binomtest(same, len(firsts) - 1).pvalue > 0.001, same
    across = sum(
        arm_at(seed, arms, 1) == arm_at(seed, arms, 2) for seed in range(4000)
    )  # block 0's last and block 1's first
    assert stats.binomtest(across, 4000).pvalue > 0.001, across


# --- report -----------------------------------------------------------------------


def _trial(arms: tuple[str, ...] = ("rain", "piano"), blocks: int = 8, seed: int = 42) -> Trial:
    return Trial(1, "standard", "music", arms, blocks, seed, START)


def _sessions(trial: Trial, n: int, times: dict[str, float]) -> list[InTrial]:
    """The first `n` sessions as the design allocates them, each arm's let-down at its
    time plus a few seconds that differ from block to block."""
    out: list[InTrial] = []
    for position in range(n):
        arm = arm_at(trial.seed, trial.arms, position)
        out.append((position, arm, times[arm] + 7.0 * (position % 5), 900.0))
    return out


def test_progress_while_blocks_remain() -> None:
    trial = _trial()
    r = report(trial, _sessions(trial, 5, {"rain": 100.0, "piano": 300.0}))
    assert r.state == RUNNING and r.answer is None
    assert (r.blocks_done, r.sessions_counted, r.blocks_planned) == (2, 5, 8)
    assert "block 3 of 8" in r.sentence
    assert r.sentence == (
        "Experiment in standard (rain or piano): block 3 of 8; the answer comes when all 8"
        " are done (11 more sessions)."
    )


def test_no_answer_until_every_planned_block_is_complete() -> None:
    trial = _trial()
    times = {"rain": 100.0, "piano": 300.0}
    for n in range(16):
        r = report(trial, _sessions(trial, n, times))
        assert r.state == RUNNING and r.answer is None, n
        assert f"block {n // 2 + 1} of 8" in r.sentence
    done = report(trial, _sessions(trial, 16, times))
    assert done.state == ANSWERED and done.answer is not None
    assert done.blocks_done == 8 and done.sessions_counted == 16
    a = done.answer
    assert a.method == "exact (256 allocations)"
    assert (a.best, a.runner_up) == ("rain", "piano")
    assert a.p_time == pytest.approx(2 / 256)  # only the allocation and its mirror
    assert a.found
    assert re.fullmatch(
        rf"With rain your let-down typically came {seconds_words(a.effect_s)} sooner than"
        r" with piano \((\d+ m )?\d+ s against (\d+ m )?\d+ s; (\d+ m )?\d+ s to (\d+ m )?\d+ s"
        r" sooner\); a difference this large came"
        r" up in fewer than 1 in 100 reshuffles: rain seems to help you\. Sessions with a"
        r" let-down: 8 of 8 with rain, 8 of 8 with piano\.",
        done.sentence,
    ), done.sentence
    assert 180.0 <= a.effect_s <= 220.0
    # Sessions beyond the plan do not change the answer.
    more = report(trial, _sessions(trial, 19, times))
    assert more.answer == a and more.blocks_done == 8 and more.sessions_counted == 19


def test_no_clear_difference_is_said_so() -> None:
    trial = _trial()
    r = report(trial, _sessions(trial, 16, {"rain": 200.0, "piano": 200.0}))
    assert r.state == ANSWERED
    assert r.sentence.startswith("No clear difference between rain and piano after 8 blocks:")
    assert "seems to help you" not in r.sentence


def test_a_session_with_another_arm_than_allocated_is_left_out() -> None:
    trial = _trial()
    sessions = _sessions(trial, 16, {"rain": 100.0, "piano": 300.0})
    due = arm_at(trial.seed, trial.arms, 5)
    other = next(arm for arm in trial.arms if arm != due)
    stray: InTrial = (5, other, 20.0, 900.0)  # another arm than its place's: outside the design
    with_stray = [*sessions[:5], stray, *sessions[5:]]
    assert counted(trial, with_stray) == counted(trial, sessions)
    assert len(counted(trial, with_stray)) == 16
    assert report(trial, with_stray) == report(trial, sessions)
    # While running too: the stray session does not move the progress on.
    assert report(trial, [*sessions[:5], stray]).sentence == report(trial, sessions[:5]).sentence


# --- the effect's interval ----------------------------------------------------------


def _flip_p(diffs: np.ndarray, shift: float) -> float:
    """The sign-flip p-value of the block differences less `shift`, by brute force."""
    x = diffs - shift
    signs = np.array(list(itertools.product((1, -1), repeat=len(x))))
    observed = abs(x.sum())
    return float(np.mean(np.abs(signs @ x) >= observed - TIE * max(observed, 1.0)))


@pytest.mark.parametrize("blocks", [6, 8, 10])
@pytest.mark.parametrize("arms", [("rain", "piano"), ("rain", "piano", "waves")])
def test_effect_interval_is_the_inverted_randomization_test(
    arms: tuple[str, ...], blocks: int
) -> None:
    for seed in range(5):
        sessions = _experiment(300 + seed, arms, blocks, effect_s=40.0 * seed)
        a = answer(sessions, arms, seed)
        times = _compared(sessions)
        diffs = _by_block(sessions, times, a.runner_up) - _by_block(sessions, times, a.best)
        # In seconds: the runner-up's typical (geometric mean) time less the best's.
        typical = {r.arm: r.typical_s for r in a.arms}
        runner_up = math.exp(float(np.mean(_by_block(sessions, times, a.runner_up))))
        assert typical[a.runner_up] == pytest.approx(runner_up, rel=1e-9)
        assert a.effect_s == pytest.approx(
            runner_up * (1 - math.exp(-float(np.mean(diffs)))), rel=1e-9, abs=1e-9
        )
        assert a.effect_interval is not None
        low_s, high_s = a.effect_interval
        assert low_s <= a.effect_s <= high_s
        # Back on the log scale the test works on: seconds sooner = typical (1 - e^-d).
        low, high = (-math.log(1 - x / runner_up) for x in (low_s, high_s))
        # Inside the edges the test does not reject; a little beyond them it does.
        for inside in (low + 1e-3, high - 1e-3):
            assert _flip_p(diffs, inside) >= 0.05
        for outside in (low - 0.01, high + 0.01):
            assert _flip_p(diffs, outside) < 0.05
        if len(arms) == 2:  # the same test as the answer's p: zero is out exactly when found
            assert (low > 0 or high < 0) == (a.p_time < 0.05)


def test_too_few_blocks_have_no_interval() -> None:
    # With 5 blocks even the two extreme flips come up in 2 of 32 (over 5%).
    a = answer(_experiment(2, ("rain", "piano"), 5), ("rain", "piano"), 2)
    assert a.effect_interval is None


def test_one_block_has_no_interval() -> None:
    a = answer(_experiment(1, ("rain", "piano"), 1), ("rain", "piano"), 1)
    assert a.effect_interval is None


# --- what a second read found ---------------------------------------------------------


def test_a_session_that_ended_early_without_a_letdown_does_not_count_nor_cut_tau() -> None:
    trial = _trial()
    sessions = _sessions(trial, 16, {"rain": 100.0, "piano": 300.0})
    crash: InTrial = (16, arm_at(trial.seed, trial.arms, 16), None, 3.0)  # cut off at 3 s
    assert 16 not in counted(trial, [*sessions, crash])
    early: InTrial = (2, sessions[2][1], None, 120.0)  # no let-down, ended at 2 minutes
    filled = counted(trial, [*sessions[:2], early, *sessions[3:]])
    assert 2 not in filled  # its place comes again
    done = report(trial, sessions)
    assert done.answer is not None and done.answer.tau_s >= 300.0


def test_a_place_freed_later_is_filled_again_and_no_other_moves() -> None:
    trial = _trial()
    sessions = _sessions(trial, 16, {"rain": 100.0, "piano": 300.0})
    without_first = sessions[1:]  # the first session left out of the review afterwards
    filled = counted(trial, without_first)
    assert sorted(filled) == list(range(1, 16))
    assert report(trial, without_first).sentence.startswith(
        "Experiment in standard (rain or piano): block 1 of 8;"
    )
    assert next_place(trial, without_first) == (0, arm_at(trial.seed, trial.arms, 0))


def test_the_seed_is_told_only_with_the_answer() -> None:
    trial = _trial()
    assert report(trial, _sessions(trial, 15, {"rain": 100.0, "piano": 300.0})).seed is None
    assert report(trial, _sessions(trial, 16, {"rain": 100.0, "piano": 300.0})).seed == 42


def test_no_letdown_at_all_says_so() -> None:
    trial = _trial()
    sessions: list[InTrial] = [
        (k, arm_at(trial.seed, trial.arms, k), None, 900.0) for k in range(16)
    ]
    r = report(trial, sessions)
    assert r.sentence == (
        "No let-down came in any session of the experiment after 8 blocks, so there is"
        " nothing to tell between rain and piano."
    )


def test_three_arms_name_a_winner_only_when_it_beats_the_runner_up() -> None:
    # a and b alike and fast, c slow: the arms differ, but a does not beat b.
    arms = ("a", "b", "c")
    rng = random.Random(3)
    sessions = []
    for k in range(3 * 8):
        arm = arm_at(5, arms, k)
        base = 100.0 if arm in ("a", "b") else 400.0
        sessions.append(Counted(k // 3, arm, base * rng.uniform(0.9, 1.1), 900.0))
    result = answer(sessions, arms, 5)
    assert result.p_time < 0.05  # the arms do differ
    assert result.best in ("a", "b") and result.runner_up in ("a", "b")
    low, high = result.effect_interval or (0.0, 0.0)
    assert result.found == (low > 0)
    if not result.found:
        assert "seems to help you" not in verdict(result, _trial(arms))


@pytest.mark.parametrize("seed", range(40))
def test_past_14_blocks_the_verdict_and_the_range_agree(seed: int) -> None:
    arms = ("rain", "piano")
    rng = np.random.default_rng(seed)
    sessions = [
        Counted(
            k // 2,
            arm_at(seed, arms, k),
            float(rng.lognormal(math.log(180.0), 0.6))
            * (0.75 if arm_at(seed, arms, k) == "piano" else 1.0),
            1200.0,
        )
        for k in range(2 * 16)
    ]
    a = answer(sessions, arms, seed)
    assert a.method == f"{RESHUFFLES} reshuffles"
    low, high = a.effect_interval or (0.0, 0.0)
    excludes_zero = low > 0 or high < 0
    assert a.found == (a.p_time < 0.05 and low > 0)
    assert excludes_zero == (a.p_time < 0.05)
