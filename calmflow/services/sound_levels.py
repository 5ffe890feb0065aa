"""What `calmflow check` says of a routine's sounds beyond whether they play:
a recording too quiet to be matched to its role's loudness is played as it is
(engine/levels.py), and the person should know why it sounds faint."""

from __future__ import annotations

import math
from pathlib import Path

from calmflow.core.plan import compile_plan
from calmflow.core.routine import Routine

ROLE_WORDS = {
    "voice": "a voice prompt",
    "music": "music",
    "ambience": "ambience",
    "baby": "a baby's sound",
}


def quiet_sounds(routine: Routine) -> list[str]:
    """A note for each sound file of `routine` too quiet to be matched (each
    once), in the routine's order: what it would need, and that it plays as it
    is. A file that cannot be read is `check`'s business already: left out."""
    from calmflow.engine import levels, video_proxy

    plan = compile_plan(routine)
    roles: dict[str, str] = {}
    heard_in: dict[str, str] = {}
    """A video's decoded sound, measured for the video that is named."""
    for cue in plan.cues:
        if cue.kind == "sound" and cue.file:
            roles.setdefault(cue.file, cue.role)
        elif cue.kind == "video" and cue.file:
            sound = video_proxy.sound_of(Path(cue.file))
            if sound is not None:
                roles.setdefault(str(sound), cue.role)
                heard_in[str(sound)] = cue.file
    for phase in plan.phases:
        for prompt in phase.prompts:
            if prompt.voice:
                roles.setdefault(prompt.voice, "voice")
    cache = levels.default_cache()
    notes = []
    for file, role in roles.items():
        try:
            level = levels.file_level(Path(file), cache)
        except Exception:  # damaged or unreadable: said by the media check
            continue
        matched = levels.matched_gain(level, role)
        if matched.matched:
            continue
        if math.isfinite(matched.needed_db):
            why = (
                f"too quiet to bring to the level of {ROLE_WORDS[role]} "
                f"(it would need {matched.needed_db:.0f} dB, more than "
                f"{levels.MAX_GAIN_DB:.0f}); it plays as it is, faintly: "
                "a louder recording will be heard better"
            )
        else:
            why = "silent: nothing in it can be heard; replace this file"
        notes.append(f"{heard_in.get(file, file)}: note: {why}")
    return notes
