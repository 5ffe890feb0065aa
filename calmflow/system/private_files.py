"""Writing a file that holds a person's health records: private and whole.

Every file calmflow writes about a person's pumping (exports, the calendar,
routine copies and their media, rendered sound, the cache of media found good,
the copy of the log before a migration) is written the one way here: readable
by its owner only (0600) from its first byte, written beside its name
(`.NAME.part`), flushed to disk, and moved into place once complete. A full
disk, a kill or ctrl-c leaves no half file, and a file that had the name stays
as it was; the part written so far is removed (or, after a kill, replaced by the
next try).

Only a plain file is ever written: a target that is a folder, a device
(/dev/null, /dev/full, /dev/stdout) or a pipe is refused (`NotAFile`) before
anything is written, and left as it is. Moving a new file onto a device's name
would put a file in its place (as root, in /dev), and writing into a pipe
would wait for a reader that may never come.

Files that only ever grow (the journal of unsaved writes, the crash log) are
appended to, privately, by `append_private`: a line at a time, so a full disk
needs room for the new lines only.

What is there already is kept private by `keep_private`: the data folder and the
log, found open to others (a folder made 0777, a database copied with `cp`,
0644), are closed to them if they are the person's own, and the person is told
once (`take_notices`, for the face to show); another user's are refused
(`NotOurs`): calmflow would be keeping health records where that user can read
or change them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
"""What a file system without hard links (FAT, exFAT, some network mounts) says."""


class NotAFile(OSError):
    """A path to write that names something other than a plain file; its
    `strerror` says what it is and what to give instead."""


KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a disk device"),
    (stat.S_ISFIFO, "a pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def refuse_unless_file(target: Path) -> None:
    """Raise NotAFile if `target` exists and is not a plain file (followed
    through symbolic links: a link to /dev/full is a device). A name that does
    not exist yet is fine: it will be made a file."""
    try:
        mode = target.stat().st_mode
    except OSError:  # not there yet (or unreadable: writing it says why)
        return
    if stat.S_ISREG(mode):
        return
    kind = next((words for test, words in KINDS if test(mode)), "not a plain file")
    raise NotAFile(
        errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL,
        f"it is {kind}, not a file; calmflow writes only plain files: give a file's name",
        str(target),
    )


@contextmanager
def private_path(target: Path, *, replace: bool = True, sync: bool = True) -> Iterator[Path]:
    """A new, empty file beside `target`, 0600, for the caller to fill by its
    path; once the block ends it is flushed to disk and moved onto `target`.

    If the block raises, the file is removed and `target` is left as it was.
    With `replace=False` a `target` that exists already is kept and
    FileExistsError (naming `target`) is raised, checked at the moment of the
    move, so two writers cannot both think they made it. `sync=False` for what
    calmflow can work out again (a cache): no wait for the disk. A `target`
    that is not a plain file (a folder, a device, a pipe) raises NotAFile.
    """
    refuse_unless_file(target)
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


class NotOurs(PermissionError):
    """A folder or file for health records that belongs to another user."""

    def __init__(self, path: Path, owner: str) -> None:
        super().__init__(errno.EPERM, f"it belongs to another user ({owner})", str(path))
        self.owner = owner
        """That user's name (or 'uid N' where the system knows no name)."""


_notices: list[str] = []
"""What `keep_private` changed, each said once, for the face to show (`take_notices`)."""


def keep_private(path: Path) -> None:
    """If `path` (a folder or a file that exists) lets its group or others in, and
    is the person's own, take that away (a folder 0700, a file 0600: the owner's
    own bits are kept) and note it for `take_notices`. Raise NotOurs if it
    belongs to another user. A file system that cannot change modes (read-only)
    leaves it as it is, noted too."""
    entry = path.stat()
    if entry.st_uid != os.getuid():
        raise NotOurs(path, owner_name(entry.st_uid))
    old = stat.S_IMODE(entry.st_mode)
    if not old & 0o077:
        return
    new = old & 0o700
    try:
        os.chmod(path, new)
    except OSError as exc:
        _notices.append(
            f"{path} can be read by others (mode {old:04o}), and could not be made "
            f"private ({exc.strerror}); make it {new:04o} yourself"
        )
        return
    _notices.append(
        f"{path} could be read by others (mode {old:04o}); it holds your health records, "
        f"so it was made yours alone ({new:04o})"
    )


def take_notices() -> list[str]:
    """What `keep_private` changed since it was last asked, each said once."""
    taken = _notices[:]
    _notices.clear()
    return taken


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


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
