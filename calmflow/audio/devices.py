"""Listing sound outputs and inputs, with PortAudio's chatter on stderr kept off the screen.

Inputs are PortAudio's, and, where the sound server is PulseAudio (or PipeWire
speaking its protocol), each of the server's sources by its name: PortAudio sees
the server as one device (`pulse`), so a particular microphone on it is chosen
by naming its source (`PULSE_SOURCE`) when the `pulse` device is opened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from calmflow.system.native_stderr import silenced

PULSE_DEVICE = "pulse"
"""ALSA's device for the PulseAudio server (libasound2-plugins), as PortAudio lists it."""
PACTL_TIMEOUT_S = 3.0
"""A sound server that does not answer in this long is taken as none."""


def _portaudio() -> Any:
    """sounddevice, imported quietly; OSError if PortAudio itself is missing."""
    with silenced():
        try:
            import sounddevice as sd
        except OSError as exc:
            raise OSError("PortAudio is not installed (install libportaudio2)") from exc
    return sd


def list_outputs() -> list[dict[str, Any]]:
    """Output devices as dicts; raise OSError if PortAudio itself is missing."""
    sd = _portaudio()
    with silenced():
        try:
            default_out = sd.default.device[1]
            found = sd.query_devices()
        except sd.PortAudioError:
            return []
    return [
        {
            "index": i,
            "name": d["name"],
            "channels": d["max_output_channels"],
            "rate": d["default_samplerate"],
            "default": i == default_out,
        }
        for i, d in enumerate(found)
        if d["max_output_channels"] > 0
    ]


@dataclass(frozen=True)
class Input:
    """A sound input calmflow can record from."""

    name: str
    """PortAudio's name for it, or the sound server's name of its source."""
    index: int | None
    """PortAudio's number for it; None for a source of the sound server."""
    description: str
    channels: int
    rate: float
    default: bool
    source: str | None = None
    """The PulseAudio source to record from through PortAudio's `pulse` device."""

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "description": self.description,
            "channels": self.channels,
            "rate": self.rate,
            "default": self.default,
            "server_source": self.source is not None,
        }


def list_inputs() -> list[Input]:
    """Input devices (PortAudio's, then the sound server's sources); raise
    OSError if PortAudio itself is missing."""
    sd = _portaudio()
    with silenced():
        try:
            default_in = sd.default.device[0]
            found = sd.query_devices()
        except sd.PortAudioError:
            found, default_in = [], -1
    inputs = [
        Input(
            d["name"],
            i,
            "",
            int(d["max_input_channels"]),
            float(d["default_samplerate"]),
            i == default_in,
        )
        for i, d in enumerate(found)
        if d["max_input_channels"] > 0
    ]
    if any(d.name == PULSE_DEVICE for d in inputs):
        inputs += pulse_sources()
    return inputs


def pulse_sources() -> list[Input]:
    """The PulseAudio server's sources, from `pactl` (pulseaudio-utils); none if
    there is no `pactl` or no server answering."""
    pactl = shutil.which("pactl")
    if pactl is None:
        return []
    env = {**os.environ, "LC_ALL": "C"}  # the labels below are English only then
    try:
        listed = subprocess.run(
            [pactl, "list", "sources"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PACTL_TIMEOUT_S,
            env=env,
            check=True,
        ).stdout
        info = subprocess.run(
            [pactl, "info"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PACTL_TIMEOUT_S,
            env=env,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    default = next(
        (
            line.split(":", 1)[1].strip()
            for line in info.splitlines()
            if line.startswith("Default Source:")
        ),
        None,
    )
    sources: list[Input] = []
    fields: dict[str, str] = {}
    for line in [*listed.splitlines(), "Source #end"]:
        if line.startswith("Source #"):
            if "Name" in fields:
                sources.append(_source(fields, default))
            fields = {}
        elif line.startswith("\t") and not line.startswith("\t\t") and ":" in line:
            key, value = line.strip().split(":", 1)
            fields[key] = value.strip()
    return sources


def _source(fields: dict[str, str], default: str | None) -> Input:
    channels, rate = 0, 0.0
    for word in fields.get("Sample Specification", "").split():
        if word.endswith("ch") and word[:-2].isdigit():
            channels = int(word[:-2])
        elif word.endswith("Hz") and word[:-2].isdigit():
            rate = float(word[:-2])
    name = fields["Name"]
    return Input(
        name, None, fields.get("Description", ""), channels, rate, name == default, source=name
    )


class NoSuchInput(LookupError):
    """`--device` names no input, or several; the message says which and what to do."""


def find_input(wanted: str, inputs: list[Input]) -> Input:
    """The input `wanted` names: its PortAudio number, a source's or a device's
    whole name, or words found in order in one name (as `play --device` matches
    outputs: PortAudio's rule). Raise NoSuchInput if none or several match."""
    if wanted.isdigit():
        for found in inputs:
            if found.index == int(wanted):
                return found
        raise NoSuchInput(f"no input numbered {wanted}")
    query = wanted.lower()
    exact = [d for d in inputs if d.name.lower() == query]
    if len(exact) == 1:
        return exact[0]
    matches = [d for d in inputs if _words_in_order(query.split(), f"{d.name} {d.description}")]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NoSuchInput(f"no input matches '{wanted}'")
    names = ", ".join(d.name for d in matches[:5])
    raise NoSuchInput(f"'{wanted}' matches several inputs ({names}); give one's whole name")


def _words_in_order(words: list[str], text: str) -> bool:
    text, at = text.lower(), 0
    for word in words:
        at = text.find(word, at)
        if at < 0:
            return False
        at += len(word)
    return bool(words)
