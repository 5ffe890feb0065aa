"""Recordings of the baby: where they are kept, how they are saved, the cue that plays one.

A recording is kept in `media/` inside the person's routines folder, so a
routine of theirs names it by the relative path `media/NAME.flac` (a relative
path is relative to the routine's own file). The folder is private (0700) and
each file 0600, written whole or not at all (`private_files.private_path`):
a full disk, ctrl-c or an error leave nothing half-written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from calmflow.core.routine import name_problem
from calmflow.engine import recording
from calmflow.system import paths
from calmflow.system.private_files import keep_private, private_path

ROLE = "baby"
"""What a recording made here is: its loudness is set for it (docs/sound.md)."""
MEDIA_FOLDER = "media"
SUFFIX = ".flac"
CUE = "role: baby, volume: 1, every: 5m, min_length: 30s"
"""How a baby's sound plays: at its role's level (which the recording is at),
at least 30 s each time (back to back), again every 5 minutes (EVIDENCE.md: in mice, 30 s of
crying started about 5 minutes of oxytocin release; no human trial)."""


def recording_name_problem(name: str) -> str | None:
    """What is wrong with NAME for a recording, or None: the rule for routine
    names that are also file names (letters, digits, - and _)."""
    return name_problem(name, file_name=True)


def recording_path(name: str) -> Path:
    """Where the recording NAME is kept (the folder may not exist yet)."""
    return paths.user_routines_dir() / MEDIA_FOLDER / f"{name}{SUFFIX}"


def relative_path(name: str) -> str:
    """The recording's path as a routine in the person's routines folder names it."""
    return f"{MEDIA_FOLDER}/{name}{SUFFIX}"


def cue_line(name: str) -> str:
    """The line to add under a routine's `cues:` that plays the recording NAME."""
    key = name
    try:
        plain = yaml.safe_load(f"{name}: 0") == {name: 0}
    except yaml.YAMLError:
        plain = False
    if not plain:  # `true`, `null`, `010` would be read as a boolean, nothing, 8
        key = json.dumps(name, ensure_ascii=False)
    return f"{key}: {{sound: {relative_path(name)}, {CUE}}}"


@dataclass(frozen=True)
class Saved:
    path: Path
    prepared: recording.Prepared
    cue: str
    """The line to add under a routine's `cues:`."""


def save(samples: np.ndarray, rate: int, name: str, *, replace: bool = False) -> Saved:
    """Trim the recording, set its loudness for a baby's sound and save it as
    NAME.flac in the media folder, private and whole. Raises
    recording.NothingHeard (nothing saved), FileExistsError if NAME is taken
    and not `replace`, DataFolderError if the folder cannot be written, and
    OSError (or soundfile's RuntimeError) if writing fails (nothing is left)."""
    prepared = recording.prepare(samples, rate, ROLE)
    folder = paths.writable(paths.user_routines_dir() / MEDIA_FOLDER)
    keep_private(folder)  # one made 0755 by hand holds the baby's voice
    target = folder / f"{name}{SUFFIX}"
    with private_path(target, replace=replace) as part:
        recording.write_flac(prepared, part)
    return Saved(target, prepared, cue_line(name))
