"""A set clock and time zone for commands run in tests (CliRunner)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from calmflow.system import wallclock

TZ = timezone(timedelta(hours=1))
"""A fixed local zone: no daylight-saving surprises."""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 10, 13, 0, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now


def clocked_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Commands run with the returned clock as the wall clock, in zone TZ (the log is
    at `home`, the CALMFLOW_HOME of the test)."""
    clock = Clock()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    monkeypatch.setattr(wallclock, "now", clock)
    monkeypatch.setattr(wallclock, "zone", lambda: TZ)
    return clock
