"""API keys for the servers `calmflow sync` sends to, kept between runs.

A key is asked for once (or taken from the environment) and kept in one private
file (0600) in calmflow's folder, by the server's address: a key is as good as
the person's password for what it can see there. Never printed.
"""

from __future__ import annotations

import json
from pathlib import Path

from calmflow.system import paths
from calmflow.system.private_files import write_private

FILE_NAME = "sync-keys.json"


def keys_path() -> Path:
    """Where the keys are kept (in calmflow's folder, made private if new)."""
    return paths.home() / FILE_NAME


def _read() -> dict[str, str]:
    try:
        found = json.loads(keys_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items() if isinstance(v, str)}


def kept_key(where: str) -> str | None:
    """The key kept for the server at `where`, or None."""
    return _read().get(where)


def keep_key(where: str, key: str) -> None:
    """Keep `key` for the server at `where` (OSError if the folder cannot be written)."""
    keys = _read()
    keys[where] = key
    write_private(keys_path(), json.dumps(keys, indent=2, sort_keys=True) + "\n")


def forget_key(where: str) -> bool:
    """Forget the key kept for `where`; whether there was one."""
    keys = _read()
    if keys.pop(where, None) is None:
        return False
    write_private(keys_path(), json.dumps(keys, indent=2, sort_keys=True) + "\n")
    return True
