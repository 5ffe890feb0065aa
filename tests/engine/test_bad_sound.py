"""A sound file that lets the session down: cut short under it while it plays,
or bad by the time the engine opens it.

What is heard: the rest of the routine, always. The bad file's cue plays
what could be read and then falls silent (live over its fade-out); a file that
cannot be opened at all leaves only its own cues silent. What is said: each
file once, in a person's words (`Engine.problems()`); `calmflow render`, which
must not write a WAV that is not the routine, says so as a MediaError.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from calmflow.core.plan import Plan
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine.media import MediaError
from calmflow.engine.mixer import Engine
from calmflow.engine.problems import FAILED_WHILE_PLAYING, SoundProblem
from calmflow.engine.stream import StreamedSound
from tests.engine.listen import band, plan_from_yaml, rms, seconds

FILE_RATE = 16_000
MUSIC_HZ = 1500.0
"""Above the breath tone's partials that matter, below the chime's."""
SESSION_S = 60

ROUTINE = f"""
version: 1
name: bad
breathing: {{inhale_s: 1, exhale_s: 2}}
background: [music]
cues:
  music: {{sound: music.flac, volume: 1, loop: true, fade_in: 0s}}
phases:
  - {{name: Listen, kind: prep, duration: {SESSION_S}s}}
"""


def _music(folder: Path, seconds_long: float = 90.0) -> Path:
    """A long soft tone (streamed from disk: over 60 s), made here."""
    t = np.arange(round(seconds_long * FILE_RATE)) / FILE_RATE
    path = folder / "music.flac"
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * MUSIC_HZ * t)).astype(np.float32), FILE_RATE)
    return path


def _cut(path: Path, keep: float | int) -> None:
    """Cut the file short where it lies, as a sync going wrong does (an open
    handle on it reads the shorter file)."""
    size = path.stat().st_size
    os.truncate(path, int(size * keep) if isinstance(keep, float) else keep)


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    _music(tmp_path)
    return plan_from_yaml(tmp_path, ROUTINE)


def _timeline(plan: Plan) -> Timeline:
    session = Session(plan)
    session.start()
    return session.timeline


def _render(engine: Engine, timeline: Timeline, block: int = 4096) -> np.ndarray:
    out = np.zeros((timeline.end_frame, engine.channels), dtype=np.float32)
    for at in range(0, timeline.end_frame, block):
        engine.render(timeline, at, out[at : min(at + block, timeline.end_frame)])
    return out


def _level(audio: np.ndarray, at_s: float, hz: float = MUSIC_HZ) -> float:
    """How loud `hz` is in the half second from `at_s`."""
    return rms(band(audio[seconds(at_s) : seconds(at_s + 0.5), 0], hz - 30, hz + 30))


def _breath_level(audio: np.ndarray, at_s: float) -> float:
    return float(np.abs(audio[seconds(at_s) : seconds(at_s + 3), 0]).max())


def _streamed(engine: Engine) -> StreamedSound:
    (source,) = engine._sources
    assert isinstance(source, StreamedSound)
    return source


def test_cut_short_while_rendered_it_plays_to_the_cut_then_the_rest_plays_on(
    plan: Plan, tmp_path: Path
) -> None:
    """Offline, as `play --output wav:` renders: the recording is heard up to
    where the file now ends (35.5 s of 90 s), silent after, the breath goes on,
    and the file is said once."""
    timeline = _timeline(plan)
    engine = Engine(plan, max_block=4096, skip_bad=True)
    _cut(tmp_path / "music.flac", 0.4)
    audio = _render(engine, timeline)
    engine.close()
    before, after = _level(audio, 30.0), _level(audio, 40.0)
    assert before > 100 * max(after, 1e-9), (before, after)
    assert _breath_level(audio, 50.0) > 0.05, "the breath tone plays on"
    (problem,) = engine.problems()
    assert problem.file == str(tmp_path / "music.flac")
    assert problem.while_playing and problem.why == FAILED_WHILE_PLAYING
    assert problem.at_frame is not None and seconds(35) < problem.at_frame < seconds(36.5)
    assert problem.notice == (
        "Could not play music.flac any further: the file is damaged or cut short; replace it."
        " The rest of the routine plays on."
    )
    assert _streamed(engine).misses == 0


def test_cut_short_while_rendered_for_calmflow_render_it_is_an_error_in_plain_words(
    plan: Plan, tmp_path: Path
) -> None:
    timeline = _timeline(plan)
    engine = Engine(plan, max_block=4096)
    _cut(tmp_path / "music.flac", 0.4)
    with pytest.raises(MediaError) as err:
        _render(engine, timeline)
    engine.close()
    assert str(err.value) == (
        f"{tmp_path / 'music.flac'}: damaged or cut short: it cannot be played to its end;"
        " replace this file"
    )


def test_cut_short_while_it_plays_live_it_fades_and_is_never_counted_as_a_skip(
    plan: Plan, tmp_path: Path
) -> None:
    """Live (the audio process): the reader finds the file cut; the callback
    plays on, the recording silent, and no block after that is counted as the
    sound skipping (every block was, 23 times a second)."""
    timeline = _timeline(plan)
    engine = Engine(plan, max_block=2048, live=True)
    source = _streamed(engine)
    _cut(tmp_path / "music.flac", 2000)  # its first block and no more
    deadline = time.monotonic() + 5
    while source.failed is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert source.failed == (
        "damaged or cut short: it cannot be played to its end; replace this file"
    ), "in a person's words, not libsndfile's insides"
    # Past the 8 s kept in memory, into what could not be read.
    out = np.zeros((2048, 2), dtype=np.float32)
    heard = []
    for at in range(seconds(7), seconds(20), 2048):
        engine.render(timeline, at, out)
        heard.append(float(np.abs(out).max()))
    assert max(heard) > 0.05, "the breath tone plays on"
    (problem,) = engine.problems()
    assert problem.while_playing and problem.at_frame == seconds(7)
    # Whoever reads it from now on (a later cue on the file, a seek) finds
    # silence, which is the file's fault: not one read is a late one.
    for at in range(seconds(20), seconds(21), 2048):
        source.read(at, out)
        assert not out.any()
    engine.close()
    assert source.misses == 0 and engine.late_reads() == 0


def test_prefetching_a_file_that_failed_does_not_wait_for_it(plan: Plan, tmp_path: Path) -> None:
    timeline = _timeline(plan)
    engine = Engine(plan, max_block=2048, live=True)
    source = _streamed(engine)
    _cut(tmp_path / "music.flac", 2000)
    deadline = time.monotonic() + 5
    while source.failed is None and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    assert engine.seek(timeline, seconds(30))
    assert time.monotonic() - started < 0.1
    engine.close()


def test_bad_when_opened_only_its_cues_are_silent_and_it_is_said_once(tmp_path: Path) -> None:
    """Checked good, then cut short before the engine opens it: with `skip_bad`
    (a session) the cue using it is left out, the breath and the other cue
    play, and the file is named once, with what to do."""
    music = _music(tmp_path)
    plan = plan_from_yaml(
        tmp_path,
        ROUTINE.replace(
            "cues:\n",
            "cues:\n  again: {sound: music.flac, at: 20s}\n  hum: {tone: 300, volume: 1}\n",
        ).replace("duration: 60s", "duration: 60s, cues: [again, hum]"),
    )
    _cut(music, 2000)
    with pytest.raises(MediaError):
        Engine(plan)  # `calmflow render`: the render's error, as before
    engine = Engine(plan, skip_bad=True)
    assert engine.problems() == [
        SoundProblem(
            str(music), "damaged or cut short: it cannot be played to its end; replace this file"
        )
    ], "two cues on the file: said once"
    audio = _render(engine, _timeline(plan), 65_536)
    assert _level(audio, 25.0) < 1e-4 < _level(audio, 25.0, 300.0)
    assert _breath_level(audio, 10.0) > 0.05
    assert SoundProblem(str(music), "x").notice == (
        "Could not play music.flac: x. The rest of the routine plays on."
    )


def test_a_file_left_out_is_not_opened(tmp_path: Path) -> None:
    """The sound opened again after a loss: files the session already found bad
    are not decoded again at every try."""
    music = _music(tmp_path)
    plan = plan_from_yaml(tmp_path, ROUTINE)
    music.unlink()
    engine = Engine(plan, skip_bad=True, leave_out={str(music)})
    assert engine.problems() == [] and engine._sources == []
    assert _breath_level(_render(engine, _timeline(plan), 65_536), 10.0) > 0.05
