"""The fault-injection suite's tally: faults injected, survived, entries checked.

Each test wraps the fault it injects in `faults.inject(kind)` and counts the
entries it checked with `fault.checked(n)`. A fault counts as survived when
its block ends without a failed check. The totals are printed at the end of
the run (and by benchmarks/faults.py, which runs more random kills).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Tally:
    injected: Counter[str] = field(default_factory=Counter)
    survived: Counter[str] = field(default_factory=Counter)
    entries: int = 0

    def lines(self) -> list[str]:
        width = max((len(kind) for kind in self.injected), default=0)
        rows = [
            f"  {kind:<{width}}  {self.survived[kind]:>4} of {count:<4} survived"
            for kind, count in sorted(self.injected.items())
        ]
        total, kept = sum(self.injected.values()), sum(self.survived.values())
        return [
            *rows,
            f"faults injected: {total}, survived with nothing lost: {kept}, "
            f"entries checked: {self.entries}",
        ]


TALLY = Tally()


class Fault:
    """One fault being injected; `checked` counts the entries found intact after it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries = 0

    def checked(self, entries: int) -> None:
        self.entries += entries


class Faults:
    @contextlib.contextmanager
    def inject(self, kind: str) -> Iterator[Fault]:
        TALLY.injected[kind] += 1
        fault = Fault(kind)
        yield fault  # a failed check raises out of here: injected, not survived
        TALLY.survived[kind] += 1
        TALLY.entries += fault.entries


@pytest.fixture
def faults() -> Faults:
    return Faults()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.injected:
        terminalreporter.section("faults")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
