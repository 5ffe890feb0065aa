"""What the command groups share: the `--json` option, the log, and routines by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from calmflow.cli.errors import RoutineProblems
from calmflow.system import paths

if TYPE_CHECKING:
    from calmflow.core.routine_loading import LoadedRoutine
    from calmflow.store.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def json_option(help: str = "Print as JSON.") -> Callable[[F], F]:
    """`--json`, passed to the command as `as_json`: every command that prints data has it."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def open_store(*, read_only: bool = False) -> Store:
    """The log; `read_only` for commands that only read it (they work in a read-only
    folder). A log that cannot be used raises StoreError, which exits 3."""
    from calmflow.store.store import Store

    return Store(paths.database_path(), read_only=read_only)


def load_routine(name: str) -> LoadedRoutine:
    """The routine `name` (a name or a path), validated with its media; its problems
    stop the command, each as file:line:col."""
    from calmflow.core.yamlsource import SourceError
    from calmflow.services import catalog

    try:
        return catalog.load(name)
    except SourceError as exc:
        raise RoutineProblems(exc.problems) from None
