"""A video cue in the player: its pictures where a photo shows, each at its
place in the cue's occurrence on the session's clock (the sound's), drawn
again only when the picture changes; `h` hides it, reduced motion keeps one
still picture, NO_COLOR draws it in greys and the night palette dims it, as
photos are. And the routine `calmflow new --photo IMG.heic --sound memo.m4a
--video clip.mov` makes checks, renders and plays with every cue at its time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from click.testing import CliRunner
from rich.text import Text

from calmflow.cli import main
from calmflow.engine.video_proxy import Proxy
from calmflow.services import videos
from calmflow.ui.widgets.photo import Photo, fit
from calmflow.ui.widgets.video_frames import fit_frame
from tests.phone_media import (
    clip_red,
    marked,
    near,
    tone,
    write_aac,
    write_heic,
    write_turned_video,
)
from tests.ui.driving import after, app_for, notice, playing, started, text, tick, told
from tests.ui.test_night import too_bright

RATE = 48_000
ROUTINE = """\
name: clip
cues:
  clip: {{video: {file}, at: 1s{more}}}
  baby: {{photo: baby.png}}
phases:
  - {{name: Settle, kind: prep, duration: 40s, cues: [{cues}]}}
"""


def _routine(folder: Path, *, file: str = "clip.mov", more: str = "", photo: bool = False) -> Path:
    path = folder / "clip.yaml"
    marked().save(folder / "baby.png")
    cues = "clip, baby" if photo else "clip"
    path.write_text(ROUTINE.format(file=file, more=more, cues=cues))
    return path


def _clip(folder: Path, seconds: float = 3.0) -> Proxy:
    write_aac(folder / "clip.mov", tone(seconds, RATE), RATE, video=True)
    return videos.prepare(folder / "clip.mov")


def _expected(screen: Any, proxy: Proxy, *, starts_s: float = 1.0, loop: bool = True) -> int:
    """The picture the video should show now: its place in the occurrence."""
    elapsed = screen.player.session.now_frame - round(starts_s * RATE)
    index = proxy.index_at(elapsed, RATE, loop=loop)
    return proxy.frames - 1 if index is None else index


async def _shown(pilot: Any, photo: Photo) -> None:
    """Let the layout give the picture its room (it is drawn at once then)."""
    for _ in range(50):
        await pilot.pause()
        if photo._array is not None and photo._key and photo._key[1:] == photo._box():
            return
    raise AssertionError("the video was not drawn at its size")


def _colours(photo: Photo) -> set[tuple[int, int, int]]:
    drawn = photo.render()
    assert isinstance(drawn, Text) and "▀" in drawn.plain
    return {
        c.get_truecolor()
        for span in drawn.spans
        if span.style and not isinstance(span.style, str)
        for c in (span.style.color, span.style.bgcolor)
        if c is not None
    }


async def test_the_video_plays_picture_by_picture_on_the_session_clock(home, tmp_path, clock):
    proxy = _clip(tmp_path)
    routine = _routine(tmp_path)
    async with playing(routine, clock, size=(100, 30)) as (app, pilot, screen):
        photo = screen.query_one(Photo)
        assert not photo.display, "nothing before the cue's `at`"
        draws: list[int] = []
        drawing = photo._draw_frame

        def counted() -> None:
            draws.append(1)
            drawing()

        photo._draw_frame = counted  # type: ignore[method-assign]
        shown = []
        # 2.0 s in: a second into the video; 2.35: the 14th picture; 4.6: round
        # its 3 s again (it loops), at its 6th
        for step in (2.0, 0.35, 2.25):
            await after(step, clock, pilot, screen)
            await _shown(pilot, photo)
            index = _expected(screen, proxy)
            assert photo.clip_at == (proxy, index)
            size = fit((proxy.width, proxy.height), (photo._box()[0], photo._box()[1] * 2))
            np.testing.assert_array_equal(photo._array, fit_frame(proxy.frame(index), size))
            middle = photo._array[photo._array.shape[0] // 2, photo._array.shape[1] // 2]
            assert near(tuple(middle), (clip_red(index), 0, 0), within=10), (index, middle)
            shown.append(index)
        assert shown[0] != shown[1] != shown[2] and shown[2] < shown[1], shown
        assert "video" not in text(screen, "#cues"), "it is on the screen"
        # the same picture a moment later: not drawn again
        before = len(draws)
        await after(0.02, clock, pilot, screen)
        assert photo.clip_at == (proxy, shown[-1]) and len(draws) == before
        # h hides it (its sound plays on: m mutes that), and shows it again
        await pilot.press("h")
        assert not photo.display
        assert notice(screen) == "Photo hidden: h shows it again"
        assert "video: clip" in text(screen, "#cues")
        await after(0.5, clock, pilot, screen)
        assert not photo.display
        await pilot.press("h")
        assert photo.display
        # z: full screen, as a photo, drawn again at its new size
        small = photo._array.shape
        await pilot.press("z")
        await tick(pilot, screen)
        await _shown(pilot, photo)
        assert notice(screen) == "Photo full screen: the border breathes; z for the guide"
        assert photo.region.width >= 98, "across the screen"
        assert photo._array.shape[0] * photo._array.shape[1] > small[0] * small[1]
        assert photo.clip_at == (proxy, _expected(screen, proxy))


async def test_reduced_motion_keeps_one_still_picture(home, tmp_path, clock):
    proxy = _clip(tmp_path)
    app = app_for(_routine(tmp_path), clock)
    app.reduced_motion = True
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot, app)
        photo = screen.query_one(Photo)
        seen = set()
        for _ in range(4):
            await after(0.7, clock, pilot, screen)
            if photo.display:
                await _shown(pilot, photo)
                assert photo.clip_at is not None
                seen.add(photo.clip_at[1])
        assert seen == {0}, "its first picture, still"
        assert proxy.frames > 1


async def test_with_no_color_the_video_is_in_greys_and_at_night_dim(
    home, tmp_path, clock, monkeypatch
):
    write_turned_video(tmp_path / "turned.mov", -90, seconds=2.0)  # filmed upright on a phone
    proxy = videos.prepare(tmp_path / "turned.mov")
    routine = _routine(tmp_path, file="turned.mov")
    monkeypatch.setenv("NO_COLOR", "1")
    async with playing(routine, clock, size=(100, 30)) as (_app, pilot, screen):
        await after(1.5, clock, pilot, screen)
        photo = screen.query_one(Photo)
        await _shown(pilot, photo)
        assert photo._array.shape[0] > photo._array.shape[1], "a portrait, standing up"
        colours = _colours(photo)
        assert len(colours) >= 4, "the picture's four quarters"
        assert all(r == g == b for r, g, b in colours), "greys only"
    monkeypatch.delenv("NO_COLOR")
    async with playing(routine, clock, size=(100, 30), night=True) as (app, pilot, screen):
        await after(1.5, clock, pilot, screen)
        photo = screen.query_one(Photo)
        await _shown(pilot, photo)
        assert len(_colours(photo)) >= 4
        await pilot.pause()
        assert too_bright(app) == {}
    assert proxy.frames == 20


async def test_a_video_not_prepared_shows_once_it_is_and_a_photo_meanwhile(home, tmp_path, clock):
    write_aac(tmp_path / "clip.mov", tone(2.0, RATE), RATE, video=True)
    routine = _routine(tmp_path, more=", loop: false", photo=True)
    async with playing(routine, clock, size=(100, 30)) as (app, pilot, screen):
        assert told(app)[-1] == (
            "Preparing clip.mov for the player (once): it shows when ready;"
            " its sound plays as planned"
        )
        photo = screen.query_one(Photo)
        await after(1.2, clock, pilot, screen)
        assert photo.display and photo.clip_at is None, "the photo while it is prepared"
        for _ in range(500):  # prepared in a thread of its own, by a child process
            await pilot.pause(0.02)
            if screen.videos.clips:
                break
        await tick(pilot, screen)
        proxy = videos.ready(tmp_path / "clip.mov")
        assert proxy is not None and screen.videos.clips == {str(tmp_path / "clip.mov"): proxy}
        await _shown(pilot, photo)
        assert photo.clip_at == (proxy, _expected(screen, proxy, loop=False))
        # played through (2 s from 1 s in): the photo again
        await after(2.5, clock, pilot, screen)
        assert photo.clip_at is None and photo.path == tmp_path / "baby.png"


async def test_a_routine_made_from_a_phones_photo_memo_and_video_checks_renders_and_plays(
    home, tmp_path, clock
):
    photo, memo, clip = tmp_path / "IMG_0042.HEIC", tmp_path / "memo.m4a", tmp_path / "clip.mov"
    write_heic(photo)
    write_aac(memo, tone(3.0, RATE, hz=300.0), RATE)
    write_aac(clip, tone(3.0, RATE, hz=500.0), RATE, video=True)
    run = CliRunner().invoke
    made = run(
        main,
        ["new", "mine", "--from", "quick-letdown", "--photo", str(photo)]
        + ["--sound", str(memo), "--video", str(clip)],
    )
    assert made.exit_code == 0, made.output
    assert "preparing mine-video.mov for the player (once)…" in made.stderr
    folder = home / "routines"
    text_of = (folder / "mine.yaml").read_text()
    assert 'baby_video: {video: "media/mine-video.mov"' in text_of
    # 3 s long: ten times over, whole, each 5 minutes, between the memo's plays
    assert "at: 2m30s, every: 5m, duration: 30s, loop: true, fade_out: 0s}" in text_of
    checked = run(main, ["check", "mine"])
    assert checked.exit_code == 0, checked.output
    assert "preparing" not in checked.stderr, "prepared once, when it was added"

    out = tmp_path / "mine.wav"
    rendered = run(main, ["render", "mine", "--rate", "8000", "-o", str(out)])
    assert rendered.exit_code == 0, rendered.output
    audio, rate = sf.read(out)
    mono = audio.mean(axis=1)

    def hz(start_s: float) -> float:
        part = mono[round(start_s * rate) : round((start_s + 2) * rate)]
        return float(np.argmax(np.abs(np.fft.rfft(part))) * rate / part.shape[0])

    def at_500(start_s: float, end_s: float) -> float:
        part = mono[round(start_s * rate) : round(end_s * rate)]
        t = np.arange(part.shape[0]) / rate
        return float(np.abs(np.dot(part, np.exp(-2j * np.pi * 500 * t))) / part.shape[0])

    assert abs(hz(1.0) - 300) < 2, "the memo from the start"
    assert abs(hz(151.0) - 500) < 2, "the video's sound at 2:30, between the memo's plays"
    assert at_500(148.0, 149.99) < 0.02 * at_500(151.0, 153.0), "not before 2:30"
    assert at_500(150.0, 150.4) > 0.01 * at_500(151.0, 153.0), "fading in from 2:30"
    assert abs(hz(200.0) - 500) > 20, "for 30 s, not more"

    proxy = videos.ready(folder / "media" / "mine-video.mov")
    assert proxy is not None
    async with playing(folder / "mine.yaml", clock, size=(100, 30)) as (_app, pilot, screen):
        shown = screen.query_one(Photo)
        await after(60, clock, pilot, screen)
        assert shown.display and shown.clip_at is None
        assert shown.path == folder / "media" / "mine-photo.heic", "the baby's photo"
        await after(91, clock, pilot, screen)
        await _shown(pilot, shown)
        assert shown.clip_at == (proxy, _expected(screen, proxy, starts_s=150.0))
        await after(30, clock, pilot, screen)  # its 30 s are over: the photo again
        assert shown.clip_at is None and shown.path.name == "mine-photo.heic"
