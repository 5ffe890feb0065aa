"""`calmflow export` and `calmflow import`: sessions out of the log and into it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import file_to_write, open_store
from calmflow.cli.output import say, table
from calmflow.cli.types import Since, Zone

if TYPE_CHECKING:
    from calmflow.core.records import SessionRecord, Unit
    from calmflow.store.store import Store


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "babybuddy"]),
    default="json",
    show_default=True,
    help="json keeps everything; csv has a row per session, calmflow's own; babybuddy is "
    "a file Baby Buddy's pumping import takes whole (the sessions not in an earlier one).",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write to FILE, readable by you only (0600), instead of printing (a plain file: "
    "not a folder, a device or a pipe).",
)
@click.option(
    "--child-id",
    type=click.IntRange(min=1),
    help="csv, babybuddy: the child's id in Baby Buddy, for its child_id column "
    "(babybuddy: 1 when not given).",
)
@click.option(
    "--zone",
    type=Zone(),
    metavar="ZONE",
    help="babybuddy: the Timezone setting of the Baby Buddy user who imports the file "
    "(Europe/Berlin, UTC); times are written on its clock. Default: your zone.",
)
@click.option(
    "--unit",
    type=click.Choice(["ml", "oz"]),
    help="babybuddy: the unit of every amount (Baby Buddy keeps none). Default: the one "
    "most of the sessions were logged in.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="babybuddy: the sessions of earlier Baby Buddy files too, for a Baby Buddy "
    "that does not have them.",
)
@click.option(
    "--since",
    type=Since(),
    metavar="WHEN",
    help="babybuddy: only sessions started from WHEN (2026-11-01, 2026-11-01 14:00, "
    "today; on your clock).",
)
def export(
    fmt: str,
    out: Path | None,
    child_id: int | None,
    zone: tzinfo | None,
    unit: str | None,
    everything: bool,
    since: datetime | None,
) -> None:
    """Write your sessions out, to keep, to move, or for Baby Buddy.

    json (the default) keeps every session, its let-downs and events, and every
    breastfeed, as its own kind; `calmflow import` of it gives the same log. csv
    and babybuddy are pumping files: they leave breastfeeds out and say how many
    on stderr. csv, calmflow's own, has a row per session:
    start, end (local time), amount (in the unit you logged it in: see the unit
    column), notes, child_id; then routine, status, let-downs, first_letdown_s,
    volumes in ml, unit, how it felt, the experiment, output and uuid.

    babybuddy has Baby Buddy's pumping columns only (child_id, start, end, amount,
    notes) and only rows its import takes, so it never refuses the file: sessions
    with no volume, still running, longer than 24 hours, overlapping another, or
    at a time the zone's clock showed twice are left out, each said on stderr
    with why. Times are on the clock of --zone,
    which must be the importing Baby Buddy user's Timezone (their Settings page);
    amounts are all in one unit. The sessions written are remembered: the next
    babybuddy file holds only sessions no earlier one held, and imports cleanly
    after it.
    """
    from calmflow.services.exchange.csv_file import to_csv
    from calmflow.services.exchange.json_file import to_json

    if out is not None:
        file_to_write(out, f"-o {out}")
    if child_id is not None and fmt == "json":
        raise Failure("--child-id is for --format csv and babybuddy")
    if fmt != "babybuddy":
        given = {"--zone": zone, "--unit": unit, "--all": everything or None, "--since": since}
        for option, value in given.items():
            if value is not None:
                raise Failure(f"{option} is for --format babybuddy")
    if fmt == "babybuddy":
        _babybuddy(out, child_id, zone, cast("Unit | None", unit), everything, since)
        return
    from calmflow.store.feeds import feeds

    store = open_store(read_only=True)
    sessions = store.dump_sessions()
    if fmt == "json":
        fed = feeds(store)
        _write(out, to_json(sessions, fed), len(sessions), len(fed))
        return
    _write(out, to_csv(sessions, child_id=child_id), len(sessions))
    _feeds_left_out(store)


def _feeds_left_out(store: Store) -> None:
    """A CSV file is of pumping sessions: the breastfeeds it leaves out, said on stderr."""
    from calmflow.store.feeds import count_feeds

    left_out = count_feeds(store)
    if left_out == 1:
        say("left out 1 breastfeed: it is no pumping session (--format json keeps it)", err=True)
    elif left_out:
        say(
            f"left out {left_out} breastfeeds: they are no pumping sessions"
            " (--format json keeps them)",
            err=True,
        )


def _write(out: Path | None, text: str, count: int, feeds: int = 0) -> None:
    """Print the file, or write it to `out` (0600) and say so (with `feeds`
    breastfeeds, in a JSON file)."""
    from calmflow.system.private_files import write_private

    if out is None:
        table(text)
        return
    if not out.parent.is_dir():
        raise Failure(f"{out.parent} does not exist; create the folder or choose another path")
    try:
        write_private(out, text)
    except OSError as exc:
        raise Failure(f"could not write {out}: {exc.strerror or exc}") from None
    fed = f" and {feeds} breastfeed{'s' if feeds != 1 else ''}" if feeds else ""
    say(f"exported {_sessions(count)}{fed} to {out} (readable by you only)")


def _sessions(count: int) -> str:
    return f"{count} session{'s' if count != 1 else ''}"


def _babybuddy(
    out: Path | None,
    child_id: int | None,
    zone: tzinfo | None,
    unit: Unit | None,
    everything: bool,
    since: datetime | None,
) -> None:
    """`export --format babybuddy`: the file, then what the person must know on
    stderr, then the sessions written remembered for the next file."""
    from calmflow.services.exchange.babybuddy import TARGET, babybuddy_file
    from calmflow.store.db import StoreError
    from calmflow.store.exports import exported, last_exported, remember_exported
    from calmflow.system import wallclock

    tz = zone or _own_zone()
    store = open_store(read_only=True)
    before = exported(store, TARGET)
    made = babybuddy_file(
        store.sessions(),
        tz=tz,
        now=wallclock.now(),
        child_id=child_id or 1,
        unit=unit,
        since=since,
        earlier=() if everything else before,
        again=before if everything else (),
    )
    _write(out, made.text, len(made.rows))
    _feeds_left_out(store)

    def tell(line: str) -> None:
        say(line, err=True)

    if made.rows:
        if child_id is None:
            tell(
                "child_id is 1 in every row, Baby Buddy's first child; give --child-id N for another"
            )
        tell(_zone_line(made.zone, made.rows[0].start))
        how = "as --unit said" if unit else "the unit most of these sessions were logged in"
        tell(
            f"amounts are in {made.unit} ({how}); Baby Buddy keeps no unit, so keep to the"
            " one its other pumping entries are in (--unit ml|oz)"
        )
    if made.earlier:
        latest = last_exported(store, TARGET)
        on = f" (last on {_local(latest)})" if latest else ""
        were = "session was" if len(made.earlier) == 1 else "sessions were"
        tell(
            f"{len(made.earlier)} {were} in an earlier Baby Buddy file{on};"
            " --all puts them in again"
        )
    if made.again:
        n = len(made.again)
        tell(
            f"{_sessions(n)} of this file {'was' if n == 1 else 'were'} in an earlier Baby"
            f" Buddy file (--all): Baby Buddy refuses the whole file if"
            f" {'it is' if n == 1 else 'they are'} there already"
        )
    for reason, sessions in made.left_out.items():
        tell(f"left out {_sessions(len(sessions))} {reason}: {_starts(sessions)}")
    if not made.rows:
        tell("nothing new to export")
        return
    if store.read_only:
        tell(_NOT_REMEMBERED.format(why="the log's folder is read-only"))
        return
    try:
        remember_exported(store, TARGET, [row.session.uuid for row in made.rows])
    except StoreError as exc:
        tell(_NOT_REMEMBERED.format(why=exc))


_NOT_REMEMBERED = (
    "calmflow could not remember which sessions this file holds ({why}): the next Baby"
    " Buddy file holds them again, unless --since leaves them out"
)


def _own_zone() -> tzinfo:
    """The person's zone, by a name Baby Buddy knows; a zone without one stops the
    command, asking for --zone."""
    from calmflow.system import wallclock

    own = wallclock.zone()
    try:
        return wallclock.named(wallclock.zone_name(own))
    except ValueError:
        raise Failure(
            f"your time zone has no name Baby Buddy knows ({wallclock.zone_name(own)}):"
            " give --zone, the Timezone of the Baby Buddy user who imports the file"
            " (on their Settings page), such as Europe/Berlin or UTC"
        ) from None


def _zone_line(zone: str, first: datetime) -> str:
    from calmflow.system import wallclock

    # --since reads a time in an hour the clocks repeat as the first of the two:
    # never later than the file's first session.
    since = wallclock.local(first).strftime("%Y-%m-%d %H:%M")
    any_utc = (
        ""
        if zone == "UTC"
        else " (--zone UTC works with any Baby Buddy user whose Timezone is UTC)"
    )
    return (
        f"times are on the {zone} clock: the Baby Buddy user who imports the file must have"
        f" Timezone {zone} (in Baby Buddy: the user's Settings page), else export again"
        f" with --zone THAT_ZONE --all --since '{since}'{any_utc}"
    )


def _local(moment: datetime) -> str:
    """A moment on the person's clock, to the minute (with the zone's abbreviation
    in an hour the clocks repeat, where the time alone could be either)."""
    from calmflow.system import wallclock

    local = wallclock.local(moment)
    text = local.strftime("%Y-%m-%d %H:%M")
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += local.strftime(" %Z")
    return text


def _starts(sessions: Sequence[SessionRecord], shown: int = 10) -> str:
    """When the sessions started, on the person's clock (the first few)."""
    starts = [_local(s.started_at) for s in sessions[:shown]]
    more = len(sessions) - shown
    return ", ".join(starts) + (f" and {more} more" if more > 0 else "")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_(file: Path) -> None:
    """Add the sessions in FILE, a `calmflow export` (JSON, or CSV), and a JSON
    export's breastfeeds.

    Sessions and feeds are matched by their uuid: those already in your log are left
    as they are, so importing a file twice adds nothing twice. A file with anything wrong
    in it is refused whole, naming the place (JSON path, or CSV line and column):
    a time outside 2000-2100, a session that ends before it starts, a number no
    session has, a key given twice. FILE must be a plain file (not a device, a
    pipe or a folder) of at most 64 MB. A CSV cannot carry each let-down's time,
    phase and cues, nor the session's events: a session imported from one keeps
    only how many let-downs it had.
    """
    from calmflow.services.exchange.reading import ImportProblem, feeds_read, open_export
    from calmflow.store.feeds import add_export

    try:
        with open_export(file) as sessions:
            (added, already), (fed, fed_already) = add_export(
                open_store(), sessions, lambda: feeds_read(sessions)
            )
    except FileNotFoundError:
        raise Failure(f"{file}: no such file") from None
    except ImportProblem as exc:
        raise Failure(f"{file}: {exc}; nothing was imported") from None
    except OSError as exc:
        raise Failure(
            f"{file}: cannot be read ({exc.strerror or exc}); nothing was imported"
        ) from None
    said = f"added {added}, already there {already}"
    if fed or fed_already:  # only a file that holds breastfeeds says so
        said += f"; breastfeeds added {fed}, already there {fed_already}"
    say(said)


COMMANDS = (export, import_)
