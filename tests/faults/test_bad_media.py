"""Bad media, injected for real: sounds and photos that are missing, empty, not
what their name says, cut short or absurdly large.

Before a session, `calmflow check` and `calmflow play` (which checks first, in
a plain subprocess) name the file, at the line of the routine that names it,
with what is wrong and what to do, and exit 1. A file that goes bad after it
was checked is looked at again (its size or time of change moved). A file that
goes bad during a session (replaced, cut short by a sync going wrong) does not
stop it: a photo is named in its place, a sound falls silent while the rest
plays, and whatever was logged stays.
"""

from __future__ import annotations

import random
import shutil
import struct
import sys
import time
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from rich.text import Text

from calmflow.ui.widgets.photo import Photo
from tests.conftest import ROOT
from tests.e2e import conftest as e2e
from tests.faults.test_bad_routine import check_and_play, kept, refused, report, run_all, seeded
from tests.ui.driving import after, db_rows, playing

pulse, capture, tmux = e2e.pulse, e2e.capture, e2e.tmux
"""The e2e tests' PulseAudio server (a null sink for the speakers) and its
recording, and a terminal of a test's own."""

WAVES = ROOT / "media" / "waves.ogg"
CALM = ROOT / "media" / "calm.png"
RATE = 48_000


def _routine(folder: Path, kind: str, name: str) -> Path:
    """A routine whose one cue (line 4, column 12) is this sound or photo."""
    path = folder / "media.yaml"
    path.write_text(
        "name: media\n"
        "cues:\n"
        "  song:\n"
        f"    {kind}: {name}\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 5s, cues: [song]}\n"
    )
    return path


def _tone(path: Path, seconds: float, fmt: str, hz: float = 440.0) -> Path:
    """A soft tone, made here: no third party's recording."""
    t = np.arange(round(seconds * RATE)) / RATE
    wave = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    with sf.SoundFile(path, "w", RATE, 1, format=fmt) as f:
        for i in range(0, wave.shape[0], 8192):  # libsndfile's Vorbis writer crashes on big writes
            f.write(wave[i : i + 8192])
    return path


def _cut(source: Path, target: Path, keep: float | int) -> Path:
    """`target` as the first `keep` of `source` (a fraction, or a number of bytes)."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    return target


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width × height, holding a few bytes of pixels."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _jpeg() -> bytes:
    picture = Image.linear_gradient("L").resize((1200, 800)).convert("RGB")
    out = BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


NOT_SOUND = (
    "not a sound file calmflow can read (WAV, FLAC, OGG, MP3, M4A, or an MP4 or MOV video's sound)"
)
NOT_PICTURE = "not an image calmflow can show (PNG, JPEG, HEIC, WebP, GIF or BMP)"
SOUND = {
    # kind: (file name, how it is made, what is said before ": PATH")
    "media: sound missing": ("moved-away.ogg", None, None),
    "media: sound empty (0 bytes)": (
        "empty.ogg",
        lambda p: p.write_bytes(b""),
        "empty (0 bytes), not a sound file; replace this file",
    ),
    "media: text named .wav": (
        "notes.wav",
        lambda p: p.write_text("remember: the small flanges\n" * 40),
        NOT_SOUND,
    ),
    "media: random bytes named .flac": (
        "noise.flac",
        lambda p: p.write_bytes(random.Random(4).randbytes(20_000)),
        NOT_SOUND,
    ),
    "media: ogg cut inside its header": (
        "waves.ogg",
        lambda p: _cut(WAVES, p, 100),
        NOT_SOUND,
    ),
    "media: ogg cut before its first sound": (
        "waves.ogg",
        lambda p: _cut(WAVES, p, 4000),
        "the file holds no sound (is it cut short?); replace this file",
    ),
    "media: wav cut inside its header": (
        "tone.wav",
        lambda p: _cut(_tone(p, 1.0, "WAV"), p, 30),
        NOT_SOUND,
    ),
    # A FLAC file says in its header how long it is: cut in half it passed the
    # header check and failed only when played (the whole sound went silent).
    "media: flac cut in half": (
        "tone.flac",
        lambda p: _cut(_tone(p, 4.0, "FLAC"), p, 0.5),
        "damaged or cut short: it cannot be played to its end (flac decoder lost sync);"
        " replace this file",
    ),
}


@pytest.mark.parametrize("kind", list(SOUND), ids=[k.removeprefix("media: ") for k in SOUND])
def test_a_bad_sound_is_named_at_its_line_by_check_and_play(faults, home, tmp_path, kind):
    name, make, said = SOUND[kind]
    path = tmp_path / name
    if make is not None:
        make(path)
    expected = said or "media file not found"
    routine = _routine(tmp_path, "sound", name)
    db, before = seeded(home)
    with faults.inject(kind) as fault:
        check, play = check_and_play(routine)
        report(kind, check, play)
        line = [f"{routine}:4:12: cues.song.sound: {expected}: {path}"]
        assert refused(check) == line
        assert refused(play) == line
        fault.checked(kept(db, before))


@pytest.mark.parametrize("fmt", ["ogg", "wav"])
def test_an_ogg_or_wav_cut_in_half_plays_what_is_there(faults, home, tmp_path, fmt):
    # Neither says its length in a way that survives a cut (an OGG's is on its
    # last page, a WAV's is corrected from the file's size): what is there
    # decodes, so it is played, shorter. Rendered to hear it.
    if fmt == "ogg":
        path = _cut(WAVES, tmp_path / "waves.ogg", 0.5)
        seconds = 15.0
    else:
        path = _cut(_tone(tmp_path / "tone.wav", 4.0, "WAV"), tmp_path / "tone.wav", 0.5)
        seconds = 2.0
    routine = _routine(tmp_path, "sound", path.name)
    out = tmp_path / "out.wav"
    db, before = seeded(home)
    with faults.inject(f"media: {fmt} cut in half") as fault:
        check, render = run_all(
            ("check", str(routine)), ("render", str(routine), "-o", str(out), "--rate", "8000")
        )
        report(f"media: {fmt} cut in half", check, render)
        assert check.code == 0 and check.stdout == f"{routine}: ok (media, 1 phase, 0:05)\n"
        assert render.code == 0, render.stderr
        assert "Traceback" not in check.stderr + render.stderr
        heard, rate = sf.read(out)
        assert rate == 8000 and heard.shape[0] == 5 * 8000
        assert np.abs(heard[2 * 8000 :]).max() > 0.05  # the cue plays on under the breath
        assert sf.info(path).duration == pytest.approx(seconds, abs=0.1)
        fault.checked(kept(db, before))


def _flac(folder: Path) -> Path:
    return _tone(folder / "lullaby.flac", 4.0, "FLAC")


def _png(folder: Path) -> Path:
    return Path(shutil.copy(CALM, folder / "baby.png"))


CUT_AFTER_CHECK = {
    "sound": (_flac, "cannot be played to its end (flac decoder lost sync)"),
    "photo": (_png, "cannot be shown (Truncated File Read)"),
}


@pytest.mark.parametrize("kind", CUT_AFTER_CHECK)
def test_a_file_cut_short_after_it_was_checked_is_caught_at_the_next_start(
    kind, faults, home, tmp_path
):
    # Found good once, the file is not decoded again at each start; a copy
    # cut short by a sync going wrong has another size, and is looked at again.
    make, why = CUT_AFTER_CHECK[kind]
    path = make(tmp_path)
    routine = _routine(tmp_path, kind, path.name)
    db, before = seeded(home)
    with faults.inject(f"media: {kind} cut short after check") as fault:
        (first,) = run_all(("check", str(routine)))
        assert first.code == 0, first.stderr
        _cut(path, path, 0.5)
        check, play = check_and_play(routine)
        report(f"media: {kind} cut short after check", check, play)
        line = [
            f"{routine}:4:12: cues.song.{kind}: damaged or cut short: it {why};"
            f" replace this file: {path}"
        ]
        assert refused(check) == line
        assert refused(play) == line
        fault.checked(kept(db, before))


def _too_many(width: int, height: int) -> str:
    return (
        f"{width:,} × {height:,} pixels, too large to show (at most 50 megapixels);"
        " save a smaller copy"
    )


PHOTO = {
    "media: text named .png": (
        "baby.png",
        lambda p: p.write_text("a photo of the baby\n"),
        NOT_PICTURE,
    ),
    "media: text named .jpg": ("baby.jpg", lambda p: p.write_text("IMG_2024\n" * 50), NOT_PICTURE),
    "media: photo empty (0 bytes)": (
        "baby.png",
        lambda p: p.write_bytes(b""),
        "empty (0 bytes), not an image; replace this file",
    ),
    "media: png cut in half": (
        "calm.png",
        lambda p: _cut(CALM, p, 0.5),
        "damaged or cut short: it cannot be shown (Truncated File Read); replace this file",
    ),
    "media: png claiming 100,000 × 100,000 pixels": (
        "huge.png",
        lambda p: p.write_bytes(_png_header(100_000, 100_000)),
        "claims to be 10,000,000,000 pixels, too large to show (at most 50 megapixels);"
        " save a smaller copy",
    ),
    "media: png claiming 9,000 × 9,000 pixels": (
        "big.png",
        lambda p: p.write_bytes(_png_header(9_000, 9_000)),
        _too_many(9_000, 9_000),
    ),
}


@pytest.mark.parametrize("kind", list(PHOTO), ids=[k.removeprefix("media: ") for k in PHOTO])
def test_a_bad_photo_is_named_at_its_line_by_check_and_play(faults, home, tmp_path, kind):
    name, make, said = PHOTO[kind]
    path = tmp_path / name
    make(path)
    routine = _routine(tmp_path, "photo", name)
    db, before = seeded(home)
    with faults.inject(kind) as fault:
        check, play = check_and_play(routine)
        report(kind, check, play)
        line = [f"{routine}:4:12: cues.song.photo: {said}: {path}"]
        assert refused(check) == line
        assert refused(play) == line
        fault.checked(kept(db, before))


def test_a_jpeg_cut_in_half_is_named_by_check_and_play(faults, home, tmp_path):
    path = tmp_path / "baby.jpg"
    path.write_bytes(_jpeg()[:6000])
    routine = _routine(tmp_path, "photo", path.name)
    db, before = seeded(home)
    with faults.inject("media: jpeg cut short") as fault:
        check, play = check_and_play(routine)
        report("media: jpeg cut short", check, play)
        for ran in (check, play):
            (line,) = refused(ran)
            assert line.startswith(
                f"{routine}:4:12: cues.song.photo: damaged or cut short: it cannot be shown"
                " (image file is truncated"
            )
            assert line.endswith(f"); replace this file: {path}")
        fault.checked(kept(db, before))


# --- going bad during a session ----------------------------------------------------------

SESSION = """\
name: photo
cues:
  baby: {photo: baby.png}
phases:
  - {name: Settle, kind: prep, duration: 1m, cues: [baby]}
  - {name: Stimulation, kind: stimulation, duration: 1m, cues: [baby]}
"""

IN_SESSION = {
    # kind: (the file, what the photo's place says)
    "media: photo not a picture, in a session": (
        b"a photo of the baby\n",
        "it is not a picture (PNG, JPEG, HEIC, WebP, GIF or BMP)",
    ),
    "media: png cut in half, in a session": (
        CALM.read_bytes()[:1800],
        "the file is damaged or cut short; replace it",
    ),
    # Pillow refuses it with its own DecompressionBombError, which the photo's
    # thread did not catch: the app stopped with a traceback mid-session.
    "media: png claiming 100,000 × 100,000 pixels, in a session": (
        _png_header(100_000, 100_000),
        "it is far too large to show; save a smaller copy",
    ),
    "media: png claiming 9,000 × 9,000 pixels, in a session": (
        _png_header(9_000, 9_000),
        _too_many(9_000, 9_000),
    ),
}


@pytest.mark.parametrize(
    "kind", list(IN_SESSION), ids=[k.removeprefix("media: ") for k in IN_SESSION]
)
async def test_a_photo_that_went_bad_after_the_check_is_named_and_the_session_goes_on(
    faults, home, tmp_path, clock, kind
):
    data, why = IN_SESSION[kind]
    routine = tmp_path / "photo.yaml"
    routine.write_text(SESSION)
    (tmp_path / "baby.png").write_bytes(data)  # after the check: the app is given it loaded
    db, before = seeded(home)
    with faults.inject(kind) as fault:
        async with playing(routine, clock, size=(100, 30)) as (app, pilot, screen):
            await after(1, clock, pilot, screen)
            photo = screen.query_one(Photo)
            said = ""
            for _ in range(250):  # decoded in a thread
                await pilot.pause(0.02)
                drawn = photo.render()
                said = drawn.plain if isinstance(drawn, Text) else str(drawn)
                if "cannot be shown" in said:
                    break
            assert said == f"photo: baby cannot be shown (baby.png: {why})"
            await after(70, clock, pilot, screen)  # into stimulation: the same photo, said once
            await pilot.press("space")
            assert db_rows(
                "SELECT number, phase FROM letdowns WHERE session_id ="
                " (SELECT max(id) FROM sessions)"
            ) == [(1, "Stimulation")]
            assert app.is_running
        fault.checked(kept(db, before))


MUSIC_HZ = 1500.0
"""The long recording's pitch: above the breath tone, below the chime's 880 Hz partials' reach."""


@pytest.mark.e2e
def test_long_sound_cut_short_while_it_plays_falls_silent_and_the_rest_plays_on(
    faults, home, tmp_path, capture
):
    """Through the sound card (a PulseAudio null sink): a long recording (read
    from disk as it plays) is cut short under the session. Its reader stops;
    the recording falls silent while the breath tone plays on; the session, its
    let-downs and the log go on, and the loss is not counted as the sound
    skipping at every block (it was, about 23 times a second). The person is
    told once which file, and what to do; the log has it as an event."""
    from tests.e2e.conftest import live_player

    music = _tone(tmp_path / "music.flac", 70.0, "FLAC", hz=MUSIC_HZ)  # streamed: over 60 s
    routine = tmp_path / "long.yaml"
    routine.write_text(
        "name: long\n"
        "breathing: {inhale_s: 1, exhale_s: 2}\n"
        "cues:\n  music: {sound: music.flac, volume: 1, fade_in: 0}\n"
        "background: [music]\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 1m}\n"
        "  - {name: Stimulation, kind: stimulation, duration: 1m}\n"
    )
    db, before = seeded(home)
    with faults.inject("media: long sound cut short while playing") as fault:
        player = live_player(routine)
        try:
            _for(player, 1.0)
            _cut(music, music, 2000)  # its first block, and no more
            # The first 8 s are kept in memory and 9 s more are read ahead: the
            # reader next reads the file, and finds it cut, 8 s in.
            _for(player, 10.0)
            played = capture.stop()
            notices = [n.text for n in player.take_notices()]
            _for(player, 1.0)
            notices += [n.text for n in player.take_notices()]
            assert not [n for n in notices if "No sound" in n], notices
            assert player.no_sound is None
            assert player.underruns <= 2, "a file gone is not the sound skipping"
            player.letdown()
        finally:
            player.finish()
            player.settle()
        heard = [
            _level(played, at, MUSIC_HZ) for at in (len(played) - 3 * RATE, len(played) - RATE)
        ]
        assert heard[0] > 0.02, "the recording played before it was cut"
        assert heard[1] < 0.002, "and is silent after"
        assert np.abs(played[-RATE:]).max() > 0.01, "the breath tone plays on"
        assert db_rows(
            "SELECT number FROM letdowns WHERE session_id = (SELECT max(id) FROM sessions)"
        ) == [(1,)]
        assert notices == [
            "Could not play music.flac any further: the file is damaged or cut short;"
            " replace it. The rest of the routine plays on."
        ]
        ((t_s, detail),) = db_rows(
            "SELECT t_s, detail FROM session_events WHERE kind = 'media_failed'"
        )
        assert detail == str(music) and 7.0 < float(str(t_s)) < 11.0
        fault.checked(kept(db, before))


def _level(audio: np.ndarray, start: int, hz: float) -> float:
    """The amplitude of `hz` in the half second of `audio` from `start`."""
    window = audio[start : start + RATE // 2] * np.hanning(RATE // 2)
    spectrum = np.abs(np.fft.rfft(window)) / (window.shape[0] / 4)
    freqs = np.fft.rfftfreq(window.shape[0], 1 / RATE)
    return float(spectrum[(freqs > hz - 20) & (freqs < hz + 20)].max())


def _for(player, seconds: float) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        player.tick()
        time.sleep(0.02)


HUM_HZ = 1200.0
"""Another cue of the same routine, a tone: it plays on when the recording cannot."""


@pytest.mark.e2e
def test_a_sound_damaged_before_the_sound_opens_leaves_only_its_cue_silent(
    faults, home, tmp_path, capture
):
    """Checked good, then cut short before the audio process opens it: the
    audio process cannot prepare that sound, so the cue using it is silent
    while the breath tone and the other cue play (all sound was turned off
    before, for one bad file); the person is told once which file and what to
    do, and the log has it. The sound card is fine: no "No sound"."""
    from calmflow.audio.device import DeviceOutput
    from calmflow.core.plan import compile_plan
    from calmflow.core.routine_loading import load_routine
    from calmflow.services.player import Player
    from calmflow.store.store import Store

    music = _tone(tmp_path / "music.flac", 70.0, "FLAC", hz=MUSIC_HZ)
    routine = tmp_path / "two.yaml"
    routine.write_text(
        "name: two\n"
        "breathing: {inhale_s: 1, exhale_s: 2}\n"
        "cues:\n"
        "  music: {sound: music.flac, volume: 1, fade_in: 0}\n"
        f"  hum: {{tone: {HUM_HZ:g}, volume: 1, fade_in: 0}}\n"
        "background: [music, hum]\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 1m}\n"
    )
    db, before = seeded(home)
    with faults.inject("media: sound cut short before the sound opens") as fault:
        loaded = load_routine(routine)  # as `play` does, after its check
        _cut(music, music, 2000)
        plan = compile_plan(loaded.routine)
        output = DeviceOutput(plan, log_path=home / "audio.log")
        player = Player(loaded, plan, Store(db), output)
        try:
            player.start()
            _for(player, 3.0)
            said = [n.text for n in player.take_notices()]
            played = capture.stop()
            player.letdown()
            _for(player, 0.5)
            assert player.take_notices() == []  # said once
            assert player.no_sound is None and player.output is output
        finally:
            player.finish()
            player.settle()
        assert said == [
            "Could not play music.flac: damaged or cut short: it cannot be played to its end;"
            " replace this file. The rest of the routine plays on."
        ]
        at = len(played) - RATE
        assert _level(played, at, HUM_HZ) > 0.02, "the other cue plays"
        assert _level(played, at, MUSIC_HZ) < 0.002, "the bad file's cue is silent"
        assert np.abs(played[-RATE:]).max() > 0.05, "the breath tone plays"
        assert db_rows(
            "SELECT number FROM letdowns WHERE session_id = (SELECT max(id) FROM sessions)"
        ) == [(1,)]
        assert db_rows("SELECT detail FROM session_events WHERE kind = 'media_failed'") == [
            (str(music),)
        ]
        assert db_rows("SELECT count(*) FROM session_events WHERE kind = 'audio_lost'") == [(0,)]
        fault.checked(kept(db, before))


# --- bad files rendered: `play --output wav:` and `calmflow render` ----------------------

SONG_HZ = 1000.0

RECORDED = """\
name: recorded
breathing: {inhale_s: 1, exhale_s: 2}
cues:
  music: {sound: music.flac, volume: 1, fade_in: 0}
  song: {sound: song.mp3, volume: 1, fade_in: 0}
background: [music, song]
phases:
  - {name: Settle, kind: prep, duration: 14s}
"""
"""Two long recordings (streamed from disk): each goes bad 15% of the way in,
past the start and the end that the check decodes."""


def _garbled(source: Path, at: float = 0.15) -> Path:
    """`source` with 300 bytes of noise written over it `at` of the way in: a
    FLAC then fails there (about 10 s in); an MP3 decodes on, its decoder
    printing notes on fd 2 as it finds its way again."""
    data = bytearray(source.read_bytes())
    start = int(len(data) * at)
    data[start : start + 300] = random.Random(3).randbytes(300)
    source.write_bytes(bytes(data))
    return source


def _recorded(folder: Path) -> Path:
    _garbled(_tone(folder / "music.flac", 70.0, "FLAC", hz=MUSIC_HZ))
    _garbled(_tone(folder / "song.mp3", 70.0, "MP3", hz=SONG_HZ))
    routine = folder / "recorded.yaml"
    routine.write_text(RECORDED)
    return routine


DECODER_NOTES = ("Note:", "mpg123", "error:", "Illegal", "resync")


def test_play_to_a_wav_file_says_a_file_that_failed_once_and_prints_nothing(
    faults, home, tmp_path, clock, capfd
):
    """`play --output wav:` writes the WAV when the session ends, reading the
    recordings then, in a process of its own: the one that fails partway is
    said once and logged, the WAV holds the rest of the routine (the failed
    recording up to where it failed), and the decoder's notes about the other
    go to the audio log, never to the player's terminal."""
    from calmflow.audio.output import WavOutput
    from calmflow.core.plan import compile_plan
    from calmflow.services import catalog
    from calmflow.services.player import Player
    from calmflow.store.store import Store
    from calmflow.system import paths

    routine = _recorded(tmp_path)
    out = tmp_path / "session.wav"
    db, before = seeded(home)
    with faults.inject("media: sound fails partway, played to a WAV") as fault:
        loaded = catalog.load(str(routine))  # the check `play` makes: both pass it
        plan = compile_plan(loaded.routine)
        player = Player(
            loaded, plan, Store(db), WavOutput(out, plan.rate, clock=clock), clock=clock
        )
        player.start()
        player.take_notices()
        for _ in range(15):
            clock.now += 1.0
            player.tick()
        assert player.ended
        told = [(n.kind, n.text) for n in player.take_notices()]
        assert told == [
            (
                "warning",
                "Could not play music.flac any further: the file is damaged or cut short;"
                " replace it. The rest of the routine plays on.",
            )
        ]
        ((t_s, detail),) = db_rows(
            "SELECT t_s, detail FROM session_events WHERE kind = 'media_failed'"
        )
        assert detail == str(tmp_path / "music.flac") and 9.0 < float(str(t_s)) < 11.0
        heard, rate = sf.read(out)
        assert rate == RATE and heard.shape[0] == 14 * RATE
        mono = heard[:, 0]
        assert _level(mono, 5 * RATE, MUSIC_HZ) > 0.02, "the recording plays until it fails"
        assert _level(mono, 12 * RATE, MUSIC_HZ) < 0.002, "and is silent after"
        assert _level(mono, 12 * RATE, SONG_HZ) > 0.02, "the other plays on"
        fault.checked(kept(db, before))
    printed = capfd.readouterr()
    assert not [w for w in DECODER_NOTES if w in printed.err + printed.out], printed
    assert "III_get_side_info" in (paths.log_dir() / "audio.log").read_text(errors="replace")


def test_render_names_a_file_that_fails_partway_once_and_prints_no_decoder_notes(
    faults, home, tmp_path
):
    """`calmflow render` must not write a WAV that is not the routine: a file
    that fails partway is an error naming it, in plain words, exit 1. A file
    whose decoder finds its way again is rendered, and its notes are not
    printed among calmflow's words."""
    routine = _recorded(tmp_path)
    only_song = tmp_path / "song.yaml"
    only_song.write_text(RECORDED.replace("[music, song]", "[song]").replace("  music:", "  x:"))
    db, before = seeded(home)
    with faults.inject("media: sound fails partway, rendered") as fault:
        render, song = run_all(
            ("render", str(routine), "-o", str(tmp_path / "out.wav")),
            ("render", str(only_song), "-o", str(tmp_path / "song.wav")),
        )
        report("media: sound fails partway, rendered", render, song)
        assert render.code == 1 and render.stdout == ""
        assert render.stderr == (
            f"calmflow: {tmp_path / 'music.flac'}: damaged or cut short: it cannot be played"
            " to its end (unknown error in flac decoder); replace this file\n"
        )
        assert song.code == 0, song.stderr
        assert song.stderr == "" and song.stdout.startswith(f"wrote {tmp_path / 'song.wav'}")
        fault.checked(kept(db, before))


@pytest.mark.e2e
def test_play_to_a_wav_file_in_a_terminal_shows_the_notice_and_no_decoder_notes(
    faults, home, tmp_path, tmux
):
    """The same, as a person sees it: the player's screen says once which file
    failed; not one of the decoder's notes lands on it."""
    routine = _recorded(tmp_path)
    db, before = seeded(home)
    out = tmp_path / "session.wav"
    play = f"{sys.executable} -m calmflow play {routine} --output wav:{out}"
    with faults.inject("media: sound fails partway, played to a WAV in a terminal") as fault:
        tmux.start(f"{play}; sleep 30", {"CALMFLOW_HOME": str(home)})
        tmux.wait_for("Settle")
        screen = tmux.wait_for("Could not play music.flac", timeout=30)
        seen = [screen]
        for _ in range(20):
            time.sleep(0.1)
            seen.append(tmux.screen())
        assert not [w for w in DECODER_NOTES for s in seen if w in s], seen[-1]
        # The notice (wrapped in its box), once, over the form after the session.
        lines = seen[-1].splitlines()
        edge = next(line.index("▌ Could not play") for line in lines if "Could not play" in line)
        told = " ".join(
            line[edge + 1 :].strip() for line in lines if line[edge : edge + 1] == "▌"
        ).strip()
        assert told.count("Could not play") == 1 and "How did it go?" in seen[-1]
        assert (
            "Could not play music.flac any further: the file is damaged or cut short;"
            " replace it. The rest of the routine plays on." in told
        ), told
        assert db_rows("SELECT detail FROM session_events WHERE kind = 'media_failed'") == [
            (str(tmp_path / "music.flac"),)
        ]
        assert sf.info(out).duration == pytest.approx(14.0, abs=0.01)
        fault.checked(kept(db, before))
