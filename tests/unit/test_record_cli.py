"""`calmflow record` around the microphone: what it prints, what it saves, and
what it leaves when something goes wrong (a full disk, an input lost or busy,
no PortAudio). The microphone here is a stand-in giving known samples;
tests/e2e/test_record.py records through a real sound server."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from calmflow.audio import capture, microphone
from calmflow.cli import main
from calmflow.cli import record as record_cli
from calmflow.engine import recording

RATE = 48_000
CHUNK = RATE // 2


def _coo() -> np.ndarray:
    """Half a second of quiet, a second of 440 Hz at -20 dBFS, a second and a half of quiet."""
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)
    return np.concatenate([np.zeros(CHUNK), tone, np.zeros(3 * CHUNK)]).astype(np.float32)


class _Mic:
    """Gives `audio` half a second at a time; after `lost_after` chunks, the input is gone."""

    def __init__(self, audio: np.ndarray, lost_after: int | None = None, busy: str = "") -> None:
        self.audio, self.lost_after, self.busy = audio, lost_after, busy
        self.rate, self.device_name, self.lost_frames = RATE, "default", 0
        self.at, self.taken, self.closed = 0, 0, False

    def start(self) -> None:
        if self.busy:
            raise microphone.InputUnavailable(self.busy)

    def take(self, wait_s: float = 0.0) -> np.ndarray:
        if self.lost_after is not None and self.taken >= self.lost_after:
            return np.zeros(0, dtype=np.float32)
        chunk = self.audio[self.at : self.at + CHUNK]
        self.at += chunk.size
        self.taken += 1
        return chunk

    def problem(self) -> str | None:
        if self.lost_after is not None and self.taken >= self.lost_after:
            return "it was unplugged, or the sound server went away"
        return None

    def stop(self) -> np.ndarray:
        return np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def media(home: Path) -> Path:
    for folder in (home, home / "routines"):
        folder.mkdir(mode=0o700, exist_ok=True)
    return home / "routines" / "media"


def _with_mic(monkeypatch: pytest.MonkeyPatch, mic: _Mic) -> _Mic:
    monkeypatch.setattr(record_cli, "_input", lambda device: None)
    monkeypatch.setattr(microphone, "Microphone", lambda chosen, **_: mic)
    return mic


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["record", *args])


def test_the_meter_prints_a_line_a_second_into_a_pipe_then_the_line_for_a_routine(
    monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    mic = _with_mic(monkeypatch, _Mic(_coo()))
    done = _run("coo", "--seconds", "3")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "Recording from default for 3 s."
    meter = [line for line in lines if line.startswith("● ")]
    assert [line[-6:] for line in meter] == ["0:01.0", "0:02.0", "0:03.0"]
    assert "-20 dBFS" in meter[0] or "-20 dBFS" in meter[1]
    assert f"Saved {media / 'coo.flac'}" in lines
    assert (
        "  coo: {sound: media/coo.flac, role: baby, volume: 1, every: 5m, min_length: 30s}" in lines
    )
    audio, rate = sf.read(media / "coo.flac")
    assert audio.size / rate == pytest.approx(1.2, abs=0.011)
    assert mic.closed


def test_a_full_disk_leaves_nothing_and_the_old_recording_as_it_was(
    monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    media.mkdir(mode=0o700)
    (media / "coo.flac").write_bytes(b"the first coo")
    _with_mic(monkeypatch, _Mic(_coo()))

    def full_disk(prepared: recording.Prepared, path: Path) -> None:
        path.write_bytes(b"fLaC" + bytes(1000))  # a part written, then no room
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recording, "write_flac", full_disk)
    done = _run("coo", "--seconds", "3", "--replace")
    assert done.exit_code == 3
    assert done.stderr == (
        f"calmflow: could not save {media / 'coo.flac'} (No space left on device);"
        " nothing was saved\n"
    )
    assert sorted(p.name for p in media.iterdir()) == ["coo.flac"]  # no .coo.flac.part
    assert (media / "coo.flac").read_bytes() == b"the first coo"


def test_an_input_lost_mid_recording_saves_nothing(
    monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    mic = _with_mic(monkeypatch, _Mic(_coo(), lost_after=3))
    done = _run("coo")
    assert done.exit_code == 1
    assert done.stderr == (
        "calmflow: the input stopped after 1.5 s of recording: it was unplugged, or the"
        " sound server went away. Nothing was saved\n"
    )
    assert not media.exists() or list(media.iterdir()) == []
    assert mic.closed


def test_a_busy_input_is_said_in_words(monkeypatch: pytest.MonkeyPatch, media: Path) -> None:
    import sounddevice as sd

    held = sd.PortAudioError("Error opening InputStream: Device unavailable", -9985)
    _with_mic(monkeypatch, _Mic(_coo(), busy=capture._why(sd, held)))
    done = _run("coo", "--seconds", "1")
    assert done.exit_code == 1
    assert done.stderr == (
        "calmflow: cannot record from the microphone: it is busy: another program is using"
        " it (close that program, or choose another input)\n"
    )


def test_without_portaudio_nothing_can_be_recorded(
    monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    from calmflow.audio import devices

    def missing() -> list[devices.Input]:
        raise OSError("PortAudio is not installed (install libportaudio2)")

    monkeypatch.setattr(devices, "list_inputs", missing)
    done = _run("coo", "--seconds", "1")
    assert done.exit_code == 4  # as `calmflow devices` (README's exit codes)
    assert done.stderr == (
        "calmflow: PortAudio is not installed (install libportaudio2); calmflow cannot"
        " record without it\n"
    )


def test_no_microphone_at_all_is_one_line(monkeypatch: pytest.MonkeyPatch, media: Path) -> None:
    from calmflow.audio import devices

    monkeypatch.setattr(devices, "list_inputs", lambda: [])
    done = _run("coo")
    assert done.exit_code == 1
    assert done.stderr == (
        "calmflow: no microphone or other sound input was found; connect one, then"
        " `calmflow devices` lists it\n"
    )
    assert list(media.iterdir()) == []


@pytest.mark.parametrize("name", ["coo", "true", "010", "été-2"])
def test_the_printed_line_plays_the_recording_in_a_copy_of_a_bundled_routine(
    monkeypatch: pytest.MonkeyPatch, media: Path, name: str
) -> None:
    # Unquoted, `true` and `010` would be read as True and 8 (cues named "True"
    # and "8"): the line quotes them.
    _with_mic(monkeypatch, _Mic(_coo()))
    done = _run(name, "--seconds", "3")
    assert done.exit_code == 0, done.output
    line = next(line for line in done.stdout.splitlines() if "{sound: media/" in line)
    assert CliRunner().invoke(main, ["new", "mine", "--from", "standard"]).exit_code == 0
    routine = media.parent / "mine.yaml"
    text = routine.read_text(encoding="utf-8")
    text = text.replace("cues:\n", f"cues:\n{line}\n", 1)
    text = text.replace("cues: [picture]", f"cues: [picture, {name!r}]", 1)
    routine.write_text(text, encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", "mine"])
    assert checked.exit_code == 0, checked.output

    from calmflow.services import catalog

    cue = catalog.load("mine").routine.cues[name]
    assert cue.sound is not None and cue.sound_role == "baby"
    assert Path(cue.sound).resolve() == (media / f"{name}.flac").resolve()


def test_inputs_are_found_by_number_whole_name_or_words_in_order() -> None:
    from calmflow.audio.devices import Input, NoSuchInput, find_input

    inputs = [
        Input("HDA Intel PCH: ALC257 Analog (hw:0,0)", 0, "", 2, 48000.0, False),
        Input("pulse", 5, "", 32, 44100.0, False),
        Input("default", 6, "", 32, 44100.0, True),
        Input(
            "alsa_input.usb-Blue_Yeti-00.analog-stereo",
            None,
            "Yeti Stereo Microphone",
            2,
            48000.0,
            True,
            source="alsa_input.usb-Blue_Yeti-00.analog-stereo",
        ),
        Input(
            "alsa_output.pci-0000_00_1f.3.analog-stereo.monitor",
            None,
            "Monitor of Built-in Audio",
            2,
            48000.0,
            False,
            source="alsa_output.pci-0000_00_1f.3.analog-stereo.monitor",
        ),
    ]
    assert find_input("0", inputs).index == 0
    assert find_input("pulse", inputs).index == 5  # whole name, though "pulse" is in no other
    assert find_input("yeti", inputs).source == "alsa_input.usb-Blue_Yeti-00.analog-stereo"
    assert find_input("intel analog", inputs).index == 0
    with pytest.raises(NoSuchInput, match="no input numbered 3"):
        find_input("3", inputs)
    with pytest.raises(NoSuchInput, match="no input matches 'analog intel'"):
        find_input("analog intel", inputs)  # the words in the order the name has them
    with pytest.raises(NoSuchInput, match=r"'analog' matches several inputs \(HDA Intel"):
        find_input("analog", inputs)
