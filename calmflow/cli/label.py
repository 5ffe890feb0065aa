"""`calmflow label`: what to write on the container of a session's milk, again."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import json_option, open_store
from calmflow.cli.output import data, say

if TYPE_CHECKING:
    from calmflow.core.records import SessionRecord
    from calmflow.store.store import Store


@click.command()
@click.argument("session_id", metavar="[SESSION]", required=False, type=click.IntRange(min=1))
@json_option("Print the times as JSON (ISO 8601, with your zone's offset).")
def label(session_id: int | None, as_json: bool) -> None:
    """The line to write on the milk's container: when it was pumped and until when
    it keeps at room temperature, in the fridge and in the freezer (storage
    guidance from the CDC and ABM Protocol #8, not a safety guarantee).

    SESSION is its number in `calmflow log`; by default the latest session with a
    volume.
    """
    # Here, not above: the label's model (pydantic) is not loaded for other commands.
    from calmflow.text.milk_label import GUIDANCE, label_fields, label_line, session_label

    store = open_store(read_only=True)
    session = _labelled(store, session_id)
    found = session_label(session)
    if as_json:
        data(json.dumps({"session": session.id, **label_fields(found)}, indent=2))
        return
    say(label_line(found))
    say(GUIDANCE)


def _labelled(store: Store, session_id: int | None) -> SessionRecord:
    """Session `session_id`, or the latest with a volume; Failure saying why none."""
    from calmflow.text.milk_label import has_milk

    if session_id is None:
        with_milk = [s for s in store.sessions() if has_milk(s)]
        if not with_milk:
            raise Failure(
                "no session with a volume to label yet: give one in the form after a"
                " session, or `calmflow log add --total 120`"
            )
        return with_milk[-1]
    try:
        session = store.session(session_id)
    except KeyError:
        raise Failure(
            f"there is no session {session_id}: `calmflow log` lists them by number"
        ) from None
    if session.volume_total_ml == 0:
        raise Failure(f"session {session_id} gave no milk (0 ml): there is nothing to label")
    return session


COMMANDS = (label,)
