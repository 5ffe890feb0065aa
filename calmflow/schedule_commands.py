"""`calmflow schedule` and `calmflow next`: when to pump, what was missed, what helps.

Registered on the main command group by calmflow.cli; heavy imports stay inside
the commands, so `calmflow --help` stays quick.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from calmflow import localtime
from calmflow.core.schedule import GRACE, Schedule, Status

if TYPE_CHECKING:
    from calmflow.core.supply import SupplyFlag

POWER_ROUTINE = "power-pumping"
CATCH_UP_ROUTINE = "catch-up"
ICS_DAYS = 14
"""Days of an interval schedule written to a calendar file (fixed times repeat daily)."""


def parse_times(text: str) -> tuple[time, ...]:
    try:
        return tuple(sorted(time.fromisoformat(p.strip()) for p in text.split(",") if p.strip()))
    except ValueError:
        raise ValueError(f"--times {text!r}: give times of day like 06:00,09:00,12:00") from None


def parse_span(text: str, option: str) -> timedelta:
    """3h, 2h30m, 150m, 45m."""
    match = re.fullmatch(r"\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*", text)
    if not match or not any(match.groups()):
        raise ValueError(f"{option} {text!r}: give a length like 3h, 2h30m or 45m")
    return timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))


def parse_night(text: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(f"--night {text!r}: give it as from-to, like 23:00-05:00") from None
    if start == end:
        raise ValueError("--night: it must not start and end at the same time")
    return start, end


def describe(schedule: Schedule) -> str:
    if schedule.times:
        when = "at " + ", ".join(t.strftime("%H:%M") for t in schedule.times)
    else:
        assert schedule.every is not None
        when = f"every {_span_words(schedule.every)}"
        if schedule.night:
            when += (
                f", nothing due from {schedule.night[0].strftime('%H:%M')}"
                f" to {schedule.night[1].strftime('%H:%M')}"
            )
    return f"{when}; a session up to {_span_words(schedule.grace)} late is on time"


def _span_words(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _schedule_dict(schedule: Schedule, set_at: datetime) -> dict[str, Any]:
    return {
        "times": [t.strftime("%H:%M") for t in schedule.times],
        "every_min": round(schedule.every.total_seconds() / 60) if schedule.every else None,
        "night": [t.strftime("%H:%M") for t in schedule.night] if schedule.night else None,
        "grace_min": round(schedule.grace.total_seconds() / 60),
        "set_at": set_at.isoformat(),
    }


@click.command("schedule")
@click.option("--times", help="Fixed times of day: 06:00,09:00,12:00,15:00,18:00,21:00.")
@click.option("--every", help="Or one session every so long: 3h, 2h30m.")
@click.option("--night", help="With --every: nothing due from-to, e.g. 23:00-05:00.")
@click.option("--grace", help="How late still counts as on time (default 45m).")
@click.option(
    "--ics",
    "ics_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schedule as a calendar file (.ics) with reminders, for a phone.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def schedule_cmd(
    times: str | None,
    every: str | None,
    night: str | None,
    grace: str | None,
    ics_path: Path | None,
    as_json: bool,
) -> None:
    """Show or set when you pump: fixed times, or an interval with a night gap."""
    from calmflow.cli import _open_store, fail
    from calmflow.store.planning import load_schedule, save_schedule

    store = _open_store()
    kept = load_schedule(store)
    if times or every or night or grace:
        try:
            new = schedule_from_options(kept[0] if kept else None, times, every, night, grace)
        except ValueError as exc:
            fail(str(exc))
        save_schedule(store, new)
        kept = load_schedule(store)
        click.echo(f"Schedule set: {describe(new)}.")
    if kept is None:
        if as_json:
            click.echo(json.dumps({"schedule": None}))
            return
        click.echo(
            "No schedule yet. Set one with fixed times, e.g.\n"
            "  calmflow schedule --times 06:00,09:00,12:00,15:00,18:00,21:00\n"
            "or an interval with a night gap:\n"
            "  calmflow schedule --every 3h --night 23:00-05:00"
        )
        return
    sched, set_at = kept
    if ics_path is not None:
        from calmflow.calendar_file import write_ics

        last = store.sessions(since=store.now() - timedelta(days=2))
        last_start = last[-1].started_at if last else None
        count = write_ics(ics_path, sched, store.now(), localtime.zone(), last_start, days=ICS_DAYS)
        click.echo(f"wrote {ics_path} ({count} sessions with reminders)")
    if as_json:
        click.echo(json.dumps({"schedule": _schedule_dict(sched, set_at)}, indent=2))
    elif not (times or every or night or grace) and ics_path is None:
        click.echo(f"You pump {describe(sched)}.")


def schedule_from_options(
    base: Schedule | None,
    times: str | None,
    every: str | None,
    night: str | None,
    grace: str | None,
) -> Schedule:
    """The schedule the options ask for, keeping what they leave out from `base`;
    raise ValueError with the option at fault."""
    if times and every:
        raise ValueError("give --times or --every, not both")
    interval = every is not None or (times is None and base is not None and base.every is not None)
    if night and not interval:
        raise ValueError("--night goes with --every (fixed times need no night gap)")
    if times:
        kind: dict[str, Any] = {"times": parse_times(times)}
    elif every:
        kind = {"every": parse_span(every, "--every")}
        kind["night"] = base.night if base and base.every else None
    elif base is not None:
        kind = {"times": base.times} if base.times else {"every": base.every, "night": base.night}
    else:
        raise ValueError("say when you pump: --times 06:00,09:00,... or --every 3h")
    if night:
        kind["night"] = parse_night(night)
    kind["grace"] = parse_span(grace, "--grace") if grace else (base.grace if base else GRACE)
    return Schedule(**kind)


def current_status(store: Any) -> tuple[Status, Any] | None:
    """Where things stand now, with the missed slots recorded; None without a schedule."""
    from calmflow.core.schedule import status
    from calmflow.store.planning import load_schedule, note_missed

    kept = load_schedule(store)
    if kept is None:
        return None
    sched, set_at = kept
    now = store.now()
    records = store.sessions(since=now - timedelta(days=3))
    result = status(
        sched,
        [r.started_at for r in records if r.status != "running"],
        now,
        localtime.zone(),
        since=set_at,
        power_pumping=[r.started_at for r in records if r.routine == POWER_ROUTINE],
    )
    note_missed(store, result.missed)
    return result, sched


def _clock(moment: datetime) -> str:
    return moment.astimezone(localtime.zone()).strftime("%H:%M")


def next_lines(result: Status) -> list[str]:
    """What `calmflow next` says, in a tired person's words."""
    lines = []
    if result.next_due is not None:
        wait = result.next_due - result.now
        if wait <= timedelta(0):
            lines.append(f"A session is due now (it was due at {_clock(result.next_due)}).")
        else:
            lines.append(f"Next session due at {_clock(result.next_due)}, in {_span_words(wait)}.")
    if result.last_session is not None and result.since_last is not None:
        lines.append(
            f"The last one began {_span_words(result.since_last)} ago, at"
            f" {_clock(result.last_session)}."
        )
    if result.missed:
        missed = ", ".join(_clock(m) for m in result.missed)
        lines.append(f"Missed in the last 24 hours: {missed}.")
    if result.suggest_catch_up:
        lines.append(
            "Pump as soon as you can: even 10 to 15 minutes helps."
            f" `calmflow play {CATCH_UP_ROUTINE}` is a short session for that."
        )
    if result.suggest_power_pumping_on is not None:
        lines.append(
            f"Two or more sessions were missed in a day: one power-pumping session on"
            f" {result.suggest_power_pumping_on.strftime('%A')} can help"
            f" (`calmflow play {POWER_ROUTINE}`), once that day, in place of a usual one."
        )
    return lines


@click.command("next")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--notify", is_flag=True, help="Also send a desktop notification, where there is one."
)
def next_cmd(as_json: bool, notify: bool) -> None:
    """When the next session is due, the time since the last one, and anything missed."""
    from calmflow.cli import _open_store

    store = _open_store()
    found = current_status(store)
    supply = _supply(store)
    if found is None:
        if as_json:
            click.echo(json.dumps({"schedule": None, "supply": supply}, indent=2))
        else:
            click.echo("No schedule yet: `calmflow schedule --help` shows how to set one.")
        return
    result, _ = found
    lines = next_lines(result)
    if as_json:
        click.echo(json.dumps(_status_dict(result, supply), indent=2))
    else:
        for line in lines:
            click.echo(line)
        if supply:
            click.echo("")
            click.echo(supply["message"])
            for item in supply["checklist"]:
                click.echo(f"  - {item}")
            click.echo(supply["see_someone"])
    if notify and lines:
        from calmflow.notify import send

        if not send("calmflow", " ".join(lines[:2])):
            click.echo("(no desktop notifications here; the text above is all there is)", err=True)


def current_supply_flag(store: Any) -> SupplyFlag | None:
    """The gentle supply flag from the last weeks' logged volumes, if it is raised."""
    from calmflow.core.supply import daily_totals, supply_flag

    now = store.now()
    records = store.sessions(since=now - timedelta(days=20))
    volumes = [(r.started_at, r.volume_total_ml) for r in records if r.volume_total_ml is not None]
    zone = localtime.zone()
    return supply_flag(daily_totals(volumes, zone), now.astimezone(zone).date())


def _supply(store: Any) -> dict[str, Any] | None:
    from dataclasses import asdict

    flag = current_supply_flag(store)
    return asdict(flag) if flag else None


def _status_dict(result: Status, supply: dict[str, Any] | None) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "now": iso(result.now),
        "next_due": iso(result.next_due),
        "overdue": result.overdue,
        "last_session": iso(result.last_session),
        "since_last_s": result.since_last.total_seconds() if result.since_last else None,
        "missed_last_24h": [iso(m) for m in result.missed],
        "slots": [
            {"due": iso(s.due), "state": s.state, "kept_by": iso(s.kept_by)} for s in result.slots
        ],
        "suggest_catch_up": result.suggest_catch_up,
        "suggest_power_pumping_on": result.suggest_power_pumping_on.isoformat()
        if result.suggest_power_pumping_on
        else None,
        "supply": supply,
    }
