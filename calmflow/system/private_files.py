"""Writing a file that holds a person's health records: private and whole.

Every file calmflow writes about a person's pumping (exports, the calendar,
routine copies and their media, rendered sound, the cache of media found good,
the copy of the log before a migration) is written the one way here: readable
by its owner only (0600) from its first byte, written beside its name
(`.NAME.part`), flushed to disk, and moved into place once complete. A full
disk, a kill or ctrl-c leaves no half file, and a file that had the name stays
as it was; the part written so far is removed (or, after a kill, replaced by the
next try). A target that is not a plain file (a pipe, /dev/stdout) is written
to directly: there is nothing to move into place.

Files that only ever grow (the journal of unsaved writes, the crash log) are
appended to, privately, by `append_private`: a line at a time, so a full disk
needs room for the new lines only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
"""What a file system without hard links (FAT, exFAT, some network mounts) says."""


@contextmanager
def private_path(target: Path, *, replace: bool = True, sync: bool = True) -> Iterator[Path]:
    """A new, empty file beside `target`, 0600, for the caller to fill by its
    path; once the block ends it is flushed to disk and moved onto `target`.

    If the block raises, the file is removed and `target` is left as it was.
    With `replace=False` a `target` that exists already is kept and
    FileExistsError (naming `target`) is raised, checked at the moment of the
    move, so two writers cannot both think they made it. `sync=False` for what
    calmflow can work out again (a cache): no wait for the disk.
    """
    if target.exists() and not target.is_file():  # a pipe or a device
        yield target
        return
    part = target.with_name(f".{target.name}.part")
    with contextlib.suppress(FileNotFoundError):
        part.unlink()  # left by a try that was killed
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield part
        if sync:
            _sync(part)
        if replace:
            os.replace(part, target)
        else:
            _move_new(part, target)
        if sync:
            _sync_folder(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def write_private(
    target: Path, data: str | bytes, *, replace: bool = True, sync: bool = True
) -> None:
    """Write `data` (text as UTF-8, line endings as given) to `target` as a private
    file, whole or not at all; see `private_path`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with private_path(target, replace=replace, sync=sync) as part, part.open("wb") as out:
        out.write(raw)


def copy_private(source: Path, target: Path, *, replace: bool = True) -> None:
    """Copy `source` to `target` as a private file, whole or not at all."""
    with (
        private_path(target, replace=replace) as part,
        source.open("rb") as data,
        part.open("wb") as out,
    ):
        shutil.copyfileobj(data, out)


def append_private(target: Path, text: str) -> None:
    """Add `text` to the end of `target` (made 0600 if new) and flush it to disk."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _move_new(part: Path, target: Path) -> None:
    """Move `part` to `target` only if no `target` exists, whatever the file system."""
    try:
        os.link(part, target)  # fails if target exists; never overwrites
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "exists already", str(target)) from None
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        # No hard links here: take the name first, then move the whole file onto it.
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, "exists already", str(target)) from None
        os.replace(part, target)
        return
    part.unlink()


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
