"""Sessions played with random keys, held to a model of the documented rules:
`python benchmarks/session_fuzz.py [SESSIONS] [--seed N]`.

The state machine of tests/unit/test_session_model.py (tests/unit/
session_machine.py), run for SESSIONS sessions (5000 by default) instead of
the suite's few hundred: each a routine (bundled, or short and made to reach
the corners), a render lead (none, or a sound card's), random waits aimed at
the last second of a phase, a restimulation due, the session's end and the
edges of the 5 s and 10 s windows, and keys alone or in bursts, during pauses
and restimulation blocks. After every step the Player and the SQLite log agree
with the model; at the end of each session `log --json`, `export` and
`review --json` agree with the log.

Prints the sessions run, steps and key presses, and any counterexample,
shrunk to the fewest steps hypothesis finds; exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import seed, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

os.environ.setdefault("CALMFLOW_FUZZ_ALL", "1")  # the unsettled routines too
from tests.unit.session_machine import ROUTINES, TALLY, SessionMachine  # noqa: E402


def _failures(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for sub in error.exceptions for leaf in _failures(sub)]
    return [error]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="?", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=None, help="repeat a run exactly")
    args = parser.parse_args()
    profile = settings(
        settings.get_profile("session-fuzz"), max_examples=args.sessions, print_blob=True
    )
    routines = len(set(ROUTINES))
    print(f"{args.sessions} sessions over {routines} routines, each held to the model")
    began = time.monotonic()
    failure: BaseException | None = None
    machine: type[SessionMachine] = SessionMachine
    if args.seed is not None:
        machine = seed(args.seed)(type("SeededMachine", (SessionMachine,), {}))
    try:
        run_state_machine_as_test(machine, settings=profile)
    except Exception as error:  # a counterexample: told below, shrunk
        failure = error
    took = time.monotonic() - began
    print(
        f"runs {TALLY['runs']:,}, steps {TALLY['steps']:,}, "
        f"key presses {TALLY['keys']:,}, in {took:.0f} s"
    )
    if failure is None:
        print("counterexamples: none")
        return 0
    for leaf in _failures(failure):
        print("\ncounterexample:")
        print("".join(traceback.format_exception_only(leaf)).rstrip())
        for note in getattr(leaf, "__notes__", []):
            print(note)
    return 1


if __name__ == "__main__":
    sys.exit(main())
