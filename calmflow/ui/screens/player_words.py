"""What the player says, worked out apart from the screen: its key bar, its
title and times fitted to the width, its notices, and the messages it sends
the app (the night palette switched, the session settled)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from textual.message import Message

from calmflow.core.plan import Plan
from calmflow.services.player import Player
from calmflow.text.numbers import clock_text
from calmflow.ui.safe import escape
from calmflow.ui.widgets.key_bar import BarKey

ROUND = re.compile(r"\(\d+ of \d+\)\s*$")
"""A phase name that counts its own rounds already ('Rest (1 of 2)')."""

KEYS = (
    BarKey("space", "Let-down", "Let-down", 0),
    BarKey("u", "Undo", "Undo", 4),
    BarKey("p", "Pause", "Pause", 3),
    BarKey("f", "Flow stopped", "Flow", 0),
    BarKey("n", "Next", "Next", 2),
    BarKey("q", "Finish", "End", 0),
    BarKey("+-", "Volume", "Vol", 5),
    BarKey("m", "Mute", "Mute", 6),
    BarKey("h", "Photo", "Photo", 7),
    BarKey("z", "Full photo", "Full", 9),
    BarKey("d", "Night", "Night", 8),
)
"""The key bar, in order; those with the highest `keep` go first as it narrows."""


@dataclass(frozen=True)
class Notice:
    """What the notice line says, about what, until when (time.monotonic)."""

    text: str
    topic: str
    until: float
    warning: bool = False


def silent_plan(plan: Plan) -> bool:
    """Whether the routine makes no sound at all (no chime, voice or sound cue)."""
    if plan.chime or any(cue.kind in ("sound", "tone") for cue in plan.cues):
        return False
    for phase in plan.phases:
        if phase.breath is not None and phase.breath.voice != "none":
            return False
        if any(p.voice for p in phase.prompts):
            return False
    return True


def saved_text(player: Player) -> str:
    """'Session saved (12:03 played, 2 let-downs, the first at 1:10).'"""
    marks = player.letdowns
    words = f"{len(marks)} let-down{'' if len(marks) == 1 else 's'}"
    if marks:
        words += f", the first at {clock_text(player.plan.seconds(marks[0].frame))}"
    return f"Session saved ({clock_text(player.played_s)} played, {words})."


class NightSwitched(Message):
    """The night palette was switched on or off on the player (d)."""

    def __init__(self, night: bool) -> None:
        super().__init__()
        self.night = night


class SessionSettled(Message):
    """The session is over and written down; `problem` says what could not be."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem


def title_markup(routine: str, phase: str, number: int, count: int, room: int) -> str:
    """As much of 'routine · phase (n of m)' as fits in `room` cells: the count
    goes first, then the routine's name; the phase's name stays. A phase that
    counts its own rounds ('Rest (1 of 2)') is not counted again."""
    count_text = "" if ROUND.search(phase) else f" ({number} of {count})"
    r, p = escape(routine), escape(phase)
    candidates = [(f"{routine} · {phase}", f"[b]{r}[/b] · {p}")]
    if count_text:
        candidates.insert(
            0, (f"{routine} · {phase}{count_text}", f"[b]{r}[/b] · {p}[dim]{count_text}[/dim]")
        )
    for plain_words, markup in candidates:
        if cell_len(plain_words) <= room:
            return markup
    return f"[b]{p}[/b]"


def times_text(phase_left: int, session_left: int, width: int) -> str:
    """The time left, in as many words as the screen's `width` has room for."""
    phase, session = clock_text(phase_left), clock_text(session_left)
    if width >= 70:
        return f"phase {phase} left · session {session} left"
    if width >= 50:
        return f"phase {phase} · session {session}"
    return f"{phase} left"
