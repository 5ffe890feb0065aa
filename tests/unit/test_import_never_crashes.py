"""`calmflow import` of any bytes at all: random ones, and calmflow's own exports
(JSON and CSV) cut, spliced, given odd values and odd tokens. It exits 0, 1 or
3, never 70; what it takes in can be shown (`log`, `export --format csv`, west
of UTC); and the log still opens and passes SQLite's integrity check."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmflow.cli import main
from calmflow.services.exchange.csv_file import to_csv
from calmflow.services.exchange.json_file import to_json
from calmflow.store.store import Store
from tests.unit.sample_log import fill, local_zone


def _exports() -> tuple[str, str]:
    """The sample log as calmflow writes it, JSON and CSV."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calmflow.sqlite3"
        fill(path)
        store = Store(path)
        sessions = store.dump_sessions()
        store.close()
    return to_json(sessions), to_csv(sessions)


JSON_TEXT, CSV_TEXT = _exports()
DOCUMENT = json.loads(JSON_TEXT)

TOKENS = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '"',
    "\\",
    "\\ud800",
    '"\\udfff"',
    "NaN",
    "-Infinity",
    "1e999",
    "-0",
    "9" * 5000,
    "[" * 3000,
    '"0001-01-01T00:00:00Z"',
    '"9999-12-31T23:59:59Z"',
    '"2025-03-01T08:00:00+14:00"',
    "true",
    "null",
    '"format": "calmflow-export"',
    '"sessions": []',
    "=HYPERLINK(1)",
    "'=",
    "\x00",
    "\x1b]52;c;aGk=\x07",
    "\r\n",
    "\ufeff",
    "\udcff",
]

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "x", "0001-01-01T00:00:00Z", "2025-03-01T08:00:00Z", "ml", "oz"])
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document, as the keys and indexes to it."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _paths(inner, (*path, i))


PLACES = list(_paths(DOCUMENT))[1:]


@st.composite
def changed_document(draw: st.DrawFn) -> bytes:
    """The JSON export with a few values put in its places (or keys taken away)."""
    document = json.loads(JSON_TEXT)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PLACES))
        target: Any = document
        try:
            for part in path[:-1]:
                target = target[part]
            if draw(st.booleans()) or not isinstance(target, dict):
                target[path[-1]] = draw(VALUES)
            else:
                del target[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change took the place away
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def spliced(draw: st.DrawFn, text: str) -> bytes:
    """`text` with pieces cut, repeated, or replaced by odd tokens and bytes."""
    data = text.encode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 60)))
        what = draw(st.sampled_from(["cut", "repeat", "token", "bytes"]))
        if what == "cut":
            piece = b""
        elif what == "repeat":
            piece = data[at:end] * 2
        elif what == "token":
            piece = draw(st.sampled_from(TOKENS)).encode("utf-8", "surrogatepass")
        else:
            piece = draw(st.binary(max_size=16))
        data = data[:at] + piece + data[end:]
    return data


def documents() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=400),
        changed_document(),
        spliced(JSON_TEXT),
        spliced(CSV_TEXT),
    )


@contextlib.contextmanager
def _home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as m:
        home = Path(folder) / "home"
        m.setenv("CALMFLOW_HOME", str(home))
        yield home


def _check_log(home: Path) -> None:
    path = home / "calmflow.sqlite3"
    if not path.exists():
        return
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    store = Store(path)
    store.sessions()
    store.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=documents(), name=st.sampled_from(["export.json", "export.csv", "export"]))
def test_import_exits_0_1_or_3_and_leaves_a_sound_log(document: bytes, name: str) -> None:
    runner = CliRunner()
    with _home() as home, local_zone("America/New_York"):
        path = home.parent / name
        path.write_bytes(document)
        result = runner.invoke(main, ["import", str(path)])
        assert result.exit_code in (0, 1, 3), result.output
        if result.exit_code == 0:
            assert result.stdout.startswith("added ")
            # What it took in can be shown, on a clock west of UTC.
            for command in (["log"], ["export", "--format", "csv"], ["review", "--json"]):
                shown = runner.invoke(main, command)
                assert shown.exit_code == 0, (command, shown.output)
        else:
            (line,) = result.stderr.splitlines()
            assert line.startswith(f"calmflow: {path}: " if result.exit_code == 1 else "calmflow: ")
        _check_log(home)
