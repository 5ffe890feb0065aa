"""How often an experiment finds a real difference (its power), by blocks planned.

Run:  .venv/bin/python benchmarks/trial_power.py [RUNS]
Simulates experiments of two arms as calmflow allocates them (permuted blocks
from a seed) with first let-down times spread like a realistic log (log-normal,
median 180 s, sigma 0.6; 1 session in 10 without a let-down; sessions of 15 to
20 minutes), one arm's let-downs 60 s or 90 s sooner, and prints the share of
experiments whose answer names the better arm ("seems to help you") for 8, 16,
24 and 32 blocks. RUNS experiments each (300 by default); the reshuffles of
the Monte-Carlo path (past 14 blocks) are cut to 999 to keep it quick, which
changes a p-value by about 0.01 at most. docs/review.md quotes these figures.
"""

from __future__ import annotations

import math
import random
import sys
import time

import calmflow.core.trial as trial
from calmflow.core.trial import Counted, answer, arm_at

ARMS = ("waves", "picture")
MEDIAN_S, SIGMA, NO_LETDOWN = 180.0, 0.6, 0.10


def experiment(rng: random.Random, seed: int, blocks: int, effect_s: float) -> list[Counted]:
    out = []
    for position in range(blocks * len(ARMS)):
        arm = arm_at(seed, ARMS, position)
        first = rng.lognormvariate(math.log(MEDIAN_S), SIGMA)
        played = rng.uniform(900.0, 1200.0)
        if arm == "picture":
            first = max(first - effect_s, 5.0)
        none = rng.random() < NO_LETDOWN or first > played
        out.append(Counted(position // len(ARMS), arm, None if none else first, played))
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    trial.RESHUFFLES = 999
    print(f"share of {runs} experiments finding the better arm (two arms)")
    for blocks in (8, 16, 24, 32):
        found = []
        began = time.perf_counter()
        for effect in (60.0, 90.0):
            rng = random.Random(blocks)
            hits = 0
            for k in range(runs):
                a = answer(experiment(rng, 1000 + k, blocks, effect), ARMS, k)
                hits += a.found and a.best == "picture"
            found.append(f"{effect:.0f} s sooner: {hits / runs:.0%}")
        print(f"  {blocks:>2} blocks: {', '.join(found)}  ({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
