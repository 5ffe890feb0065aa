"""Offline rendering: a whole timeline to a WAV file, block by block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine

BLOCK_FRAMES = 65_536


def render_wav(
    timeline: Timeline,
    path: Path,
    *,
    subtype: str = "PCM_16",
    engine: Engine | None = None,
) -> int:
    """Write the timeline's sound to `path`; return the number of frames written."""
    engine = engine or Engine(timeline.plan, max_block=BLOCK_FRAMES)
    total = timeline.end_frame
    block = np.zeros((BLOCK_FRAMES, engine.channels), dtype=np.float32)
    with sf.SoundFile(
        str(path), "w", samplerate=timeline.plan.rate, channels=engine.channels, subtype=subtype
    ) as out:
        for start in range(0, total, BLOCK_FRAMES):
            chunk = block[: min(BLOCK_FRAMES, total - start)]
            engine.render(timeline, start, chunk)
            out.write(chunk)
    return total
