"""Where calmflow keeps things: the user's data folder and the bundled files.

`CALMFLOW_HOME=DIR` puts the database, logs and user routines under DIR (tests
use it); otherwise the platform's user data folder is used. The folder is made
private (0700) because it holds health records; one found open to others is
closed to them if it is the person's own, and refused if it is another user's.
A data folder that cannot be used (a file, a device, another user's, one that
cannot be made) raises DataFolderError, which names it and says what to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from calmflow.system.private_files import NotOurs, keep_private, owner_name

_PACKAGE = Path(__file__).resolve().parent.parent
"""The calmflow package folder."""


def _bundled(name: str) -> Path:
    # Installed from a wheel, the files sit inside the package; from a source
    # checkout (editable install, tests) they sit beside it at the repo's root.
    inside = _PACKAGE / "_bundled" / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def bundled_routines_dir() -> Path:
    """The folder of routines that ship with calmflow."""
    return _bundled("routines")


def bundled_media_dir() -> Path:
    """The folder of sounds and images that calmflow made itself."""
    return _bundled("media")


class DataFolderError(OSError):
    """The data folder cannot be used; the message names it and says what to do.

    An OSError, so what only reads or caches there (the user's routines, the
    media checked, the crash log) passes over it as over any folder it cannot
    read, and `check` or `render` still work; what needs the folder (the log, a
    routine copied to edit) stops with exit 3."""


def _chosen() -> tuple[Path, str]:
    """The data folder, and how the person can choose another."""
    override = os.environ.get("CALMFLOW_HOME")
    if override:
        return Path(override).expanduser(), "set CALMFLOW_HOME to a folder of your own"
    import platformdirs

    path = Path(platformdirs.user_data_dir("calmflow", appauthor=False))
    return path, "set CALMFLOW_HOME to a folder of your own to use another"


def home() -> Path:
    """The user's calmflow folder: made private (0700) if it does not exist yet;
    else it must be a folder of the person's own, and is made private if it is
    open to others (said once: `private_files.take_notices`). Raises
    DataFolderError if it cannot be used."""
    path, instead = _chosen()
    named = "CALMFLOW_HOME" if os.environ.get("CALMFLOW_HOME") else "your calmflow data folder"
    try:
        entry = path.stat()
    except FileNotFoundError:
        try:
            make_private_dir(path)
        except OSError as exc:
            raise DataFolderError(
                f"{named} {path} does not exist and cannot be made ({exc.strerror}); "
                f"make it yourself, or {instead}"
            ) from None
        return path
    except OSError as exc:  # a file where a folder above it should be; no permission
        raise DataFolderError(
            f"{named} {path} cannot be used ({exc.strerror}); {instead}"
        ) from None
    if not stat.S_ISDIR(entry.st_mode):
        kind = "a file" if stat.S_ISREG(entry.st_mode) else "a device or a pipe"
        raise DataFolderError(
            f"{named} {path} is {kind}, not a folder: calmflow keeps your log and your "
            f"routines in a folder; {instead}"
        )
    try:
        keep_private(path)
    except NotOurs as exc:
        raise DataFolderError(
            f"{named} {path} belongs to another user ({exc.owner}): your health records "
            f"would be theirs to read or change, so calmflow will not use it. If it is "
            f"yours, take it back (sudo chown -R {owner_name(os.getuid())} {path}); else {instead}"
        ) from None
    except OSError as exc:
        raise DataFolderError(
            f"{named} {path} cannot be used ({exc.strerror}); {instead}"
        ) from None
    return path


def make_private_dir(path: Path) -> None:
    """Make `path` and each missing folder above it 0700 (`mkdir -p` would make
    those above with the umask, 0777 under umask 000; the XDG spec asks for 0700)."""
    missing = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


def writable(folder: Path) -> Path:
    """`folder` in the data folder, made private if missing, for calmflow to write
    in; DataFolderError, naming it and what to do, if it cannot be (the data folder
    unusable, or read-only)."""
    home()
    try:
        make_private_dir(folder)
    except OSError as exc:
        raise DataFolderError(
            f"{folder} cannot be made ({exc.strerror}); make its folder writable, or set "
            "CALMFLOW_HOME to a folder of your own"
        ) from None
    if not os.access(folder, os.W_OK):
        raise DataFolderError(
            f"the folder {folder} is read-only, so calmflow cannot write there; nothing was "
            "changed. Make it writable, or set CALMFLOW_HOME to a folder of your own"
        )
    return folder


def database_path() -> Path:
    """The SQLite file holding every session."""
    return home() / "calmflow.sqlite3"


def user_routines_dir() -> Path:
    """Routines the user wrote or copied; they shadow bundled ones of the same name.

    For reading: the folder may not exist. In a data folder that cannot be used
    (`home`) none are read, so `check` and `render` still work with the bundled
    ones (and another user's `standard.yaml` never stands in for calmflow's);
    writing there (`writable`) says why it cannot."""
    try:
        return home() / "routines"
    except DataFolderError:
        return Path(os.devnull) / "routines"  # never a folder: nothing is found in it


def log_dir() -> Path:
    """Diagnostics that must not reach the terminal (the audio process's stderr)."""
    path = home() / "logs"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def cache_dir() -> Path:
    """What calmflow can work out again (which media files were found good)."""
    path = home() / "cache"
    path.mkdir(mode=0o700, exist_ok=True)
    return path
