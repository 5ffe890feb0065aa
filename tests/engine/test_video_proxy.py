"""A video cue's proxy: a phone's video prepared once, in a child process, into
small pictures ten a second and its sound decoded; and the video's sound heard
as a sound cue's, on its planned sample, whether the proxy is ready or not.

Files are made by the suite (tests/phone_media.py): AAC sound with MPEG-4
pictures whose red channel counts the pictures (`clip_red`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.core.timeline import Timeline
from calmflow.engine import video_making, video_proxy
from calmflow.engine.media import MediaError, open_sound
from calmflow.engine.mixer import Engine
from calmflow.engine.readers import open_reader
from calmflow.services import videos
from tests.conftest import ROOT
from tests.engine.listen import plan_from_yaml, render_all, seconds
from tests.engine.test_phone_sound import _lag, _memo
from tests.phone_media import (
    BLUE,
    GREEN,
    RED,
    VIDEO_SIZE,
    WHITE,
    clip_red,
    near,
    tone,
    write_aac,
    write_turned_video,
    write_video_only,
)

RATE = 48_000


def _clip(path: Path, sound: np.ndarray | None = None, seconds_long: float = 3.0) -> Path:
    write_aac(path, tone(seconds_long, RATE) if sound is None else sound, RATE, video=True)
    return path


def test_a_video_is_prepared_once_into_small_pictures_and_its_sound(home: Path, tmp_path: Path):
    clip = _clip(tmp_path / "clip.mov", _memo(3.0, RATE))
    told: list[str] = []
    proxy = videos.prepare(clip, told.append)
    assert told[0] == "preparing clip.mov for the player (once)…"
    assert told[1].startswith("clip.mov is ready for the player (")
    # ten pictures a second at the video's own size (smaller than BOX), each
    # the one the video shows then: the 7th (0.6 s in) has the 7th's red
    assert (proxy.width, proxy.height, proxy.fps, proxy.frames) == (*VIDEO_SIZE, 10.0, 30)
    for index in (0, 6, 29):
        assert near(tuple(proxy.frame(index)[10, 10]), (clip_red(index), 0, 0), within=8), index
    # its sound decoded once, exactly as long as the video's (AAC's priming and
    # padding left out), as the video's own track reads, but for the seams
    with open_reader(clip) as track:
        heard = track.read(dtype="float32", always_2d=True)
    assert proxy.sound is not None
    flac, rate = sf.read(str(proxy.sound), dtype="float32", always_2d=True)
    assert rate == RATE and flac.shape == heard.shape
    inner = slice(seconds(video_proxy.SEAM_S), -seconds(video_proxy.SEAM_S))
    np.testing.assert_allclose(flac[inner], heard[inner], atol=1e-6)  # 24 bits
    assert abs(flac[0, 0]) < 1e-4 and abs(flac[-1, 0]) < 1e-4, "faded at both ends"
    # private, as the video is
    for path in [proxy.folder, *proxy.folder.iterdir()]:
        assert os.stat(path).st_mode & 0o077 == 0, path

    # Asked again: found, not made again
    made_at = (proxy.folder / video_proxy.HEADER).stat().st_mtime_ns
    again: list[str] = []
    assert videos.prepare(clip, again.append) == proxy and again == []
    assert (proxy.folder / video_proxy.HEADER).stat().st_mtime_ns == made_at
    # The file changed: made again, and the older proxy removed
    _clip(clip, tone(2.0, RATE), seconds_long=2.0)
    changed: list[str] = []
    remade = videos.prepare(clip, changed.append)
    assert len(changed) == 2 and remade.frames == 20
    assert not proxy.folder.exists()
    assert [p.name for p in proxy.folder.parent.iterdir()] == [remade.folder.name]


def test_a_half_made_proxy_is_never_used(home: Path, tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    root = video_proxy.default_root()
    assert root is not None
    proxy = video_making.make_proxy(clip, root)
    # Killed while writing: a folder under its temporary name is not found
    # (and is cleared by the next try); one without its header is not either.
    (proxy.folder / video_proxy.HEADER).unlink()
    assert video_proxy.find(clip) is None
    (root / f".{proxy.folder.name}.{os.getpid()}.part").mkdir()
    assert video_proxy.find(clip) is None


@pytest.mark.parametrize("rotation", [-90, 90, 180])
def test_a_video_filmed_on_its_side_is_prepared_upright(
    home: Path, tmp_path: Path, rotation: int
) -> None:
    write_turned_video(tmp_path / "turned.mov", rotation)
    root = video_proxy.default_root()
    assert root is not None
    proxy = video_making.make_proxy(tmp_path / "turned.mov", root)
    assert (proxy.width, proxy.height) == (48, 64), "a portrait, as it was filmed"
    picture = proxy.frame(0)
    h, w = picture.shape[:2]
    corners = [picture[y, x] for y, x in ((6, 6), (6, w - 7), (h - 7, 6), (h - 7, w - 7))]
    for got, expected in zip(corners, (RED, GREEN, BLUE, WHITE), strict=True):
        assert near(tuple(got), expected), (corners, rotation)


def _cut_short(path: Path) -> None:
    write_aac(path, tone(3.0, RATE), RATE, video=True, faststart=True)
    whole = path.read_bytes()
    path.write_bytes(whole[: int(len(whole) * 0.6)])


def _pictures_damaged(path: Path) -> None:
    # Noise pictures, so that most of the file is video, then bytes flipped in the middle.
    import av

    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 160, 120
        stream.pix_fmt = "yuv420p"
        for _ in range(20):
            picture = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 3000):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


BROKEN = {
    "cut short": (
        _cut_short,
        "damaged or cut short: its pictures stop at 1.",
    ),
    "its pictures damaged": (_pictures_damaged, "damaged: its pictures cannot be decoded"),
    "a sound, no pictures": (
        lambda p: write_aac(p, tone(1.0, RATE), RATE),
        "no pictures in it: a sound, not a video; give it as a sound cue",
    ),
    "a text named .mov": (
        lambda p: p.write_text("our holiday\n" * 40),
        "not a video calmflow can show (MP4 or MOV, as a phone films them)",
    ),
    "longer than a cue plays": (
        lambda p: write_video_only(p, 2.0),
        "2.0 s long; a video cue plays at most",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_video_that_cannot_be_used_is_refused_with_the_reason(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    make, said = BROKEN[case]
    if case == "longer than a cue plays":
        monkeypatch.setattr(video_making, "MAX_SECONDS", 1.5)
    path = tmp_path / "clip.mov"
    make(path)
    root = video_proxy.default_root()
    assert root is not None
    with pytest.raises(MediaError) as refused:
        video_making.make_proxy(path, root)
    assert refused.value.reason.startswith(said), refused.value.reason
    assert not root.exists() or list(root.iterdir()) == [], "nothing half-made is left"


CHILD = """
import sys
from pathlib import Path
from calmflow.services import videos
for name in sys.argv[1:]:
    try:
        proxy = videos.prepare(Path(name))
        print("ready", proxy.frames)
    except videos.NotPrepared as exc:
        print("refused", exc)
print("ffmpeg here:", "av" in sys.modules)
"""


def test_preparing_writes_nothing_to_fd_2_and_ffmpeg_runs_apart(home: Path, tmp_path: Path) -> None:
    good = _clip(tmp_path / "good.mov")
    bad = tmp_path / "bad.mov"
    _pictures_damaged(bad)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(good), str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ready 30"
    assert lines[1].startswith("refused damaged: its pictures cannot be decoded")
    assert lines[2] == "ffmpeg here: False", "decoded in a child process, not this one"
    assert (home / "logs" / videos.LOG_FILE).exists()


PLACED = """
version: 1
name: clip
breathing: 'off'
chime: false
cues:
  clip: {{video: clip.mov, volume: 1, loop: false, fade_in: 0s, at: 1.5s}}
phases:
  - {{name: Watch, kind: prep, duration: 6s, cues: [clip]}}
"""


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "not prepared yet"])
def test_a_videos_sound_is_heard_on_its_planned_sample_as_a_babys(
    home: Path, tmp_path: Path, prepared: bool
) -> None:
    recorded = _memo(2.0, RATE)
    clip = _clip(tmp_path / "clip.mov", recorded)
    if prepared:
        videos.prepare(clip)
    plan = plan_from_yaml(tmp_path, PLACED.format())
    assert plan.cue("clip").role == "baby", "a video's sound is the baby's by default"
    heard = render_all(Timeline.initial(plan))[:, 0]
    planned = seconds(1.5)
    assert np.abs(heard[: planned - 10]).max() < 1e-6, "nothing before its time"
    assert _lag(heard, recorded, planned) == 0, "heard on its planned sample"
    played = heard[planned : planned + recorded.shape[0]]
    assert np.corrcoef(played, recorded)[0, 1] > 0.999
    # as loud as the same recording given as a baby's sound cue
    as_sound = plan_from_yaml(
        tmp_path, PLACED.format().replace("video: clip.mov", "sound: clip.mov, role: baby")
    )
    sound = render_all(Timeline.initial(as_sound))[planned : planned + recorded.shape[0], 0]
    after_seam = seconds(2 * video_proxy.SEAM_S)
    np.testing.assert_allclose(played[after_seam:], sound[after_seam:], atol=1e-3)


LOOPED = """
version: 1
name: clip
breathing: 'off'
chime: false
cues:
  clip: {video: clip.mov, loop: true}
phases:
  - {name: Watch, kind: prep, duration: 10s, cues: [clip]}
"""


def test_a_looping_video_goes_round_in_step_with_its_pictures(home: Path, tmp_path: Path) -> None:
    # A sound whose end does not meet its start (a loop of it in memory would be
    # crossfaded, each pass 50 ms short): the proxy's sound, faded at its seams,
    # goes round on its own length, which the pictures loop on.
    clip = _clip(tmp_path / "clip.mov", _memo(2.3, RATE))
    proxy = videos.prepare(clip)
    assert proxy.sound is not None
    source = open_sound(proxy.sound, RATE, loop=True)
    assert source.frames == proxy.loop_frames(RATE) == round(2.3 * RATE)
    plan = plan_from_yaml(tmp_path, LOOPED)
    engine = Engine(plan, max_block=seconds(10))
    assert engine._sources[0].frames == proxy.loop_frames(RATE)
    # The pictures: the same one a whole pass later
    period = proxy.loop_frames(RATE)
    at = seconds(0.75)
    assert proxy.index_at(at, RATE, loop=True) == proxy.index_at(at + 3 * period, RATE, loop=True)
    assert proxy.index_at(period + 1, RATE, loop=False) is None, "played through"


def test_a_video_without_sound_is_only_seen(home: Path, tmp_path: Path) -> None:
    write_video_only(tmp_path / "clip.mov", 2.0)
    proxy = videos.prepare(tmp_path / "clip.mov")
    assert proxy.sound is None and proxy.frames == 20
    plan = plan_from_yaml(tmp_path, LOOPED)
    engine = Engine(plan, max_block=seconds(10))
    assert engine._sources == [] and engine.problems() == []
    header = json.loads((proxy.folder / video_proxy.HEADER).read_text())
    assert header["sound"] is None


CHECKED = """\
name: clip
cues:
  baby:
    video: {file}
  memo: {{sound: memo.m4a}}
phases:
  - {{name: Settle, kind: prep, duration: 5s, cues: [baby, memo]}}
"""


@pytest.mark.parametrize("case", ["cut short", "a sound, no pictures", "a text named .mov"])
def test_check_names_a_video_it_cannot_use_and_why_at_its_line(
    home: Path, tmp_path: Path, case: str
) -> None:
    from click.testing import CliRunner

    from calmflow.cli import main

    make, said = BROKEN[case]
    path = tmp_path / "clip.mov"
    make(path)
    write_aac(tmp_path / "memo.m4a", tone(1.0, RATE), RATE)
    routine = tmp_path / "clip.yaml"
    routine.write_text(CHECKED.format(file="clip.mov"))
    result = CliRunner().invoke(main, ["check", str(routine)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    if case == "a text named .mov":  # refused at its first bytes, before any preparing
        (line,) = lines
    else:
        preparing, line = lines
        assert preparing == "preparing clip.mov for the player (once)…"
    assert line.startswith(f"{routine}:4:12: cues.baby.video: {said}"), line
    assert line.endswith(f": {path}"), line
