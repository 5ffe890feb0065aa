"""A desktop notification, where the desktop has a way to show one."""

from __future__ import annotations

import shutil
import subprocess


def send(title: str, body: str) -> bool:
    """Show a notification through `notify-send`; False if there is none to use."""
    tool = shutil.which("notify-send")
    if tool is None:
        return False
    try:
        done = subprocess.run([tool, "--app-name=calmflow", title, body], timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
