"""Sound files whose header is impossible or whose sound is too short to be one.

A one-sample WAV at 192 kHz comes out of resampling to the output's rate with
no frames at all, and a WAV whose header says 2 GHz as good as none: each
passed `check`, then took `render` down (exit 70, a division by zero in the
mixer) and killed the audio process. Now `check` names the file and what is
wrong at the line of the routine that names it (as for any unusable media),
`play` and `render` refuse them before they start, and the engine itself
never divides by a sound's length, whatever it is.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine import media, mixer
from calmflow.engine.media import InMemorySound, MediaError, copy_looped, load_sound, probe
from calmflow.engine.mixer import Engine
from calmflow.engine.problems import SoundProblem
from tests.engine.listen import band, rms

RATE = 48_000


def _one_sample(path: Path) -> Path:
    sf.write(str(path), np.array([0.5], dtype=np.float32), 192_000)
    return path


def _saying_rate(rate: int) -> Callable[[Path], Path]:
    """Half a second of sound at 48 kHz, whose header is then made to say `rate`."""

    def make(path: Path) -> Path:
        t = np.arange(RATE // 2) / RATE
        sf.write(str(path), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE)
        data = bytearray(path.read_bytes())
        fmt = data.index(b"fmt ") + 8  # the fields of the fmt chunk
        block_align = struct.unpack_from("<H", data, fmt + 12)[0]
        struct.pack_into("<II", data, fmt + 4, rate, (rate * block_align) & 0xFFFF_FFFF)
        path.write_bytes(bytes(data))
        assert sf.info(str(path)).samplerate == rate  # libsndfile believes it
        return path

    return make


def _short(seconds: float) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        sf.write(str(path), np.full(round(seconds * RATE), 0.3, np.float32), RATE)
        return path

    return make


def _nine_channels(path: Path) -> Path:
    sf.write(str(path), np.zeros((RATE // 2, 9), np.float32), RATE)
    return path


HEADER = "samples a second, outside what sound files have (8,000 to 384,000): it is damaged"
BAD = {
    # case: (how it is made, what is said of it)
    "one sample at 192 kHz": (_one_sample, "1 sample (0.0052 ms) long, too short to be heard"),
    "a header saying 2 GHz": (_saying_rate(2_000_000_000), f"says 2,000,000,000 {HEADER}"),
    "a header saying 4 kHz": (_saying_rate(4_000), f"says 4,000 {HEADER}"),
    "a header saying 400 kHz": (_saying_rate(400_000), f"says 400,000 {HEADER}"),
    "5 ms of sound": (_short(0.005), "240 samples (5 ms) long, too short to be heard"),
    "nine channels": (_nine_channels, "says 9 channels; calmflow plays 1 to 8"),
}
"""Each would resample to nothing or nothing sensible, or decode whole at a width
nothing needs."""


def _routine(folder: Path, sound: str) -> Path:
    """A routine whose one cue (line 4, column 12) is this sound."""
    path = folder / "media.yaml"
    path.write_text(
        "name: media\n"
        "cues:\n"
        "  song:\n"
        f"    sound: {sound}\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 5s, cues: [song]}\n"
    )
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_an_impossible_sound_file_is_refused_naming_it_and_why(tmp_path: Path, case: str) -> None:
    make, said = BAD[case]
    path = make(tmp_path / "song.wav")
    for read in (probe, media.verify, lambda p: load_sound(p, 8_000)):
        with pytest.raises(MediaError) as refused:
            read(path)
        assert refused.value.path == path and said in refused.value.reason
        assert refused.value.reason.endswith(("replace this file", "save a stereo copy"))


@pytest.mark.parametrize("case", list(BAD))
def test_check_names_it_at_its_line_and_render_exits_1_writing_nothing(
    home: Path, tmp_path: Path, case: str
) -> None:
    make, said = BAD[case]
    path = make(tmp_path / "song.wav")
    routine = _routine(tmp_path, path.name)
    out = tmp_path / "out.wav"
    checked = CliRunner().invoke(main, ["check", str(routine)])
    rendered = CliRunner().invoke(main, ["render", str(routine), "-o", str(out)])
    for result in (checked, rendered):
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        ((line,),) = [result.stderr.splitlines()]
        assert line.startswith(f"{routine}:4:12: cues.song.sound: ") and said in line, line
        assert line.endswith(f": {path}")
    assert not out.exists()


def test_a_file_an_earlier_calmflow_found_good_is_looked_at_again(
    home: Path, tmp_path: Path
) -> None:
    # Its memo of files found good held only the size and time of change.
    from calmflow.services import catalog
    from calmflow.system import paths

    path = _one_sample(tmp_path / "song.wav")
    routine = _routine(tmp_path, path.name)
    info = path.stat()
    memo = paths.cache_dir() / catalog.GOOD_SOUNDS_FILE
    memo.write_text(json.dumps({str(path): [info.st_size, info.st_mtime_ns]}))
    catalog._good_sounds = None  # as a new process starts
    result = CliRunner().invoke(main, ["check", str(routine)])
    assert result.exit_code == 1 and "too short to be heard" in result.stderr


def _timeline(plan_text: str, folder: Path, rate: int = RATE) -> Timeline:
    path = folder / "routine.yaml"
    path.write_text(plan_text)
    # The routine's own loading, without `check`'s look at its media: as when a
    # file goes bad after it was checked.
    session = Session(compile_plan(load_routine(path).routine, rate))
    session.start()
    session.advance_to(session.end_frame)
    return session.timeline


CUES = {
    "looped": "{sound: song.wav, loop: true, fade_in: 0s}",
    "once": "{sound: song.wav, loop: false}",
    "back to back": "{sound: song.wav, loop: false, min_length: 2s}",
}


def _cue_routine(cue: str) -> str:
    return (
        "name: lengths\n"
        f"cues:\n  song: {cue}\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 4s, cues: [song]}\n"
        "  - {name: Pump, kind: expression, duration: 3s}\n"
    )


@pytest.mark.parametrize("cue", list(CUES))
@pytest.mark.parametrize("frames", [0, 1, 2, 3, 4097])
def test_the_mixer_never_divides_by_a_sounds_length_whatever_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cue: str, frames: int
) -> None:
    """Whatever a source's length, even none (media refuses that, but a decoder
    could still give it), the routine renders, the same in blocks of any size."""
    _short(0.5)(tmp_path / "song.wav")
    timeline = _timeline(_cue_routine(CUES[cue]), tmp_path)
    wave = np.full((frames, 2), 0.2, dtype=np.float32)
    monkeypatch.setattr(mixer, "open_sound", lambda *_a, **_k: InMemorySound(wave))
    whole = np.zeros((timeline.end_frame, 2), dtype=np.float32)
    Engine(timeline.plan, max_block=timeline.end_frame).render(timeline, 0, whole)
    assert np.isfinite(whole).all()
    engine = Engine(timeline.plan, max_block=1024)
    blocks = np.zeros_like(whole)
    for at in range(0, timeline.end_frame, 1000):
        engine.render(timeline, at, blocks[at : at + 1000])
    np.testing.assert_array_equal(blocks, whole)
    # The chime and the breath guide play on.
    assert rms(band(whole[:, 0], 800.0, 960.0)) > 0.001


def test_copying_from_an_empty_sound_is_silence() -> None:
    dest = np.ones((5, 2), dtype=np.float32)
    copy_looped(dest, np.zeros((0, 2), dtype=np.float32), 7)
    assert not dest.any()


def test_the_live_engine_leaves_out_a_file_gone_bad_and_plays_the_rest(tmp_path: Path) -> None:
    """What the audio process does (live, `skip_bad`) with a file that went bad
    after it was checked: its cue is silent, the file is said, the rest plays."""
    _short(0.5)(tmp_path / "song.wav")
    timeline = _timeline(_cue_routine(CUES["looped"]), tmp_path)
    _one_sample(tmp_path / "song.wav")
    engine = Engine(timeline.plan, max_block=2048, live=True, skip_bad=True)
    try:
        out = np.zeros((timeline.end_frame, 2), dtype=np.float32)
        for at in range(0, timeline.end_frame, 2048):
            engine.render(timeline, at, out[at : at + 2048])
        ((problem,),) = [engine.problems()]
    finally:
        engine.close()
    assert isinstance(problem, SoundProblem)
    assert problem.file == str(tmp_path / "song.wav")
    assert "too short to be heard" in problem.why and not problem.while_playing
    assert rms(band(out[:, 0], 800.0, 960.0)) > 0.001
    # Offline, without `skip_bad` (`calmflow render`): an error naming it, not a crash.
    with pytest.raises(MediaError, match="too short to be heard"):
        Engine(timeline.plan)


def test_play_to_a_wav_file_writes_it_without_a_file_gone_bad(tmp_path: Path) -> None:
    """`play --output wav:` writes its file in a process of its own: a file gone
    bad is said, and the WAV holds the rest of the routine."""
    from calmflow.audio.wav_process import render_apart

    _short(0.5)(tmp_path / "song.wav")
    timeline = _timeline(_cue_routine(CUES["once"]), tmp_path, rate=8_000)
    _saying_rate(2_000_000_000)(tmp_path / "song.wav")
    out = tmp_path / "session.wav"
    problems = render_apart(timeline, out, tmp_path / "audio.log")
    assert [(p.file, "2,000,000,000" in p.why) for p in problems] == [
        (str(tmp_path / "song.wav"), True)
    ]
    heard, rate = sf.read(str(out))
    assert rate == 8_000 and heard.shape[0] == timeline.end_frame
    assert np.abs(heard).max() > 0.05
