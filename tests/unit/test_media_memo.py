"""Sounds found good are not decoded again at each start, and a changed file is."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from calmflow.services import catalog
from calmflow.system import paths

ROOT = Path(__file__).resolve().parents[2]
ROUTINE = """\
version: 1
name: memo
phases:
  - name: Settle
    kind: prep
    duration: 1m
    prompt: Settle in.
    cues: [song]
cues:
  song:
    sound: song.ogg
"""


def _routine(folder: Path) -> Path:
    shutil.copy(ROOT / "media" / "waves.ogg", folder / "song.ogg")
    path = folder / "memo.yaml"
    path.write_text(ROUTINE)
    return path


def _problems(path: Path) -> list[str]:
    catalog._good_sounds = None  # as a new process starts
    try:
        catalog.load(str(path))
    except catalog.SourceError as exc:
        return [p.message for p in exc.problems]
    return []


def test_a_sound_changed_after_it_was_found_good_is_looked_at_again(home, tmp_path):
    path = _routine(tmp_path)
    assert _problems(path) == []
    memo = paths.cache_dir() / catalog.GOOD_SOUNDS_FILE
    assert str((tmp_path / "song.ogg").resolve()) in json.loads(memo.read_text())
    assert stat.S_IMODE(memo.stat().st_mode) == 0o600  # it names the person's files

    (tmp_path / "song.ogg").write_bytes(b"not a sound at all")
    assert _problems(path) == [
        "cues.song.sound: not a sound file calmflow can read (WAV, FLAC, OGG, MP3, M4A, "
        "or an MP4 or MOV video's sound): "
        f"{tmp_path / 'song.ogg'}"
    ]


def test_a_damaged_memo_is_only_a_slower_start(home, tmp_path):
    path = _routine(tmp_path)
    (paths.cache_dir() / catalog.GOOD_SOUNDS_FILE).write_text("{not json")
    assert _problems(path) == []
    assert _problems(path) == []


def test_the_second_start_decodes_nothing(home, tmp_path):
    # What makes the first screen come sooner: no numpy and no libsndfile in the
    # player's process once the sounds are known good.
    path = _routine(tmp_path)
    code = (
        "import sys\n"
        "from calmflow.services import catalog\n"
        f"catalog.load({str(path)!r})\n"
        "print('numpy' in sys.modules)\n"
    )
    env = {**os.environ, "CALMFLOW_HOME": str(home)}

    def numpy_loaded() -> str:
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return run.stdout.strip()

    assert numpy_loaded() == "True"  # the first time, the file is opened
    assert numpy_loaded() == "False"
