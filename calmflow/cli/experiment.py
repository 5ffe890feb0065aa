"""`calmflow experiment`: how each experiment stands, and what to do once it answers."""

from __future__ import annotations

import json

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import json_option, load_routine, open_store
from calmflow.cli.output import data, say


@click.group(invoke_without_command=True)
@json_option("Print each experiment's progress or answer as JSON.")
@click.pass_context
def experiment(ctx: click.Context, as_json: bool) -> None:
    """Each experiment drawn at random: its progress, or its answer.

    An experiment in a routine (`experiment: {slot, arms, blocks}`) gives each
    session one of its arms, drawn at random in blocks; when the planned blocks
    are done it answers whether one arm brought your let-down sooner.
    """
    if ctx.invoked_subcommand is not None:
        return
    from calmflow.services.experiments import experiment_reports

    reports = experiment_reports(open_store(read_only=True))
    if as_json:
        data(json.dumps([r.as_dict() for r in reports], indent=2))
        return
    if not reports:
        say(
            "No experiments yet. Add `experiment: {slot, arms}` to a routine of your own"
            " (see docs/routines.md); each session then gets one of its arms at random."
        )
        return
    for r in reports:
        say(f"- {r.sentence}")
        for command in r.offer:
            say(f"    {command}")


@experiment.command()
@click.argument("routine")
@click.option(
    "--blocks",
    type=click.IntRange(min=1, max=50),
    default=None,
    help="How many blocks to add (default 4).",
)
def more(routine: str, blocks: int | None) -> None:
    """Plan more blocks for ROUTINE's experiment, for a surer answer."""
    from calmflow.services.experiments import MORE_BLOCKS, plan_more

    try:
        report, planned = plan_more(open_store(), routine, blocks or MORE_BLOCKS)
    except LookupError:
        raise Failure(
            f"'{routine}' has run no experiment yet; play it first (`calmflow play {routine}`)"
        ) from None
    say(f"{routine}: {planned} blocks planned. {report.sentence}")


@experiment.command()
@click.argument("routine")
@click.argument("arm")
def adopt(routine: str, arm: str) -> None:
    """Make ARM the cue ROUTINE's experiment slot plays from now on.

    Writes `adopted: ARM` into the routine's experiment (the rest of the file is
    left as it was); the experiment then no longer runs. Remove the line to run
    it again.
    """
    from calmflow.core.yamlsource import SourceError
    from calmflow.services import catalog
    from calmflow.services.experiments import NotWrittenHere, adopt_in_file
    from calmflow.system import paths
    from calmflow.system.private_files import write_private

    loaded = load_routine(routine)
    experiment = loaded.routine.experiment
    if experiment is None:
        raise Failure(f"{loaded.path} has no experiment")
    if arm not in experiment.arms:
        raise Failure(f"'{arm}' is not one of the experiment's arms ({', '.join(experiment.arms)})")
    copied = ""
    if loaded.path.parent == paths.bundled_routines_dir():
        # A routine that came with calmflow is not changed: the person's own copy,
        # of the same name, takes its place.
        try:
            target = catalog.copy_routine(loaded, loaded.routine.name)
        except FileExistsError as exc:
            raise Failure(f"{exc.filename} exists already; adopt {arm} in it") from None
        loaded = catalog.load(str(target))
        copied = f" (in your own copy, {target}, which now takes the bundled one's place)"
    try:
        before = adopt_in_file(loaded.path, arm)
    except NotWrittenHere:
        raise Failure(
            f"{loaded.path} does not write the experiment itself (it extends a routine that"
            " does): adopt it in that routine, or copy the experiment into this one"
        ) from None
    except OSError as exc:
        raise Failure(f"could not write {loaded.path}: {exc.strerror or exc}") from None
    try:
        catalog.load(str(loaded.path))
    except SourceError as exc:
        write_private(loaded.path, before)
        raise Failure(
            f"{loaded.path} left as it was: the change did not load ({exc.problems[0]})"
        ) from None
    say(f"{loaded.routine.name}: the {experiment.slot} slot now plays {arm} from now on{copied}.")


COMMANDS = (experiment,)
