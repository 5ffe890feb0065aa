"""Experiments as n-of-1 trials: arms drawn at random in blocks, answered by a
randomization test that is valid by the design itself.

A routine's experiment (`experiment: {slot, arms, blocks}`) compares cues for one
slot, for this one person. calmflow runs it the way single-case trials are run
(StudyU's N-of-1 platform; Edgington's randomization tests):

- **Permuted blocks.** Each block gives every arm once, in an order drawn at
  random from a seed kept in the log, so the allocation can be audited and drawn
  again, and the person is not told what comes next. Block b's order is
  `Random(f"{seed}:{b}")` shuffling the arms; the k-th session that counts gets
  the k-th arm of the blocks laid end to end.
- **Counted sessions.** A session counts when it has ended and is in the review
  (one ended within its first minute is left out unless kept): one that does not
  count gives its arm again. A block is complete when each arm has one counted
  session; the answer comes when the planned blocks are complete, not before
  (looking early and stopping when it looks good would make chance look like
  an answer).
- **The answer.** The outcome is each session's time to its first let-down,
  restricted to the first `tau` seconds (a session without one counts as `tau`):
  `tau` is the shortest session that ended without a let-down, or the latest
  first let-down when every session had one, so every session is watched for
  all of it. These are compared on the log scale (`compared`): the statistic
  is the spread of the arms' mean logs (for two arms, their difference); its
  p-value is the share of allocations the design could have made (arms
  reshuffled within each block) that spread the arms at least as far: every
  allocation when there are at most EXACT_UP_TO, else RESHUFFLES drawn from
  the seed. Whatever the shape of the times or a drift of supply over the
  weeks, this is the design's own error rate. The share of sessions with a
  let-down is tested the same way, as a second outcome. The effect is told in
  seconds (each arm's typical time: the geometric mean), with a 95% interval
  from the same test inverted over the blocks' paired differences.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from calmflow.core.comparison import CHANCE_P, duration_words

DEFAULT_BLOCKS = 16
"""[ours] Blocks planned when the routine does not say: with two arms, 32 sessions,
four or five days of pumping. At the spread of let-down times calmflow's
simulations use, they find a 90 s difference about half the time and a 60 s
one about a quarter of the time (8 blocks: about a quarter and a seventh; 32
blocks: 83% and 54%; benchmarks/trial_power.py, docs/review.md). Fewer would rarely answer; many more, few would finish."""
MIN_WATCHED_S = 300.0
"""[ours] A session without a let-down counts in an experiment only if it ran this
long: one that ended sooner says little about when a let-down would have come,
and would cut every session's time short (`tau`) at its end."""
EXACT_UP_TO = 20_000
"""Allocations enumerated one by one (two arms, up to 14 blocks)."""
RESHUFFLES = 10_000

RUNNING = "running"
ANSWERED = "answered"


@dataclass(frozen=True)
class Trial:
    """One experiment as the log keeps it."""

    id: int
    routine: str
    slot: str
    arms: tuple[str, ...]
    blocks: int
    seed: int
    started_at: datetime
    fingerprint: str = ""


def fingerprint(slot: str, arms: Sequence[str], phases: Sequence[Any]) -> str:
    """What makes an experiment the same one: its slot, its arms and the phases
    (as plain data). Comments, descriptions, other cues and the number of blocks
    are not part of it: editing them goes on with the same experiment."""
    text = json.dumps({"slot": slot, "arms": list(arms), "phases": list(phases)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def block_order(seed: int, arms: Sequence[str], block: int) -> list[str]:
    """The order of the arms in block `block` (from 0)."""
    order = list(arms)
    random.Random(f"{seed}:{block}").shuffle(order)
    return order


def arm_at(seed: int, arms: Sequence[str], position: int) -> str:
    """The arm of the `position`-th counted session (from 0)."""
    block, place = divmod(position, len(arms))
    return block_order(seed, arms, block)[place]


@dataclass(frozen=True)
class Counted:
    """One session that counts, with what the answer needs of it."""

    block: int
    arm: str
    first: float | None
    """Seconds to its first let-down; None without one."""
    played: float


InTrial = tuple[int | None, str, float | None, float]
"""A session of a trial as the log has it: its place in the allocation, its arm,
its first let-down (seconds) and the seconds it played."""


def counted(trial: Trial, sessions: Sequence[InTrial]) -> dict[int, Counted]:
    """The sessions that count, by their place in the allocation (from those of the
    trial in the review, oldest first). A session counts when it had its place's
    arm (one that did not is outside the design) and it either had a let-down or
    ran MIN_WATCHED_S; the first to fill a place keeps it (two sessions played at
    once can be given the same place). A place
    whose session stops counting (left out of the review afterwards, deleted) is
    free again, and the next session fills it: the other places are untouched."""
    filled: dict[int, Counted] = {}
    for position, arm, first, played in sessions:
        if position is None or position in filled:
            continue
        if arm != arm_at(trial.seed, trial.arms, position):
            continue
        if first is None and played < MIN_WATCHED_S:
            continue
        filled[position] = Counted(position // len(trial.arms), arm, first, played)
    return filled


def next_place(trial: Trial, sessions: Sequence[InTrial]) -> tuple[int, str]:
    """The place the next session fills (the first free one) and its arm."""
    filled = counted(trial, sessions)
    position = next(p for p in itertools.count() if p not in filled)
    return position, arm_at(trial.seed, trial.arms, position)


@dataclass(frozen=True)
class ArmResult:
    arm: str
    sessions: int
    mean_restricted_s: float
    """Mean seconds to the first let-down within the first `tau_s` (none: `tau_s`)."""
    with_letdown: int
    typical_s: float
    """The geometric mean of those times: what the test compares, in seconds."""


@dataclass(frozen=True)
class Answer:
    """What a finished experiment says."""

    tau_s: float
    arms: list[ArmResult]
    p_time: float
    """Randomization p-value of the spread of mean restricted times."""
    p_share: float
    """Randomization p-value of the spread of the shares with a let-down."""
    method: str
    """"exact (N allocations)" or "N reshuffles"."""
    best: str
    """The arm with the shortest typical time."""
    runner_up: str
    effect_s: float
    """How much sooner, in seconds, `best` came than `runner_up`: the runner-up's
    typical time less the best's (the blocks' mean shift on the log scale, taken
    from the runner-up's typical time)."""
    effect_interval: tuple[float, float] | None
    """95% interval of `effect_s`, from the randomization test of the blocks' paired
    differences (on the log scale, taken the same way into seconds); None with 5
    blocks or fewer (too few to bound it)."""
    found: bool = False
    """Whether `best` came sooner beyond chance (p_time below CHANCE_P)."""


@dataclass(frozen=True)
class TrialReport:
    """An experiment's progress, or its answer, for the review."""

    routine: str
    slot: str
    arms: list[str]
    randomized: bool
    blocks_planned: int
    blocks_done: int
    sessions_counted: int
    """Sessions that count, those past the planned blocks too (for `more`)."""
    state: str
    """RUNNING or ANSWERED."""
    sentence: str
    seed: int | None
    """The seed the arms were drawn from, once answered (None before)."""
    answer: Answer | None = None
    offer: list[str] = field(default_factory=list)
    """What the person can do next, as commands."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def report(trial: Trial, sessions: Sequence[InTrial]) -> TrialReport:
    """Progress while blocks remain; the answer once the planned blocks are done.
    The seed is told only with the answer, to check the allocation by: before, it
    would tell what comes next."""
    filled = counted(trial, sessions)
    width = len(trial.arms)
    planned = range(trial.blocks * width)
    done = [filled[p] for p in planned if p in filled]
    missing = [
        b for b in range(trial.blocks) if any(b * width + i not in filled for i in range(width))
    ]
    base = TrialReport(
        trial.routine,
        trial.slot,
        list(trial.arms),
        True,
        trial.blocks,
        trial.blocks - len(missing),
        len(filled),
        RUNNING,
        "",
        None,
    )
    arms = " or ".join(trial.arms)
    if missing:
        sentence = (
            f"Experiment in {trial.routine} ({arms}): block {missing[0] + 1} of {trial.blocks};"
            f" the answer comes when all {trial.blocks} are done"
            f" ({len(planned) - len(done)} more sessions)."
        )
        return replace(base, sentence=sentence)
    result = answer(done, trial.arms, trial.seed)
    named = shlex.quote(trial.routine)
    return replace(
        base,
        state=ANSWERED,
        sentence=verdict(result, trial),
        seed=trial.seed,
        answer=result,
        offer=[
            f"calmflow experiment adopt {named} "
            + (shlex.quote(result.best) if result.found else "ARM"),
            f"calmflow experiment more {named}",
        ],
    )


def restricted(sessions: Sequence[Counted]) -> tuple[float, list[float]]:
    """`tau` and each session's time to its first let-down within it."""
    censored = [c.played for c in sessions if c.first is None]
    firsts = [c.first for c in sessions if c.first is not None]
    tau = min(censored) if censored else max(firsts, default=0.0)
    return tau, [tau if c.first is None else min(c.first, tau) for c in sessions]


def compared(times: Sequence[float]) -> list[float]:
    """What the test compares: the log of each restricted time (a second at least).
    Times to a let-down multiply rather than add (a cue that helps cuts a
    4-minute wait by more seconds than a 1-minute one), and on this scale one
    session without a let-down, counted at `tau`, cannot drown out the rest."""
    return [math.log(max(t, 1.0)) for t in times]


def answer(sessions: Sequence[Counted], arms: Sequence[str], seed: int) -> Answer:
    """The randomization test of `sessions` (whole blocks, as the design gave them).

    With two arms the test is the blocks' sign flips (swapping the arms within a
    block), and the interval is the same flips inverted, so the interval leaves
    out zero exactly when the p-value is below CHANCE_P. With more arms the p is
    of all the arms at once, and a finding also needs the best arm's interval
    against the runner-up to leave out zero."""
    tau, times = restricted(sessions)
    logs = compared(times)
    had = [0.0 if c.first is None else 1.0 for c in sessions]
    blocks = _blocks(sessions)
    labels = [c.arm for c in sessions]
    results = []
    for arm in arms:
        mine = [i for i, a in enumerate(labels) if a == arm]
        results.append(
            ArmResult(
                arm,
                len(mine),
                sum(times[i] for i in mine) / len(mine) if mine else math.nan,
                sum(1 for i in mine if had[i]),
                math.exp(sum(logs[i] for i in mine) / len(mine)) if mine else math.nan,
            )
        )
    ranked = sorted(results, key=lambda r: (r.typical_s, arms.index(r.arm)))
    best, runner_up = ranked[0], ranked[1]
    # Per block: how many times longer (on the log scale) the runner-up took.
    flips = Flips(_paired(logs, labels, blocks, runner_up.arm, best.arm), seed)
    if len(arms) == 2:
        p_time, method = flips.p_value(0.0), flips.method
    else:
        p_time, method = _randomization_p(logs, labels, blocks, arms, seed)
    p_share, _ = _randomization_p(had, labels, blocks, arms, seed + 1)
    interval = flips.interval()

    def sooner(log_ratio: float) -> float:
        """Seconds sooner than the runner-up's typical time, for a shift in logs."""
        return runner_up.typical_s * (1 - math.exp(-log_ratio))

    return Answer(
        tau,
        results,
        p_time,
        p_share,
        method,
        best.arm,
        runner_up.arm,
        sooner(flips.centre),
        (sooner(interval[0]), sooner(interval[1])) if interval else None,
        found=p_time < CHANCE_P and interval is not None and interval[0] > 0,
    )


def _blocks(sessions: Sequence[Counted]) -> list[list[int]]:
    """The indices of the sessions in each block."""
    by_block: dict[int, list[int]] = {}
    for i, c in enumerate(sessions):
        by_block.setdefault(c.block, []).append(i)
    return list(by_block.values())


def _randomization_p(
    values: Sequence[float],
    labels: Sequence[str],
    blocks: Sequence[Sequence[int]],
    arms: Sequence[str],
    seed: int,
) -> tuple[float, str]:
    """The share of the design's allocations that spread the arms at least as far
    as the one observed. The spread is the between-arm sum of squares,
    sum n_a (mean_a - mean)^2; reshuffling within blocks keeps each arm's count
    and the total, so it rises and falls with sum S_a^2 / n_a (S_a: the arm's sum),
    which is what is compared. Each block's reshuffles are worked out once, as
    the sums they add to each arm."""
    index = {arm: i for i, arm in enumerate(arms)}
    counts = [0] * len(arms)
    for arm in labels:
        counts[index[arm]] += 1
    options: list[list[tuple[float, ...]]] = []
    for block in blocks:
        places = [index[labels[i]] for i in block]
        dealt = []
        for order in itertools.permutations(block):
            sums = [0.0] * len(arms)
            for place, i in zip(places, order, strict=True):
                sums[place] += values[i]
            dealt.append(tuple(sums))
        options.append(dealt)

    def spread(sums: Sequence[float]) -> float:
        return sum(s * s / n for s, n in zip(sums, counts, strict=True) if n)

    observed = spread(
        [sum(v for v, a in zip(values, labels, strict=True) if a == arm) for arm in arms]
    )
    observed -= 1e-9 * abs(observed)  # ties, whatever the rounding, count as at least as far
    total = math.prod(len(dealt) for dealt in options)
    if total <= EXACT_UP_TO:
        hits = sum(
            spread([sum(c) for c in zip(*choice, strict=True)]) >= observed
            for choice in itertools.product(*options)
        )
        return hits / total, f"exact ({total} allocations)"
    rng = random.Random(f"{seed}:reshuffles")
    hits = 0
    for _ in range(RESHUFFLES):
        drawn = [rng.choice(dealt) for dealt in options]
        hits += spread([sum(c) for c in zip(*drawn, strict=True)]) >= observed
    return (hits + 1) / (RESHUFFLES + 1), f"{RESHUFFLES} reshuffles"


def _paired(
    values: Sequence[float],
    labels: Sequence[str],
    blocks: Sequence[Sequence[int]],
    minus: str,
    plus: str,
) -> list[float]:
    """Per block holding both arms: the value with `minus` less the value with `plus`."""
    out = []
    for block in blocks:
        by_arm = {labels[i]: values[i] for i in block}
        if minus in by_arm and plus in by_arm:
            out.append(by_arm[minus] - by_arm[plus])
    return out


class Flips:
    """The sign-flip test of the blocks' differences (swapping the arms within a
    block flips its difference's sign), at any shift: its p-value, and the 95%
    interval of the shift got by inverting it. Every pattern of flips when there
    are at most EXACT_UP_TO, else RESHUFFLES drawn from the seed."""

    def __init__(self, diffs: Sequence[float], seed: int) -> None:
        self.n = n = len(diffs)
        self.diffs = list(diffs)
        self.total = sum(diffs)
        self.centre = self.total / n if n else math.nan
        if 2**n <= EXACT_UP_TO:
            masks: Sequence[int] = range(2**n)
            self.method = f"exact ({2**n} allocations)"
        else:
            rng = random.Random(f"{seed}:flips")
            masks = [0, *(rng.getrandbits(n) for _ in range(RESHUFFLES))]
            self.method = f"{RESHUFFLES} reshuffles"
        # |sum of s_i (d_i - shift)| = |A - shift * B| for each pattern (a mask's
        # bits: 1 where the block's arms are swapped), worked out once.
        self.flipped = []
        for mask in masks:
            swapped = [d for i, d in enumerate(diffs) if mask >> i & 1]
            self.flipped.append((self.total - 2 * sum(swapped), n - 2 * len(swapped)))

    def p_value(self, shift: float) -> float:
        observed = abs(self.total - shift * self.n)
        observed -= 1e-9 * max(observed, 1.0)  # ties, whatever the rounding, count
        # Drawn patterns include the observed one (mask 0): (hits + 1) / (draws + 1).
        return sum(abs(a - shift * b) >= observed for a, b in self.flipped) / len(self.flipped)

    def interval(self) -> tuple[float, float] | None:
        """The shifts the test does not rule out (p at least CHANCE_P); None when the
        blocks are too few to bound them (5 or fewer: even the two extreme patterns
        come up in over 5%)."""
        if self.n < 2 or self.p_value(min(self.diffs) - 1.0) >= CHANCE_P:
            return None

        def edge(outside: float) -> float:
            inside = self.centre
            for _ in range(60):
                middle = (inside + outside) / 2
                if self.p_value(middle) >= CHANCE_P:
                    inside = middle
                else:
                    outside = middle
                if abs(inside - outside) < 1e-4:  # on the log scale: far finer than a second
                    break
            return inside

        return edge(min(self.diffs) - 1.0), edge(max(self.diffs) + 1.0)


def seconds_words(seconds: float) -> str:
    """A length of time either way: '40 s', '1 m 7 s'."""
    return duration_words(abs(seconds))


def _how_often(p: float) -> str:
    if p < 0.01:
        return "in fewer than 1 in 100 reshuffles"
    return f"in {p:.0%} of reshuffles"


def _range(low: float, high: float) -> str:
    """'10 s to 70 s sooner', or '30 s sooner to 54 s later' when it spans zero."""
    if low >= 0:
        return f"{seconds_words(low)} to {seconds_words(high)} sooner"
    if high <= 0:
        return f"{seconds_words(-high)} to {seconds_words(-low)} later"
    return f"{seconds_words(high)} sooner to {seconds_words(-low)} later"


def verdict(a: Answer, trial: Trial) -> str:
    """The answer in plain words."""
    together = " and ".join(trial.arms)
    if not any(r.with_letdown for r in a.arms):
        return (
            f"No let-down came in any session of the experiment after {trial.blocks} blocks,"
            f" so there is nothing to tell between {together}."
        )
    typical = {r.arm: seconds_words(r.typical_s) for r in a.arms}
    detail = f"{typical[a.best]} against {typical[a.runner_up]}"
    if a.effect_interval:
        detail += f"; {_range(*a.effect_interval)}"
    shares = ", ".join(f"{r.with_letdown} of {r.sessions} with {r.arm}" for r in a.arms)
    same = len({r.with_letdown for r in a.arms}) == 1  # each arm has a session a block
    share = f" Sessions with a let-down: {shares}" + (
        "." if same else f" (a difference this large came up {_how_often(a.p_share)})."
    )
    than = f"than with {a.runner_up}" + ("" if len(trial.arms) == 2 else ", the next best")
    if a.found:
        return (
            f"With {a.best} your let-down typically came {seconds_words(a.effect_s)} sooner"
            f" {than} ({detail}); a difference this large came up {_how_often(a.p_time)}:"
            f" {a.best} seems to help you.{share}"
        )
    return (
        f"No clear difference between {together} after {trial.blocks} blocks:"
        f" with {a.best} let-down typically came {seconds_words(a.effect_s)} sooner {than}"
        f" ({detail}), and a difference this large came up {_how_often(a.p_time)}.{share}"
    )
