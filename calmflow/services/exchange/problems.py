"""What an import says about a file it refuses: the place at fault (the JSON path
or the CSV line and column), what was expected there, and what was found.

The checks of the values themselves are the session model's
(`calmflow.core.records`): an import, an edit and the form check alike.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from calmflow.core.records import Inconsistent, problem_words


class ImportProblem(ValueError):
    """A file that cannot be imported; the message names the place at fault."""


class Repeated(dict[str, Any]):
    """A JSON object in which a key comes twice (`key`, the first such): JSON
    leaves it open which of the two counts, so an import takes neither."""

    key: str


class LongNumber(str):
    """A whole number in a file with more digits than any of a session's numbers
    could have: kept as its text, so the checks refuse it by name (Python itself
    refuses to read one of more than 4,300 digits)."""


def expect_object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ImportProblem(f"{path}: expected an object {{...}}, got {shown(value)}")
    if isinstance(value, Repeated):
        raise ImportProblem(f"{path}.{value.key}: given twice in one object")


def expect_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ImportProblem(f"{path}: expected a list [...], got {shown(value)}")
    return value


def same_keys(
    raw: Mapping[str, Any],
    expected: Sequence[str],
    path: str,
    may_lack: Collection[str] = (),
) -> None:
    """Every expected field there (but those in `may_lack`), and no other."""
    missing = [name for name in expected if name not in raw and name not in may_lack]
    if missing:
        raise ImportProblem(f"{path}: missing field {', '.join(missing)}")
    unknown = [name for name in raw if name not in expected]
    if unknown:
        raise ImportProblem(f"{path}: unknown field {', '.join(map(str, unknown))}")


def refused(exc: ValidationError, path: str) -> ImportProblem:
    """The first thing the model found wrong, at its JSON path under `path`
    (sessions[3].letdowns[0].t_s)."""
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, Inconsistent):  # of the session as a whole: the field it names
        return ImportProblem(f"{path}.{cause.place}: {cause}")
    place = path
    for part in error["loc"]:
        place += f"[{part}]" if isinstance(part, int) else f".{part}"
    return ImportProblem(f"{place}: {problem_words(error)}, got {shown(error['input'])}")


def shown(value: Any) -> str:
    """A value from a file, short, for a message."""
    if isinstance(value, LongNumber):
        return f"a number of {len(value)} characters"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    except RecursionError:
        text = "a value nested too deeply"
    return text if len(text) <= 40 else text[:37] + "..."
