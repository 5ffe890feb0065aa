"""Experiments: which cue fills a routine's experiment slot this session.

Arms are given in turn so each is tried about as often as the others and at
about the same times of day, which keeps the review's comparison fair: the arm
used least so far comes next; among equals, the one used longest ago (or never).
"""

from __future__ import annotations

from collections.abc import Sequence


def choose_arm(arms: Sequence[str], past: Sequence[str]) -> str:
    """The arm for the next session, given the arms of past sessions, oldest first."""
    if not arms:
        raise ValueError("an experiment has at least two arms")
    counts = {arm: 0 for arm in arms}
    last_used = {arm: -1 for arm in arms}
    for i, arm in enumerate(past):
        if arm in counts:
            counts[arm] += 1
            last_used[arm] = i
    return min(arms, key=lambda arm: (counts[arm], last_used[arm], arms.index(arm)))
