"""calmflow's own export format, JSON: every session with every field the log
holds, its let-downs and its events, under
{"format": "calmflow-export", "version": 1, "sessions": [...]}. Exported,
imported into an empty log and exported again, it comes out the same."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from calmflow.core.records import ADDED_LATER, EVENT_FIELDS, EXPORTED, LETDOWN_FIELDS, SessionRecord
from calmflow.services.exchange.problems import (
    ImportProblem,
    expect_list,
    expect_object,
    refused,
    same_keys,
    shown,
)

FORMAT = "calmflow-export"
VERSION = 1


def to_json(sessions: Sequence[SessionRecord]) -> str:
    """The lossless export of `sessions` (as `Store.dump_sessions` gives them)."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "sessions": [s.model_dump(mode="json") for s in sessions],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_json(text: str) -> list[SessionRecord]:
    """The sessions of a JSON export, checked; ImportProblem for the first thing
    wrong in it, with its JSON path."""
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
        raise ImportProblem(f"version: expected a whole number, got {shown(version)}")
    if version > VERSION:
        raise ImportProblem(
            f"version {version}: made by a newer calmflow (this one reads version "
            f"{VERSION}); update calmflow"
        )
    if version < 1:
        raise ImportProblem(f"version {version}: there is no such version")
    same_keys(document, ("format", "version", "sessions"), "the top")
    sessions = document["sessions"]
    if not isinstance(sessions, list):
        raise ImportProblem(f"sessions: expected a list, got {shown(sessions)}")
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(sessions):
        session = _session(raw, f"sessions[{i}]")
        first = seen.setdefault(session.uuid, i)
        if first != i:
            raise ImportProblem(f"sessions[{i}].uuid: the same as sessions[{first}].uuid")
        out.append(session)
    return out


def _session(raw: Any, path: str) -> SessionRecord:
    # The shape first (every field there, no other), then every value by the model.
    expect_object(raw, path)
    same_keys(raw, EXPORTED, path, may_lack=ADDED_LATER)
    for part, fields in (("letdowns", LETDOWN_FIELDS), ("events", EVENT_FIELDS)):
        for j, item in enumerate(expect_list(raw[part], f"{path}.{part}")):
            expect_object(item, f"{path}.{part}[{j}]")
            same_keys(item, fields, f"{path}.{part}[{j}]")
    try:
        session = SessionRecord.model_validate(raw)
    except ValidationError as exc:
        raise refused(exc, path) from None
    numbers: set[int] = set()
    for j, letdown in enumerate(session.letdowns):
        if letdown.number in numbers:
            raise ImportProblem(
                f"{path}.letdowns[{j}].number: let-down {letdown.number} comes twice"
            )
        numbers.add(letdown.number)
    return session
