"""The schedule, as both faces use it: where things stand now, the missed slots,
the supply flag, setting a schedule and writing it as a calendar.

Reading never writes: `current_status` works out the missed slots from the
sessions each time; `note_missed` keeps them in the log, and only commands that
change the log call it (a session starting, one logged by hand).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from calmflow.core.schedule import (
    GRACE,
    MAX_GRACE,
    POWER_ROUTINE,
    Removal,
    Schedule,
    Status,
    parse_clock,
    parse_night,
    parse_span,
    parse_times,
    status,
    whole_hour_near,
)
from calmflow.store.planning import load_schedule, record_missed
from calmflow.system import wallclock

if TYPE_CHECKING:
    from calmflow.core.supply import SupplyFlag
    from calmflow.store.store import Store

T = TypeVar("T")

OPTIONS = {
    "times": "--times",
    "every": "--every",
    "night": "--night",
    "grace": "--grace",
    "from": "--from",
    "ask": "say when you pump: --times 06:00,09:00,... or --every 3h",
}
"""What a mistake calls each part of a schedule on the command line."""
BOXES = {
    "times": "Times",
    "every": "Every",
    "night": "Night off",
    "grace": "On time up to",
    "from": "From",
    "ask": "say when you pump: fill in Times (like 06:00, 09:00) or Every (like 3h)",
}
"""The same, on the schedule screen: the boxes' names."""


def milk_removals(store: Store, since: datetime) -> list[Removal]:
    """Every milk removal from `since`, oldest first: the one place that says what
    keeps a schedule's slot, for `calmflow next` (and its JSON), the home screen
    and the missed slots kept. A pumping session counts once it is no longer
    running (ended, or cut off) unless the review leaves it out (ended by the
    person within its first minute: `store.reads.in_review`); every breastfeed
    counts, whether logged in calmflow or read from Baby Buddy. A bottle feed is
    no removal and never reaches the log."""
    from calmflow.store.feeds import feeds_since

    pumped = [
        Removal(r.started_at, "pumping")
        for r in store.started_since(since)
        if r.status != "running"
    ]
    fed = [Removal(at, "breastfeed") for at in feeds_since(store, since)]
    return sorted(pumped + fed)


def current_status(store: Store) -> tuple[Status, Schedule] | None:
    """Where things stand now (slots kept and missed, what is due, what to suggest),
    and the schedule; None without a schedule. Nothing is written."""
    kept = load_schedule(store)
    if kept is None:
        return None
    now = store.now()
    since = now - timedelta(days=3)
    result = status(
        kept.schedule,
        milk_removals(store, since),
        now,
        wallclock.zone(),
        since=kept.set_at,
        power_pumping=[
            r.started_at for r in store.started_since(since) if r.routine == POWER_ROUTINE
        ],
    )
    return result, kept.schedule


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
    start: time | None = None,
    *,
    now: datetime | None = None,
    names: Mapping[str, str] = OPTIONS,
) -> Schedule:
    """The schedule asked for, keeping what is not given from `base`; ValueError
    saying what is wrong, with the option at fault (or the box, with `names=BOXES`).
    An interval counts each day from `start` (--from), else from its night's end,
    else from the one it had, else from the whole hour nearest to `now` on the
    person's clock."""
    n = names
    if times is not None and every is not None:
        raise ValueError(f"give {n['times']} or {n['every']}, not both")
    interval = every is not None or (times is None and base is not None and base.every is not None)
    if (night or start) and not interval:
        option = n["night"] if night else n["from"]
        raise ValueError(f"{option} goes with {n['every']} (fixed times need no night gap)")
    if every is not None and not timedelta(hours=1) <= every <= timedelta(hours=12):
        raise ValueError(f"{n['every']}: give a length from 1h to 12h")
    if grace is not None and grace > MAX_GRACE:
        raise ValueError(f"{n['grace']}: give at most 4h")
    if times is not None:
        kind: dict[str, Any] = {"times": times}
    elif interval:
        old = base if base is not None and base.every is not None else None
        kind = {"every": every or (old.every if old else None)}
        kind["night"] = night or (old.night if old else None)
        if start is None and night:
            start = night[1]
        if start is None and old is not None:
            start = old.start
        if start is None:
            start = kind["night"][1] if kind["night"] else None
        if start is None:
            start = whole_hour_near(now or wallclock.now(), wallclock.zone())
        kind["start"] = start
    elif base is not None:
        kind = {"times": base.times}
    else:
        raise ValueError(n["ask"])
    kind["grace"] = grace if grace is not None else (base.grace if base else GRACE)
    return Schedule(**kind)


def schedule_from_text(
    base: Schedule | None,
    times: str | None,
    every: str | None,
    night: str | None,
    grace: str | None,
    start: str | None = None,
) -> Schedule:
    """`schedule_from_options` from what was typed in the boxes of the schedule
    screen (None or '' for a box left empty); a mistake names the box ("Every:
    give a length like 3h"), not the command line's option."""
    return schedule_from_options(
        base,
        _boxed(parse_times, "times", times),
        _boxed(parse_span, "every", every),
        _boxed(parse_night, "night", night),
        _boxed(parse_span, "grace", grace),
        _boxed(parse_clock, "from", start),
        names=BOXES,
    )


_QUOTED = re.compile(r"""^ (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"): """)
"""What follows the option's name in a parse error: the text typed, as Python quotes it."""


def _boxed(parse: Callable[[str, str], T], box: str, text: str | None) -> T | None:
    """`parse(text)` for a box of the schedule screen (None when left empty), its
    mistake said with the box's name in place of the option and of what was typed
    (the person sees it in the box)."""
    if not text:
        return None
    option = OPTIONS[box]
    try:
        return parse(text, option)
    except ValueError as exc:
        said = str(exc).removeprefix(option)
        said = said.removeprefix(": ") if said.startswith(": ") else _QUOTED.sub("", said, 1)
        raise ValueError(f"{BOXES[box]}: {said}") from None


def write_calendar(store: Store, path: Path, sched: Schedule, *, remind: timedelta) -> int:
    """Write `sched` as a calendar file with reminders `remind` before each session;
    how many series of events (one per time of day) it holds."""
    from calmflow.services.calendar import write_ics

    kept = load_schedule(store)
    since = kept.set_at if kept is not None else store.now()
    return write_ics(path, sched, since, store.now(), wallclock.zone(), remind=remind)
