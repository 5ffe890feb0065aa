"""Writing a file that holds a person's health records: private and whole.

Every file calmflow writes about a person's pumping (exports, the calendar,
routine copies and their media, rendered sound, the journal of unsaved writes,
the copy of the log before a migration) is written the one way here: readable
by its owner only (0600) from its first byte, written beside its name, flushed
to disk, and moved into place once complete. A full disk, a kill or ctrl-c
leaves no half file, and a file that had the name stays as it was; the part
written so far is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PART_SUFFIX = ".part"
"""The ending of a file being written beside its name (`.name.XXXX.part`)."""


@contextmanager
def private_path(target: Path, *, replace: bool = True) -> Iterator[Path]:
    """A new, empty file beside `target`, 0600, for the caller to fill by its
    path; once the block ends it is flushed to disk and moved onto `target`.

    If the block raises, the file is removed and `target` is left as it was.
    With `replace=False` a `target` that exists already is kept, and
    FileExistsError raised (checked at the moment of the move, so two writers
    cannot both think they made it).
    """
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=PART_SUFFIX)
    os.close(fd)  # mkstemp makes it 0600 whatever the umask
    part = Path(name)
    try:
        yield part
        _sync(part)
        if replace:
            os.replace(part, target)
        else:
            os.link(part, target)  # fails if target exists; never overwrites
            part.unlink()
        _sync_folder(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def write_private(target: Path, data: str | bytes, *, replace: bool = True) -> None:
    """Write `data` (text as UTF-8, line endings as given) to `target` as a private
    file, whole or not at all; see `private_path`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with private_path(target, replace=replace) as part:
        part.write_bytes(raw)


def copy_private(source: Path, target: Path, *, replace: bool = True) -> None:
    """Copy `source` to `target` as a private file, whole or not at all."""
    import shutil

    with (
        private_path(target, replace=replace) as part,
        source.open("rb") as data,
        part.open("wb") as out,
    ):
        shutil.copyfileobj(data, out)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    # The move itself is on disk only once the folder's entry is.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
