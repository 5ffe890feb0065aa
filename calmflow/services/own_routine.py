"""Your own routine in one step: a bundled (or any) routine with your baby's photo,
sounds and video (`calmflow new mine --photo FILE --sound FILE --video FILE`).

The new routine `extends` the one it is made from, so it stays a few lines the
person can read: the routine's photo cues show the baby's photo instead, and the
baby's sounds play through the whole session as a background cue, at least
30 s each time and again every 5 minutes (EVIDENCE.md: in mice, 30 s of crying
started about 5 minutes of oxytocin release; no human trial). The baby's
video is a background cue too (`video_cue`). The files are
copied, private, into `media/` beside the person's routines, where `calmflow
record` keeps recordings, so the routine names them by relative paths; phone
formats (HEIC, M4A, MP4, MOV) are read as they are, with nothing to convert.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
from collections.abc import Iterator
from pathlib import Path

from calmflow.core.quantities import duration_text
from calmflow.core.routine_loading import LoadedRoutine
from calmflow.services import videos
from calmflow.services.recordings import CUE, MEDIA_FOLDER
from calmflow.services.videos import Tell
from calmflow.system import paths
from calmflow.system.private_files import copy_private, write_private

SOUND_CUE = "baby"
"""The cue name of the baby's sounds in an own routine."""
VIDEO_CUE = "baby_video"
"""The cue name of the baby's video in an own routine."""
VIDEO_LEAST_S = 30.0
"""A video plays at least this long each time, whole, again and again if it is
shorter: as long as the baby's sounds (EVIDENCE.md: 30 s or more)."""
VIDEO_MOST_S = 150.0
"""...and once through if it is longer, up to half the 5 minutes between plays."""
VIDEO_AFTER_SOUND_S = 150.0
"""With the baby's sounds too, the video comes halfway between their plays:
the two never sound at once, and something of the baby comes every 2.5 minutes."""


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


def video_cue(video: str, length_s: float, *, with_sound: bool) -> str:
    """The cue that plays the baby's `video` (`length_s` long, as it plays):
    like the baby's sounds [experimental], every 5 minutes, for VIDEO_LEAST_S or
    more: a shorter video whole, again and again, until it has (its passes meet
    with no fade: the engine's copy of its sound is faded at its ends); a longer
    one once through, up to VIDEO_MOST_S. Halfway between the sounds' plays when
    there are sounds too. Seen as well as heard, as the baby's photo is
    [trial: Keith 2012]."""
    at = f"at: {duration_text(VIDEO_AFTER_SOUND_S)}, " if with_sound else ""
    if length_s >= VIDEO_LEAST_S:
        longest = f", duration: {duration_text(VIDEO_MOST_S)}" if length_s > VIDEO_MOST_S else ""
        timing = f"loop: false{longest}"
    else:
        passes = math.ceil(VIDEO_LEAST_S / length_s - 1e-9)
        timing = f"duration: {duration_text(round(passes * length_s, 3))}, loop: true, fade_out: 0s"
    return f"{{video: {_quoted(video)}, role: baby, volume: 1, {at}every: 5m, {timing}}}"


def own_routine_text(
    loaded: LoadedRoutine,
    name: str,
    photo: str | None,
    sound: str | None,
    video: tuple[str, float] | None = None,
) -> str:
    """The YAML of `name`: `loaded` with `photo` and `sound` (paths as the routine
    names them, relative to its folder) as the baby's photo and sounds, and
    `video` (its path and length in seconds) as the baby's video."""
    routine = loaded.routine
    source = _source_reference(loaded)
    lines = [
        "# Your own routine, made by `calmflow new` with your baby's photo, sounds or video.",
        f"# It extends {source}: everything not written here comes from there;",
        "# `calmflow check` after any change.",
        "",
        "version: 1",
        f"name: {_quoted(name)}",
        f"description: {_quoted(_description(routine.description, photo, sound, video is not None))}",
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
    if video is not None:
        lines.append("  # Your baby's video, seen and heard every 5 minutes for 30 s or more (a")
        lines.append("  # shorter one again and again; a longer one once, up to 2m30s), between")
        lines.append("  # the sounds' plays [experimental, as the sounds; the own baby's pictures:")
        lines.append("  # Keith 2012]. The photo shows when the video does not.")
        lines.append(f"  {VIDEO_CUE}: {video_cue(*video, with_sound=sound is not None)}")
        background.append(VIDEO_CUE)
    if background != list(routine.background):
        lines.append("")
        lines.append("# On through the whole session.")
        lines.append(f"background: [{', '.join(_quoted(b) for b in background)}]")
    return "\n".join(lines) + "\n"


def _description(description: str, photo: str | None, sound: str | None, video: bool) -> str:
    named = [w for w, given in (("photo", photo), ("sounds", sound), ("video", video)) if given]
    what = "your baby's " + (
        named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    )
    first = description.split(". ")[0].rstrip(".")
    return f"{first}, with {what}." if first else f"With {what}."


def _fields(kept: dict[str, object]) -> Iterator[str]:
    for key, value in kept.items():
        yield f"{key}: {json.dumps(value, ensure_ascii=False)}"


def make_own_routine(
    loaded: LoadedRoutine,
    name: str,
    photo: Path | None,
    sound: Path | None,
    video: Path | None = None,
    *,
    tell: Tell | None = None,
) -> tuple[Path, list[Path]]:
    """Write `name`.yaml in the person's folder from `loaded`, with copies of
    `photo`, `sound` and `video` in its `media/`: all or nothing. The video's
    copy is prepared for the player now (services/videos.py, said through
    `tell`). Returns the routine's path and every file written (to remove again
    if the result does not check).

    Raises FileExistsError naming the file if the routine or a copy's name is
    taken, OSError if a copy cannot be written, videos.NotPrepared if the
    video cannot be used (nothing is left behind)."""
    folder = paths.writable(paths.user_routines_dir())
    target = folder / f"{name}.yaml"
    copies: list[tuple[Path, Path]] = []
    for what, source in (("photo", photo), ("sound", sound), ("video", video)):
        if source is not None:
            copies.append((source, folder / MEDIA_FOLDER / f"{name}-{what}{source.suffix.lower()}"))
    for path in (target, *(dest for _, dest in copies)):
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists already", str(path))
    relative = {dest.stem.rsplit("-", 1)[1]: f"{MEDIA_FOLDER}/{dest.name}" for _, dest in copies}
    made: list[Path] = []
    try:
        for source, dest in copies:
            paths.make_private_dir(dest.parent)
            copy_private(source, dest, replace=False)
            made.append(dest)
        clip = None
        if video is not None:
            proxy = videos.prepare(folder / relative["video"], tell)
            length = proxy.loop_frames(48_000) / 48_000  # as it plays: its sound's length
            clip = (relative["video"], length)
        text = own_routine_text(loaded, name, relative.get("photo"), relative.get("sound"), clip)
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
