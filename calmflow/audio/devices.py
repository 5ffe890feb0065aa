"""Listing sound outputs, with PortAudio's chatter on stderr kept off the screen."""

from __future__ import annotations

from typing import Any

from calmflow.system.native_stderr import silenced


def list_outputs() -> list[dict[str, Any]]:
    """Output devices as dicts; raise OSError if PortAudio itself is missing."""
    with silenced():
        try:
            import sounddevice as sd
        except OSError as exc:
            raise OSError("PortAudio is not installed (install libportaudio2)") from exc
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
