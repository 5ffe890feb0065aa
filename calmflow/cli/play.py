"""Where the command line starts the terminal player: `calmflow` (the home screen)
and `calmflow play ROUTINE`.

This is the one module of the command line that imports the other face (the
Textual app, `calmflow.ui.app`), and only to run it: the import-linter contracts
on layers and on textual (pyproject.toml) name this import as their one exception.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import file_to_write, load_routine, open_store
from calmflow.cli.output import say
from calmflow.system import paths
from calmflow.system.exits import EXIT_STORE
from calmflow.text.numbers import clock_text

if TYPE_CHECKING:
    from calmflow.audio.output import Output
    from calmflow.core.plan import Plan
    from calmflow.store.store import Store


NIGHT = click.option(
    "--night/--day",
    default=None,
    envvar="CALMFLOW_NIGHT",
    help="Dim, warm night colours (or not); by default on from 22:00 to 06:00.",
)
"""The night palette, for `calmflow` and `calmflow play` (d switches it while playing)."""


def home(ctx: click.Context, night: bool | None = None) -> None:
    """The home screen: pick a routine, Enter starts it."""
    require_terminal()
    from calmflow.ui.app import make_app

    app = make_app(store=open_store(), night=night)
    app.run()
    if app.unsaved_message:
        raise Failure(app.unsaved_message, EXIT_STORE)
    ctx.exit(app.return_code or 0)


def require_terminal() -> None:
    """The player draws on a terminal; without one it cannot start."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise Failure("the player needs a terminal; run it in a terminal window")


@click.command()
@click.argument("routine")
@click.option(
    "--output",
    "output_spec",
    default="device",
    show_default=True,
    help="device (the sound card), null (no sound), or wav:PATH (record to a file).",
)
@click.option(
    "--device", default=None, help="Output device, by number or name (see `calmflow devices`)."
)
@click.option("--silent", is_flag=True, help="No sound at all: the same as --output null.")
@click.option(
    "--reduced-motion",
    is_flag=True,
    envvar="CALMFLOW_REDUCED_MOTION",
    help="A plain count instead of the growing and shrinking shape.",
)
@click.option(
    "--light",
    is_flag=True,
    envvar="CALMFLOW_LIGHT",
    help="Dark text on a light background (for daylight; dark is the default).",
)
@NIGHT
@click.pass_context
def play(
    ctx: click.Context,
    routine: str,
    output_spec: str,
    device: str | None,
    silent: bool,
    reduced_motion: bool,
    light: bool,
    night: bool | None,
) -> None:
    """Play ROUTINE (a name, or a path to a YAML file) in the terminal.

    NO_COLOR=1 in the environment turns colours off.
    """
    loaded = load_routine(routine)
    output_factory = _output_factory("null" if silent else output_spec, device)
    require_terminal()
    store = open_store()
    from calmflow.ui.app import make_app

    if light and night is None:
        night = False  # asked for daylight colours: not the night's by the clock
    app = make_app(store=store, loaded=loaded, output_factory=output_factory, night=night)
    app.reduced_motion = reduced_motion
    if light:
        app.theme = "textual-light"  # the theme the night palette gives way to (d)
    app.run()
    if app.return_code:
        ctx.exit(app.return_code)
    _print_session_summary(store, app.session_id)
    if app.unsaved_message:
        raise Failure(app.unsaved_message, EXIT_STORE)


def _output_factory(spec: str, device: str | None) -> Callable[[Plan], Output]:
    """What makes the sound output for a session's plan, from --output and --device."""
    from calmflow.audio.output import NullOutput, WavOutput

    if spec == "null":
        return lambda plan: NullOutput(plan.rate)
    if spec.startswith("wav:"):
        target = Path(spec[4:]).expanduser()
        if target.suffix.lower() != ".wav" or not target.parent.is_dir():
            raise Failure(
                f"--output {spec}: give a .wav file in an existing folder, e.g. wav:session.wav"
            )
        file_to_write(target, f"--output {spec}")  # a folder, a device: before the session
        return lambda plan: WavOutput(target, plan.rate)
    if spec != "device":
        raise Failure(f"--output {spec!r}: expected device, null or wav:PATH")

    def make_device(plan: Plan) -> Output:
        from calmflow.audio.device import DeviceOutput

        chosen: str | int | None = int(device) if device and device.isdigit() else device
        return DeviceOutput(plan, device=chosen, log_path=paths.log_dir() / "audio.log")

    return make_device


def _print_session_summary(store: Store, session_id: int | None) -> None:
    if session_id is None:
        return
    record = store.session(session_id)
    count = len(record.letdowns)
    first = record.first_letdown_s
    words = f"{count} let-down{'s' if count != 1 else ''}"
    if first is not None:
        words += f", the first at {clock_text(first)}"
    say(f"Session saved ({clock_text(record.played_s)} played, {words}).")
    from calmflow.text.milk_label import label_lines

    for line in label_lines(record):  # the form's volume given: what to write on the milk
        say(line)
    say("`calmflow review` shows how your routines compare over time.")
    from calmflow.services.care import care_summary_line

    care = care_summary_line(store)
    if care:
        say(care)


COMMANDS = (play,)
