"""The person's time zone: schedules, days and parts are counted on their clock.

One place to ask, so tests can set it (monkeypatch `zone`) for every command at once.
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def zone() -> tzinfo:
    """This machine's local time zone now (its current offset from UTC)."""
    found = datetime.now().astimezone().tzinfo
    assert found is not None
    return found
