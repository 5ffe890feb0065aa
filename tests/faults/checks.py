"""What every fault test checks afterwards: the database is sound and holds
every entry it held before, each once."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from pathlib import Path

Rows = dict[str, list[tuple[object, ...]]]


def integrity(path: Path) -> None:
    """`PRAGMA integrity_check` says ok."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    assert result == [("ok",)], f"{path}: {result}"


def rows(path: Path) -> Rows:
    """Every row of every table (the migrations' own record left out)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name"
            )
        ]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def assert_kept(before: Rows, after: Rows) -> int:
    """Every row of `before` is in `after` unchanged and not doubled; return how many."""
    for table, old in before.items():
        new = Counter(after.get(table, []))
        lost = Counter(old) - new
        assert not lost, f"{table}: lost or changed {sorted(lost.elements())[:5]}"
        doubled = [row for row, n in new.items() if n > 1]
        assert not doubled, f"{table}: doubled {doubled[:5]}"
    return sum(len(old) for old in before.values())
