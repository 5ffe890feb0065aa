"""Export and import files: JSON loses nothing, CSV is a row per session (Baby
Buddy's own file: test_babybuddy_export.py), and a bad file is refused whole with
the place at fault named."""

from __future__ import annotations

import copy
import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BeforeValidator, PlainValidator

from calmflow.core.feeds import FEED_FIELDS
from calmflow.core.records import (
    EVENT_FIELDS,
    LETDOWN_FIELDS,
    SESSION_FIELDS,
    EventRecord,
    LetdownRecord,
    SessionRecord,
)
from calmflow.core.typed_times import parse_when
from calmflow.core.values import ML_PER_OZ
from calmflow.services.exchange.csv_file import CSV_COLUMNS, read_csv, to_csv
from calmflow.services.exchange.json_file import read_json, to_json
from calmflow.services.exchange.manual import manual_session
from calmflow.services.exchange.reading import ImportProblem, read_export
from calmflow.store.store import Store
from tests.unit.sample_log import NOTES, fill, local_zone

PARIS = ZoneInfo("Europe/Paris")


def _as_stored(sessions: list[SessionRecord]) -> list[dict[str, Any]]:
    """Sessions as an export writes them (instants as the log's text)."""
    return [s.model_dump(mode="json") for s in sessions]


def _checked(model: type[Any], names: tuple[str, ...]) -> set[str]:
    """The fields of `model` among `names` that have a check of their own."""
    return {
        name
        for name in names
        if any(
            isinstance(m, PlainValidator | BeforeValidator)
            for m in model.model_fields[name].metadata
        )
        or name
        in ("started_at", "updated_at", "ended_at", "marked_at", "at")  # Instants check themselves
    }


@pytest.fixture
def filled(tmp_path: Path) -> list[SessionRecord]:
    """What `Store.dump_sessions` gives for the sample log."""
    path = tmp_path / "filled.sqlite3"
    fill(path)
    store = Store(path)
    sessions = store.dump_sessions()
    store.close()
    return sessions


def _import_into_empty(tmp_path: Path, sessions: list[SessionRecord]) -> list[SessionRecord]:
    store = Store(tmp_path / "empty.sqlite3")
    assert store.add_sessions(sessions) == (len(sessions), 0)
    again = store.dump_sessions()
    store.close()
    return again


# --- JSON: everything, and back the same ----------------------------------------------


def test_json_round_trip_is_byte_for_byte_the_same(
    tmp_path: Path, filled: list[SessionRecord]
) -> None:
    exported = to_json(filled)
    again = _import_into_empty(tmp_path, read_json(exported))
    assert to_json(again) == exported


def test_json_holds_every_column_of_the_log(tmp_path: Path, filled: list[SessionRecord]) -> None:
    conn = sqlite3.connect(tmp_path / "filled.sqlite3")

    def columns(table: str) -> set[str]:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}

    # Only row ids, the player's pid and the trial's id and place stay behind: they mean
    # nothing elsewhere. Every column is exported, and checked by the session model
    # when imported.
    sessions, letdowns = set(SESSION_FIELDS), set(LETDOWN_FIELDS)
    assert (
        columns("sessions") - {"id", "pid", "trial_id", "trial_position"}
        == sessions
        == _checked(SessionRecord, SESSION_FIELDS)
    )
    assert (
        columns("letdowns") - {"id", "session_id"}
        == letdowns
        == _checked(LetdownRecord, LETDOWN_FIELDS)
    )
    assert columns("session_events") - {"id", "session_id"} == set(EVENT_FIELDS)
    assert set(EVENT_FIELDS) == _checked(EventRecord, EVENT_FIELDS)
    assert columns("feeds") - {"id"} == set(FEED_FIELDS)  # breastfeeds: their own kind
    conn.close()

    document = json.loads(to_json(filled))
    assert (document["format"], document["version"]) == ("calmflow-export", 2)
    assert document["feeds"] == []
    played, arm, interrupted, manual, older = document["sessions"]
    assert played["notes"] == NOTES
    assert played["letdowns"][0] == {
        "number": 1,
        "t_s": 95.25,
        "phase": "Stimulation",
        "phase_kind": "stimulation",
        "cues": ["photo", "berceuse à deux"],
        "marked_at": "2025-03-01T08:01:35.250Z",
    }
    assert {"t_s": 95.25, "kind": "phase", "detail": "Expression"}.items() <= played["events"][
        1
    ].items()
    assert (played["volume_unit"], played["dmer"], played["underruns"]) == ("oz", False, 3)
    assert (arm["experiment"], arm["experiment_arm"], arm["dmer"]) == ("cue", "lullaby", True)
    assert (interrupted["status"], interrupted["notes"], interrupted["comfort"]) == (
        "interrupted",
        None,
        None,
    )
    assert (manual["routine"], manual["output"], manual["counted_letdowns"]) == (
        "manual",
        "manual",
        2,
    )
    assert older["started_at"] == "2025-03-02T08:00:00+00:00"  # kept as written
    assert "Ça coule 🍼" in to_json(filled)  # readable, not \\u escapes


def test_a_time_with_another_offset_is_stored_in_utc(filled: list[SessionRecord]) -> None:
    document = json.loads(to_json(filled))
    document["sessions"][0]["started_at"] = "2025-03-01T09:00:00+01:00"
    (first, *_) = _as_stored(read_json(json.dumps(document)))
    assert first["started_at"] == "2025-03-01T08:00:00.000Z"


# --- CSV: the columns Baby Buddy also has first, then calmflow's ---------------------------------------


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_starts_with_baby_buddys_pumping_columns(filled: list[SessionRecord]) -> None:
    text = to_csv(filled, tz=PARIS, child_id=1)
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["start", "end", "amount", "notes", "child_id"]
    assert header == list(CSV_COLUMNS)
    played, arm, interrupted, manual, _ = _csv_rows(text)

    # 08:00 UTC is 09:00 in Paris in March; Baby Buddy reads local times like this.
    assert (played["start"], played["end"]) == ("2025-03-01 09:00:00", "2025-03-01 09:20:35")
    # The amount is in the unit the person logged (oz here); the *_ml columns are ml.
    assert played["unit"] == "oz"
    assert float(played["amount"]) == pytest.approx(3.5, abs=0.01)
    assert float(played["total_ml"]) == pytest.approx(3.5 * ML_PER_OZ, abs=0.05)
    assert played["notes"] == NOTES
    assert played["child_id"] == "1"
    assert (played["letdowns"], played["first_letdown_s"], played["dmer"]) == ("2", "95.25", "no")
    assert (played["comfort"], played["relaxation"]) == ("4", "5")
    assert (arm["amount"], arm["unit"], arm["dmer"], arm["experiment_arm"]) == (
        "80",
        "ml",
        "yes",
        "lullaby",
    )
    assert (interrupted["amount"], interrupted["notes"], interrupted["letdowns"]) == ("", "", "0")
    assert (manual["routine"], manual["letdowns"], manual["first_letdown_s"]) == ("manual", "2", "")
    assert (manual["left_ml"], manual["right_ml"], manual["amount"]) == ("60", "55", "115")
    assert [r["uuid"] for r in (played, arm)] == [filled[0].uuid, filled[1].uuid]


def test_csv_comes_back_as_the_sessions_it_can_carry(
    tmp_path: Path, filled: list[SessionRecord]
) -> None:
    read = read_csv(to_csv(filled, tz=PARIS), tz=PARIS)
    back = _as_stored(read)
    carried = (
        "uuid",
        "routine",
        "status",
        "planned_s",
        "played_s",
        "output",
        "volume_left_ml",
        "volume_right_ml",
        "volume_total_ml",
        "volume_unit",
        "notes",
        "experiment",
        "experiment_arm",
        "comfort",
        "relaxation",
        "dmer",
    )
    for original, imported in zip(_as_stored(filled), back, strict=True):
        assert {k: imported[k] for k in carried} == {k: original[k] for k in carried}
        # Times to the second; let-downs as a count, with no times to give.
        started = datetime.fromisoformat(original["started_at"].replace("Z", "+00:00"))
        assert imported["started_at"] == started.replace(microsecond=0).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        expected = original["counted_letdowns"]
        assert imported["counted_letdowns"] == (
            expected if expected is not None else len(original["letdowns"])
        )
        assert (imported["letdowns"], imported["events"]) == ([], [])
    _import_into_empty(tmp_path, read)  # and the log takes them


def test_csv_amount_alone_is_read_in_its_unit() -> None:
    header = ",".join(CSV_COLUMNS)
    row = {c: "" for c in CSV_COLUMNS} | {
        "start": "2025-03-01 09:00:00",
        "amount": "2.5",
        "unit": "oz",
        "routine": "manual",
        "status": "completed",
        "played_s": "0",
        "planned_s": "0",
        "output": "manual",
        "uuid": "5d0f1a2e-8a53-4b7a-9d55-2c1e6f1b0c11",
    }
    (session,) = _as_stored(
        read_csv(header + "\n" + ",".join(row[c] for c in CSV_COLUMNS) + "\n", tz=UTC)
    )
    assert session["volume_total_ml"] == round(2.5 * ML_PER_OZ, 1)
    assert session["started_at"] == "2025-03-01T09:00:00.000Z"


# --- bad files: one clear message, the place named ---------------------------------------------


def _broken(filled: list[SessionRecord], change: Any) -> str:
    sessions = _as_stored(filled)
    document = copy.deepcopy({"format": "calmflow-export", "version": 1, "sessions": sessions})
    change(document)
    return json.dumps(document, ensure_ascii=False)


def _set(path: str, value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.replace("]", "").replace("[", ".").split(".")
        target: Any = document
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


def _delete(path: str, key: str) -> Any:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path.replace("]", "").replace("[", ".").split("."):
            target = target[int(part)] if part.isdigit() else target[part]
        del target[key]

    return change


BAD_JSON = [
    (_set("format", "someone-else"), 'not a calmflow export: no "format": "calmflow-export"'),
    (_set("version", 3), "version 3: made by a newer calmflow"),
    (_set("version", "1"), 'version: expected a whole number, got "1"'),
    (_set("sessions", {}), "sessions: expected a list"),
    (_delete("sessions[1]", "played_s"), "sessions[1]: missing field played_s"),
    (_set("sessions[0].colour", "red"), "sessions[0]: unknown field colour"),
    (_set("sessions[0].letdowns[1].t_s", "abc"), "sessions[0].letdowns[1].t_s: expected a number"),
    (_set("sessions[0].letdowns[0].t_s", -1), "sessions[0].letdowns[0].t_s: expected a number"),
    (_set("sessions[1].letdowns[0].cues", "x"), "sessions[1].letdowns[0].cues: expected a list"),
    (_set("sessions[0].letdowns[1].number", 1), "sessions[0].letdowns[1].number: let-down 1 comes"),
    (_delete("sessions[0].letdowns[0]", "phase"), "sessions[0].letdowns[0]: missing field phase"),
    (_set("sessions[0].events[0].at", "soon"), "sessions[0].events[0].at: expected a time"),
    (_set("sessions[0].events", None), "sessions[0].events: expected a list"),
    (_set("sessions[2].status", "paused"), "sessions[2].status: expected one of running"),
    (_set("sessions[2].started_at", "2025-03-01 08:00"), "sessions[2].started_at: expected a time"),
    (_set("sessions[0].comfort", 7), "sessions[0].comfort: expected a whole number from 1 to 5"),
    (_set("sessions[0].dmer", "yes"), "sessions[0].dmer: expected true or false"),
    (_set("sessions[0].volume_total_ml", -1), "sessions[0].volume_total_ml: expected a volume"),
    (_set("sessions[0].volume_unit", "cups"), "sessions[0].volume_unit: expected one of ml, oz"),
    (_set("sessions[0].underruns", 1.5), "sessions[0].underruns: expected a whole number"),
    (_set("sessions[0].underruns", 10**30), "sessions[0].underruns: expected a whole number"),
    (_set("sessions[3].routine", ""), "sessions[3].routine: expected some text"),
    (_set("sessions[3].uuid", "not-a-uuid"), "sessions[3].uuid: expected a uuid"),
    (_set("sessions[3]", 5), "sessions[3]: expected an object"),
]


@pytest.mark.parametrize(("change", "message"), BAD_JSON)
def test_a_bad_json_export_names_the_place_at_fault(
    filled: list[SessionRecord], change: Any, message: str
) -> None:
    with pytest.raises(ImportProblem) as err:
        read_export(_broken(filled, change), name="export.json")
    assert message in str(err.value)


def test_json_that_is_not_json_or_has_no_numbers_is_refused(filled: list[SessionRecord]) -> None:
    with pytest.raises(ImportProblem, match=r"not JSON \(line 3, column"):
        read_export('{\n "format": "calmflow-export",\n oops\n}', name="x.json")
    text = to_json(filled).replace('"planned_s": 1200.0', '"planned_s": NaN', 1)
    with pytest.raises(ImportProblem, match=r"sessions\[0\]\.planned_s: expected a number"):
        read_export(text, name="x.json")
    with pytest.raises(ImportProblem, match="empty"):
        read_export("  \n", name="x.json")
    with pytest.raises(ImportProblem, match="not a calmflow export"):
        read_export("[]", name="x.json")


def test_the_same_uuid_twice_in_one_file_is_refused(filled: list[SessionRecord]) -> None:
    text = _broken(filled, _set("sessions[4].uuid", filled[1].uuid))
    with pytest.raises(ImportProblem, match=r"sessions\[4\]\.uuid: the same as sessions\[1\]"):
        read_export(text, name="x.json")


def _csv_with(filled: list[SessionRecord], row: int, **changes: str) -> str:
    rows = _csv_rows(to_csv(filled, tz=UTC))
    rows[row].update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# The first session's notes take two lines: the second session is on line 4.
BAD_CSV = [
    (1, "played_s", "4,5", "line 4, column played_s: expected a number of seconds"),
    (2, "start", "yesterday", "line 5, column start: expected a time"),
    (3, "start", "", "line 6, column start: expected some text"),
    (1, "status", "paused", "line 4, column status: expected one of running"),
    (0, "comfort", "six", "line 2, column comfort: expected a whole number from 1 to 5"),
    (0, "dmer", "maybe", "line 2, column dmer: expected yes or no"),
    (2, "uuid", "x", "line 5, column uuid: expected a uuid"),
    (4, "total_ml", "9000", "line 7, column total_ml: expected a volume"),
]


@pytest.mark.parametrize(("row", "column", "value", "message"), BAD_CSV)
def test_a_bad_csv_row_names_its_line_and_column(
    filled: list[SessionRecord], row: int, column: str, value: str, message: str
) -> None:
    with pytest.raises(ImportProblem) as err:
        read_export(_csv_with(filled, row, **{column: value}), name="export.csv")
    assert message in str(err.value)


def test_a_csv_with_the_wrong_shape_is_refused(filled: list[SessionRecord]) -> None:
    text = to_csv(filled, tz=UTC)
    with pytest.raises(ImportProblem, match="line 1: missing column uuid"):
        read_export(text.replace(",uuid", ",id", 1), name="x.csv")
    with pytest.raises(ImportProblem, match="line 1: unknown column colour"):
        read_export(text.replace("start,", "colour,start,", 1), name="x.csv")
    lines = text.splitlines()
    lines[4] = lines[4].rsplit(",", 2)[0]
    with pytest.raises(ImportProblem, match="line 5: expected 22 values, found 20"):
        read_export("\n".join(lines), name="x.csv")
    no_unit = _csv_with(filled, 2, amount="80", total_ml="", unit="")
    with pytest.raises(ImportProblem, match="line 5, column unit: an amount needs its unit"):
        read_export(no_unit, name="x.csv")
    twice = text + text.splitlines()[-1] + "\n"
    with pytest.raises(ImportProblem, match="line 8, column uuid: the same uuid as line 7"):
        read_export(twice, name="x.csv")
    with pytest.raises(ImportProblem, match="neither JSON nor CSV"):
        read_export("hello", name="notes.txt")


# --- a session logged by hand --------------------------------------------------------------


NOW = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # 14:30 in Paris


def test_a_time_alone_is_the_last_such_time() -> None:
    with local_zone("Europe/Paris"):
        assert parse_when("14:05", now=NOW) == datetime(2026, 11, 23, 14, 5, tzinfo=PARIS)
        assert parse_when("23:40", now=NOW) == datetime(2026, 11, 22, 23, 40, tzinfo=PARIS)
        assert parse_when("2026-11-20 07:15", now=NOW) == datetime(
            2026, 11, 20, 7, 15, tzinfo=PARIS
        )
        assert parse_when("2026-11-20T07:15+00:00", now=NOW) == datetime(
            2026, 11, 20, 7, 15, tzinfo=UTC
        )
    with pytest.raises(ValueError, match="such as 2026-11-23 14:05"):
        parse_when("last night", now=NOW)


def test_a_session_logged_by_hand_has_just_ended_unless_told() -> None:
    made = manual_session(now=NOW, minutes=20, total=4, unit="oz", letdowns=1, notes=" ok ")
    session = made.model_dump(mode="json")
    assert session["started_at"] == "2026-11-23T13:10:00.000Z"
    assert session["ended_at"] == "2026-11-23T13:30:00.000Z"
    assert (session["played_s"], session["planned_s"]) == (1200.0, 1200.0)
    assert (session["routine"], session["output"], session["status"]) == (
        "manual",
        "manual",
        "completed",
    )
    assert session["volume_total_ml"] == round(4 * ML_PER_OZ, 1)
    assert (session["volume_unit"], session["counted_letdowns"], session["notes"]) == (
        "oz",
        1,
        "ok",
    )
    assert session["letdowns"] == []

    made_bare = manual_session(now=NOW, at=NOW - timedelta(hours=2))
    bare = made_bare.model_dump(mode="json")
    assert (bare["ended_at"], bare["played_s"], bare["volume_unit"], bare["notes"]) == (
        None,
        0.0,
        None,
        None,
    )
    assert bare["counted_letdowns"] is None
    read_json(to_json([made, made_bare]))  # what it makes passes the import's checks


def test_a_session_logged_by_hand_cannot_be_in_the_future_or_overflow() -> None:
    with pytest.raises(ValueError, match="still to come"):
        manual_session(now=NOW, at=NOW + timedelta(hours=1))
    with pytest.raises(ValueError, match="cannot be right"):
        manual_session(now=NOW, left=3000)
