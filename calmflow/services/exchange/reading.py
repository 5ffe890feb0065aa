"""A file to import, JSON or CSV, told apart by its name and its first line."""

from __future__ import annotations

from calmflow.core.records import SessionRecord
from calmflow.services.exchange.csv_file import read_csv
from calmflow.services.exchange.json_file import read_json
from calmflow.services.exchange.problems import ImportProblem

__all__ = ["ImportProblem", "read_export"]


def read_export(text: str, *, name: str) -> list[SessionRecord]:
    """The sessions in a calmflow export (JSON or CSV), checked, ready for
    `Store.add_sessions`; ImportProblem for the first thing wrong in it."""
    text = text.removeprefix("\ufeff")  # a byte-order mark from a spreadsheet
    start = text.lstrip()
    if not start:
        raise ImportProblem("the file is empty")
    if name.lower().endswith(".json") or start[0] in "{[":
        return read_json(text)
    if name.lower().endswith(".csv") or "," in start.partition("\n")[0]:
        return read_csv(text)
    raise ImportProblem("not a calmflow export: neither JSON nor CSV")
