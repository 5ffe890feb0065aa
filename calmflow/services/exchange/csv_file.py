"""A row per session, in CSV: calmflow's own file, every session as it is (its
first columns are named as Baby Buddy names its pumping columns, but a file Baby
Buddy takes whole is `babybuddy`'s). It cannot carry each let-down's time, phase
and cues, nor the session's events: imported, a session keeps only how many
let-downs it had.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (or a tab or a
carriage return before one) as a formula: `=HYPERLINK(...)` in a note would be
a link that sends data away. So a text cell written so gets a leading
apostrophe, which a spreadsheet shows as text (`spreadsheet_safe`), and
calmflow's own import takes it off again (`as_written`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import IO, Any

from pydantic import ValidationError

from calmflow.core.records import STATUSES, UNITS, Inconsistent, SessionRecord, problem_words
from calmflow.core.values import (
    ML_PER_OZ,
    TIME_RANGE,
    Check,
    choice,
    in_range,
    ml_per,
    number,
    optional,
    seconds,
    some_text,
    uuid_text,
    volume_ml,
    whole,
)
from calmflow.services.exchange.problems import ImportProblem
from calmflow.system import wallclock
from calmflow.system.wallclock import iso_time

CSV_COLUMNS = (
    # Named as Baby Buddy's pumping columns are. Times are local; amount is in
    # the unit logged.
    "start",
    "end",
    "amount",
    "notes",
    "child_id",
    # calmflow's own.
    "routine",
    "status",
    "letdowns",
    "first_letdown_s",
    "played_s",
    "planned_s",
    "left_ml",
    "right_ml",
    "total_ml",
    "unit",
    "comfort",
    "relaxation",
    "dmer",
    "experiment",
    "experiment_arm",
    "output",
    "uuid",
)
CSV_TIME = "%Y-%m-%d %H:%M:%S"
COLUMN_OF = {"started_at": "start", "ended_at": "end"}
"""The column of a session's field, where its name is not the field's."""
TEXT_COLUMNS = ("notes", "routine", "experiment", "experiment_arm", "output")
"""The columns of free text, the only ones a formula could be in: the others hold
numbers (never negative), times, a uuid or one of a few words."""

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet shows and never runs: one beginning with `=`,
    `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe (OWASP's
    advice on CSV injection), and so does one whose apostrophes come before
    such a character, so `as_written` gives back every text as it was. Only for
    text cells: numbers are written as numbers (none is ever negative)."""
    return "'" + text if _FORMULA.match(text) else text


def as_written(cell: str) -> str:
    """A text cell as it was before `spreadsheet_safe`: one leading apostrophe
    taken off where apostrophes and then `=`, `+`, `-`, `@`, a tab or a carriage
    return follow it (a note that began `'=` was written `''=`)."""
    return cell[1:] if _ESCAPED.match(cell) else cell


def to_csv(
    sessions: Sequence[SessionRecord], *, child_id: int | None = None, tz: tzinfo | None = None
) -> str:
    """One row per session: the columns named as Baby Buddy's pumping ones, then
    calmflow's.

    `amount` is the total volume in the unit the person logged it in (ml or oz,
    said in `unit`); the *_ml columns are always millilitres. Times are local
    (`tz`, default the person's zone), to the second. `child_id` fills the
    column of that name. Text cells (TEXT_COLUMNS) are `spreadsheet_safe`.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in sessions:
        started: datetime = s.started_at
        ended: datetime | None = s.ended_at
        if ended is None and s.played_s:
            ended = started + timedelta(seconds=s.played_s)
        row = {
            "start": _local(started, tz),
            "end": _local(ended, tz) if ended else "",
            "amount": _amount(s.volume_total_ml, s.volume_unit),
            "notes": s.notes or "",
            "child_id": "" if child_id is None else str(child_id),
            "routine": s.routine,
            "status": s.status,
            "letdowns": "" if s.letdown_count is None else str(s.letdown_count),
            "first_letdown_s": _cell(s.first_letdown_s),
            "played_s": _cell(s.played_s),
            "planned_s": _cell(s.planned_s),
            "left_ml": _cell(s.volume_left_ml),
            "right_ml": _cell(s.volume_right_ml),
            "total_ml": _cell(s.volume_total_ml),
            "unit": s.volume_unit or "",
            "comfort": "" if s.comfort is None else str(s.comfort),
            "relaxation": "" if s.relaxation is None else str(s.relaxation),
            "dmer": {None: "", True: "yes", False: "no"}[s.dmer],
            "experiment": s.experiment or "",
            "experiment_arm": s.experiment_arm or "",
            "output": s.output,
            "uuid": s.uuid,
        }
        for column in TEXT_COLUMNS:
            row[column] = spreadsheet_safe(row[column])
        writer.writerow([row[c] for c in CSV_COLUMNS])
    return out.getvalue()


def _local(moment: datetime, tz: tzinfo | None) -> str:
    local = moment.astimezone(tz) if tz is not None else wallclock.local(moment)
    return local.strftime(CSV_TIME)


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    text = repr(float(value))
    return text.removesuffix(".0")


def _amount(total_ml: float | None, unit: str | None) -> str:
    if total_ml is None:
        return ""
    if unit == "oz":
        return _cell(round(total_ml / ML_PER_OZ, 2))
    return _cell(total_ml)


def read_csv(text: str, *, tz: tzinfo | None = None) -> list[SessionRecord]:
    """The sessions of a CSV export held whole in `text`; see `CsvExport`."""
    return list(CsvExport(io.BytesIO(text.encode("utf-8", "surrogatepass")), tz=tz))


class CsvExport:
    """Sessions from calmflow's CSV export, read from `raw` (bytes, UTF-8) a row
    at a time as they are taken: made, its header is checked; iterated, each row
    is checked and given. Times without an offset are local (`tz`, default this
    machine's zone). Let-downs come back as a count only. ImportProblem for the
    first thing wrong, with its line and column."""

    def __init__(self, raw: IO[bytes], *, tz: tzinfo | None = None) -> None:
        self._tz = tz
        self._reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        with _read_as_csv(self._reader):
            header = [name.strip() for name in next(self._reader, [])]
        missing = [name for name in CSV_COLUMNS if name not in header]
        if missing:
            raise ImportProblem(
                f"line 1: missing column {', '.join(missing)}; is this a calmflow CSV export?"
            )
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if unknown:
            raise ImportProblem(f"line 1: unknown column {', '.join(unknown)}")
        self._header = header

    def __iter__(self) -> Iterator[SessionRecord]:
        reader, header = self._reader, self._header
        seen: dict[str, int] = {}
        line = reader.line_num + 1
        with _read_as_csv(reader):
            for row in reader:
                if any(cell.strip() for cell in row):
                    if len(row) != len(header):
                        raise ImportProblem(
                            f"line {line}: expected {len(header)} values, found {len(row)}"
                        )
                    session = _csv_session(dict(zip(header, row, strict=True)), line, self._tz)
                    first = seen.setdefault(session.uuid, line)
                    if first != line:
                        raise ImportProblem(
                            f"line {line}, column uuid: the same uuid as line {first}"
                        )
                    yield session
                line = reader.line_num + 1


@contextmanager
def _read_as_csv(reader: Any) -> Iterator[None]:
    """What the csv module or the decoding finds wrong, as an ImportProblem."""
    try:
        yield
    except csv.Error as exc:
        raise ImportProblem(f"line {reader.line_num}: not CSV ({exc})") from None
    except UnicodeDecodeError:
        raise ImportProblem("not a calmflow export (not UTF-8 text)") from None


def _csv_session(cells: Mapping[str, str], line: int, tz: tzinfo | None) -> SessionRecord:
    # Each cell is read and checked by the model's own checks, to name its column;
    # the session is then made by the model, which checks how they agree.
    cells = {**cells, **{column: as_written(cells[column]) for column in TEXT_COLUMNS}}

    def cell(column: str, check: Check) -> Any:
        text = cells[column].strip()
        try:
            return check(text) if text else check(None)
        except ValueError as exc:
            raise ImportProblem(f"line {line}, column {column}: {exc}, got {text!r}") from None

    def local_time(text: str | None) -> str:
        return _local_time(some_text(text), tz)

    started = cell("start", local_time)
    ended = cell("end", optional(local_time))
    total_ml = cell("total_ml", optional(_as_number(volume_ml)))
    amount = cell("amount", optional(_as_number(_amount_value)))
    unit = cell("unit", optional(choice(*UNITS)))
    if total_ml is None and amount is not None:
        if unit is None:
            raise ImportProblem(f"line {line}, column unit: an amount needs its unit, ml or oz")
        total_ml = cell("amount", lambda _: volume_ml(round(amount * ml_per(unit), 1)))
    cell("first_letdown_s", optional(_as_number(seconds)))  # checked; kept only in JSON
    values = {
        "uuid": cell("uuid", uuid_text),
        "routine": cell("routine", some_text),
        "routine_path": None,
        "routine_digest": None,
        "started_at": started,
        "ended_at": ended,
        "status": cell("status", choice(*STATUSES)),
        "planned_s": cell("planned_s", _as_number(seconds)),
        "played_s": cell("played_s", _as_number(seconds)),
        "output": cell("output", some_text),
        "audio_problem": None,
        "underruns": 0,
        "volume_left_ml": cell("left_ml", optional(_as_number(volume_ml))),
        "volume_right_ml": cell("right_ml", optional(_as_number(volume_ml))),
        "volume_total_ml": total_ml,
        "volume_unit": unit,
        "notes": cells["notes"] or None,
        "experiment": cells["experiment"] or None,
        "experiment_arm": cells["experiment_arm"] or None,
        "comfort": cell("comfort", optional(_as_whole(whole(1, 5)))),
        "relaxation": cell("relaxation", optional(_as_whole(whole(1, 5)))),
        "dmer": cell("dmer", optional(_yes_no)),
        "counted_letdowns": cell("letdowns", optional(_as_whole(whole(0)))),
    }
    try:  # every cell is checked above: the model checks only how they agree
        return SessionRecord.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, Inconsistent):
            column = COLUMN_OF.get(cause.place, cause.place)
            raise ImportProblem(f"line {line}, column {column}: {cause}") from None
        raise ImportProblem(f"line {line}: {problem_words(error)}") from None


def _local_time(text: str, tz: tzinfo | None) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a time such as 2025-03-01 08:00:00") from None
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=tz) if tz else wallclock.assume_local(moment)
        except OverflowError:  # 0001-01-01 east of UTC: before any time there is
            raise ValueError(f"expected {TIME_RANGE}") from None
    return iso_time(in_range(moment))


def _as_number(check: Check) -> Check:
    def parse(text: str) -> Any:
        try:
            value = float(text)
        except (TypeError, ValueError):
            value = math.nan  # the check says what was expected
        return check(value)

    return parse


def _as_whole(check: Check) -> Check:
    def parse(text: str) -> Any:
        try:
            value: Any = int(text)
        except (TypeError, ValueError):
            value = text
        return check(value)

    return parse


def _amount_value(value: Any) -> float:
    return number(value, 0.0, math.inf, "a number, 0 or more")


def _yes_no(value: Any) -> bool:
    text = str(value).lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    raise ValueError("expected yes or no")
