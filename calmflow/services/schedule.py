"""The schedule, as both faces use it: where things stand now, the missed slots,
the supply flag, setting a schedule and writing it as a calendar.

Reading never writes: `current_status` works out the missed slots from the
sessions each time; `note_missed` keeps them in the log, and only commands that
change the log call it (a session starting, one logged by hand).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmflow.core.schedule import (
    GRACE,
    POWER_ROUTINE,
    Schedule,
    Status,
    parse_night,
    parse_span,
    parse_times,
    status,
)
from calmflow.store.planning import load_schedule, record_missed
from calmflow.system import wallclock

if TYPE_CHECKING:
    from calmflow.core.supply import SupplyFlag
    from calmflow.store.store import Store

CALENDAR_DAYS = 14
"""Days of an interval schedule written to a calendar file (fixed times repeat daily)."""


def current_status(store: Store) -> tuple[Status, Schedule] | None:
    """Where things stand now (slots kept and missed, what is due, what to suggest),
    and the schedule; None without a schedule. Nothing is written."""
    kept = load_schedule(store)
    if kept is None:
        return None
    sched, set_at = kept
    now = store.now()
    records = store.started_since(now - timedelta(days=3))
    result = status(
        sched,
        [r.started_at for r in records if r.status != "running"],
        now,
        wallclock.zone(),
        since=set_at,
        power_pumping=[r.started_at for r in records if r.routine == POWER_ROUTINE],
    )
    return result, sched


def note_missed(store: Store) -> None:
    """Keep the slots missed so far in the log, each once. Called by what changes
    the log (a session starting, one logged by hand), never by what only reads it."""
    found = current_status(store)
    if found is not None:
        record_missed(store, found[0].missed)


def current_supply_flag(store: Store) -> SupplyFlag | None:
    """The gentle supply flag from the last weeks' logged volumes, if it is raised."""
    from calmflow.core.supply import daily_totals, supply_flag

    now = store.now()
    records = store.started_since(now - timedelta(days=20))
    volumes = [(r.started_at, r.volume_total_ml) for r in records if r.volume_total_ml is not None]
    zone = wallclock.zone()
    return supply_flag(daily_totals(volumes, zone), now.astimezone(zone).date())


def schedule_from_options(
    base: Schedule | None,
    times: tuple[time, ...] | None = None,
    every: timedelta | None = None,
    night: tuple[time, time] | None = None,
    grace: timedelta | None = None,
) -> Schedule:
    """The schedule asked for, keeping what is not given from `base`; ValueError
    saying what is wrong, with the option at fault."""
    if times is not None and every is not None:
        raise ValueError("give --times or --every, not both")
    interval = every is not None or (times is None and base is not None and base.every is not None)
    if night and not interval:
        raise ValueError("--night goes with --every (fixed times need no night gap)")
    if times is not None:
        kind: dict[str, Any] = {"times": times}
    elif every is not None:  # a zero length is given, and refused by the schedule
        kind = {"every": every, "night": base.night if base and base.every else None}
    elif base is not None:
        kind = {"times": base.times} if base.times else {"every": base.every, "night": base.night}
    else:
        raise ValueError("say when you pump: --times 06:00,09:00,... or --every 3h")
    if night:
        kind["night"] = night
    kind["grace"] = grace if grace is not None else (base.grace if base else GRACE)
    return Schedule(**kind)


def schedule_from_text(
    base: Schedule | None,
    times: str | None,
    every: str | None,
    night: str | None,
    grace: str | None,
) -> Schedule:
    """`schedule_from_options` from what was typed in the boxes of the schedule
    screen (None or '' for a box left empty), with the same words for mistakes."""
    return schedule_from_options(
        base,
        parse_times(times) if times else None,
        parse_span(every, "--every") if every else None,
        parse_night(night) if night else None,
        parse_span(grace, "--grace") if grace else None,
    )


def write_calendar(store: Store, path: Path, sched: Schedule) -> int:
    """Write `sched` as a calendar file with reminders; how many events it holds."""
    from calmflow.services.calendar import write_ics

    last = store.started_since(store.now() - timedelta(days=2))
    last_start: datetime | None = last[-1].started_at if last else None
    return write_ics(path, sched, store.now(), wallclock.zone(), last_start, days=CALENDAR_DAYS)
