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
def devices(as_json: bool) -> None:
    """List sound outputs."""
    from calmflow.audio.devices import list_outputs

    try:
        outputs = list_outputs()
    except OSError as exc:
        raise Failure(
            f"{exc}. `calmflow play --silent` plays without sound.", EXIT_NO_SOUND
        ) from None
    if as_json:
        data(json.dumps(outputs, indent=2))
        return
    if not outputs:
        say("No sound outputs found. `calmflow play --silent` plays without sound.")
        return
    for d in outputs:
        mark = "*" if d["default"] else " "
        say(f"{mark} {d['index']:>3}  {d['name']}  ({d['channels']} ch, {d['rate']:g} Hz)")


COMMANDS = (devices,)
