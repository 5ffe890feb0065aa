"""How loud each part of the mix is: targets in LUFS, and sound files matched to them.

The numbers (docs/sound.md):
- the breath voice (tone, wave or chimes) at BREATH_LUFS in pumping phases,
  REST_BREATH_DB softer in rest phases, and UNDER_AMBIENCE_LU under the
  ambience of a phase that has one;
- each sound file at the target of its role (`ROLE_LUFS`), whatever level it
  was recorded at; a cue's `volume` is relative to that (1 = the target);
- a file so quiet that it would need more than MAX_GAIN_DB is played as it is
  (`calmflow check` says so), and none is raised so far that its own peaks
  pass PEAK_DBTP.

A file's loudness is measured once and kept in a small cache beside the cache
of files found good (`default_cache()`), keyed by its path, size and time of
change: a changed file is measured again. Measured at the file's own rate and
rounded, so the gain, and every render, is the same whichever rate measured it
first.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calmflow.engine import loudness
from calmflow.engine.readers import open_reader
from calmflow.system.native_stderr import silenced

BREATH_LUFS = -22.0
"""The breath voice in a pumping phase: at the quiet end of relaxation audio."""
REST_BREATH_DB = -4.0
"""In a rest phase the breath guide steps back."""
UNDER_AMBIENCE_LU = 5.0
"""With ambience (a looping sound) in a phase, the breath sits this far under it."""
LOWEST_BREATH_DB = -12.0
"""...but never more than this under its own level, so it stays a guide."""
ROLE_LUFS = {"voice": -18.0, "music": -22.0, "ambience": -20.0, "baby": -24.0}
"""Each role's loudness at volume 1: a voice prompt above the mix (what the
person listens for), a baby's sound below it (a cry recorded loud would startle)."""
ROLES = tuple(ROLE_LUFS)
TONE_ROLE = "music"
"""A cue's sustained tone is set like music."""
MAX_GAIN_DB = 20.0
"""A file that needs more than this is mostly noise floor: played as it is."""
PEAK_DBTP = -4.0
"""No file is raised so far that its true peak passes this as it plays: where
the mixer's limiter begins (mixer.LIMIT_KNEE), so no file alone drives it."""
MEASURE_WINDOWS = 12
MEASURE_WINDOW_S = 5.0
"""A long file (streamed) is measured on this many windows spread over it, not decoded whole."""
STREAMED_ABOVE_S = 60.0
CACHE_VERSION = 1
CACHE_FILE = "loudness.json"


@dataclass(frozen=True)
class FileLevel:
    """A sound file's loudness as calmflow plays it (its first two channels, a
    mono file in both)."""

    lufs: float
    """Integrated loudness; -inf for silence."""
    peak_db: float
    """True peak, dBTP."""


@dataclass(frozen=True)
class Matched:
    """The gain that brings a file to its role's target, times its volume."""

    gain: float
    matched: bool
    """False: too quiet to match (or silent), played as it is."""
    needed_db: float
    """The gain matching would have needed, in dB (for `check`'s note)."""


def matched_gain(level: FileLevel, role: str, volume: float = 1.0) -> Matched:
    """The gain for a file of `level` in `role` (ROLE_LUFS) played at `volume`
    (linear, 0 to 1): its target lowered by the volume, its peaks kept under
    PEAK_DBTP; a file too quiet to match plays as it is, at `volume`."""
    target = ROLE_LUFS[role]
    if volume <= 0:
        return Matched(0.0, True, 0.0)
    if not math.isfinite(level.lufs):
        return Matched(volume, False, math.inf)
    needed = target - level.lufs
    if needed > MAX_GAIN_DB:
        return Matched(volume, False, needed)
    gain_db = needed + 20 * math.log10(volume)
    if math.isfinite(level.peak_db):
        gain_db = min(gain_db, PEAK_DBTP - level.peak_db)
    return Matched(loudness.db_gain(round(gain_db, 2)), True, needed)


def breath_level_db(kind: str, ambience_lufs: float | None) -> float:
    """The breath voice's loudness (LUFS) in a phase of `kind`, with its loudest
    ambience at `ambience_lufs` (None: no ambience)."""
    own = BREATH_LUFS + (REST_BREATH_DB if kind == "rest" else 0.0)
    if ambience_lufs is None or not math.isfinite(ambience_lufs):
        return own
    return max(own + LOWEST_BREATH_DB, min(own, ambience_lufs - UNDER_AMBIENCE_LU))


def measure_file(path: Path) -> FileLevel:
    """Decode `path` and measure it (a long one on windows spread over it, one at
    a time, so memory stays small). Raises soundfile's errors, OSError or
    MediaError if it cannot be read."""
    powers: list[np.ndarray] = []
    peak = loudness.SILENT
    with silenced(), open_reader(path) as f:
        rate = f.samplerate
        if f.frames <= STREAMED_ABOVE_S * rate:
            starts, window = [0], f.frames
        else:
            window = round(MEASURE_WINDOW_S * rate)
            stride = (f.frames - window) / (MEASURE_WINDOWS - 1)
            starts = [round(i * stride) for i in range(MEASURE_WINDOWS)]
        for start in starts:
            f.seek(start)
            part = f.read(window, dtype="float32", always_2d=True)
            if part.shape[1] == 1:  # played in both channels: twice the power of one
                powers.append(2 * loudness.block_powers(part, rate))
            else:
                powers.append(loudness.block_powers(part[:, :2], rate))
            peak = max(peak, loudness.true_peak_db(part[:, :2], rate))
    lufs = loudness.gated_loudness(np.concatenate(powers))
    return FileLevel(
        round(lufs, 2) if math.isfinite(lufs) else lufs,
        round(peak, 2) if math.isfinite(peak) else peak,
    )


_memo: dict[tuple[str, int, int], FileLevel] = {}
"""Files measured in this process, by path, size and time of change."""


def file_level(path: Path, cache: Path | None = None) -> FileLevel:
    """`measure_file`, once per version of the file: kept in this process and, if
    `cache` is given, in that JSON file (which is only a shortcut: one that cannot
    be read or written is measured again)."""
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    found = _memo.get(key)
    if found is not None:
        return found
    stamp = [info.st_size, info.st_mtime_ns, CACHE_VERSION]
    known = _read_cache(cache) if cache is not None else {}
    entry = known.get(str(path))
    if isinstance(entry, list) and len(entry) == 5 and entry[:3] == stamp:
        found = FileLevel(float(entry[3]), float(entry[4]))
    else:
        found = measure_file(path)
        if cache is not None:
            known[str(path)] = [*stamp, found.lufs, found.peak_db]
            _write_cache(cache, known)
    _memo[key] = found
    return found


def _read_cache(cache: Path) -> dict[str, object]:
    try:
        found = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write_cache(cache: Path, known: dict[str, object]) -> None:
    from calmflow.system.private_files import write_private

    # -inf is not JSON: a silent file is written as a very low number.
    text = json.dumps(known, allow_nan=True).replace("-Infinity", "-1e9")
    with contextlib.suppress(OSError):
        write_private(cache, text, sync=False)


def default_cache() -> Path | None:
    """The loudness cache in calmflow's cache folder, or None if there is none to use."""
    from calmflow.system import paths

    try:
        return paths.cache_dir() / CACHE_FILE
    except OSError:
        return None
