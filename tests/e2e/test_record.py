"""`calmflow record`: a known sound, played into the test's PulseAudio null sink,
recorded from its monitor as a person records their baby from a microphone.

The tone file is silence, one second of 440 Hz at -20 dBFS, silence: the saved
FLAC must be the tone and a tenth of a second either side (the silence trimmed),
at a baby sound's loudness as pyloudnorm measures it (software calmflow did not
write), at 440 Hz, private, with the line that plays it printed.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from calmflow.engine.levels import ROLE_LUFS
from tests.e2e.conftest import CALMFLOW, RATE, run_cli

pytestmark = pytest.mark.e2e

MONITOR = "ci.monitor"
"""The null sink's monitor: what is played into the sink, as an input."""
TONE_S = 1.0
TONE_HZ = 440.0
TONE_PEAK = 0.1
"""-20 dBFS: a baby's sound from across a room; the recording is raised to its level."""
MARGIN_S = 0.1


def _tone_file(folder: Path) -> Path:
    n = round(TONE_S * RATE)
    tone = TONE_PEAK * np.sin(2 * np.pi * TONE_HZ * np.arange(n) / RATE)
    quiet = np.zeros(round(0.25 * RATE))
    path = folder / "tone.wav"
    sf.write(path, np.concatenate([quiet, tone, quiet]).astype(np.float32), RATE, subtype="FLOAT")
    return path


def _media_folder(home: Path) -> Path:
    """The media folder in the person's routines folder, private as calmflow keeps it."""
    media = home / "routines" / "media"
    for folder in (home, home / "routines", media):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    return media


def _play(path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["paplay", "-d", "ci", str(path)], stderr=subprocess.DEVNULL)


def _start_recording(*args: str) -> subprocess.Popen[str]:
    """`calmflow record ARGS`, stdin a pipe (no terminal), once it says it records."""
    proc = subprocess.Popen(
        [*CALMFLOW, "record", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first.startswith("Recording from"):
        proc.kill()
        raise AssertionError(f"no recording: {first}{proc.communicate()[1]}")
    return proc


def _dominant_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size), audio.size * 4))
    return float(np.fft.rfftfreq(audio.size * 4, 1 / RATE)[spectrum.argmax()])


def _as_heard_lufs(audio: np.ndarray, rate: int) -> float:
    """A mono file as calmflow plays it: in both channels."""
    return float(pyloudnorm.Meter(rate).integrated_loudness(np.column_stack([audio, audio])))


def test_a_known_tone_is_saved_trimmed_and_at_a_baby_sounds_loudness(
    home: Path, pulse: dict[str, str], tmp_path: Path
) -> None:
    media = _media_folder(home)
    (media / "coo.flac").write_bytes(b"an older recording")

    tone = _tone_file(tmp_path)
    proc = _start_recording("coo", "--device", MONITOR, "--seconds", "3", "--replace")
    _play(tone).wait(timeout=20)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err

    saved = media / "coo.flac"
    assert saved.stat().st_mode & 0o777 == 0o600
    assert media.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in media.iterdir()] == ["coo.flac"]  # no .part left, the old one replaced
    audio, rate = sf.read(saved, dtype="float64")
    assert sf.info(str(saved)).format == "FLAC"
    assert rate == RATE and audio.ndim == 1
    # The silence before and after is gone, but for a tenth of a second either side.
    assert audio.size / rate == pytest.approx(TONE_S + 2 * MARGIN_S, abs=0.03)
    assert _as_heard_lufs(audio, rate) == pytest.approx(ROLE_LUFS["baby"], abs=0.5)
    assert _dominant_hz(audio) == pytest.approx(TONE_HZ, abs=1.0)
    assert "-24.0 LUFS" in out

    # The line printed, pasted into a copy of a bundled routine, passes `calmflow
    # check`: tests/unit/test_record_cli.py (whatever the name).
    assert "  coo: {sound: media/coo.flac, role: baby," in out


def test_silence_is_nothing_heard_and_nothing_is_saved(home: Path, pulse: dict[str, str]) -> None:
    done = run_cli("record", "quiet", "--device", MONITOR, "--seconds", "0.5")
    assert done.returncode == 1
    assert done.stderr.startswith("calmflow: nothing was heard in 0.5 s of recording")
    assert len(done.stderr.strip().splitlines()) == 1
    media = home / "routines" / "media"
    assert not media.exists() or list(media.iterdir()) == []


def test_an_input_that_does_not_exist_is_one_line(home: Path, pulse: dict[str, str]) -> None:
    done = run_cli("record", "coo", "--device", "no-such-microphone", "--seconds", "1")
    assert done.returncode == 1
    assert done.stderr == (
        "calmflow: --device no-such-microphone: no input matches 'no-such-microphone';"
        " `calmflow devices` lists the inputs\n"
    )
    listed = run_cli("devices", "--inputs")
    assert MONITOR in listed.stdout  # what `devices` lists is what --device takes


def test_a_name_taken_asks_for_replace_and_keeps_the_recording(home: Path) -> None:
    media = _media_folder(home)
    (media / "coo.flac").write_bytes(b"the first coo")
    done = run_cli("record", "coo", "--seconds", "1")
    assert done.returncode == 1
    assert done.stderr == (
        f"calmflow: {media / 'coo.flac'} exists already; `calmflow record coo --replace`"
        " records it again, or choose another name\n"
    )
    assert (media / "coo.flac").read_bytes() == b"the first coo"


def test_ctrl_c_stops_and_keeps_what_was_recorded(
    home: Path, pulse: dict[str, str], tmp_path: Path
) -> None:
    proc = _start_recording("held", "--device", MONITOR)
    _play(_tone_file(tmp_path)).wait(timeout=20)
    assert proc.stdout is not None
    # Into a pipe the meter prints a line a second: wait for the tone, then for
    # the silence after it, so the whole tone is in the recording.
    heard = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line.startswith("● "), line
        heard = heard or "-20 dBFS" in line
        if heard and "-inf dBFS" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Stopped with ctrl-c: keeping the" in out
    audio, rate = sf.read(home / "routines" / "media" / "held.flac", dtype="float64")
    assert audio.size / rate == pytest.approx(TONE_S + 2 * MARGIN_S, abs=0.03)
    assert _dominant_hz(audio) == pytest.approx(TONE_HZ, abs=1.0)


def test_the_meter_is_one_line_on_a_terminal_and_q_stops(
    home: Path, pulse: dict[str, str], tmp_path: Path, tmux
) -> None:
    tone = _tone_file(tmp_path)
    # In a shell of its own, so the pane stays open (and readable) once calmflow ends.
    command = f"{sys.executable} -m calmflow record keyed --device {MONITOR}; sleep 30"
    tmux.start(f"sh -c {shlex.quote(command)}", {"CALMFLOW_HOME": str(home), **pulse})
    tmux.wait_for("Recording from")
    playing = _play(tone)
    screen = tmux.wait_for("-20 dBFS")  # the meter, as the tone plays
    assert screen.count("dBFS") == 1  # drawn over itself, not a line each time
    assert playing.wait(timeout=20) == 0
    tmux.wait_for("-inf dBFS")  # the tone is over
    tmux.keys("q")
    screen = tmux.wait_for("Saved", timeout=20)
    assert screen.count("dBFS") == 1
    assert (home / "routines" / "media" / "keyed.flac").stat().st_mode & 0o777 == 0o600


def test_a_sound_server_gone_mid_recording_is_one_line_and_nothing_saved(
    home: Path, own_pulse
) -> None:
    proc = _start_recording("gone", "--device", MONITOR, "--seconds", "20")
    own_pulse.kill()
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert err.startswith("calmflow: the input stopped after ")
    assert err.rstrip().endswith("Nothing was saved")
    assert len(err.strip().splitlines()) == 1
    assert list((home / "routines" / "media").iterdir()) == []
