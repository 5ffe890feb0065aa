"""Fixtures for the session log: a database path in a fresh home, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calmflow.store.store import Store
from tests.store.log import WallClock


@pytest.fixture
def wall_clock() -> WallClock:
    return WallClock()


@pytest.fixture
def db_path(home: Path) -> Path:
    """Where calmflow keeps the log; its folder does not exist yet."""
    return home / "calmflow.sqlite3"


@pytest.fixture
def store(db_path: Path, wall_clock: WallClock) -> Iterator[Store]:
    opened = Store(db_path, clock=wall_clock)
    yield opened
    opened.close()
