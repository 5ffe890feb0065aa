"""Fixtures every test folder shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _notices_of_this_test_only() -> None:
    """What an earlier test's calmflow found open to others and made private is not
    said by this one's commands (in a process of its own, each is said once)."""
    from calmflow.system.private_files import take_notices

    take_notices()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CALMFLOW_HOME: database, logs and user routines live here."""
    path = tmp_path / "calmflow-home"
    monkeypatch.setenv("CALMFLOW_HOME", str(path))
    yield path


@pytest.fixture
def short_routine() -> Path:
    """Three phases of 3 s (prep, stimulation, expression), breath 1 s in / 2 s out."""
    return FIXTURES / "routines" / "short.yaml"


@pytest.fixture
def standard_routine() -> Path:
    return ROOT / "routines" / "standard.yaml"


class ManualClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
