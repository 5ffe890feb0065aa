"""How a command stops: an exception that carries calmflow's exit code.

No helper calls `sys.exit`: each raises `Failure` (or `RoutineProblems`), and
click prints it as calmflow's one line on stderr and exits with its code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import click

from calmflow.cli.output import say
from calmflow.system.exits import EXIT_INPUT


class Failure(click.ClickException):
    """What went wrong, as one line "calmflow: ..." on stderr, and the exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click's is a class default

    def show(self, file: IO[Any] | None = None) -> None:
        say(f"calmflow: {self.message}", err=True)


class RoutineProblems(Failure):
    """Every problem of a routine, each on its own line as file:line:col: message."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__("\n".join(str(p) for p in problems))

    def show(self, file: IO[Any] | None = None) -> None:
        say(self.message, err=True)
