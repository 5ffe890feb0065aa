"""Finding routines by name: the user's own first, then the bundled ones."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from calmflow import paths
from calmflow.core.routine import LoadedRoutine, load_routine
from calmflow.core.yamlsource import Problem, SourceError

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RoutineEntry:
    name: str
    path: Path
    source: str
    """'user' or 'bundled'."""


def entries() -> list[RoutineEntry]:
    """Every routine file by name; a user's routine hides a bundled one of the same name."""
    found: dict[str, RoutineEntry] = {}
    for source, folder in (
        ("bundled", paths.bundled_routines_dir()),
        ("user", paths.user_routines_dir()),
    ):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in SUFFIXES and path.is_file():
                found[path.stem] = RoutineEntry(path.stem, path, source)
    return sorted(found.values(), key=lambda e: (e.source != "bundled", e.name))


def find(name_or_path: str) -> Path:
    """The file for a routine given by path or by name; raise SourceError if none."""
    # A path has a folder or a .yaml ending; anything else is a routine's name,
    # even if a file of that name happens to sit in the current folder.
    if Path(name_or_path).suffix in SUFFIXES or "/" in name_or_path:
        candidate = Path(name_or_path).expanduser()
        if candidate.is_file():
            return candidate
        raise SourceError([Problem(candidate, 0, 0, "no such routine file")])
    by_name = {e.name: e for e in entries()}
    if name_or_path in by_name:
        return by_name[name_or_path].path
    close = difflib.get_close_matches(name_or_path, list(by_name), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise SourceError(
        [
            Problem(
                Path(name_or_path),
                0,
                0,
                f"no routine of that name{hint} (`calmflow routines` lists them)",
            )
        ]
    )


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")


GOOD_SOUNDS_FILE = "sounds-checked.json"
"""Sound files found good, each with the size and time of change it had then."""

_good_sounds: dict[str, list[int]] | None = None


def _stamp(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def _known_good_sounds() -> dict[str, list[int]]:
    global _good_sounds
    if _good_sounds is None:
        try:
            found = json.loads((paths.cache_dir() / GOOD_SOUNDS_FILE).read_text())
        except (OSError, ValueError):
            found = {}
        _good_sounds = found if isinstance(found, dict) else {}
    return _good_sounds


def _remember_good_sound(path: Path, stamp: list[int]) -> None:
    good = _known_good_sounds()
    good[str(path)] = stamp
    # Only a shortcut: a folder that cannot be written costs the next start a look.
    with contextlib.suppress(OSError):
        target = paths.cache_dir() / GOOD_SOUNDS_FILE
        fresh = target.with_suffix(".tmp")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(good, f)
        os.replace(fresh, target)


def check_media(kind: str, path: Path) -> str | None:
    """Look inside a media file: is it a sound (or image) calmflow can use?"""
    if kind == "sound":
        # Decoding needs numpy and libsndfile, a fifth of a second before the first
        # screen: a file found good before, and unchanged since, is not opened again.
        stamp = _stamp(path)
        if stamp is not None and _known_good_sounds().get(str(path)) == stamp:
            return None
        from calmflow.engine.media import MediaError, probe

        try:
            probe(path)
        except MediaError as exc:
            return str(exc).removeprefix(f"{path}: ") + f": {path}"
        if stamp is not None:
            _remember_good_sound(path, stamp)
        return None
    if kind == "photo":
        try:
            with path.open("rb") as f:
                head = f.read(12)
        except OSError as exc:
            return f"cannot be read ({exc.strerror}): {path}"
        if not head.startswith(_IMAGE_MAGIC) or (
            head.startswith(b"RIFF") and head[8:12] != b"WEBP"
        ):
            return f"not an image calmflow can show (PNG, JPEG, GIF, WebP or BMP): {path}"
    return None


def load(name_or_path: str) -> LoadedRoutine:
    """Find and validate a routine, looking inside its media; raise SourceError."""
    return load_routine(find(name_or_path), check_media=check_media)
