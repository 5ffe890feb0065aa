"""calmflow's own export format, JSON: every session with every field the log
holds, its let-downs and its events, and every breastfeed, under
{"format": "calmflow-export", "version": 2, "sessions": [...], "feeds": [...]}.
Exported, imported into an empty log and exported again, it comes out the same.
Version 1 (before breastfeeds were kept) had no "feeds"; it is read as ever.

A file is read as it is taken in (`JsonExport`): a piece at a time, a session
at a time, so memory stays flat whatever its size. What JSON leaves open is
refused, with its JSON path: a key given twice in one object (which one
counts?), a whole number of more digits than any session's number has, nesting
deeper than any session's.
"""

from __future__ import annotations

import codecs
import io
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from typing import IO, Any

from pydantic import ValidationError

from calmflow.core.feeds import FEED_FIELDS, FeedRecord
from calmflow.core.records import ADDED_LATER, EVENT_FIELDS, EXPORTED, LETDOWN_FIELDS, SessionRecord
from calmflow.services.exchange.problems import (
    ImportProblem,
    LongNumber,
    Repeated,
    expect_list,
    expect_object,
    refused,
    same_keys,
    shown,
)

FORMAT = "calmflow-export"
VERSION = 2
"""2: with breastfeeds ("feeds"), which a calmflow reading version 1 would refuse."""
PIECE = 1 << 20
"""Bytes read at a time (more while a session is longer than what is at hand)."""
DIGITS_MAX = 30
"""A whole number with more digits than this is no session's: refused by name."""


def to_json(sessions: Sequence[SessionRecord], feeds: Sequence[FeedRecord] = ()) -> str:
    """The lossless export of `sessions` (as `Store.dump_sessions` gives them) and
    of the breastfeeds `feeds`, each its own kind."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "sessions": [s.model_dump(mode="json") for s in sessions],
        "feeds": [f.model_dump(mode="json") for f in feeds],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class JsonExport:
    """The sessions of a JSON export, read from `raw` (bytes, UTF-8) as they are
    taken: made, the file is known to be a calmflow export (its "format" read);
    iterated, each session is checked and given, and the rest of the file after
    the last. ImportProblem for the first thing wrong, with its JSON path. The
    breastfeeds (`feeds`) are all read once the sessions have been."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._text = _Text(raw)
        self._seen: set[str] = set()
        self.feeds: list[FeedRecord] = []
        """The file's breastfeeds, checked; whole once its sessions are read."""
        self._feeds: Any = None
        if self._text.skip() != "{":
            self._text.value()  # what is not JSON is said to be so first
            raise ImportProblem(f'not a calmflow export: no "format": "{FORMAT}" at the top')
        self._text.pos += 1
        self._at_sessions = self._fields(after_value=False)

    def __iter__(self) -> Iterator[SessionRecord]:
        if self._at_sessions:
            yield from self._sessions()
            self._fields(after_value=True)
        if self._text.skip():
            raise ImportProblem(f"not JSON ({self._text.where()}: more after the end)")
        if "format" not in self._seen:  # only "feeds" was there
            raise ImportProblem(f'not a calmflow export: no "format": "{FORMAT}" at the top')
        missing = [name for name in ("version", "sessions") if name not in self._seen]
        if missing:
            raise ImportProblem(f"the top: missing field {', '.join(missing)}")
        if "feeds" in self._seen:
            self.feeds = _feeds(self._feeds)

    def _fields(self, *, after_value: bool) -> bool:
        """Read the top object's fields up to the sessions' list (True) or to the
        object's end (False); `after_value`: reading goes on after a value."""
        text = self._text
        if after_value:
            if text.expect(",}") == "}":
                return False
        elif text.skip() == "}":
            raise ImportProblem(f'not a calmflow export: no "format": "{FORMAT}" at the top')
        while True:
            at = text.where()
            key = text.value()
            if not isinstance(key, str):
                raise ImportProblem(f"not JSON ({at}: expected a name in double quotes)")
            text.expect(":")
            if key in self._seen:
                raise ImportProblem(f"{key}: given twice in one object")
            self._seen.add(key)
            if key == "sessions":
                if "format" not in self._seen:
                    raise ImportProblem(
                        f'not a calmflow export: no "format": "{FORMAT}" before its sessions'
                    )
                return True
            self._field(key)
            if text.expect(",}") == "}":
                return False

    def _field(self, key: str) -> None:
        value = self._text.value()
        if key == "format":
            if value != FORMAT:
                raise ImportProblem(f'not a calmflow export: no "format": "{FORMAT}" at the top')
        elif key == "version":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ImportProblem(f"version: expected a whole number, got {shown(value)}")
            if value > VERSION:
                raise ImportProblem(
                    f"version {value}: made by a newer calmflow (this one reads version "
                    f"{VERSION}); update calmflow"
                )
            if value < 1:
                raise ImportProblem(f"version {value}: there is no such version")
        elif key == "feeds":  # checked once the file is known to be an export (jq -S
            self._feeds = value  # puts "feeds" before "format")
        elif "format" not in self._seen:
            raise ImportProblem(f'not a calmflow export: no "format": "{FORMAT}" at the top')
        else:
            raise ImportProblem(f"the top: unknown field {key}")

    def _sessions(self) -> Iterator[SessionRecord]:
        text = self._text
        if text.skip() != "[":
            raise ImportProblem(f"sessions: expected a list, got {shown(text.value())}")
        text.pos += 1
        if text.skip() == "]":
            text.pos += 1
            return
        seen: dict[str, int] = {}
        for i in itertools.count():
            path = f"sessions[{i}]"
            session = _session(text.value(path), path)
            first = seen.setdefault(session.uuid, i)
            if first != i:
                raise ImportProblem(f"{path}.uuid: the same as sessions[{first}].uuid")
            yield session
            if text.expect(",]") == "]":
                return


def _feeds(raw: Any) -> list[FeedRecord]:
    """The breastfeeds of a file's "feeds", each checked; ImportProblem naming the
    first at fault (feeds[2].side)."""
    found: list[FeedRecord] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(expect_list(raw, "feeds")):
        path = f"feeds[{i}]"
        expect_object(item, path)
        same_keys(item, FEED_FIELDS, path, may_lack=("ended_at", "side", "source"))
        try:
            feed = FeedRecord.model_validate(item)
        except ValidationError as exc:
            raise refused(exc, path) from None
        first = seen.setdefault(feed.uuid, i)
        if first != i:
            raise ImportProblem(f"{path}.uuid: the same as feeds[{first}].uuid")
        found.append(feed)
    return found


def read_json(text: str) -> list[SessionRecord]:
    """The sessions of a JSON export held whole in `text`; see `JsonExport`."""
    return list(JsonExport(io.BytesIO(text.encode("utf-8", "surrogatepass"))))


def _session(raw: Any, path: str) -> SessionRecord:
    # The shape first (every field there, no other), then every value by the model.
    try:
        expect_object(raw, path)
        same_keys(raw, EXPORTED, path, may_lack=ADDED_LATER)
        for part, fields in (("letdowns", LETDOWN_FIELDS), ("events", EVENT_FIELDS)):
            for j, item in enumerate(expect_list(raw[part], f"{path}.{part}")):
                expect_object(item, f"{path}.{part}[{j}]")
                same_keys(item, fields, f"{path}.{part}[{j}]")
        session = SessionRecord.model_validate(raw)
    except ValidationError as exc:
        raise refused(exc, path) from None
    except RecursionError:
        raise ImportProblem(f"{path}: nested too deeply to be a session") from None
    numbers: set[int] = set()
    for j, letdown in enumerate(session.letdowns):
        if letdown.number in numbers:
            raise ImportProblem(
                f"{path}.letdowns[{j}].number: let-down {letdown.number} comes twice"
            )
        numbers.add(letdown.number)
    return session


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    made = dict(pairs)
    if len(made) == len(pairs):
        return made
    keys: set[str] = set()
    for key, _ in pairs:
        if key in keys:
            break
        keys.add(key)
    repeated = Repeated(made)
    repeated.key = key
    return repeated


def _whole(digits: str) -> int | LongNumber:
    return int(digits) if len(digits) <= DIGITS_MAX else LongNumber(digits)


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_whole)
_SPACE = re.compile(r"[ \t\n\r]*")


class _Text:
    """A file's JSON text, decoded a piece at a time: what is at hand (`text`),
    where in it reading is (`pos`), and where that is in the file (`where`)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._done = False
        self.text = ""
        self.pos = 0
        self._line = 1
        """The line of the file `text` begins on..."""
        self._column = 0
        """...and how far into that line (characters before it)."""

    def more(self) -> bool:
        """Read the next piece (as large as what is at hand, so a long value is read
        in a few goes); False at the end of the file."""
        if self._done:
            return False
        if self.pos:
            gone = self.text[: self.pos]
            newlines = gone.count("\n")
            self._line += newlines
            self._column = (
                len(gone) - gone.rfind("\n") - 1 if newlines else self._column + len(gone)
            )
            self.text, self.pos = self.text[self.pos :], 0
        data = self._raw.read(max(PIECE, len(self.text)))
        try:
            self.text += self._decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise ImportProblem("not a calmflow export (not UTF-8 text)") from None
        self._done = not data
        return True

    def skip(self) -> str:
        """Pass over white space; the next character, or "" at the end of the file."""
        while True:
            space = _SPACE.match(self.text, self.pos)
            assert space is not None  # it matches nothing at worst
            self.pos = space.end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def expect(self, allowed: str) -> str:
        """The next character, one of `allowed`, passed over; ImportProblem if not."""
        found = self.skip()
        if not found or found not in allowed:
            what = " or ".join(f"'{c}'" for c in allowed)
            raise ImportProblem(f"not JSON ({self.where()}: expected {what})")
        self.pos += 1
        return found

    def value(self, path: str = "") -> Any:
        """The JSON value that comes next, passed over."""
        self.skip()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():  # perhaps only cut short by the end of the piece
                    continue
                raise ImportProblem(f"not JSON ({self.where(exc.pos)}: {exc.msg})") from None
            except RecursionError:
                place = f"{path}: " if path else ""
                raise ImportProblem(
                    f"{place}nested too deeply for a calmflow export ({self.where()})"
                ) from None
            if end == len(self.text) and self.more():
                continue  # a number may go on in the next piece
            self.pos = end
            return value

    def where(self, pos: int | None = None) -> str:
        """Line and column in the file of `pos` in `text` (by default where reading is)."""
        at = self.pos if pos is None else pos
        newlines = self.text.count("\n", 0, at)
        column = at - self.text.rfind("\n", 0, at) if newlines else self._column + at + 1
        return f"line {self._line + newlines}, column {column}"
