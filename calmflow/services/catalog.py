"""The routine catalog: routines found by name (the user's own first, then the
bundled ones), loaded with their media looked inside (sounds and pictures
found good are remembered), and copied into the user's folder to edit."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import errno
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from calmflow.core.routine_loading import LoadedRoutine, load_routine
from calmflow.core.yamlsource import Problem, SourceError
from calmflow.engine.pictures import picture_problem
from calmflow.services import videos
from calmflow.services.videos import Tell
from calmflow.system import paths
from calmflow.system.private_files import copy_private, write_private

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
        if candidate.is_dir():
            raise SourceError([Problem(candidate, 0, 0, "is a folder, not a routine file")])
        if candidate.exists():  # a pipe or a device: reading it could wait forever
            raise SourceError(
                [
                    Problem(
                        candidate,
                        0,
                        0,
                        "is not a plain file (a device or a pipe?); give a .yaml file",
                    )
                ]
            )
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


GOOD_SOUNDS_FILE = "sounds-checked.json"
"""Media files found good, each with the size and time of change it had then
(sounds by their path, pictures as 'photo:' and their path)."""

_good_sounds: dict[str, list[int]] | None = None

CHECKS = 2
"""Which checks found a file good: raised when they grow stricter (2: sample rates,
channels, a least length), so a file an earlier calmflow passed is looked at again."""


def _stamp(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, CHECKS]


def _known_good() -> dict[str, list[int]]:
    global _good_sounds
    if _good_sounds is None:
        try:
            found = json.loads((paths.cache_dir() / GOOD_SOUNDS_FILE).read_text())
        except (OSError, ValueError):
            found = {}
        _good_sounds = found if isinstance(found, dict) else {}
    return _good_sounds


def _remember_good(key: str, stamp: list[int]) -> None:
    good = _known_good()
    good[key] = stamp
    # Only a shortcut: a folder that cannot be written costs the next start a look.
    with contextlib.suppress(OSError):
        write_private(paths.cache_dir() / GOOD_SOUNDS_FILE, json.dumps(good), sync=False)


def check_media(kind: str, path: Path, *, prepare: Tell | None = None) -> str | None:
    """Look inside a media file: is it a sound (or picture) calmflow can use, all
    the way through? A file found good before, and unchanged since (same size
    and time of change), is not opened again: decoding needs numpy, libsndfile
    or Pillow, a fifth of a second before the first screen.

    A video is decoded through as it is prepared for the player, once
    (services/videos.py): with `prepare` (which is told it is being prepared),
    now; without it, it is only looked at, and the player prepares it."""
    if kind == "video":
        problem = videos.first_look(path) if prepare is None else videos.problem(path, prepare)
        return f"{problem}: {path}" if problem else None
    if kind not in ("sound", "photo"):
        return None
    key = str(path) if kind == "sound" else f"photo:{path}"
    stamp = _stamp(path)
    if stamp is not None and _known_good().get(key) == stamp:
        return None
    problem = _sound_problem(path) if kind == "sound" else picture_problem(path)
    if problem is None and stamp is not None and _stamp(path) == stamp:
        _remember_good(key, stamp)
    return problem


def _sound_problem(path: Path) -> str | None:
    from calmflow.engine.media import MediaError, verify

    try:
        verify(path)
    except MediaError as exc:
        return f"{exc.reason}: {path}"
    return None


def copy_routine(loaded: LoadedRoutine, name: str) -> Path:
    """Copy a routine into the person's folder as `name`.yaml, to edit, with the
    media it names by relative paths; return the new file's path. Raises
    FileExistsError if a routine of that name is there already, and SourceError,
    before anything is written, if a media path would put a copy outside the
    folder (`photo: ../../.ssh/authorized_keys` in a shared routine).

    The folder and every file are private: a routine can hold the baby's name,
    photo and voice."""
    media = _media_to_copy(loaded, paths.user_routines_dir())
    folder = paths.writable(paths.user_routines_dir())
    target = folder / f"{name}.yaml"
    if target.exists():
        raise FileExistsError(errno.EEXIST, "exists already", str(target))
    lines = loaded.path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("name:"):
            # quoted, so '2024' stays a name; as written, since YAML reads the
            # \ud835\udfd8 that ASCII JSON makes of one letter as two halves
            lines[i] = f"name: {json.dumps(name, ensure_ascii=False)}\n"
            break
    write_private(target, "".join(lines), replace=False)
    made: list[Path] = [target]
    try:
        for source, dest in media:
            if dest.exists():
                continue  # a file of the person's own by that name is kept, and used
            paths.make_private_dir(dest.parent)  # as written: checked inside
            if not source.is_file():  # changed since it was checked: never read a pipe
                raise SourceError([Problem(source, 0, 0, "is no longer a plain file")])
            with contextlib.suppress(FileExistsError):
                copy_private(source, dest, replace=False)
                made.append(dest)
    except BaseException:
        for path in made:  # all or nothing: no routine whose media are missing
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return target


def _media_to_copy(loaded: LoadedRoutine, folder: Path) -> list[tuple[Path, Path]]:
    """Each media file the routine's own file names by a relative path (which
    must still work from the copy), with where its copy goes: inside `folder`,
    once `..` and every symbolic link on the way are followed. A path that
    would lead out of it is a problem at the line that names it (SourceError)."""
    inside = folder.resolve()
    if loaded.path.parent == inside:
        return []  # copied beside itself: its media are where they were
    plan: list[tuple[Path, Path]] = []
    problems: list[Problem] = []
    for media in loaded.media:
        if not media.relative:  # bundled:, ~ and absolute paths work from anywhere
            continue
        dest = (inside / media.written).resolve()
        # Each folder on the way is made as written (`pictures/../baby.png` needs
        # pictures), so each must be inside too, not only where the path ends.
        parts = Path(media.written).parts
        on_the_way = [(inside.joinpath(*parts[:n])).resolve() for n in range(1, len(parts))]
        if inside not in dest.parents or any(
            inside != step and inside not in step.parents for step in on_the_way
        ):
            place = media.place
            problems.append(
                dataclasses.replace(
                    place,
                    message=f"{place.message}: '{media.written}' leads out of the folder"
                    f" the copy goes to ({folder}); a copy keeps its media inside it, so"
                    " give this file's full path instead, or move it beside the routine",
                )
            )
        else:
            plan.append((media.path, inside / media.written))
    if problems:
        raise SourceError(problems)
    return plan


def load(name_or_path: str, *, prepare_videos: Tell | None = None) -> LoadedRoutine:
    """Find and validate a routine, looking inside its media; raise SourceError.
    `prepare_videos`: its videos are prepared for the player now, if they are
    not yet, each said through it (`check_media`)."""
    check = check_media if prepare_videos is None else partial(check_media, prepare=prepare_videos)
    return load_routine(find(name_or_path), check_media=check)
