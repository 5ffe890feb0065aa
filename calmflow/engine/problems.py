"""A sound file that let a session down, said once in a person's words.

Built by the engine (engine/mixer.py) in the audio process and sent to the
player, which tells the person and logs it: so this module imports nothing
heavy (the player's process unpickles it without loading numpy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FAILED_WHILE_PLAYING = "the file is damaged or cut short; replace it"
"""What is said of a file whose reading failed partway: what was read before
played, then it faded out."""


@dataclass(frozen=True)
class SoundProblem:
    """A sound file that could not be played, or not to its end; the cues using
    it are silent from then on and the rest of the routine plays on."""

    file: str
    """The file as the routine names it (resolved to a path)."""
    why: str
    """What is wrong and what to do, in a person's words, without the file's name."""
    while_playing: bool = False
    """It failed partway (True), or could not be opened at all (False)."""
    at_frame: int | None = None
    """The session's frame from which it fell silent, where known."""

    @property
    def notice(self) -> str:
        """The one thing the person is told about it."""
        further = " any further" if self.while_playing else ""
        return (
            f"Could not play {Path(self.file).name}{further}: {self.why}. "
            "The rest of the routine plays on."
        )
