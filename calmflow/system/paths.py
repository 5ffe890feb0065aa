"""Where calmflow keeps things: the user's data folder and the bundled files.

`CALMFLOW_HOME=DIR` puts the database, logs and user routines under DIR (tests
use it); otherwise the platform's user data folder is used. The folder is made
private (0700) because it holds health records.
"""

from __future__ import annotations

import os
from pathlib import Path

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


def home() -> Path:
    """The user's calmflow folder, created private if it does not exist yet."""
    override = os.environ.get("CALMFLOW_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("calmflow", appauthor=False))
    if not path.is_dir():
        make_private_dir(path)
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


def database_path() -> Path:
    """The SQLite file holding every session."""
    return home() / "calmflow.sqlite3"


def user_routines_dir() -> Path:
    """Routines the user wrote or copied; they shadow bundled ones of the same name."""
    return home() / "routines"


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
