"""`calmflow devices`: the sound outputs calmflow can play through."""

from __future__ import annotations

import json

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import json_option
from calmflow.cli.output import data, say
from calmflow.system.exits import EXIT_NO_SOUND


@click.command()
@json_option()
@click.option(
    "--inputs",
    "only_inputs",
    is_flag=True,
    help="Only the inputs (microphones), for `calmflow record --device`.",
)
def devices(as_json: bool, only_inputs: bool) -> None:
    """List sound outputs (for `play --device`) and inputs (for `record --device`)."""
    from calmflow.audio.devices import list_inputs, list_outputs

    try:
        outputs = [] if only_inputs else list_outputs()
        inputs = list_inputs() if only_inputs or not as_json else []
    except OSError as exc:
        raise Failure(
            f"{exc}. `calmflow play --silent` plays without sound.", EXIT_NO_SOUND
        ) from None
    if as_json:  # the outputs' list as it always was; --inputs for the inputs'
        rows = [d.as_json() for d in inputs] if only_inputs else outputs
        data(json.dumps(rows, indent=2))
        return
    if not only_inputs:
        if not outputs:
            say("No sound outputs found. `calmflow play --silent` plays without sound.")
        else:
            say("Outputs (`calmflow play --device`):")
        for d in outputs:
            mark = "*" if d["default"] else " "
            say(f"{mark} {d['index']:>3}  {d['name']}  ({d['channels']} ch, {d['rate']:g} Hz)")
    if not inputs:
        say("No sound inputs (microphones) found.")
        return
    say("Inputs (`calmflow record --device`, by number or name):")
    for i in inputs:
        # The sound server's default source is what its `pulse` and `default` record.
        mark = "*" if i.default and i.source is None else " "
        number = "" if i.index is None else str(i.index)
        about = f"{i.description}, " if i.description else ""
        if i.default and i.source is not None:
            about = f"{about}the sound server's default, "
        say(f"{mark} {number:>3}  {i.name}  ({about}{i.channels} ch, {i.rate:g} Hz)")


COMMANDS = (devices,)
