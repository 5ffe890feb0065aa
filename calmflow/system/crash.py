"""Unexpected errors: the details go to a private log file, the person gets one line."""

from __future__ import annotations

import traceback
from pathlib import Path

from calmflow.system import paths, wallclock
from calmflow.system.private_files import append_private


def record_crash() -> Path | str:
    """Append the exception being handled to logs/errors.log; return where it went.

    Never raises: the log lives in the data folder, which may be the very thing
    that failed (a file, a full disk, another user's), and an error in telling
    of an error would hide the first. Then it says why no log was written."""
    try:
        log = paths.log_dir() / "errors.log"
        append_private(log, f"--- {wallclock.now().isoformat()}\n{traceback.format_exc()}\n")
        return log
    except Exception as exc:
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return f"(no log could be written: {why})"
