"""Your own routine in one step (issue 22): `calmflow new mine --photo FILE
--sound FILE` copies the files in, private, wires them as the routine's photo
and the baby's sounds, and `check`, `render` and `play` take the result; phone
formats (HEIC, M4A) as a phone makes them; nothing is left half-made."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.system import paths
from tests.phone_media import marked, tone, write_aac, write_heic

RATE = 8_000


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def _made(name: str = "mine") -> list[Path]:
    folder = paths.user_routines_dir()
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def test_a_phone_photo_and_voice_memo_make_a_routine_that_checks_and_plays_them(home, tmp_path):
    photo, memo = tmp_path / "IMG_0042.HEIC", tmp_path / "New Recording.m4a"
    write_heic(photo, marked())
    write_aac(memo, tone(3.0, 48_000, hz=300.0), 48_000)
    made = _run(
        "new", "mine", "--from", "quick-letdown", "--photo", str(photo), "--sound", str(memo)
    )
    assert made.exit_code == 0, made.output
    assert "created" in made.output and "`calmflow play mine`" in made.output
    assert _made() == [
        Path("media/mine-photo.heic"),
        Path("media/mine-sound.m4a"),
        Path("mine.yaml"),
    ]
    for path in paths.user_routines_dir().rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    checked = _run("check", "mine")
    assert checked.exit_code == 0 and "5:00+" in checked.output, checked.output
    listed = _run("routines")
    assert any(line.startswith("mine ") for line in listed.output.splitlines())

    # The baby's sounds: from the start, 30 s (the 3 s memo back to back), and
    # nothing else changed: the difference from quick-letdown is the memo alone.
    mine, plain = tmp_path / "mine.wav", tmp_path / "plain.wav"
    for name, out in (("mine", mine), ("quick-letdown", plain)):
        result = _run("render", name, "--rate", str(RATE), "-o", str(out))
        assert result.exit_code == 0, result.output
    a, _ = sf.read(mine)
    b, _ = sf.read(plain)
    extra = (a - b).mean(axis=1)
    assert len(a) == len(b) == 300 * RATE
    level = [np.sqrt(np.mean(extra[s * RATE : (s + 1) * RATE] ** 2)) for s in range(40)]
    assert min(level[1:29]) > 0.01, level  # heard through the first 30 s
    assert max(level[31:]) < 1e-3, level  # then not again before 5:00
    spectrum = np.abs(np.fft.rfft(extra[RATE : 5 * RATE]))
    assert abs(np.argmax(spectrum) * RATE / (4 * RATE) - 300) < 2  # the memo's 300 Hz


def test_a_routine_with_no_picture_shows_the_photo_all_through(home, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        "name: plain\nphases:\n  - {name: Stimulation, kind: stimulation, duration: 2m}\n"
        "  - {name: Expression, kind: expression, duration: 5m}\n"
    )
    photo = tmp_path / "baby.png"
    marked().save(photo)
    made = _run("new", "mine", "--from", str(plain), "--photo", str(photo))
    assert made.exit_code == 0, made.output
    text = (paths.user_routines_dir() / "mine.yaml").read_text()
    assert f'extends: "{plain.resolve()}"' in text
    assert 'background: ["baby_photo"]' in text
    assert _run("check", "mine").exit_code == 0


def test_a_file_calmflow_cannot_use_leaves_nothing_behind(home, tmp_path):
    photo = tmp_path / "baby.jpg"
    photo.write_text("not a picture at all")
    memo = tmp_path / "memo.m4a"
    write_aac(memo, tone(1.0, 48_000), 48_000)
    made = _run("new", "mine", "--photo", str(photo), "--sound", str(memo))
    assert made.exit_code == 1
    assert "mine-photo.jpg" in made.output  # the problem, at the routine's line
    assert "nothing was made" in made.output.splitlines()[-1]
    assert _made() == []


def test_names_taken_and_files_that_are_not_files_are_refused_in_one_line(home, tmp_path):
    photo = tmp_path / "baby.png"
    marked().save(photo)
    assert _run("new", "mine", "--photo", str(photo)).exit_code == 0
    again = _run("new", "mine", "--photo", str(photo))
    assert again.exit_code == 1
    assert "mine.yaml exists already; choose another name" in again.output
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    piped = _run("new", "other", "--photo", str(fifo))
    assert piped.exit_code == 1 and "not a plain file" in piped.output
    missing = _run("new", "other", "--sound", str(tmp_path / "nowhere.m4a"))
    assert missing.exit_code == 1 and "No such file" in missing.output
    assert _made() == [Path("media/mine-photo.png"), Path("mine.yaml")]


def test_a_video_calmflow_cannot_use_is_said_in_one_line_and_nothing_is_made(home, tmp_path):
    video = tmp_path / "clip.mov"
    write_aac(video, tone(3.0, 48_000), 48_000, video=True, faststart=True)
    video.write_bytes(video.read_bytes()[: video.stat().st_size * 6 // 10])  # a copy cut short
    made = _run("new", "mine", "--video", str(video))
    assert made.exit_code == 1
    assert made.stderr.splitlines()[-1] == (
        f"calmflow: --video {video}: damaged or cut short: its pictures stop at 1.8 s of the"
        " 3.0 s it says it has; replace this file; nothing was made"
    )
    assert _made() == []
    alone = tmp_path / "alone.mov"
    write_aac(alone, tone(40.0, 8_000), 8_000, video=True)
    made = _run("new", "mine", "--from", "quick-letdown", "--video", str(alone))
    assert made.exit_code == 0, made.output
    text = (paths.user_routines_dir() / "mine.yaml").read_text()
    # with no baby's sounds, from the start; once through, its own 40 s, each time
    assert (
        'baby_video: {video: "media/mine-video.mov", role: baby, volume: 1, every: 5m,'
        " loop: false}" in text
    )
    assert 'background: ["baby_video"]' in text
    assert _run("check", "mine").exit_code == 0
