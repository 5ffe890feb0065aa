"""How long the randomization test takes to answer a finished experiment.

Run:  .venv/bin/python benchmarks/trial_answer.py [RUNS]
Answers a finished 8-block experiment RUNS times (5 by default) with two arms
(every one of the 256 allocations enumerated) and with three arms (6^8
allocations: 10,000 reshuffles drawn from the seed), and prints each median and
the target: under 0.3 s.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from calmflow.core.trial import Counted, answer, arm_at

TARGET_S = 0.3
BLOCKS = 8


def finished(arms: tuple[str, ...], seed: int) -> list[Counted]:
    rng = random.Random(seed)
    out = []
    for k in range(len(arms) * BLOCKS):
        arm = arm_at(seed, arms, k)
        first = None if rng.random() < 0.1 else rng.lognormvariate(5.2, 0.6)
        out.append(Counted(k // len(arms), arm, first, 1200.0))
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for arms in (("picture", "waves"), ("picture", "waves", "lullaby")):
        sessions = finished(arms, 11)
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            result = answer(sessions, arms, 11)
            times.append(time.perf_counter() - began)
        median = statistics.median(times)
        verdict = "met" if median < TARGET_S else "NOT met"
        print(
            f"{len(arms)} arms x {BLOCKS} blocks ({result.method}): median {median:.3f} s"
            f" over {runs} runs (target under {TARGET_S} s: {verdict})"
        )


if __name__ == "__main__":
    main()
