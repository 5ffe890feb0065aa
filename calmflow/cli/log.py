"""`calmflow log`: the sessions kept, and `log add` for one pumped without calmflow."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from calmflow.cli.errors import Failure
from calmflow.cli.feeds import FEED_MARK, Entry, EntryId, feed_dict, feed_line, log_feed
from calmflow.cli.options import json_option, open_store
from calmflow.cli.output import data, say
from calmflow.cli.types import When
from calmflow.store.db import StoreError
from calmflow.system import wallclock
from calmflow.text.numbers import clock_text, skips_text
from calmflow.text.safe import shown

if TYPE_CHECKING:
    from calmflow.core.feeds import FeedRecord
    from calmflow.core.records import SessionRecord
    from calmflow.store.store import Store

LEFT_OUT_NOTE = "left out of the review"


@click.group(invoke_without_command=True)
@json_option()
@click.option(
    "--feeds",
    "feeds_only",
    is_flag=True,
    help="List the breastfeeds only (with --json, as a list of feeds; without --feeds"
    " the JSON lists sessions only).",
)
@click.pass_context
def log(ctx: click.Context, as_json: bool, feeds_only: bool) -> None:
    """List past sessions and breastfeeds (fN); `calmflow log add` logs a session
    pumped without calmflow, `calmflow log feed` a breastfeed, `calmflow log
    delete ID` deletes one."""
    if ctx.invoked_subcommand is not None:
        return
    from calmflow.store.feeds import feeds

    store = open_store(read_only=True)
    fed = feeds(store)
    if feeds_only:
        _list_feeds(fed, as_json)
        return
    records = store.sessions()
    damaged = store.damaged_sessions()
    if as_json:
        data(json.dumps([_record_dict(r) for r in records], indent=2, default=_iso))
        for d in damaged:  # not in the list: none of its fields can be trusted
            say(
                f"session {d.id} is damaged, left out: {d.damage}; {_DELETE.format(d.id)}", err=True
            )
        return
    if not records and not damaged and not fed:
        say("No sessions yet. `calmflow play standard` starts one.")
        return
    _list(records, fed)
    for d in damaged:  # last: there is no time to put it in order by
        say(f"{d.id:>4}  damaged: {d.damage}")
        say(f"      left out of everything (uuid {d.uuid}); {_DELETE.format(d.id)}")


_DELETE = "`calmflow log delete {}` deletes it"


def _list_feeds(fed: list[FeedRecord], as_json: bool) -> None:
    """`log --feeds`: a line per breastfeed, oldest first, or a JSON list of them."""
    if as_json:
        data(json.dumps([feed_dict(f) for f in fed], indent=2))
        return
    if not fed:
        say("No breastfeeds yet. `calmflow log feed` logs one.")
    for f in fed:
        say(feed_line(f))


def _list(records: list[SessionRecord], fed: list[FeedRecord]) -> None:
    """A line per session and per breastfeed (fN), oldest first."""
    from calmflow.text.sessions import letdowns_text, volume_text

    feeds_left = list(fed)
    for r in records:
        while feeds_left and feeds_left[0].started_at < r.started_at:
            say(feed_line(feeds_left.pop(0)))
        local = wallclock.local(r.started_at).strftime("%Y-%m-%d %H:%M")
        first = clock_text(r.first_letdown_s)
        volume = volume_text(r)
        line = (
            f"{r.id:>4}  {local}  {r.routine:<14} {clock_text(r.played_s):>6}  "
            f"{letdowns_text(r)}, first {first:>5}  {r.status:<14} {volume}"
        )
        say("  ".join([line.rstrip(), *_review_notes(r), *_sound_notes(r)]))
    for f in feeds_left:
        say(feed_line(f))


def _review_notes(r: SessionRecord) -> list[str]:
    """A session the review and the schedule leave out (one ended in its first
    minute, unless kept) says so: it is still in the log."""
    return [] if r.counts_in_review else [LEFT_OUT_NOTE]


def _sound_notes(r: SessionRecord) -> list[str]:
    """What went wrong with the sound in a session, as the player said it."""
    notes = []
    if r.audio_problem:
        notes.append("no sound for part or all of it")
    if r.underruns:
        notes.append(skips_text(r.underruns))
    return notes


def _record_dict(r: SessionRecord) -> dict[str, Any]:
    """A session as `log --json` shows it: its row id, then the model's fields
    (times in ISO 8601 with their offset; its events are in `export`)."""
    return {"id": r.id, **r.model_dump(exclude={"events"})}


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


@log.command("delete")
@click.argument("entry", metavar="ID", type=EntryId())
@click.option("--yes", is_flag=True, help="Delete without being asked.")
def log_delete(entry: Entry, yes: bool) -> None:
    """Delete session ID (its number in `calmflow log`), with its let-downs and
    events; a damaged one too; or the breastfeed fN. Asked once first, unless --yes."""
    from calmflow.store.feeds import delete_feed

    kind, number = entry
    store = open_store()
    what = _described(store, number) if kind == "session" else _feed_described(store, number)
    if not yes:
        if not sys.stdin.isatty():
            raise Failure(f"to delete {what} without being asked, add --yes")
        if not click.confirm(shown(f"Delete {what}? This cannot be undone"), default=False):
            say("Nothing was deleted.")
            return
    deleted = store.delete_session(number) if kind == "session" else delete_feed(store, number)
    if not deleted:
        gone = f"session {number}" if kind == "session" else f"breastfeed {FEED_MARK}{number}"
        raise Failure(f"there is no {gone}: `calmflow log` lists them by number")
    say(f"Deleted {what}.")


def _feed_described(store: Store, feed_id: int) -> str:
    """Feed `feed_id` in words, to say what is deleted; Failure if there is none."""
    from calmflow.store.feeds import feed
    from calmflow.text.sessions import feed_text

    try:
        f = feed(store, feed_id)
    except KeyError:
        raise Failure(
            f"there is no breastfeed {FEED_MARK}{feed_id}: `calmflow log` lists them as"
            f" {FEED_MARK}1, {FEED_MARK}2, ..."
        ) from None
    local = wallclock.local(f.started_at).strftime("%Y-%m-%d %H:%M")
    return f"{FEED_MARK}{f.id} ({feed_text(f)}, {local})"


def _described(store: Store, session_id: int) -> str:
    """Session `session_id` in words, to say what is deleted; Failure if there is none."""
    for d in store.damaged_sessions():
        if d.id == session_id:
            return f"damaged session {d.id} (uuid {d.uuid})"
    try:
        r = store.session(session_id)
    except KeyError:
        raise Failure(
            f"there is no session {session_id}: `calmflow log` lists them by number"
        ) from None
    local = wallclock.local(r.started_at).strftime("%Y-%m-%d %H:%M")
    return f"session {r.id} ({r.routine}, {local})"


@log.command("add")
@click.option(
    "--at",
    "at",
    type=When(),
    metavar="WHEN",
    help="When it started: 2026-11-23 14:05 (local time), or 14:05 for the last one. "
    "Default: it has just ended.",
)
@click.option(
    "--minutes", type=click.FloatRange(min=0, min_open=True, max=600), help="How long it lasted."
)
@click.option("--left", type=click.FloatRange(min=0), help="Volume from the left side.")
@click.option("--right", type=click.FloatRange(min=0), help="Volume from the right side.")
@click.option("--total", type=click.FloatRange(min=0), help="Total volume (default: left + right).")
@click.option(
    "--unit",
    type=click.Choice(["ml", "oz"]),
    default=None,
    help="The unit of the volumes (default: the one you used last, else ml).",
)
@click.option(
    "--letdowns",
    type=click.IntRange(min=0, max=99),
    help="How many let-downs you felt (a count only: there are no times for them).",
)
@click.option("--notes", default="", help="Anything to remember about it.")
def log_add(
    at: datetime | None,
    minutes: float | None,
    left: float | None,
    right: float | None,
    total: float | None,
    unit: str | None,
    letdowns: int | None,
    notes: str,
) -> None:
    """Log a session pumped without calmflow (routine "manual" in the log)."""
    from calmflow.services.exchange.manual import manual_session
    from calmflow.services.schedule import note_missed

    store = open_store()
    now = store.now()
    unit = unit or store.last_volume_unit() or "ml"
    try:
        session = manual_session(
            now=now,
            at=at,
            minutes=minutes,
            left=left,
            right=right,
            total=total,
            unit=unit,
            letdowns=letdowns,
            notes=notes,
        )
    except ValueError as exc:
        raise Failure(str(exc)) from None
    store.add_sessions([session])
    with contextlib.suppress(StoreError):  # a note only: the session is saved
        note_missed(store)
    said = [wallclock.local(session.started_at).strftime("%Y-%m-%d %H:%M")]
    if minutes:
        said.append(f"{minutes:g} min")
    if session.volume_total_ml is not None:
        said.append(f"{total if total is not None else (left or 0.0) + (right or 0.0):g} {unit}")
    if letdowns is not None:
        said.append(f"{letdowns} let-down{'s' if letdowns != 1 else ''}")
    say(f"Logged a session pumped without calmflow: {', '.join(said)}.")
    from calmflow.text.milk_label import label_lines

    for line in label_lines(session):  # what to write on the milk's container
        say(line)


log.add_command(log_feed)

COMMANDS = (log,)
