"""A person's sessions in and out of calmflow: export files, import, and a session
logged by hand.

- JSON is calmflow's own format and loses nothing: every session with every
  field the log holds, its let-downs and its events, under
  {"format": "calmflow-export", "version": 1, "sessions": [...]}. Exported,
  imported into an empty log and exported again, it comes out the same.
- CSV has one row per session. Its first columns are what Baby Buddy's pumping
  import reads (start, end, amount, notes, child_id), calmflow's own follow. It
  cannot carry each let-down's time, phase and cues, nor the session's events:
  imported, a session keeps only how many let-downs it had.
- Sessions are matched by uuid, so importing a file twice adds nothing twice.
- A file with anything wrong in it is refused whole, with the one place at fault:
  the JSON path (sessions[3].letdowns[0].t_s) or the CSV line and column.

Pure: sessions are plain dicts as `calmflow.store.dump` gives and takes them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from calmflow.core.records import MANUAL, MAX_SESSION_ML, ML_PER_OZ, AfterSession
from calmflow.store.dump import EVENT_FIELDS, LETDOWN_FIELDS, SESSION_FIELDS
from calmflow.store.store import iso_time

FORMAT = "calmflow-export"
VERSION = 1
STATUSES = ("running", "completed", "finished_early", "interrupted")

CSV_COLUMNS = (
    # What Baby Buddy's pumping import reads (by name: the order does not matter
    # to it). Times are local, as it expects; amount is in the unit logged.
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


class ImportProblem(ValueError):
    """A file that cannot be imported; the message names the place at fault."""


# --- out ------------------------------------------------------------------------------


def to_json(sessions: Sequence[Mapping[str, Any]]) -> str:
    """The lossless export of `sessions` (as `Store.dump_sessions` gives them)."""
    document = {"format": FORMAT, "version": VERSION, "sessions": list(sessions)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_csv(
    sessions: Sequence[Mapping[str, Any]], *, child_id: int | None = None, tz: tzinfo | None = None
) -> str:
    """One row per session: Baby Buddy's pumping columns, then calmflow's.

    `amount` is the total volume in the unit the person logged it in (ml or oz,
    said in `unit`); the *_ml columns are always millilitres. Times are local
    (`tz`, default this machine's zone), to the second, as Baby Buddy reads them.
    `child_id` fills Baby Buddy's column of that name, which its import needs.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in sessions:
        started = _aware(s["started_at"])
        ended = _aware(s["ended_at"]) if s["ended_at"] else None
        if ended is None and s["played_s"]:
            ended = started + timedelta(seconds=s["played_s"])
        marked = [ld["t_s"] for ld in s["letdowns"]]
        count = s["counted_letdowns"] if s["counted_letdowns"] is not None else len(marked)
        row = {
            "start": _local(started, tz),
            "end": _local(ended, tz) if ended else "",
            "amount": _amount(s["volume_total_ml"], s["volume_unit"]),
            "notes": s["notes"] or "",
            "child_id": "" if child_id is None else str(child_id),
            "routine": s["routine"],
            "status": s["status"],
            "letdowns": str(count),
            "first_letdown_s": _cell(min(marked, default=None)),
            "played_s": _cell(s["played_s"]),
            "planned_s": _cell(s["planned_s"]),
            "left_ml": _cell(s["volume_left_ml"]),
            "right_ml": _cell(s["volume_right_ml"]),
            "total_ml": _cell(s["volume_total_ml"]),
            "unit": s["volume_unit"] or "",
            "comfort": "" if s["comfort"] is None else str(s["comfort"]),
            "relaxation": "" if s["relaxation"] is None else str(s["relaxation"]),
            "dmer": {None: "", True: "yes", False: "no"}[s["dmer"]],
            "experiment": s["experiment"] or "",
            "experiment_arm": s["experiment_arm"] or "",
            "output": s["output"],
            "uuid": s["uuid"],
        }
        writer.writerow([row[c] for c in CSV_COLUMNS])
    return out.getvalue()


def _aware(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _local(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime(CSV_TIME)


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


# --- in -------------------------------------------------------------------------------


def read_export(text: str, *, name: str) -> list[dict[str, Any]]:
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


def read_json(text: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportProblem(
            f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportProblem(f'not a calmflow export: no "format": "{FORMAT}" at the top')
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ImportProblem(f"version: expected a whole number, got {_shown(version)}")
    if version > VERSION:
        raise ImportProblem(
            f"version {version}: made by a newer calmflow (this one reads version "
            f"{VERSION}); update calmflow"
        )
    if version < 1:
        raise ImportProblem(f"version {version}: there is no such version")
    _same_keys(document, ("format", "version", "sessions"), "the top")
    sessions = document["sessions"]
    if not isinstance(sessions, list):
        raise ImportProblem(f"sessions: expected a list, got {_shown(sessions)}")
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(sessions):
        session = _session(raw, f"sessions[{i}]")
        first = seen.setdefault(session["uuid"], i)
        if first != i:
            raise ImportProblem(f"sessions[{i}].uuid: the same as sessions[{first}].uuid")
        out.append(session)
    return out


Check = Callable[[Any], Any]
"""Returns the value as it is to be stored, or raises ValueError saying what was expected."""


def _session(raw: Any, path: str) -> dict[str, Any]:
    _object(raw, path)
    _same_keys(raw, (*SESSION_FIELDS, "letdowns", "events"), path)
    session = {name: _checked(raw, name, SESSION_CHECKS[name], path) for name in SESSION_FIELDS}
    session["letdowns"] = []
    numbers: set[int] = set()
    for j, item in enumerate(_list(raw["letdowns"], f"{path}.letdowns")):
        where = f"{path}.letdowns[{j}]"
        _object(item, where)
        _same_keys(item, LETDOWN_FIELDS, where)
        letdown = {
            name: _checked(item, name, LETDOWN_CHECKS[name], where) for name in LETDOWN_FIELDS
        }
        if letdown["number"] in numbers:
            raise ImportProblem(f"{where}.number: let-down {letdown['number']} comes twice")
        numbers.add(letdown["number"])
        session["letdowns"].append(letdown)
    session["events"] = []
    for j, item in enumerate(_list(raw["events"], f"{path}.events")):
        where = f"{path}.events[{j}]"
        _object(item, where)
        _same_keys(item, EVENT_FIELDS, where)
        session["events"].append(
            {name: _checked(item, name, EVENT_CHECKS[name], where) for name in EVENT_FIELDS}
        )
    return session


def _object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ImportProblem(f"{path}: expected an object {{...}}, got {_shown(value)}")


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ImportProblem(f"{path}: expected a list [...], got {_shown(value)}")
    return value


def _same_keys(raw: Mapping[str, Any], expected: Sequence[str], path: str) -> None:
    missing = [name for name in expected if name not in raw]
    if missing:
        raise ImportProblem(f"{path}: missing field {', '.join(missing)}")
    unknown = [name for name in raw if name not in expected]
    if unknown:
        raise ImportProblem(f"{path}: unknown field {', '.join(map(str, unknown))}")


def _checked(raw: Mapping[str, Any], name: str, check: Check, path: str) -> Any:
    try:
        return check(raw[name])
    except ValueError as exc:
        raise ImportProblem(f"{path}.{name}: {exc}, got {_shown(raw[name])}") from None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


# Checks of single values, shared by the JSON and CSV readers.


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected some text")
    return value


def _any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _uuid(value: Any) -> str:
    try:
        uuid.UUID(_text(value))
    except ValueError:
        raise ValueError("expected a uuid") from None
    return str(value)


def _time(value: Any) -> str:
    """A moment with its UTC offset. Kept as written when in UTC, so an export
    comes back the same; another offset is turned into UTC, as the log keeps it."""
    try:
        moment = _aware(_text(value))
    except ValueError:
        raise ValueError("expected a time such as 2025-03-01T08:00:00.000Z") from None
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("expected a time with its UTC offset, such as 2025-03-01T08:00:00.000Z")
    return str(value) if offset == timedelta(0) else iso_time(moment)


def _number(value: Any, low: float, high: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected {what}")
    if not low <= value <= high:
        raise ValueError(f"expected {what}")
    return float(value)


def _seconds(value: Any) -> float:
    return _number(value, 0.0, math.inf, "a number of seconds, 0 or more")


def _volume(value: Any) -> float:
    return _number(value, 0.0, MAX_SESSION_ML, f"a volume in ml from 0 to {MAX_SESSION_ML:g}")


_COUNT_MAX = 1_000_000
"""More than any session can have, and well inside SQLite's integers."""


def _whole(low: int, high: int = _COUNT_MAX) -> Check:
    what = f"a whole number from {low} to {high}"

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected {what}")
        return value

    return check


def _choice(*allowed: str) -> Check:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return str(value)

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _cues(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError("expected a list of cue names")
    return value


SESSION_CHECKS: dict[str, Check] = {
    "uuid": _uuid,
    "routine": _text,
    "routine_path": _optional(_any_text),
    "routine_digest": _optional(_any_text),
    "started_at": _time,
    "updated_at": _time,
    "ended_at": _optional(_time),
    "status": _choice(*STATUSES),
    "planned_s": _seconds,
    "played_s": _seconds,
    "output": _text,
    "audio_problem": _optional(_any_text),
    "underruns": _whole(0),
    "volume_left_ml": _optional(_volume),
    "volume_right_ml": _optional(_volume),
    "volume_total_ml": _optional(_volume),
    "volume_unit": _optional(_choice("ml", "oz")),
    "notes": _optional(_any_text),
    "experiment": _optional(_any_text),
    "experiment_arm": _optional(_any_text),
    "comfort": _optional(_whole(1, 5)),
    "relaxation": _optional(_whole(1, 5)),
    "dmer": _optional(_flag),
    "counted_letdowns": _optional(_whole(0)),
}
LETDOWN_CHECKS: dict[str, Check] = {
    "number": _whole(1),
    "t_s": _seconds,
    "phase": _any_text,
    "phase_kind": _any_text,
    "cues": _cues,
    "marked_at": _time,
}
EVENT_CHECKS: dict[str, Check] = {
    "t_s": _seconds,
    "kind": _text,
    "detail": _any_text,
    "at": _time,
}


# --- CSV in -----------------------------------------------------------------------------


def read_csv(text: str, *, tz: tzinfo | None = None) -> list[dict[str, Any]]:
    """Sessions from calmflow's CSV export. Times without an offset are local (`tz`,
    default this machine's zone). Let-downs come back as a count only."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
        missing = [name for name in CSV_COLUMNS if name not in header]
        if missing:
            raise ImportProblem(
                f"line 1: missing column {', '.join(missing)}; is this a calmflow CSV export?"
            )
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if unknown:
            raise ImportProblem(f"line 1: unknown column {', '.join(unknown)}")
        out = []
        seen: dict[str, int] = {}
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) != len(header):
                    raise ImportProblem(
                        f"line {line}: expected {len(header)} values, found {len(row)}"
                    )
                session = _csv_session(dict(zip(header, row, strict=True)), line, tz)
                first = seen.setdefault(session["uuid"], line)
                if first != line:
                    raise ImportProblem(f"line {line}, column uuid: the same uuid as line {first}")
                out.append(session)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportProblem(f"line {reader.line_num}: not CSV ({exc})") from None
    return out


def _csv_session(cells: Mapping[str, str], line: int, tz: tzinfo | None) -> dict[str, Any]:
    def cell(column: str, check: Check) -> Any:
        text = cells[column].strip()
        try:
            return check(text) if text else check(None)
        except ValueError as exc:
            raise ImportProblem(f"line {line}, column {column}: {exc}, got {text!r}") from None

    def local_time(text: str | None) -> str:
        return _local_time(_text(text), tz)

    started = cell("start", local_time)
    ended = cell("end", _optional(local_time))
    total_ml = cell("total_ml", _optional(_as_number(_volume)))
    amount = cell("amount", _optional(_as_number(_amount_value)))
    unit = cell("unit", _optional(_choice("ml", "oz")))
    if total_ml is None and amount is not None:
        if unit is None:
            raise ImportProblem(f"line {line}, column unit: an amount needs its unit, ml or oz")
        total_ml = cell("amount", lambda _: _volume(round(amount * _ml_per(unit), 1)))
    cell("first_letdown_s", _optional(_as_number(_seconds)))  # checked; kept only in JSON
    return {
        "uuid": cell("uuid", _uuid),
        "routine": cell("routine", _text),
        "routine_path": None,
        "routine_digest": None,
        "started_at": started,
        "updated_at": ended or started,
        "ended_at": ended,
        "status": cell("status", _choice(*STATUSES)),
        "planned_s": cell("planned_s", _as_number(_seconds)),
        "played_s": cell("played_s", _as_number(_seconds)),
        "output": cell("output", _text),
        "audio_problem": None,
        "underruns": 0,
        "volume_left_ml": cell("left_ml", _optional(_as_number(_volume))),
        "volume_right_ml": cell("right_ml", _optional(_as_number(_volume))),
        "volume_total_ml": total_ml,
        "volume_unit": unit,
        "notes": cells["notes"] or None,
        "experiment": cells["experiment"] or None,
        "experiment_arm": cells["experiment_arm"] or None,
        "comfort": cell("comfort", _optional(_as_whole(_whole(1, 5)))),
        "relaxation": cell("relaxation", _optional(_as_whole(_whole(1, 5)))),
        "dmer": cell("dmer", _optional(_yes_no)),
        "counted_letdowns": cell("letdowns", _optional(_as_whole(_whole(0)))),
        "letdowns": [],
        "events": [],
    }


def _local_time(text: str, tz: tzinfo | None) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a time such as 2025-03-01 08:00:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz) if tz else moment.astimezone()
    return iso_time(moment)


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
    return _number(value, 0.0, math.inf, "a number, 0 or more")


def _ml_per(unit: str) -> float:
    return ML_PER_OZ if unit == "oz" else 1.0


def _yes_no(value: Any) -> bool:
    text = str(value).lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    raise ValueError("expected yes or no")


# --- a session logged by hand ---------------------------------------------------------


def parse_when(text: str, *, now: datetime) -> datetime:
    """When a session pumped without calmflow started: "2026-11-23 14:05" (local
    time, or with an offset), or "14:05" for the last 14:05 (today, or yesterday
    if that is still to come). ValueError if it cannot be read."""
    text = text.strip()
    local_now = now.astimezone()
    try:
        if len(text) <= 5 and ":" in text:
            hour, minute = (int(part) for part in text.split(":"))
            moment = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return moment - timedelta(days=1) if moment > local_now else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r}: give a date and time such as 2026-11-23 14:05, or a time such as 14:05"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def manual_session(
    *,
    now: datetime,
    at: datetime | None = None,
    minutes: float | None = None,
    left: float | None = None,
    right: float | None = None,
    total: float | None = None,
    unit: str = "ml",
    letdowns: int | None = None,
    notes: str = "",
) -> dict[str, Any]:
    """A session pumped without calmflow, shaped for `Store.add_sessions`: routine
    and output "manual", let-downs as a count only (there are no times for them).

    `at` is when it started; by default it has just ended (now, less `minutes`).
    Volumes are in `unit`. ValueError for something that cannot be right.
    """
    length = timedelta(minutes=minutes or 0)
    started = at if at is not None else now - length
    if started > now + timedelta(minutes=1):
        raise ValueError(f"{started.astimezone():%Y-%m-%d %H:%M} is still to come")
    if letdowns is not None and letdowns < 0:
        raise ValueError("the number of let-downs cannot be negative")
    volumes: tuple[float | None, float | None, float | None] = (None, None, None)
    if (left, right, total) != (None, None, None):
        answers = AfterSession.from_entry(left, right, total, unit)
        volumes = (answers.volume_left_ml, answers.volume_right_ml, answers.volume_total_ml)
    return {
        "uuid": str(uuid.uuid4()),
        "routine": MANUAL,
        "routine_path": None,
        "routine_digest": None,
        "started_at": iso_time(started),
        "updated_at": iso_time(now),
        "ended_at": iso_time(started + length) if minutes else None,
        "status": "completed",
        "planned_s": length.total_seconds(),
        "played_s": length.total_seconds(),
        "output": MANUAL,
        "audio_problem": None,
        "underruns": 0,
        "volume_left_ml": volumes[0],
        "volume_right_ml": volumes[1],
        "volume_total_ml": volumes[2],
        "volume_unit": unit if volumes != (None, None, None) else None,
        "notes": notes.strip() or None,
        "experiment": None,
        "experiment_arm": None,
        "comfort": None,
        "relaxation": None,
        "dmer": None,
        "counted_letdowns": letdowns,
        "letdowns": [],
        "events": [],
    }
