"""Your own routine in one step: a bundled (or any) routine with your baby's photo
and sounds (`calmflow new mine --photo FILE --sound FILE`).

The new routine `extends` the one it is made from, so it stays a few lines the
person can read: the routine's photo cues show the baby's photo instead, and the
baby's sounds play through the whole session as a background cue, at least
30 s each time and again every 5 minutes (EVIDENCE.md: in mice, 30 s of crying
started about 5 minutes of oxytocin release; no human trial). The files are
copied, private, into `media/` beside the person's routines, where `calmflow
record` keeps recordings, so the routine names them by relative paths; phone
formats (HEIC, M4A, MP4, MOV) are read as they are, with nothing to convert.
"""

from __future__ import annotations

import contextlib
import errno
import json
from collections.abc import Iterator
from pathlib import Path

from calmflow.core.routine_loading import LoadedRoutine
from calmflow.services.recordings import CUE, MEDIA_FOLDER
from calmflow.system import paths
from calmflow.system.private_files import copy_private, write_private

SOUND_CUE = "baby"
"""The cue name of the baby's sounds in an own routine."""


def _quoted(text: str) -> str:
    """`text` as a YAML scalar that reads back as itself (JSON is YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _source_reference(loaded: LoadedRoutine) -> str:
    """How the new routine names the one it extends: by name when calmflow finds
    it by that name (bundled, or in the person's folder), else by its path."""
    folder = loaded.path.parent.resolve()
    for known in (paths.bundled_routines_dir(), paths.user_routines_dir()):
        with contextlib.suppress(OSError):
            if folder == known.resolve():
                return loaded.path.stem
    return str(loaded.path.resolve())


def own_routine_text(loaded: LoadedRoutine, name: str, photo: str | None, sound: str | None) -> str:
    """The YAML of `name`: `loaded` with `photo` and `sound` (paths as the routine
    names them, relative to its folder) as the baby's photo and sounds."""
    routine = loaded.routine
    source = _source_reference(loaded)
    lines = [
        "# Your own routine, made by `calmflow new` with your baby's photo and sounds.",
        f"# It extends {source}: everything not written here comes from there;",
        "# `calmflow check` after any change.",
        "",
        "version: 1",
        f"name: {_quoted(name)}",
        f"description: {_quoted(_description(routine.description, photo, sound))}",
        f"extends: {_quoted(source)}",
        "",
        "cues:",
    ]
    background = list(routine.background)
    photo_cues = [key for key, cue in routine.cues.items() if cue.kind == "photo"]
    if photo is not None:
        lines.append("  # Your baby's photo, wherever the routine shows its picture [trial:")
        lines.append("  # Keith 2012; Int Breastfeed J 2022].")
        for key in photo_cues or ["baby_photo"]:
            kept = routine.cues[key].model_dump(exclude_unset=True) if key in routine.cues else {}
            kept.pop("photo", None)
            fields = ", ".join([f"photo: {_quoted(photo)}", *_fields(kept)])
            lines.append(f"  {_quoted(key)}: {{{fields}}}")
        if not photo_cues:  # a routine with no picture: the photo through the whole session
            background.append("baby_photo")
    if sound is not None:
        lines.append("  # Your baby's sounds: 30 s or more, about every 5 minutes [experimental:")
        lines.append("  # in mice, 30 s of crying started ~5 min of oxytocin release].")
        lines.append(f"  {SOUND_CUE}: {{sound: {_quoted(sound)}, {CUE}}}")
        background.append(SOUND_CUE)
    if background != list(routine.background):
        lines.append("")
        lines.append("# On through the whole session.")
        lines.append(f"background: [{', '.join(_quoted(b) for b in background)}]")
    return "\n".join(lines) + "\n"


def _description(description: str, photo: str | None, sound: str | None) -> str:
    what = " and ".join(
        w for w in ("your baby's photo" if photo else "", "sounds" if sound else "") if w
    )
    first = description.split(". ")[0].rstrip(".")
    return f"{first}, with {what}." if first else f"With {what}."


def _fields(kept: dict[str, object]) -> Iterator[str]:
    for key, value in kept.items():
        yield f"{key}: {json.dumps(value, ensure_ascii=False)}"


def make_own_routine(
    loaded: LoadedRoutine, name: str, photo: Path | None, sound: Path | None
) -> tuple[Path, list[Path]]:
    """Write `name`.yaml in the person's folder from `loaded`, with copies of
    `photo` and `sound` in its `media/`: all or nothing. Returns the routine's
    path and every file written (to remove again if the result does not check).

    Raises FileExistsError naming the file if the routine or a copy's name is
    taken, OSError if a copy cannot be written (nothing is left behind)."""
    folder = paths.writable(paths.user_routines_dir())
    target = folder / f"{name}.yaml"
    copies: list[tuple[Path, Path]] = []
    for what, source in (("photo", photo), ("sound", sound)):
        if source is not None:
            copies.append((source, folder / MEDIA_FOLDER / f"{name}-{what}{source.suffix.lower()}"))
    for path in (target, *(dest for _, dest in copies)):
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists already", str(path))
    relative = {dest.stem.rsplit("-", 1)[1]: f"{MEDIA_FOLDER}/{dest.name}" for _, dest in copies}
    text = own_routine_text(loaded, name, relative.get("photo"), relative.get("sound"))
    made: list[Path] = []
    try:
        for source, dest in copies:
            paths.make_private_dir(dest.parent)
            copy_private(source, dest, replace=False)
            made.append(dest)
        write_private(target, text, replace=False)
        made.append(target)
    except BaseException:
        remove(made)
        raise
    return target, made


def remove(made: list[Path]) -> None:
    """Take back what `make_own_routine` wrote."""
    for path in made:
        with contextlib.suppress(OSError):
            path.unlink()
