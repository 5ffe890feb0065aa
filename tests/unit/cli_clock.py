"""A set clock and time zone for commands run in tests (CliRunner)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from calmflow import cli, localtime
from calmflow.store.store import Store

TZ = timezone(timedelta(hours=1))
"""A fixed local zone: no daylight-saving surprises."""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 10, 13, 0, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now


def clocked_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Commands open the store at `home` with the returned clock, in zone TZ."""
    clock = Clock()
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(cli, "_open_store", lambda: Store(home / "calmflow.sqlite3", clock=clock))
    monkeypatch.setattr(localtime, "zone", lambda: TZ)
    return clock
