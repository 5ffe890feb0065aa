"""`calmflow render`: the routine's sound in a WAV file, exactly as it plays.

The file is as long as the session (so let-downs placed by time land where the
person would have pressed the key) and holds the engine's samples, at the rate
asked for.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from calmflow.audio.device import heard_after_frames
from calmflow.cli import main
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.session import Session
from calmflow.core.timeline import Timeline
from calmflow.engine import render
from calmflow.engine.render import BLOCK_FRAMES, render_wav
from calmflow.system.private_files import NotAFile
from tests.engine.listen import render_all


def _timeline(
    routine: Path, rate: int, letdown_s: float | None = None, heard_after: int = 0
) -> Timeline:
    session = Session(compile_plan(load_routine(routine).routine, rate))
    session.start()
    if letdown_s is not None:
        session.advance_to(round(letdown_s * rate))
        session.letdown(session.now_frame + heard_after)
    session.advance_to(session.end_frame)
    return session.timeline


@pytest.mark.parametrize("rate", [48_000, 44_100, 22_050])
@pytest.mark.parametrize("letdown_s", [None, 4.2], ids=["as planned", "let-down at 4.2 s"])
def test_wav_is_as_long_as_the_session_at_the_rate_asked(
    tmp_path: Path, short_routine: Path, rate: int, letdown_s: float | None
) -> None:
    timeline = _timeline(short_routine, rate, letdown_s)
    expected_s = 9.0 if letdown_s is None else 7.2  # 3 s settle, stimulation to 4.2 s, 3 s
    assert timeline.end_frame == round(expected_s * rate)
    assert timeline.end_frame > BLOCK_FRAMES  # written in several blocks
    out = tmp_path / "session.wav"
    assert render_wav(timeline, out) == timeline.end_frame
    info = sf.info(str(out))
    assert info.samplerate == rate
    assert info.frames == timeline.end_frame
    assert info.channels == 2


def test_float_wav_holds_exactly_the_engines_samples(tmp_path: Path, short_routine: Path) -> None:
    timeline = _timeline(short_routine, 48_000, 4.2)
    out = tmp_path / "float.wav"
    render_wav(timeline, out, subtype="FLOAT")
    assert sf.info(str(out)).subtype == "FLOAT"
    data, _ = sf.read(str(out), dtype="float32", always_2d=True)
    expected = render_all(timeline)
    assert np.abs(expected).max() > 0.1
    np.testing.assert_array_equal(data, expected)


def test_16_bit_wav_is_the_same_sound_to_within_one_step(
    tmp_path: Path, short_routine: Path
) -> None:
    timeline = _timeline(short_routine, 48_000)
    out = tmp_path / "pcm.wav"
    render_wav(timeline, out)
    assert sf.info(str(out)).subtype == "PCM_16"
    data, _ = sf.read(str(out), dtype="float32", always_2d=True)
    np.testing.assert_allclose(data, render_all(timeline), atol=1.01 / 32768)


@pytest.mark.usefixtures("home")
def test_cli_render_places_the_letdown_and_uses_the_rate(
    tmp_path: Path, short_routine: Path
) -> None:
    out = tmp_path / "cli.wav"
    result = CliRunner().invoke(
        main,
        ["render", str(short_routine), "-o", str(out), "--letdown-at", "4.2", "--rate", "44100"],
    )
    assert result.exit_code == 0, result.output
    info = sf.info(str(out))
    # The switch is where a press at 4.2 s is heard live: that much later, exactly.
    heard = heard_after_frames(44_100)
    assert (info.samplerate, info.frames) == (44_100, round(7.2 * 44_100) + heard)
    data, _ = sf.read(str(out), dtype="float32", always_2d=True)
    expected = render_all(_timeline(short_routine, 44_100, 4.2, heard))
    assert expected.shape[0] == info.frames
    np.testing.assert_allclose(data, expected, atol=1.01 / 32768)


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_cli_render_switches_where_a_press_is_heard_live(
    tmp_path: Path, short_routine: Path, rate: int
) -> None:
    out = tmp_path / "press.wav"
    result = CliRunner().invoke(
        main,
        ["render", str(short_routine), "-o", str(out), "--letdown-at", "4", "--rate", str(rate)],
    )
    assert result.exit_code == 0, result.output
    # Stimulation (3 s to 6 s) ends where the press is heard: under 100 ms after it.
    heard = heard_after_frames(rate)
    assert heard <= 0.1 * rate
    assert sf.info(str(out)).frames == 4 * rate + heard + 3 * rate


class _FillsUp:
    """A sink on a disk that takes the header and the first block, then is full."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.blocks = 0

    def write(self, block: np.ndarray) -> None:
        if self.blocks:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.blocks += 1
        self.sink.write(block)

    def close(self) -> None:
        self.sink.close()


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_a_disk_that_refuses_the_samples_is_an_error_not_a_short_file(
    tmp_path: Path, short_routine: Path, subtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = render._open
    monkeypatch.setattr(render, "_open", lambda *args: _FillsUp(opened(*args)))
    timeline = _timeline(short_routine, 48_000)
    assert timeline.end_frame > BLOCK_FRAMES
    with pytest.raises(OSError, match="No space left"):
        render_wav(timeline, tmp_path / "out.wav", subtype=subtype)
    assert list(tmp_path.iterdir()) == []  # no short file, no half-written part


def test_a_device_a_pipe_or_a_folder_is_refused_before_anything_is_mixed(
    tmp_path: Path, short_routine: Path
) -> None:
    # As root, the render once took /dev/full's name for its file.
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    (tmp_path / "folder.wav").mkdir()
    timeline = _timeline(short_routine, 8_000)
    for target in (Path("/dev/full"), Path(os.devnull), fifo, tmp_path / "folder.wav"):
        with pytest.raises(NotAFile):
            render_wav(timeline, target)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and (tmp_path / "folder.wav").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.wav", "pipe.wav"]


def test_full_scale_samples_stay_at_the_top_of_16_bit_instead_of_wrapping(tmp_path: Path) -> None:
    """The loudest samples the mixer lets through land on the extremes of int16."""
    from calmflow.engine.mixer import FULL_SCALE
    from calmflow.engine.render import _Pcm16

    block = np.array([[-1.0, FULL_SCALE], [0.5, -0.5], [1 / 32768, -1 / 32768]], np.float32)
    sink = _Pcm16(tmp_path / "edge.wav", 48_000, 2, 16)
    sink.write(block)
    sink.close()
    data, _ = sf.read(str(tmp_path / "edge.wav"), dtype="int16", always_2d=True)
    assert data.tolist() == [[-32768, 32767], [16384, -16384], [1, -1]]
