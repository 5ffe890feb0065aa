"""Safe YAML reading that remembers where every value came from.

Routines are written by hand, often late at night, so every complaint must name
file:line:col. We compose the document with a SafeLoader subclass (no tags that
construct objects, no aliases, no duplicate keys) and build plain Python values
while recording the position of each node under its path of keys and indexes.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from calmflow.core.yamlwords import plain_words

MAX_BYTES = 1_000_000
"""A routine is a few kilobytes; refuse anything that could only be a mistake or an attack."""
MAX_DEPTH = 20
"""A routine nests five or six levels deep; far deeper can only be a mistake or an attack."""
MAX_VALUES = 10_000
"""Keys, items and values together. A routine has about a hundred; the cap keeps a
wrong file (a data dump, a generated list) from taking minutes and gigabytes to
read, as PyYAML in pure Python spends about 40 µs and a kilobyte on each."""
MAX_MESSAGE = 400
"""A problem longer than this (a value a megabyte long, quoted back) is shortened
in the middle, so one problem stays one readable line."""

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at a 1-based line and column (0 when unknown)."""

    path: Path
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        # One line per problem, whatever odd characters a key or value held.
        message = self.message
        if len(message) > MAX_MESSAGE:
            head, tail = message[:280], message[-100:]
            cut = len(message) - len(head) - len(tail)
            message = f"{head} … ({cut:,} characters left out) … {tail}"
        message = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in message)
        if self.line:
            return f"{self.path}:{self.line}:{self.col}: {message}"
        return f"{self.path}: {message}"


class SourceError(Exception):
    """A file could not be used; carries every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Source:
    """A YAML document as plain data, with the position of each node."""

    path: Path
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    files: dict[Path_, Path] = field(default_factory=dict)
    """Values taken over from another file (see `merged`): where they came from."""

    def where(self, loc: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the node at `loc`, or of its nearest ancestor."""
        table = self.key_marks if key else self.marks
        loc = tuple(loc)
        while loc:
            if loc in table:
                return table[loc]
            if not key and loc in self.key_marks:
                return self.key_marks[loc]
            loc = loc[:-1]
        return self.marks.get((), (1, 1))

    def file_of(self, loc: Path_) -> Path:
        """The file the value at `loc` was written in."""
        loc = tuple(loc)
        while loc:
            if loc in self.files:
                return self.files[loc]
            loc = loc[:-1]
        return self.path

    def problem(self, loc: Path_, message: str, *, key: bool = False) -> Problem:
        line, col = self.where(loc, key=key)
        return Problem(self.file_of(loc), line, col, message)

    def merged(self, base: Source, at: Path_ = ()) -> Source:
        """This document laid over `base` (placed at `at` within it): mappings
        merge key by key, anything else written here replaces what `base` has.
        Every value keeps the file, line and column it was written at."""
        out = Source(self.path, None, dict(self.marks), dict(self.key_marks), dict(self.files))
        base_value = base.data
        for part in at:
            base_value = {part: base_value}
        out.data = out._merge(base, at, base_value, self.data, (), base._subtrees())
        return out

    def _subtrees(self) -> dict[Path_, list[Path_]]:
        """Every path that has a mark or a file, listed under each of its prefixes,
        so that taking a subtree over costs its own size, not the whole file's."""
        index: dict[Path_, list[Path_]] = {}
        for key in self.marks.keys() | self.key_marks.keys() | self.files.keys():
            for n in range(len(key) + 1):
                index.setdefault(key[:n], []).append(key)
        return index

    def _merge(
        self,
        base: Source,
        at: Path_,
        old: Any,
        new: Any,
        loc: Path_,
        subtrees: dict[Path_, list[Path_]],
    ) -> Any:
        if isinstance(old, dict) and isinstance(new, dict):
            merged = dict(old)
            for key, value in new.items():
                merged[key] = self._merge(base, at, old.get(key), value, loc + (key,), subtrees)
            for key in old.keys() - new.keys():
                self._take(base, at, loc + (key,), subtrees)
            return merged
        if new is None and old is not None:
            self._take(base, at, loc, subtrees)
            return old
        return new

    def _take(
        self, base: Source, at: Path_, loc: Path_, subtrees: dict[Path_, list[Path_]]
    ) -> None:
        """Record that the subtree at `loc` comes from `base` (where it is at loc[len(at):])."""
        inner = loc[len(at) :] if loc[: len(at)] == at else None
        if inner is None:
            return
        self.files[loc] = base.file_of(inner)
        for key in subtrees.get(inner, ()):
            if key in base.marks:
                self.marks[at + key] = base.marks[key]
            if key in base.key_marks:
                self.key_marks[at + key] = base.key_marks[key]
            if key in base.files:
                self.files[at + key] = base.files[key]


@dataclass
class ValueBudget:
    """The values still to be read for one routine, across every file it takes
    from (the routines it extends and its cue sets): MAX_VALUES in all, so that
    sixty files of ten thousand values each cannot take half a minute either."""

    left: int = MAX_VALUES
    files: int = 0
    """Files read against it so far."""


class _TooMany(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and stops when its ValueBudget runs out;
    duplicates are caught while building.

    Booleans follow YAML 1.2 (only true/false), so `off`, `yes` and `no` stay the
    words a person wrote instead of turning silently into booleans.
    """

    budget: ValueBudget
    """Set by read_yaml before composing."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.budget.left -= 1
        if self.budget.left < 0:
            raise _TooMany(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                "while reading the routine",
                None,
                "anchors and aliases (*name) are not allowed in routines; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


class _TooDeep(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_PLAIN_TAGS = {
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
}


def _build(node: yaml.Node, loc: Path_, src: Source, problems: list[Problem], quote: bool) -> Any:
    src.marks[loc] = _mark(node)
    if len(loc) > MAX_DEPTH:
        raise _TooDeep(node)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        line, col = _mark(node)
        tag = f" such as '{node.tag}'" if quote else ""
        problems.append(Problem(src.path, line, col, f"tags{tag} are not allowed in routines"))
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _value(key_node, src, problems, quote)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                line, col = _mark(key_node)
                which = f"key '{key}'" if quote else "this key"
                problems.append(
                    Problem(src.path, line, col, f"{which} appears twice; keep one of them")
                )
                continue
            src.key_marks[loc + (key,)] = _mark(key_node)
            out[key] = _build(value_node, loc + (key,), src, problems, quote)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, loc + (i,), src, problems, quote) for i, item in enumerate(node.value)]
    return _value(node, src, problems, quote)


_HALF_CHARACTER = re.compile("[\ud800-\udfff]")
"""What YAML makes of `"\\ud83d\\ude00"` (JSON's way of writing 😀): two halves of
a character, which no file, terminal or database can hold."""


def _value(node: yaml.Node, src: Source, problems: list[Problem], quote: bool) -> Any:
    try:
        value = _scalar(node)
    except (ValueError, OverflowError):
        # e.g. a date that does not exist (2024-02-30) or `!!int abc`
        line, col = _mark(node)
        text = node.value if isinstance(node, yaml.ScalarNode) and quote else None
        what = f"'{text}'" if text is not None else "this value"
        problems.append(Problem(src.path, line, col, f"{what} cannot be read; quote it"))
        return None
    if isinstance(value, str) and _HALF_CHARACTER.search(value):
        line, col = _mark(node)
        problems.append(
            Problem(
                src.path,
                line,
                col,
                "this text holds half a character (an escape from \\ud800 to \\udfff);"
                " write the character itself, or \\U0001F600 for one beyond \\uFFFF",
            )
        )
        return None
    return value


_BOOL_1_2 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
# YAML 1.1's base-60 numbers are gone too: `ratio: 2:3` stays "2:3", not 123.
_INT_NO_SEXAGESIMAL = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_FLOAT_NO_SEXAGESIMAL = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
    r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_RESOLVERS_1_2 = {
    "tag:yaml.org,2002:bool": _BOOL_1_2,
    "tag:yaml.org,2002:int": _INT_NO_SEXAGESIMAL,
    "tag:yaml.org,2002:float": _FLOAT_NO_SEXAGESIMAL,
}
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, _RESOLVERS_1_2.get(tag, regexp)) for tag, regexp in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _scalar(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        # A fresh constructor per node keeps no references between files.
        return yaml.SafeLoader("").construct_object(node)
    return f"<{type(node).__name__}>"


NOT_QUOTED = "; calmflow check on this file says what (its text is not quoted here)"
"""Said, in place of what PyYAML quotes, of a file that is not yet known to be a
routine (see `read_yaml`'s `quote`)."""


def read_yaml(path: Path, budget: ValueBudget | None = None, *, quote: bool = True) -> Source:
    """Read a YAML file safely into a `Source`, or raise `SourceError`.

    `budget`: the values left for the routine this file is part of (a fresh
    one, MAX_VALUES, when it is read on its own). `quote=False` for a file a
    routine names (one it extends, a cue set), which could be any file the
    person can read (a shared routine may say `extends: /etc/shadow`): its
    problems give the line and column but quote none of its text."""
    budget = budget or ValueBudget()
    budget.files += 1
    raw = _read_bounded(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            [Problem(path, 0, 0, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")]
        ) from None
    src = Source(path=path, data=None)
    problems: list[Problem] = []
    try:
        loader = _StrictLoader(text)
        loader.budget = budget
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        plain = plain_words(exc, text, quote=quote)
        if plain is not None:
            raise SourceError([Problem(path, *plain)]) from None
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "is not valid YAML"
        said = f"invalid YAML: {what}" if quote else f"invalid YAML here{NOT_QUOTED}"
        raise SourceError([Problem(path, line, col, said)]) from None
    except yaml.reader.ReaderError as exc:  # a control character, e.g. from a paste
        at = exc.position
        line, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise SourceError(
            [
                Problem(
                    path, line, col, f"the character #x{code:04x} cannot be in a routine; delete it"
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        said = " ".join(str(exc).split()) if quote else NOT_QUOTED[2:]  # one line per problem
        raise SourceError([Problem(path, 0, 0, f"invalid YAML: {said}")]) from None
    except RecursionError:
        raise SourceError([Problem(path, 0, 0, "is nested too deeply to be a routine")]) from None
    except _TooMany as exc:
        raise SourceError(
            [
                Problem(
                    path,
                    exc.mark.line + 1,
                    exc.mark.column + 1,
                    f"holds more than {MAX_VALUES:,} values (keys, items and settings)"
                    + (" with the files read before it" if budget.files > 1 else "")
                    + "; a routine has about a hundred: is it the right file?",
                )
            ]
        ) from None
    if node is None:
        raise SourceError(
            [Problem(path, 1, 1, "is empty; a routine needs at least name and phases")]
        )
    try:
        src.data = _build(node, (), src, problems, quote)
    except _TooDeep as exc:
        line, col = _mark(exc.node)
        raise SourceError(
            [
                Problem(
                    path,
                    line,
                    col,
                    f"is nested more than {MAX_DEPTH} levels deep; a routine never is",
                )
            ]
        ) from None
    except RecursionError:
        raise SourceError([Problem(path, 0, 0, "is nested too deeply to be a routine")]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = f"invalid value: {exc.problem}" if quote else f"invalid value here{NOT_QUOTED}"
        raise SourceError([Problem(path, line, col, what)]) from None
    if problems:
        raise SourceError(problems)
    return src


def _read_bounded(path: Path) -> bytes:
    """The bytes of `path`, read only if it is a regular file of at most MAX_BYTES:
    a huge file is refused before it fills memory, and a pipe or a device (which
    could block or never end) is never opened."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SourceError([Problem(path, 0, 0, "is a folder, not a routine file")])
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(
                [
                    Problem(
                        path, 0, 0, "is not a plain file (a device or a pipe?); give a .yaml file"
                    )
                ]
            )
        size = info.st_size
        if size <= MAX_BYTES:
            with path.open("rb") as f:
                raw = f.read(MAX_BYTES + 1)  # it may have grown since
            size = max(size, len(raw))
    except FileNotFoundError:
        raise SourceError([Problem(path, 0, 0, "no such file")]) from None
    except OSError as exc:
        raise SourceError([Problem(path, 0, 0, f"cannot be read: {exc.strerror}")]) from None
    if size > MAX_BYTES:
        raise SourceError(
            [Problem(path, 0, 0, f"is {size:,} bytes; a routine may be at most {MAX_BYTES:,}")]
        )
    return raw
