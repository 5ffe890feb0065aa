"""The `calmflow` command: one module per command group, over the services.

Bare `calmflow` opens the TUI home. Exit codes are calmflow.system.exits': 1 bad
input, 2 usage (click), 3 the database cannot be used, 70 an unexpected error
(its details go to the log folder, never a traceback on the screen), 130
ctrl-c, 128 + N ended by signal N. Commands stop by raising `Failure`; nothing
here or below calls `sys.exit`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from calmflow.cli import (
    care,
    devices,
    exchange,
    experiment,
    label,
    log,
    play,
    record,
    review,
    routines,
    schedule,
    sync,
)
from calmflow.cli.errors import Failure
from calmflow.cli.options import tell_notices
from calmflow.store.db import StoreError
from calmflow.system import ctrl_c
from calmflow.system.exits import EXIT_INTERNAL, EXIT_STOPPED, EXIT_STORE
from calmflow.system.paths import DataFolderError
from calmflow.text.safe import shown


class _Group(click.Group):
    """Turns what goes wrong into one line: the log's or the data folder's
    trouble (exit 3), ctrl-c (130, while reading the arguments too, and when a
    library wrapped it in an error of its own), a closed pipe (quietly), and
    anything unexpected (70, with the details in a log file). What was found open
    to others and made private is said once, at the end."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            raise Failure("stopped", EXIT_STOPPED) from None
        except click.ClickException as exc:
            raise _shown(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            done = super().invoke(ctx)
            ctrl_c.finished()
            return done
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as exc:
            raise _shown(exc) from None
        except (StoreError, DataFolderError) as exc:
            raise Failure(str(exc), EXIT_STORE) from None
        except KeyboardInterrupt:
            raise Failure("stopped", EXIT_STOPPED) from None
        except BrokenPipeError:
            # `calmflow log | head`: the reader has all it wanted. Python would
            # complain while flushing stdout on the way out; point it elsewhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception:
            if ctrl_c.pressed():  # a library wrapped the interrupt in its own error
                raise Failure("stopped", EXIT_STOPPED) from None
            from calmflow.system.crash import record_crash

            where = record_crash()
            raise Failure(
                f"unexpected error; details are in {where}. Your logged sessions are safe.",
                EXIT_INTERNAL,
            ) from None
        finally:
            tell_notices()  # a data folder or log found open to others, and closed


def _shown(exc: click.ClickException) -> click.ClickException:
    """Click's own message for a mistake on the command line quotes what was
    typed (`Invalid value for '--format': ...`): made terminal-safe, as all calmflow prints."""
    setattr(exc, "message", shown(exc.message))  # noqa: B010 (click declares it Final)
    return exc


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(package_name="calmflow")
@play.NIGHT
@click.pass_context
def main(ctx: click.Context, night: bool | None) -> None:
    """calmflow: guided relaxation for the let-down while pumping.

    Run with no command to open the home screen.
    """
    if ctx.invoked_subcommand is None:
        play.home(ctx, night)


for _group in (
    play,
    routines,
    log,
    label,
    exchange,
    review,
    experiment,
    schedule,
    care,
    devices,
    record,
    sync,
):
    for _command in _group.COMMANDS:
        main.add_command(_command)
