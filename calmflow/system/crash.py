"""Unexpected errors: the details go to a private log file, the person gets one line."""

from __future__ import annotations

import traceback
from pathlib import Path

from calmflow.system import paths, wallclock
from calmflow.system.private_files import append_private


def record_crash() -> Path | str:
    """Append the exception being handled to logs/errors.log; return where it went."""
    try:
        log = paths.log_dir() / "errors.log"
        append_private(log, f"--- {wallclock.now().isoformat()}\n{traceback.format_exc()}\n")
        return log
    except OSError:
        return "(no log could be written)"
