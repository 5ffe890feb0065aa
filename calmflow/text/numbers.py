"""Numbers as a tired person reads them."""

from __future__ import annotations

from typing import Protocol


def clock_text(seconds: float | None) -> str:
    """'1:05' for 65 s, '1:02:03' past an hour, '—' for nothing."""
    if seconds is None:
        return "—"
    whole = max(0, int(round(seconds)))
    if whole >= 3600:
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


class Lasting(Protocol):
    """A routine, as far as its length goes."""

    @property
    def duration_s(self) -> float: ...
    @property
    def open_ended(self) -> bool: ...


def length_text(routine: Lasting) -> str:
    """A routine's length: '5:00', or '5:00+' when its last phase goes on while
    milk flows (5:00 at the least)."""
    return clock_text(routine.duration_s) + ("+" if routine.open_ended else "")


def skips_text(underruns: int) -> str:
    """'the sound skipped 3 times': underruns, said without the jargon."""
    return "the sound skipped " + ("once" if underruns == 1 else f"{underruns} times")
