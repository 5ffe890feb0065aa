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
from calmflow.store.db import StoreError
from calmflow.text.milk_label import label_lines
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
    if plan.chime or any(cue.kind in ("sound", "video", "tone") for cue in plan.cues):
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


SAVED_NOTICE_S = 6.0
"""How long 'Session saved' stays on the screen..."""
LABEL_NOTICE_S = 60.0
"""...and with the milk label in it: long enough to copy it onto the container."""


def saved_notice(player: Player) -> tuple[str, float]:
    """What the screen says once the form is done, and for how many seconds:
    'Session saved (...)' and, for a session with a volume, the label to write on
    the milk's container, with the guidance it comes from."""
    said = saved_text(player)
    lines = _label_lines(player)
    if not lines:
        return said, SAVED_NOTICE_S
    return "\n".join([said, *(escape(line) for line in lines)]), LABEL_NOTICE_S


def _label_lines(player: Player) -> list[str]:
    """The milk label of the session as the log now has it (the form's volume
    included); none when it has no volume or cannot be read."""
    if player.session_id is None:
        return []
    try:
        session = player.store.session(player.session_id)
    except (KeyError, StoreError):
        return []
    return label_lines(session)


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


def times_text(
    phase_left: int, session_left: int, width: int, *, open_ended: bool = False, on_for: int = -1
) -> str:
    """The time left, in as many words as the screen's `width` has room for.

    `open_ended`: the routine's last phase goes on while milk flows, so the
    session's time is its least ('5:00+'); `on_for`: seconds the phase has gone
    on past its least (-1: it has not)."""
    if on_for >= 0:
        more = clock_text(on_for)
        if width >= 70:
            return f"on while milk flows (+{more}) · f when it stops"
        return f"+{more} · f when it stops" if width >= 40 else f"+{more}"
    phase = clock_text(phase_left)
    session = clock_text(session_left) + ("+" if open_ended else "")
    if width >= 70:
        return f"phase {phase} left · session {session} left"
    if width >= 50:
        return f"phase {phase} · session {session}"
    return f"{phase} left"
