"""`calmflow` and `python -m calmflow`: the command line, with ctrl-c watched from the start.

The command line is loaded inside the watch, so a ctrl-c pressed while Python is
still loading calmflow ends as one pressed during a command does: "calmflow:
stopped" and exit 130, never a traceback.
"""

from __future__ import annotations

import sys

from calmflow.system import ctrl_c


def run() -> None:
    ctrl_c.watch()
    try:
        from calmflow.cli import main

        main()
        code: object = 0
    except KeyboardInterrupt:
        from calmflow.system.exits import EXIT_STOPPED

        print("calmflow: stopped", file=sys.stderr, flush=True)
        code = EXIT_STOPPED
    except SystemExit as exc:
        code = exc.code
    ctrl_c.leave(code)


if __name__ == "__main__":
    run()
