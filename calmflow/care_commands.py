"""`calmflow fit` and `calmflow parts`: flange sizes to try, and pump parts that are due.

Registered on the main command group by calmflow.cli. The line at the end of a
session (`care_summary_line`) is built here too, so cli.py only calls it.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

import click

from calmflow import localtime
from calmflow.core.care import (
    FIT_CHECKLIST,
    FIT_NOTE,
    PART_KINDS,
    SIDES,
    FitReminder,
    Measurement,
    PartStatus,
    care_line,
    check_interval_days,
    check_nipple_mm,
    part_kind,
    size_ranges,
)


def parse_day(text: str, option: str, now: datetime) -> datetime:
    """The start (local midnight) of the day `text` names: 2026-11-01, today or
    yesterday; ValueError naming `option` if it cannot be read or is still to come."""
    tz = localtime.zone()
    today = now.astimezone(tz).date()
    word = text.strip().lower()
    try:
        if word == "today":
            day = today
        elif word == "yesterday":
            day = today - timedelta(days=1)
        else:
            day = date.fromisoformat(word)
    except ValueError:
        raise ValueError(
            f"{option} {text!r}: give a date such as 2026-11-01, or today or yesterday"
        ) from None
    if day > today:
        raise ValueError(f"{option} {text}: that day is still to come")
    return datetime.combine(day, time(0), tz)


def _day(moment: datetime) -> str:
    return moment.astimezone(localtime.zone()).strftime("%Y-%m-%d")


# --- calmflow fit -----------------------------------------------------------------


def _side_dict(m: Measurement | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "mm": m.mm,
        "measured_at": m.measured_at.isoformat(),
        "ranges": [r.as_dict() for r in size_ranges(m.mm)],
    }


def fit_lines(latest: dict[str, Measurement], reminder: FitReminder) -> list[str]:
    """What `calmflow fit` says."""
    lines: list[str] = []
    if not latest:
        lines.append(
            "No measurement yet. Measure across the base of the nipple (not the areola), in mm,"
            " on each side, then e.g. `calmflow fit --left 18 --right 19` (or `--both 18`)."
        )
    else:
        lines.append("Flange sizes to try, from your measurements:")
        for side in SIDES:
            m = latest.get(side)
            if m is None:
                lines.append(f"{side.capitalize()}: not measured yet (`calmflow fit --{side} MM`).")
                continue
            lines.append(f"{side.capitalize()}, {m.mm:g} mm (measured {_day(m.measured_at)}):")
            lines.extend(f"  {r.text()}" for r in size_ranges(m.mm))
        if len(latest) == 2 and latest["left"].mm != latest["right"].mm:
            lines.append(
                "The two sides measure differently: each side may suit its own flange size."
            )
    lines.append("")
    lines.append("A fit that works usually feels like this:")
    lines.extend(f"  - {item}" for item in FIT_CHECKLIST)
    lines.append(FIT_NOTE)
    if reminder.due:
        lines.append("")
        lines.extend(reminder.lines())
    return lines


def _mm(value: float, option: str) -> float:
    from calmflow.cli import fail

    try:
        return check_nipple_mm(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")


@click.command("fit")
@click.option("--left", type=float, metavar="MM", help="Record the left nipple base, in mm.")
@click.option("--right", type=float, metavar="MM", help="Record the right nipple base, in mm.")
@click.option("--both", type=float, metavar="MM", help="Record the same for both sides.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def fit_cmd(left: float | None, right: float | None, both: float | None, as_json: bool) -> None:
    """Flange sizes to try from your nipple measurement, by both sizing rules, and
    the fit checklist; --left/--right/--both record a new measurement (mm)."""
    from calmflow.cli import _open_store, fail
    from calmflow.store.care import add_measurement, fit_state

    if both is not None and (left is not None or right is not None):
        fail("give --both, or --left and --right, not both")
    given = {"left": left, "right": right} if both is None else {"left": both, "right": both}
    checked = {side: _mm(mm, f"--{side}") for side, mm in given.items() if mm is not None}
    store = _open_store()
    for side, mm in checked.items():
        add_measurement(store, side, mm)  # type: ignore[arg-type]
    latest, reminder = fit_state(store)
    if as_json:
        out = {
            "sides": {side: _side_dict(latest.get(side)) for side in SIDES},
            "checklist": list(FIT_CHECKLIST),
            "note": FIT_NOTE,
            "remeasure": reminder.as_dict(),
        }
        click.echo(json.dumps(out, indent=2))
        return
    if checked:
        said = ", ".join(f"{side} {mm:g} mm" for side, mm in checked.items())
        click.echo(f"Recorded: {said}.")
        click.echo("")
    for line in fit_lines(latest, reminder):
        click.echo(line)


# --- calmflow parts -----------------------------------------------------------------


def _statuses(store: Any) -> list[PartStatus]:
    from calmflow.store.care import part_statuses

    return part_statuses(store, localtime.zone())


def part_line(s: PartStatus) -> str:
    """One part as `calmflow parts` lists it."""
    why = {
        "yours": " (your interval)",
        "heavy use": " (you pump 3 or more times a day)",
        "default": "",
    }[s.interval_from]
    also = PART_KINDS[s.part.kind].also if s.part.kind in PART_KINDS else ""
    line = f"{s.part.id:>3}  {s.text()}{why}"
    if also:
        line += f"; {also}"
    return line + "."


@click.group("parts", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def parts_cmd(ctx: click.Context, as_json: bool) -> None:
    """Your pump parts, the days and sessions since each was fitted, and which are due."""
    if ctx.invoked_subcommand is not None:
        return
    from calmflow.cli import _open_store

    statuses = _statuses(_open_store())
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in statuses], indent=2))
        return
    if not statuses:
        click.echo(
            "No parts yet. Add the ones you use, e.g. `calmflow parts add duckbill --fitted"
            f" 2026-11-01`; the kinds are {', '.join(PART_KINDS)}."
        )
        return
    for s in statuses:
        click.echo(part_line(s))
    if any(s.due for s in statuses):
        click.echo(
            "Worn parts lose suction. After replacing one: `calmflow parts replaced ID`"
            " (or its kind)."
        )


def _interval(every: int | None) -> int | None:
    from calmflow.cli import fail

    if every is None:
        return None
    try:
        return check_interval_days(every)
    except ValueError as exc:
        fail(f"--every: {exc}")


@parts_cmd.command("add")
@click.argument("kind")
@click.option("--label", help="A name to tell two of a kind apart, e.g. 'spare set'.")
@click.option("--fitted", metavar="DATE", help="When it was fitted: 2026-11-01 (default today).")
@click.option(
    "--every", type=int, metavar="DAYS", help="Your own interval in days, in place of the default."
)
def parts_add(kind: str, label: str | None, fitted: str | None, every: int | None) -> None:
    """Keep track of a part: duckbill, valve-membrane, tubing, flange or backflow."""
    from calmflow.cli import _open_store, fail
    from calmflow.store.care import add_part

    try:
        found = part_kind(kind)
    except ValueError as exc:
        fail(str(exc))
    interval = _interval(every)
    store = _open_store()
    try:
        fitted_at = parse_day(fitted, "--fitted", store.now()) if fitted else None
    except ValueError as exc:
        fail(str(exc))
    part_id = add_part(
        store,
        found.kind,
        label=(label or "").strip() or None,
        fitted_at=fitted_at,
        every_days=interval,
    )
    (status,) = [s for s in _statuses(store) if s.part.id == part_id]
    click.echo(f"Added part {part_id}:")
    click.echo(part_line(status))


def _part_id(text: str) -> int:
    from calmflow.cli import fail

    if not text.strip().isdigit():
        fail(f"{text!r}: give the part's id, a number from `calmflow parts`")
    return int(text)


def _find_part(store: Any, which: str) -> int:
    """The id of the part `which` names (its id, or its kind when only one is of it)."""
    from calmflow.cli import fail
    from calmflow.store.care import parts

    kept = parts(store)
    if which.strip().isdigit():
        part_id = int(which)
        if not any(p.id == part_id for p in kept):
            fail(f"there is no part {part_id}; `calmflow parts` lists them with their ids")
        return part_id
    try:
        kind = part_kind(which)
    except ValueError as exc:
        fail(f"{exc} (or give the part's id from `calmflow parts`)")
    matching = [p for p in kept if p.kind == kind.kind]
    if not matching:
        fail(f"no {kind.words} are listed; `calmflow parts add {kind.kind}` adds them")
    if len(matching) > 1:
        ids = ", ".join(str(p.id) for p in matching)
        fail(f"{len(matching)} parts are {kind.words} (ids {ids}): say which by its id")
    return matching[0].id


@parts_cmd.command("replaced")
@click.argument("which", metavar="ID_OR_KIND")
@click.option("--on", "on", metavar="DATE", help="When: 2026-11-01 (default now).")
def parts_replaced(which: str, on: str | None) -> None:
    """Mark a part replaced: its days and sessions start again from then."""
    from calmflow.cli import _open_store, fail
    from calmflow.store.care import replace_part

    store = _open_store()
    part_id = _find_part(store, which)
    try:
        at = parse_day(on, "--on", store.now()) if on else None
    except ValueError as exc:
        fail(str(exc))
    replace_part(store, part_id, at)
    (status,) = [s for s in _statuses(store) if s.part.id == part_id]
    click.echo(f"Marked replaced ({_day(status.part.fitted_at)}):")
    click.echo(part_line(status))


@parts_cmd.command("every")
@click.argument("which", metavar="ID")
@click.argument("days", metavar="DAYS|default")
def parts_every(which: str, days: str) -> None:
    """Set your own interval for a part in days, or `default` for calmflow's."""
    from calmflow.cli import _open_store, fail
    from calmflow.store.care import set_interval

    if days.strip().lower() == "default":
        interval = None
    else:
        try:
            interval = _interval(int(days))
        except ValueError:
            fail(f"{days!r}: give a number of days, or default")
    part_id = _part_id(which)
    store = _open_store()
    if not set_interval(store, part_id, interval):
        fail(f"there is no part {part_id}; `calmflow parts` lists them with their ids")
    (status,) = [s for s in _statuses(store) if s.part.id == part_id]
    click.echo(part_line(status))


@parts_cmd.command("remove")
@click.argument("which", metavar="ID")
def parts_remove(which: str) -> None:
    """Stop keeping track of a part (and its history)."""
    from calmflow.cli import _open_store, fail
    from calmflow.store.care import remove_part

    part_id = _part_id(which)
    if not remove_part(_open_store(), part_id):
        fail(f"there is no part {part_id}; `calmflow parts` lists them with their ids")
    click.echo(f"Part {part_id} is no longer tracked.")


# --- the end of a session ------------------------------------------------------------


def care_summary_line(store: Any) -> str | None:
    """The one gentle pump-care line after a session, or None: parts due, and a
    flange-fit check when comfort has fallen."""
    from calmflow.store.care import fit_state

    due = [s for s in _statuses(store) if s.due]
    _, reminder = fit_state(store)
    return care_line(due, reminder.comfort)
