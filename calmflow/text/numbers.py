"""Numbers as a tired person reads them."""

from __future__ import annotations


def clock_text(seconds: float | None) -> str:
    """'1:05' for 65 s, '1:02:03' past an hour, '—' for nothing."""
    if seconds is None:
        return "—"
    whole = max(0, int(round(seconds)))
    if whole >= 3600:
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


def skips_text(underruns: int) -> str:
    """'the sound skipped 3 times': underruns, said without the jargon."""
    return "the sound skipped " + ("once" if underruns == 1 else f"{underruns} times")
