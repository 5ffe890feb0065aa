"""Ctrl-c on the command line, known for certain rather than guessed from where it landed.

Python turns SIGINT into a KeyboardInterrupt at whatever line is running. Usually
that reaches the command group, which says "calmflow: stopped" and ends with 130.
But it can land where that is not enough:

- while Python is still loading calmflow, before any command runs;
- inside a library that wraps it in an error of its own (pydantic reports
  "Error calling function: KeyboardInterrupt" as a serialization error);
- inside code a library built with `exec` (dataclasses, pydantic): Python 3.11
  then remembers the interrupt as unhandled and ends the process by SIGINT, even
  once calmflow has handled it or the command has finished.

So the handler writes the press down before raising, and `leave` ends a process
that saw one with the code calmflow chose. Once a command has finished its
work, a press changes nothing: "it had finished before the key".

A shutdown (SIGTERM) or a closed terminal (SIGHUP) is handled the same way on
the command line: by default either would end the process on the spot, leaving
what was being written (a render's `.part`, an hour of sound) behind. `Ended`
is raised where the command is instead, so everything a ctrl-c cleans up is
cleaned up, and the process ends with 128 + the signal's number (143, 129).
(The player's screen handles both itself, ending the session in the log.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import NoReturn

_pressed = False

SHUTDOWN = (signal.SIGTERM, signal.SIGHUP)


class Ended(SystemExit):
    """The process was asked to end (SIGTERM, SIGHUP); its code is 128 + the
    signal's number. A SystemExit: nothing that handles errors stops it."""


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pressed
    _pressed = True
    raise KeyboardInterrupt


def _on_shutdown(signum: int, frame: FrameType | None) -> None:
    # Once: a second SIGTERM must not cut the cleaning up of the first short.
    for number in SHUTDOWN:
        signal.signal(number, signal.SIG_IGN)
    raise Ended(128 + signum)


def _ignore() -> None:
    """From here on ctrl-c, SIGTERM and SIGHUP are ignored. (Python puts a handler
    of its own back to the default while it shuts down, so a press then would end
    the process by SIGINT; an ignored signal stays ignored.)"""
    if signal.getsignal(signal.SIGINT) is _on_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in SHUTDOWN:
        if signal.getsignal(number) is _on_shutdown:
            signal.signal(number, signal.SIG_IGN)


def watch() -> None:
    """Note every ctrl-c from now on (unless something else already handles SIGINT),
    and turn SIGTERM and SIGHUP into `Ended` (unless they are handled or ignored:
    `nohup calmflow render ...` stays immune to the terminal closing)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    for number in SHUTDOWN:
        if signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, _on_shutdown)


def pressed() -> bool:
    """Whether ctrl-c was pressed while a command was working."""
    return _pressed


def finished() -> None:
    """The command's work is done: a ctrl-c (or SIGTERM, SIGHUP) from now on is ignored."""
    _ignore()


def leave(code: object) -> NoReturn:
    """End with `code` (as `sys.exit` reads it). After a ctrl-c, end at once, past
    Python's last steps, which would turn any code into death by SIGINT."""
    _ignore()
    if not _pressed:
        raise SystemExit(code)
    if code is None:
        number = 0
    elif isinstance(code, int):
        number = code
    else:
        print(code, file=sys.stderr)
        number = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(number)
