"""The UI's tests draw the day palette unless a test asks for the night one: the
night palette comes on by itself between 22:00 and 06:00, and a test run at
night must draw what the same test draws by day."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from calmflow.ui import night


@pytest.fixture(autouse=True)
def daytime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(night, "is_night", lambda moment=None: False)
    yield
