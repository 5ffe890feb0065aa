"""What the command groups share: the `--json` option, the log, and routines by name."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from calmflow.cli.errors import Failure, RoutineProblems
from calmflow.system import paths

if TYPE_CHECKING:
    from pathlib import Path

    from calmflow.core.routine_loading import LoadedRoutine
    from calmflow.store.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def json_option(help: str = "Print as JSON.") -> Callable[[F], F]:
    """`--json`, passed to the command as `as_json`: every command that prints data has it."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def open_store(*, read_only: bool = False) -> Store:
    """The log; `read_only` for commands that only read it (they work in a read-only
    folder). A log that cannot be used raises StoreError, and a data folder that
    cannot DataFolderError, which exit 3. What was found open to others and closed
    is said now, before a screen takes the terminal."""
    from calmflow.store.store import Store

    try:
        return Store(paths.database_path(), read_only=read_only)
    finally:
        tell_notices()


def tell_notices() -> None:
    """Say, once each, on stderr, what was found open to others and made private."""
    from calmflow.cli.output import say
    from calmflow.system.private_files import take_notices

    for line in take_notices():
        with contextlib.suppress(OSError):  # a closed stderr: nothing else to tell it on
            say(f"calmflow: {line}", err=True)


def tell_on_stderr(line: str) -> None:
    """Say `line` on stderr: what a command is doing, away from what it prints."""
    from calmflow.cli.output import say

    say(line, err=True)


def file_to_write(path: Path, given: str) -> Path:
    """`path`, `given` as an option (`-o out.wav`, `--output wav:out.wav`) for a
    file to write: a plain file, or a name not taken yet. A folder, a device or a
    pipe stops the command (exit 1) before any work, and is left as it is."""
    from calmflow.system.private_files import NotAFile, refuse_unless_file

    try:
        refuse_unless_file(path)
    except NotAFile as exc:
        raise Failure(f"{given}: {exc.strerror}") from None
    return path


def load_routine(name: str, *, prepare_videos: bool = False) -> LoadedRoutine:
    """The routine `name` (a name or a path), validated with its media; its problems
    stop the command, each as file:line:col. `prepare_videos`: each video it shows
    is prepared for the player now if it is not yet (said on stderr), and so
    decoded through and checked whole."""
    from calmflow.core.yamlsource import SourceError
    from calmflow.services import catalog

    try:
        return catalog.load(name, prepare_videos=tell_on_stderr if prepare_videos else None)
    except SourceError as exc:
        raise RoutineProblems(exc.problems) from None
