"""Unexpected errors: the details go to a private log file, the person gets one line."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from calmflow.system import paths, wallclock


def record_crash() -> Path | str:
    """Append the exception being handled to logs/errors.log; return where it went."""
    try:
        log = paths.log_dir() / "errors.log"
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(f"--- {wallclock.now().isoformat()}\n{traceback.format_exc()}\n")
        return log
    except OSError:
        return "(no log could be written)"
