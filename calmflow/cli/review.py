"""`calmflow review`: which routines and cues came with sooner and more let-downs."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from calmflow.cli.options import json_option, open_store
from calmflow.cli.output import data, say


@click.command()
@json_option("Print every figure as JSON.")
@click.option(
    "--since", type=click.IntRange(min=1), metavar="DAYS", help="Only the last DAYS days."
)
@click.option("--routine", metavar="NAME", help="Only the sessions of this routine.")
@click.option("--cue", metavar="NAME", help="Only this cue's figures and comparison.")
def review(as_json: bool, since: int | None, routine: str | None, cue: str | None) -> None:
    """Which routines and cues came with sooner and more let-downs, for you."""
    from calmflow.core.review import review_rows
    from calmflow.services.experiments import experiment_reports
    from calmflow.text.review import review_lines

    store = open_store(read_only=True)
    cutoff = store.now() - timedelta(days=since) if since else None
    result = review_rows(
        store.review_rows(since=cutoff),
        routine=routine,
        cue=cue,
        experiments=experiment_reports(store),
    )
    if as_json:
        filters = {"since_days": since, "routine": routine, "cue": cue}
        data(json.dumps({"filters": filters, **result.as_dict()}, indent=2))
        return
    if not result.sessions:
        say("No finished sessions yet. `calmflow play standard` starts one.")
        return
    for line in review_lines(result):
        say(line)


COMMANDS = (review,)
