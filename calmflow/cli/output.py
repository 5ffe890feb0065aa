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


_drawn = 0
"""Characters of the line `redraw` last drew on the terminal (0: none is open)."""


def redraws_in_place() -> bool:
    """Whether `redraw` draws over its last line (stdout is a terminal)."""
    return sys.stdout.isatty()


def redraw(text: str) -> None:
    """A line for a person that changes as it goes (a level meter), terminal-safe:
    on a terminal drawn over the last one, cut to the terminal's width; into a
    file or a pipe, a line of its own each time (the caller says how often)."""
    global _drawn
    line = shown(text)
    if not sys.stdout.isatty():
        click.echo(line)
        return
    import shutil

    line = line[: max(1, shutil.get_terminal_size().columns - 1)]
    click.echo("\r" + line.ljust(_drawn), nl=False)
    _drawn = len(line)


def end_redraw() -> None:
    """Leave the line `redraw` drew as it is, and go on below it."""
    global _drawn
    if _drawn:
        click.echo("")
        _drawn = 0
