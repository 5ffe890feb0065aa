"""A file to import, JSON or CSV, told apart by its name and its first line.

Only a plain file is read: a device (/dev/zero, /dev/urandom) would never end,
a pipe could wait for ever for a writer, and a folder holds no sessions; each is
refused before a byte is read. A file larger than MAX_IMPORT_MB is refused at
once, by its size: a calmflow export of years of sessions is a few megabytes
(about 3 kB a session played, with its events). Under it, the file is read a piece at a time and each session
is taken in as it is read (`Store.add_sessions` takes them as they come, in
one transaction), so memory stays flat (benchmarks/import_memory.py: about
45 MB for a file at the limit). The price: another write to the log waits for
the import to end (a few seconds for years of sessions; the player keeps what
cannot wait and writes it after).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from calmflow.core.feeds import FeedRecord
from calmflow.core.records import SessionRecord
from calmflow.services.exchange.csv_file import CsvExport
from calmflow.services.exchange.json_file import PIECE, JsonExport
from calmflow.services.exchange.problems import ImportProblem
from calmflow.system.private_files import KINDS

__all__ = [
    "MAX_IMPORT_MB",
    "ImportProblem",
    "feeds_read",
    "open_export",
    "read_export",
    "sessions_in",
]

MAX_IMPORT_MB = 64
"""The largest file `import` reads, in MiB: about 20,000 sessions played with
calmflow, years more than anyone pumps (larger is refused at once, by its size)."""
MAX_IMPORT_BYTES = MAX_IMPORT_MB * 2**20


@contextmanager
def open_export(path: Path) -> Iterator[Iterable[SessionRecord]]:
    """The sessions of the export at `path`, to be taken as they are read while
    the file is open. ImportProblem for a path that is not a plain file, a file
    too large, or the first thing wrong in it (then or while it is read);
    OSError where it cannot be read (FileNotFoundError where there is none)."""
    # Not blocking: a pipe with no writer would hold `open` for ever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            kind = next((words for test, words in KINDS if test(mode.st_mode)), "no plain file")
            raise ImportProblem(
                f"it is {kind}, not a file; calmflow imports only a file"
                " (`calmflow export -o FILE` makes one)"
            )
        if mode.st_size > MAX_IMPORT_BYTES:
            raise ImportProblem(_too_large(mode.st_size))
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb", buffering=0) as file:
        yield sessions_in(io.BufferedReader(_Capped(file), PIECE), name=path.name)


def sessions_in(raw: io.BufferedReader[Any], *, name: str) -> Iterable[SessionRecord]:
    """The sessions of a calmflow export (JSON or CSV) read from `raw`, checked,
    given one at a time; ImportProblem for the first thing wrong in it. Whether
    it is an export at all, and its JSON format or CSV header, are checked
    before this returns."""
    head = raw.peek(PIECE).removeprefix(b"\xef\xbb\xbf")  # a spreadsheet's byte-order mark
    start = head.lstrip()
    if not start:
        if len(head) < PIECE:
            raise ImportProblem("the file is empty")
        raise ImportProblem("not a calmflow export: neither JSON nor CSV")
    lowered = name.lower()
    if lowered.endswith(".json") or start[:1] in (b"{", b"["):
        return JsonExport(raw)
    if lowered.endswith(".csv") or b"," in start.partition(b"\n")[0]:
        return CsvExport(raw)
    raise ImportProblem("not a calmflow export: neither JSON nor CSV")


def feeds_read(export: Iterable[SessionRecord]) -> list[FeedRecord]:
    """The breastfeeds of an export given by `open_export` or `sessions_in`, once
    its sessions have been read: a JSON export's; a CSV holds none."""
    return export.feeds if isinstance(export, JsonExport) else []


def read_export(text: str, *, name: str) -> list[SessionRecord]:
    """The sessions of a calmflow export held whole in `text` (see `sessions_in`)."""
    raw = io.BufferedReader(io.BytesIO(text.encode("utf-8", "surrogatepass")), PIECE)
    return list(sessions_in(raw, name=name))


def _too_large(size: int) -> str:
    return (
        f"the file is {size / 2**20:,.0f} MB, more than the {MAX_IMPORT_MB} MB calmflow"
        " imports (a calmflow export of years of sessions is a few MB)"
    )


class _Capped(io.RawIOBase):
    """A file read up to MAX_IMPORT_BYTES: one that grows past it while it is read
    is refused as one that large would have been."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._file.readinto(buffer)  # type: ignore[attr-defined]
        self._read += count or 0
        if self._read > MAX_IMPORT_BYTES:
            raise ImportProblem(_too_large(self._read))
        return count or 0
