"""What the command line prints: for people, made terminal-safe; for programs, exact.

Every line calmflow prints for a person goes through `say`, which makes it
terminal-safe (calmflow.text.safe.shown): a routine's name, a note or a part's
label that carries an escape sequence is shown written out, never obeyed, on a
terminal or in a pipe. `data` prints what programs read (JSON, which escapes
control characters itself; CSV) exactly as it is — except CSV to a terminal,
where a person reads it: `table` makes that safe too.
"""

from __future__ import annotations

import sys

import click

from calmflow.text.safe import shown


def say(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """A line (or lines) for a person, terminal-safe."""
    click.echo(shown(text), err=err, nl=nl)


def data(text: str, *, nl: bool = True) -> None:
    """What a program reads, on stdout, exactly."""
    click.echo(text, nl=nl)


def table(text: str) -> None:
    """A file's text (CSV) on stdout: exact into a pipe or a file, terminal-safe
    when a person reads it on a terminal."""
    if sys.stdout.isatty():
        click.echo(shown(text.replace("\r\n", "\n")), nl=False)
    else:
        click.echo(text, nl=False)
