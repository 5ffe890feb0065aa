"""`calmflow schedule` and `calmflow next`: when to pump, what was missed, what helps."""

from __future__ import annotations

import json
import os
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import file_to_write, json_option, open_store
from calmflow.cli.output import data, say
from calmflow.cli.types import ClockTime, Night, Span, TimesOfDay
from calmflow.system import wallclock
from calmflow.text.schedule import span_words

if TYPE_CHECKING:
    from calmflow.core.schedule import Schedule, Status
    from calmflow.store.store import Store


def _schedule_dict(schedule: Schedule, set_at: datetime) -> dict[str, Any]:
    return {
        "times": [t.strftime("%H:%M") for t in schedule.times],
        "every_min": round(schedule.every.total_seconds() / 60) if schedule.every else None,
        "night": [t.strftime("%H:%M") for t in schedule.night] if schedule.night else None,
        "grace_min": round(schedule.grace.total_seconds() / 60),
        "set_at": set_at.isoformat(),
        "from": schedule.start.strftime("%H:%M") if schedule.start else None,
        "day_times": [t.strftime("%H:%M") for t in schedule.day_times()],
        "zone": wallclock.zone_name(),
    }


@click.command("schedule")
@click.option(
    "--times", type=TimesOfDay(), help="Fixed times of day: 06:00,09:00,12:00,15:00,18:00,21:00."
)
@click.option("--every", type=Span(), help="Or one session every so long: 3h, 2h30m.")
@click.option("--night", type=Night(), help="With --every: nothing due from-to, e.g. 23:00-05:00.")
@click.option(
    "--from",
    "start",
    type=ClockTime(),
    help="With --every: the time it counts from each day (default: the night's end,"
    " or the whole hour nearest to now).",
)
@click.option("--grace", type=Span(), help="How late still counts as on time (default 45m).")
@click.option(
    "--ics",
    "ics_text",
    metavar="FILE",
    help="Write the schedule as a calendar file (.ics) with reminders, for a phone.",
)
@click.option(
    "--remind",
    type=Span(),
    help="With --ics: remind so long before each session (default: at its time), e.g. 10m.",
)
@json_option()
def schedule_cmd(
    times: tuple[time, ...] | None,
    every: timedelta | None,
    night: tuple[time, time] | None,
    start: time | None,
    grace: timedelta | None,
    ics_text: str | None,
    remind: timedelta | None,
    as_json: bool,
) -> None:
    """Show or set when you pump: fixed times, or an interval with a night gap.

    An interval is counted each day from a whole time of your clock (--from, or
    the night's end): every 3h from 05:00 is 05:00, 08:00, ... every day, across
    changes of the clocks. `calmflow next`, the home screen and the calendar
    file all use these times.
    """
    from calmflow.services.schedule import schedule_from_options, write_calendar
    from calmflow.store.planning import load_schedule, save_schedule
    from calmflow.text.schedule import describe

    ics_path = _writable(ics_text) if ics_text is not None else None
    if remind is not None and ics_path is None:
        raise Failure("--remind goes with --ics FILE")
    if remind is not None and remind > timedelta(hours=12):
        raise Failure("--remind: give at most 12h")
    setting = any(v is not None for v in (times, every, night, start, grace))
    store = open_store(read_only=not setting and ics_path is None)
    kept = load_schedule(store)
    if kept is not None and kept.repaired:
        say(f"calmflow: the schedule as kept was mended: {kept.repaired}.", err=True)
        if not setting and not store.read_only:
            save_schedule(store, kept.schedule, kept.set_at)
    if setting:
        try:
            new = schedule_from_options(
                kept.schedule if kept else None, times, every, night, grace, start
            )
        except ValueError as exc:
            raise Failure(str(exc)) from None
        save_schedule(store, new)
        kept = load_schedule(store)
        _say(f"Schedule set: {describe(new)}.", as_json)
    if kept is None:
        if ics_path is not None:
            raise Failure(
                "no schedule to write yet: set one first, e.g."
                " `calmflow schedule --times 06:00,09:00,12:00,15:00,18:00,21:00 --ics FILE`"
            )
        if as_json:
            data(json.dumps({"schedule": None}))
            return
        say(
            "No schedule yet. Set one with fixed times, e.g.\n"
            "  calmflow schedule --times 06:00,09:00,12:00,15:00,18:00,21:00\n"
            "or an interval with a night gap:\n"
            "  calmflow schedule --every 3h --night 23:00-05:00"
        )
        return
    sched, set_at = kept.schedule, kept.set_at
    if ics_path is not None:
        try:
            count = write_calendar(store, ics_path, sched, remind=remind or timedelta(0))
        except OSError as exc:
            raise Failure(
                f"could not write {ics_path}: {exc.strerror or exc}"
                + ("; the schedule is set, write the calendar again with --ics" if setting else "")
            ) from None
        when = f", {span_words(remind)} before" if remind else ""
        _say(
            f"wrote {ics_path}: {count} session{'s' if count != 1 else ''} a day,"
            f" repeating with no end date, each with a reminder{when}",
            as_json,
        )
    if as_json:
        data(json.dumps({"schedule": _schedule_dict(sched, set_at)}, indent=2))
    elif not setting and ics_path is None:
        say(f"You pump {describe(sched)}.")


def _say(line: str, as_json: bool) -> None:
    """A sentence for the person: on stdout, or on stderr when stdout is JSON."""
    say(line, err=as_json)


def _writable(text: str) -> Path:
    """The calendar's path; refused, before anything is saved, if it cannot be written."""
    if not text.strip():
        raise Failure("--ics: give the path of the calendar file to write, e.g. pumping.ics")
    path = Path(text)
    folder = path.parent
    if path.is_dir():
        raise Failure(
            f"--ics {path}: that is a folder; give a file name, e.g. {path / 'pumping.ics'}"
        )
    if not folder.is_dir():
        raise Failure(
            f"--ics {path}: the folder {folder} does not exist; create it or choose another"
        )
    file_to_write(path, f"--ics {path}")  # a device or a pipe
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise Failure(f"--ics {path}: cannot write there; choose a folder of your own")
    return path


@click.command("next")
@json_option()
@click.option(
    "--notify", is_flag=True, help="Also send a desktop notification, where there is one."
)
def next_cmd(as_json: bool, notify: bool) -> None:
    """When the next session is due, the time since the last one, and anything missed.

    A breastfeed (`calmflow log feed`) keeps its slot as a session does: on time
    within the grace, late after it; nothing is missed and no catch-up is offered.
    """
    from calmflow.services.schedule import current_status
    from calmflow.store.planning import load_schedule
    from calmflow.text.schedule import next_lines

    store = open_store(read_only=True)
    kept = load_schedule(store)
    if kept is not None and kept.repaired:
        say(f"calmflow: the schedule as kept was mended: {kept.repaired}.", err=True)
    found = current_status(store)
    supply = _supply(store)
    if found is None:
        if as_json:
            data(json.dumps({"schedule": None, "supply": supply}, indent=2))
        else:
            say("No schedule yet: `calmflow schedule --help` shows how to set one.")
        return
    result, _ = found
    lines = next_lines(result)
    if as_json:
        data(json.dumps(_status_dict(result, supply), indent=2))
    else:
        for line in lines:
            say(line)
        if supply:
            say("")
            say(supply["message"])
            for item in supply["checklist"]:
                say(f"  - {item}")
            say(supply["see_someone"])
    if notify and lines:
        from calmflow.system.notify import send

        if not send("calmflow", " ".join(lines[:2])):
            say("(no desktop notifications here; the text above is all there is)", err=True)


def _supply(store: Store) -> dict[str, Any] | None:
    from dataclasses import asdict

    from calmflow.services.schedule import current_supply_flag

    flag = current_supply_flag(store)
    return asdict(flag) if flag else None


def _status_dict(result: Status, supply: dict[str, Any] | None) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return wallclock.local(moment).isoformat() if moment else None

    return {
        "now": iso(result.now),
        "next_due": iso(result.next_due),
        "overdue": result.overdue,
        "last_session": iso(result.last_session),
        "since_last_s": result.since_last.total_seconds() if result.since_last else None,
        "missed_last_24h": [iso(m) for m in result.missed],
        "slots": [
            {
                "due": iso(s.due),
                "state": s.state,
                "kept_by": iso(s.kept_by),
                "kept_by_kind": s.kept_by_kind,
            }
            for s in result.slots
        ],
        "suggest_catch_up": result.suggest_catch_up,
        "suggest_power_pumping_on": result.suggest_power_pumping_on.isoformat()
        if result.suggest_power_pumping_on
        else None,
        "supply": supply,
        "last_feed": iso(result.last_feed),
    }


COMMANDS = (schedule_cmd, next_cmd)
