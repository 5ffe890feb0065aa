"""Listing sound outputs, with PortAudio's chatter on stderr kept off the screen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def _silenced_fd2() -> Iterator[None]:
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def list_outputs() -> list[dict[str, Any]]:
    """Output devices as dicts; raise OSError if PortAudio itself is missing."""
    with _silenced_fd2():
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
