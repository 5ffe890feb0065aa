"""A small three-phase plan and ways to drive its Session frame by frame,
shared by the tests of the rules and of undoing a let-down.

Plans here run at 100 frames a second, so 1 s is 100 frames and 1 min 6000.
"""

from __future__ import annotations

from typing import Any

from calmflow.core.plan import Plan, compile_plan
from calmflow.core.routine import Routine
from calmflow.core.session import Event, Session

RATE = 100
MIN = 60 * RATE

STIM, EXPR, HANDS, RESTIM = 0, 1, 2, 3
"""Phase indexes in the plan of `_plan`: the restimulation block comes last."""


def plan_of(rules: dict[str, Any] | None = None, expression: str = "10m") -> Plan:
    """2 min stimulation, `expression` of expression, 3 min hands-on."""
    routine = Routine.model_validate(
        {
            "name": "t",
            "rules": {"restimulate_after": "6m", **(rules or {})},
            "phases": [
                {"name": "Stim", "kind": "stimulation", "duration": "2m"},
                {"name": "Expr", "kind": "expression", "duration": expression},
                {"name": "Hands", "kind": "hands_on", "duration": "3m"},
            ],
        }
    )
    return compile_plan(routine, RATE)


def started(plan: Plan, lead_frames: int = 0) -> Session:
    session = Session(plan, lead_frames=lead_frames)
    session.start()
    return session


def segments(session: Session) -> list[tuple[int, int, int, int]]:
    return [(s.phase, s.start_frame, s.end_frame, s.offset) for s in session.timeline.segments]


def play(session: Session, until: int, step: int = 50) -> list[Event]:
    """Advance as live audio does, a block of `step` frames at a time."""
    events: list[Event] = []
    for frame in range(session.now_frame, until + 1, step):
        events += session.advance_to(frame)
    return events + session.advance_to(until)
