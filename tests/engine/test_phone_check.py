"""`calmflow check` on a phone's files: each that cannot be used is named, with
the reason, at the line of the routine that names it (exit 1), as for a WAV or
a PNG; and a routine of a phone's own files (HEIC, WebP, a turned JPEG, M4A,
MP4, MOV) checks, renders, and shows each photo upright."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.engine.pictures import picture_problem
from tests.phone_media import (
    marked,
    tone,
    write_aac,
    write_heic,
    write_turned_jpeg,
    write_video_only,
    write_webp,
)

RATE = 48_000


def _memo(path: Path, *, faststart: bool = False) -> bytes:
    write_aac(path, tone(2.0, RATE), RATE, video=path.suffix != ".m4a", faststart=faststart)
    return path.read_bytes()


def _cut(fraction: float, *, faststart: bool = False) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        whole = _memo(path, faststart=faststart)
        path.write_bytes(whole[: int(len(whole) * fraction)])

    return make


def _damaged_inside(path: Path) -> None:
    data = bytearray(_memo(path, faststart=True))
    for i in range(len(data) // 2, len(data) // 2 + 600):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _heic_cut(path: Path) -> None:
    write_heic(path, marked(300, 200))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


def _webp_cut(path: Path) -> None:
    write_webp(path, marked(300, 200))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


def _text(path: Path) -> None:
    path.write_text("the baby's first laugh, 3 March\n" * 30)


CUT = "damaged or cut short: it cannot be read as an M4A, MP4 or MOV file"
STOPS = "damaged or cut short: it cannot be played to its end (its sound is damaged"
NOT_SOUND = "not a sound file calmflow can read (WAV, FLAC, OGG, MP3, M4A, or an MP4 or MOV"
NOT_PICTURE = "not an image calmflow can show (PNG, JPEG, HEIC, WebP, GIF or BMP)"
BROKEN = {
    # case: (file name, cue key, how it is made, what is said of it)
    "m4a cut short, its index at the end": ("memo.m4a", "sound", _cut(0.5), CUT),
    "m4a cut short, its index first": ("memo.m4a", "sound", _cut(0.6, faststart=True), STOPS),
    "m4a damaged inside": ("memo.m4a", "sound", _damaged_inside, STOPS),
    "text named .m4a": ("memo.m4a", "sound", _text, NOT_SOUND),
    "mp4 cut short": ("clip.mp4", "sound", _cut(0.5), CUT),
    "mov cut short": ("clip.mov", "sound", _cut(0.5), CUT),
    "mov with no sound track": (
        "clip.mov",
        "sound",
        write_video_only,
        "a video with no sound track: there is nothing in it to play",
    ),
    "heic given as a sound": (
        "baby.heic",
        "sound",
        write_heic,
        "a photo (HEIC or AVIF), not a sound",
    ),
    "heic cut short": (
        "baby.heic",
        "photo",
        _heic_cut,
        "damaged or cut short: it cannot be shown (Unexpected end of file)",
    ),
    "heic damaged at its start": (
        "baby.heic",
        "photo",
        lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x5a" * 400),
        "damaged: it starts as a HEIC photo but cannot be read",
    ),
    "webp cut short": ("baby.webp", "photo", _webp_cut, "damaged or cut short: it cannot be shown"),
    "text named .heic": ("baby.heic", "photo", _text, NOT_PICTURE),
    "m4a given as a photo": ("memo.m4a", "photo", _memo, NOT_PICTURE),
}


def _routine(folder: Path, key: str, file: str) -> Path:
    """A routine whose one cue (line 4, column 12) is this file."""
    path = folder / "phone.yaml"
    path.write_text(
        "name: phone\n"
        "cues:\n"
        "  baby:\n"
        f"    {key}: {file}\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 5s, cues: [baby]}\n"
    )
    return path


@pytest.mark.parametrize("case", list(BROKEN))
def test_check_names_a_phone_file_it_cannot_use_and_why_at_its_line(
    home: Path, tmp_path: Path, case: str
) -> None:
    name, key, make, said = BROKEN[case]
    path = tmp_path / name
    make(path)
    routine = _routine(tmp_path, key, name)
    result = CliRunner().invoke(main, ["check", str(routine)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    ((line,),) = [result.stderr.splitlines()]
    assert line.startswith(f"{routine}:4:12: cues.baby.{key}: {said}"), line
    assert line.endswith(("replace this file: " + str(path), f": {path}")), line


MINE = """\
name: mine
breathing: 'off'
chime: false
cues:
  memo: {{sound: memo.m4a, role: baby, loop: false}}
  clip: {{sound: clip.mp4, at: 2s, role: baby, loop: false}}
  film: {{sound: film.mov, at: 4s, role: baby, loop: false}}
  heic: {{photo: baby.heic}}
  webp: {{photo: baby.webp, at: 2s}}
  six: {{photo: six.jpg, at: 4s}}
  eight: {{photo: eight.jpg, at: 6s}}
phases:
  - {{name: Settle, kind: prep, duration: 8s, cues: [memo, clip, film, heic, webp, six, eight]}}
"""


def test_a_routine_of_a_phones_own_files_checks_and_renders(home: Path, tmp_path: Path) -> None:
    write_aac(tmp_path / "memo.m4a", tone(1.0, 44_100, 330), 44_100)
    write_aac(tmp_path / "clip.mp4", tone(1.0, RATE, 440), RATE, video=True)
    write_aac(tmp_path / "film.mov", tone(1.0, RATE, 550), RATE, video=True, faststart=True)
    write_heic(tmp_path / "baby.heic")
    write_webp(tmp_path / "baby.webp")
    write_turned_jpeg(tmp_path / "six.jpg", 6)
    write_turned_jpeg(tmp_path / "eight.jpg", 8)
    routine = tmp_path / "mine.yaml"
    routine.write_text(MINE.format())
    checked = CliRunner().invoke(main, ["check", str(routine)])
    assert checked.exit_code == 0, checked.output
    assert "note:" not in checked.output
    out = tmp_path / "out.wav"
    rendered = CliRunner().invoke(main, ["render", str(routine), "-o", str(out)])
    assert rendered.exit_code == 0, rendered.output
    import soundfile as sf

    audio, rate = sf.read(str(out), dtype="float32", always_2d=True)
    # each sound starts on its own second: the memo at 0, the clip at 2, the film at 4
    for start_s, hz in ((0.0, 330), (2.0, 440), (4.0, 550)):
        part = audio[round((start_s + 0.2) * rate) : round((start_s + 0.8) * rate), 0]
        spectrum = np.abs(np.fft.rfft(part))
        assert abs(np.argmax(spectrum) * rate / part.shape[0] - hz) < 5, (start_s, hz)
    for name in ("baby.heic", "baby.webp", "six.jpg", "eight.jpg"):
        assert picture_problem(tmp_path / name) is None
