"""The session's rules hold under any sequence of keys (issue 25): the Player,
driven by hypothesis with random waits and keys at awkward moments, agrees after
every step with a reference model written from the documentation, and its log
with `log --json`, `export` and `review --json` (tests/unit/session_machine.py).

The `session-ci` profile (300 sessions) keeps this to about 20 s; `python
benchmarks/session_fuzz.py 5000` runs the same machine for longer.
"""

from __future__ import annotations

from hypothesis import settings

from tests.unit.session_machine import SessionMachine

SessionMachine.TestCase.settings = settings.get_profile("session-ci")
TestSessionModel = SessionMachine.TestCase


def _replay(routine: str, lead: int, steps: list[tuple[str, dict[str, object]]]) -> None:
    """One run of the machine, step by step, checked after each as hypothesis checks it."""
    machine = SessionMachine()
    machine.begin(routine=routine, lead=lead, tick_ms=50)
    try:
        for name, arguments in steps:
            getattr(machine, name)(**arguments)
            machine.agrees_with_the_model()
    finally:
        machine.teardown()


def test_corners_the_machine_found_stay_fixed() -> None:
    # u heard after the let-down it takes back: the quiet time counts back from
    # the mark before only once the undo can be heard (the model had it at the press)
    _replay(
        "capped",
        8896,
        [
            ("press", {"key": "space"}),
            ("press_as_the_phase_ends", {"before_ms": 0, "key": "space"}),
            ("wait_for_restimulation", {"before_ms": 0}),
            ("press", {"key": "u"}),
        ],
    )
    # a late let-down, taken back and marked again at once: its extension told once
    _replay(
        "extends",
        8896,
        [("wait", {"ms": 50_000}), ("burst", {"gap_ms": 0, "keys": ["space", "u", "space"]})],
    )
    # q long after an open-ended phase's least, with a restimulation placed ahead
    # in it: completed (the least is where the phase's own frames reached it)
    _replay(
        "open",
        4800,
        [
            ("press", {"key": "space"}),
            ("wait", {"ms": 100}),
            ("wait_for_the_phase_end", {"before_ms": 500}),
            ("press", {"key": "space"}),
            ("wait_to_a_window_edge", {"edge_s": 4.9}),
            ("wait_for_restimulation", {"before_ms": 271}),
            ("burst", {"gap_ms": 0, "keys": ["space", "u"]}),
            ("press", {"key": "q"}),
        ],
    )
    # f, then u of a let-down that extended an expression, after its old end:
    # only the mark goes (the course stays as played)
    _replay(
        "extends",
        0,
        [
            ("press", {"key": "space"}),
            ("wait_for_the_phase_end", {"before_ms": 1}),
            ("press", {"key": "space"}),
            ("press", {"key": "f"}),
            ("wait_for_the_end", {"before_ms": 1}),
            ("press", {"key": "u"}),
        ],
    )
    # n at the frame a let-down switched to expression, the next phase also an
    # expression: the switch never happened, so it is not told
    _replay(
        "open",
        4800,
        [
            ("press", {"key": "space"}),
            ("wait", {"ms": 100}),
            ("press", {"key": "u"}),
            ("press", {"key": "space"}),
            ("press", {"key": "n"}),
        ],
    )
