"""`calmflow fit` and `calmflow parts`: flange sizes to try, and pump parts that are due."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import json_option, open_store
from calmflow.cli.output import data, say
from calmflow.cli.types import Day, IntervalOrDefault, PartId, interval_days, millimetres
from calmflow.core.fit import FIT_CHECKLIST, FIT_NOTE, SIDES
from calmflow.core.parts import PART_KINDS, part_kind

if TYPE_CHECKING:
    from calmflow.core.fit import Measurement
    from calmflow.core.parts import PartStatus
    from calmflow.store.store import Store


# --- calmflow fit -----------------------------------------------------------------


def _side_dict(m: Measurement | None) -> dict[str, Any] | None:
    from calmflow.core.fit import size_ranges

    if m is None:
        return None
    return {
        "mm": m.mm,
        "measured_at": m.measured_at.isoformat(),
        "ranges": [r.as_dict() for r in size_ranges(m.mm)],
    }


@click.command("fit")
@click.option(
    "--left", type=millimetres(), metavar="MM", help="Record the left nipple base, in mm."
)
@click.option(
    "--right", type=millimetres(), metavar="MM", help="Record the right nipple base, in mm."
)
@click.option("--both", type=millimetres(), metavar="MM", help="Record the same for both sides.")
@json_option()
def fit_cmd(left: float | None, right: float | None, both: float | None, as_json: bool) -> None:
    """Flange sizes to try from your nipple measurement, by both sizing rules, and
    the fit checklist; --left/--right/--both record a new measurement (mm)."""
    from calmflow.services.care import fit
    from calmflow.store.care import add_measurement
    from calmflow.text.care import fit_lines, wrapped

    if both is not None and (left is not None or right is not None):
        raise Failure("give --both, or --left and --right, not both")
    given = {"left": left, "right": right} if both is None else {"left": both, "right": both}
    checked = {side: mm for side, mm in given.items() if mm is not None}
    store = open_store()
    for side, mm in checked.items():
        add_measurement(store, side, mm)  # type: ignore[arg-type]
    latest, reminder = fit(store)
    if as_json:
        out = {
            "sides": {side: _side_dict(latest.get(side)) for side in SIDES},
            "checklist": list(FIT_CHECKLIST),
            "note": FIT_NOTE,
            "remeasure": reminder.as_dict(),
        }
        data(json.dumps(out, indent=2))
        return
    if checked:
        said = ", ".join(f"{side} {mm:g} mm" for side, mm in checked.items())
        say(f"Recorded: {said}.")
        say("")
    width = shutil.get_terminal_size((80, 24)).columns - 1
    for line in fit_lines(latest, reminder):
        for part in wrapped(line, width):
            say(part)


# --- calmflow parts -----------------------------------------------------------------


def _status(store: Store, part_id: int) -> PartStatus:
    from calmflow.services.care import statuses

    (status,) = [s for s in statuses(store) if s.part.id == part_id]
    return status


def _say_part(store: Store, part_id: int) -> None:
    from calmflow.text.care import part_line

    say(part_line(_status(store, part_id)))


@click.group("parts", invoke_without_command=True)
@json_option()
@click.pass_context
def parts_cmd(ctx: click.Context, as_json: bool) -> None:
    """Your pump parts, the days and sessions since each was fitted, and which are due."""
    if ctx.invoked_subcommand is not None:
        return
    from calmflow.services.care import statuses
    from calmflow.text.care import part_line

    found = statuses(open_store(read_only=True))
    if as_json:
        data(json.dumps([s.as_dict() for s in found], indent=2))
        return
    if not found:
        say(
            "No parts yet. Add the ones you use, e.g. `calmflow parts add duckbill --fitted"
            f" 2026-11-01`; the kinds are {', '.join(PART_KINDS)}."
        )
        return
    for s in found:
        say(part_line(s))
    if any(s.due for s in found):
        say(
            "Worn parts lose suction. After replacing one: `calmflow parts replaced ID`"
            " (or its kind)."
        )


@parts_cmd.command("add")
@click.argument("kind")
@click.option("--label", help="A name to tell two of a kind apart, e.g. 'spare set'.")
@click.option(
    "--fitted", type=Day(), metavar="DATE", help="When it was fitted: 2026-11-01 (default today)."
)
@click.option(
    "--every",
    type=interval_days(),
    metavar="DAYS",
    help="Your own interval in days, in place of the default.",
)
def parts_add(kind: str, label: str | None, fitted: datetime | None, every: int | None) -> None:
    """Keep track of a part: duckbill, valve-membrane, tubing, flange or backflow."""
    from calmflow.store.care import add_part

    try:
        found = part_kind(kind)
    except ValueError as exc:
        raise Failure(str(exc)) from None
    store = open_store()
    part_id = add_part(
        store,
        found.kind,
        label=(label or "").strip() or None,
        fitted_at=fitted,
        every_days=every,
    )
    say(f"Added part {part_id}:")
    _say_part(store, part_id)


def _find_part(store: Store, which: str) -> int:
    """The id of the part `which` names (its id, or its kind when only one is of it)."""
    from calmflow.store.care import parts

    kept = parts(store)
    if which.strip().isdigit():
        part_id = int(which)
        if not any(p.id == part_id for p in kept):
            raise Failure(f"there is no part {part_id}; `calmflow parts` lists them with their ids")
        return part_id
    try:
        kind = part_kind(which)
    except ValueError as exc:
        raise Failure(f"{exc} (or give the part's id from `calmflow parts`)") from None
    matching = [p for p in kept if p.kind == kind.kind]
    if not matching:
        raise Failure(f"no {kind.words} are listed; `calmflow parts add {kind.kind}` adds them")
    if len(matching) > 1:
        ids = ", ".join(str(p.id) for p in matching)
        raise Failure(f"{len(matching)} parts are {kind.words} (ids {ids}): say which by its id")
    return matching[0].id


@parts_cmd.command("replaced")
@click.argument("which", metavar="ID_OR_KIND")
@click.option("--on", "on", type=Day(), metavar="DATE", help="When: 2026-11-01 (default now).")
def parts_replaced(which: str, on: datetime | None) -> None:
    """Mark a part replaced: its days and sessions start again from then."""
    from calmflow.store.care import replace_part
    from calmflow.text.care import day_text

    store = open_store()
    part_id = _find_part(store, which)
    replace_part(store, part_id, on)
    say(f"Marked replaced ({day_text(_status(store, part_id).part.fitted_at)}):")
    _say_part(store, part_id)


@parts_cmd.command("every")
@click.argument("which", metavar="ID", type=PartId())
@click.argument("days", metavar="DAYS|default", type=IntervalOrDefault())
def parts_every(which: int, days: int | None) -> None:
    """Set your own interval for a part in days, or `default` for calmflow's."""
    from calmflow.store.care import set_interval

    store = open_store()
    if not set_interval(store, which, days):
        raise Failure(f"there is no part {which}; `calmflow parts` lists them with their ids")
    _say_part(store, which)


@parts_cmd.command("remove")
@click.argument("which", metavar="ID", type=PartId())
def parts_remove(which: int) -> None:
    """Stop keeping track of a part (and its history)."""
    from calmflow.store.care import remove_part

    if not remove_part(open_store(), which):
        raise Failure(f"there is no part {which}; `calmflow parts` lists them with their ids")
    say(f"Part {which} is no longer tracked.")


COMMANDS = (fit_cmd, parts_cmd)
