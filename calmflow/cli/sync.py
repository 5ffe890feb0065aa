"""`calmflow sync babybuddy`: sessions sent to the person's own Baby Buddy.

The only command that sends anything off the machine, and only when the person
runs it. What each step does is services/sync/babybuddy.py; here: the key, the
unit, the words, and one line for whatever stops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import json_option, open_store
from calmflow.cli.output import data, say

if TYPE_CHECKING:
    from collections.abc import Callable

    from calmflow.core.feeds import FeedRecord
    from calmflow.core.records import SessionRecord, Unit
    from calmflow.services.sync.babybuddy import Outcome, Plan
    from calmflow.services.sync.client import Address, Answered, Api
    from calmflow.services.sync.feedings import FeedsRead
    from calmflow.store.store import Store

TOKEN_VARIABLE = "CALMFLOW_BABYBUDDY_TOKEN"
PROGRESS_FROM = 20
"""Sessions to send from which a progress bar is shown (on a terminal)."""


@click.group()
def sync() -> None:
    """Send your sessions to a server of yours (only when you run it)."""


@sync.command("babybuddy")
@click.argument("url")
@click.option(
    "--child",
    "child_id",
    type=click.IntRange(min=1),
    metavar="ID",
    help="The child's id in Baby Buddy (--list-children shows them).",
)
@click.option(
    "--unit",
    type=click.Choice(["ml", "oz"]),
    help="The unit this Baby Buddy's amounts are in (it keeps none); remembered for URL. "
    "First time: the unit most of your sessions were logged in.",
)
@click.option(
    "--delete",
    is_flag=True,
    help="Also delete from Baby Buddy the entries of sessions you deleted in calmflow.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@click.option(
    "--insecure",
    is_flag=True,
    help="Allow plain http to a host other than this machine (the key and sessions cross "
    "the network unencrypted).",
)
@click.option("--list-children", is_flag=True, help="List the children the API key can see.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1, max=600),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="The longest to wait for any answer.",
)
@json_option("Print the summary (or the children) as JSON.")
def babybuddy(
    url: str,
    child_id: int | None,
    unit: str | None,
    delete: bool,
    dry_run: bool,
    insecure: bool,
    list_children: bool,
    timeout_s: float,
    as_json: bool,
) -> None:
    """Send your pumping sessions to your Baby Buddy at URL, for the child --child ID.

    Each session becomes one pumping entry: its start and end (with your offset),
    the amount in the unit you set for this Baby Buddy (--unit), and notes with
    the volume of each side, the routine, the let-downs and how soon the first
    came, tagged calmflow. Sessions are remembered: the next run sends only new
    ones and updates those you changed (a volume fixed afterwards). An entry
    already in Baby Buddy at a session's time is linked to it, not doubled.
    Sessions Baby Buddy cannot take (no volume, still running, over 24 hours)
    are skipped, saying why. A session you delete in calmflow stays in Baby
    Buddy unless you give --delete.

    Then the child's feedings at the breast (left, right or both breasts) are
    read and added as breastfeeds, each once: they keep their schedule slots and
    are never sent back. Bottle feedings are no milk removal and are not added.

    The API key (your Baby Buddy user's Settings page) is taken from
    CALMFLOW_BABYBUDDY_TOKEN, or asked for once and kept in calmflow's folder,
    readable by you only. If anything stops a run, run it again: it finishes
    what was left, without sending anything twice.
    """
    from calmflow.services.sync.client import address

    try:
        where = address(url, insecure=insecure)
    except ValueError as exc:
        raise Failure(str(exc)) from None
    if list_children:
        _list_children(where, timeout_s, as_json)
        return
    if child_id is None:
        raise Failure(
            "give --child ID, the child's id in Baby Buddy (--list-children shows the ids)"
        )
    _sync(where, child_id, cast("Unit | None", unit), delete, dry_run, timeout_s, as_json)


def _sync(
    where: Address,
    child_id: int,
    unit: Unit | None,
    delete: bool,
    dry_run: bool,
    timeout_s: float,
    as_json: bool,
) -> None:
    from calmflow.services.exchange.babybuddy import most_used_unit
    from calmflow.services.sync.babybuddy import NoChild, Sync, check_child, plan_sync
    from calmflow.services.sync.client import Answered, Unreachable
    from calmflow.store import synced
    from calmflow.system import wallclock

    store = open_store(read_only=dry_run)
    sessions = store.sessions()
    before = synced.unit_of(store, where.key)
    chosen = cast("Unit", unit or before or most_used_unit(s for s in sessions if s.volume_unit))
    note = None  # said once the run is done (a run that fails says one line)
    if before is None:
        how = "as --unit said" if unit else "the unit most of your sessions were logged in"
        note = f"amounts are in {chosen} ({how}); later runs keep to it"
    elif unit and unit != before:
        note = (
            f"amounts are now in {unit} (were {before}): entries calmflow sent are"
            " updated; entries made in Baby Buddy itself are not"
        )
    plan = plan_sync(
        sessions, synced.links(store, where.key, child_id), unit=chosen, now=wallclock.now()
    )
    if dry_run:
        _tell_plan(plan, delete, where, child_id, chosen, as_json)
        if note:
            said = note.replace("are updated", "would be updated")
            say(said.replace("later runs keep", "a run would keep"), err=True)
        return
    with _api(where, timeout_s) as (api, refused_key):
        try:
            check_child(api, child_id)
        except NoChild:
            raise Failure(
                f"{where.key} has no child with id {child_id} that this key can see;"
                " --list-children shows them"
            ) from None
        except Answered as exc:
            raise Failure(refused_key(exc)) from None
        except Unreachable as exc:
            raise Failure(f"{exc}; nothing was sent") from None
        if before != chosen:
            synced.remember_unit(store, where.key, chosen)
        run = Sync(api, store, where.key, child_id)
        total = len(plan.new) + len(plan.changed) + (len(plan.gone) if delete else 0)
        try:
            with _progress(total) as step:
                run.progress = step
                outcome = run.run(plan, delete=delete)
        except (Unreachable, Answered) as exc:
            why = refused_key(exc) if isinstance(exc, Answered) else str(exc)
            raise Failure(f"{why}; {_so_far(run.outcome)}") from None
        fed = _read_feeds(api, store, where, child_id, refused_key)
    if note:
        say(note, err=True)
    _tell(outcome, plan, delete, where, child_id, as_json, fed)


def _read_feeds(
    api: Api, store: Store, where: Address, child_id: int, refused: Callable[[Answered], str]
) -> FeedsRead | str:
    """The child's feedings at the breast, added as breastfeeds; or, when Baby Buddy
    does not give them, the one line that says why (the sessions are sent all the same)."""
    from calmflow.services.sync.client import Answered, Unreachable
    from calmflow.services.sync.feedings import read_feeds
    from calmflow.system import wallclock

    try:
        return read_feeds(api, store, where.key, child_id, wallclock.now())
    except (Answered, Unreachable) as exc:
        why = refused(exc) if isinstance(exc, Answered) else str(exc)
        return f"could not read the child's feedings ({why}); run it again to read them"


@contextlib.contextmanager
def _api(where: Address, timeout_s: float) -> Iterator[tuple[Api, Callable[[Answered], str]]]:
    """The API with the person's key, and what to say when an answer refuses it
    (a kept key that is refused is forgotten, so the next run asks again)."""
    from calmflow.services.sync import keys
    from calmflow.services.sync.client import Api

    key, source = _key(where)
    api = Api(where, key, timeout_s=timeout_s)

    def refused_key(exc: Answered) -> str:
        if exc.status == 401 or (exc.status == 403 and _about_key(exc.detail)):
            if source == "kept":
                with contextlib.suppress(OSError):
                    keys.forget_key(where.key)
                then = "the kept key is forgotten: run it again to type the right one"
            elif source == "environment":
                then = f"check {TOKEN_VARIABLE}"
            else:
                then = "run it again to type it again"
            return (
                f"{where.key} refused the API key (HTTP {exc.status}: {exc.detail}); {then}"
                " (the key is on your Baby Buddy user's Settings page)"
            )
        if exc.status == 403:
            return f"{where.key}: the key's user may not do this (HTTP 403 to {exc.method} {exc.path}: {exc.detail})"
        if exc.status == 404 and exc.path.startswith("/api/children"):
            return f"{where.key} has no Baby Buddy API at {where.prefix}/api/ (HTTP 404); check the address"
        if exc.status >= 500:
            return f"{where.key} failed with a server error ({exc})"
        return f"{where.key} answered {exc}"

    try:
        yield api, refused_key
    finally:
        api.close()
    if source == "typed":  # accepted (the block got through): kept for next time
        try:
            keys.keep_key(where.key, key)
            say(f"the API key is kept in {keys.keys_path()} (readable by you only)", err=True)
        except OSError as exc:
            say(
                f"the API key could not be kept ({exc.strerror or exc}): next time it is asked again",
                err=True,
            )


def _about_key(detail: str) -> bool:
    lowered = detail.lower()
    return "token" in lowered or "credentials" in lowered or "authenticat" in lowered


def _key(where: Address) -> tuple[str, str]:
    """The API key and where it came from: the environment, kept, or typed now."""
    from calmflow.services.sync import keys

    given = os.environ.get(TOKEN_VARIABLE, "").strip()
    if given:
        if not _key_like(given):
            raise Failure(
                f"{TOKEN_VARIABLE} is not an API key: copy it from your Baby Buddy user's Settings page"
            )
        return given, "environment"
    kept = keys.kept_key(where.key)
    if kept and _key_like(kept):
        return kept, "kept"
    try:
        typed = click.prompt(
            f"API key for {where.key} (on your Baby Buddy user's Settings page)",
            hide_input=True,
            err=True,
        )
    except click.Abort:
        raise Failure(
            f"no API key: set {TOKEN_VARIABLE}, or run it on a terminal to type the key once"
        ) from None
    typed = str(typed).strip()
    if not _key_like(typed):
        raise Failure("that is not an API key: copy it from your Baby Buddy user's Settings page")
    return typed, "typed"


def _key_like(text: str) -> bool:
    """Whether `text` can be an API key (and an HTTP header's value): printable
    ASCII without spaces. Baby Buddy's are 40 hexadecimal digits."""
    return bool(text) and text.isascii() and text.isprintable() and " " not in text


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A step per session done: a bar on stderr when it is a terminal and there are many."""
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        yield lambda: None
        return
    with click.progressbar(length=total, label="sending", file=sys.stderr) as bar:
        yield lambda: bar.update(1)


def _so_far(outcome: Outcome) -> str:
    done = len(outcome.sent) + len(outcome.updated) + len(outcome.linked) + len(outcome.deleted)
    if not done:
        return "nothing was sent; run it again when that is mended"
    return (
        f"stopped after {_counts(outcome)} (remembered): run it again to finish,"
        " nothing is sent twice"
    )


def _counts(outcome: Outcome) -> str:
    words = [
        f"sent {len(outcome.sent)}",
        f"updated {len(outcome.updated)}",
        f"linked {len(outcome.linked)}",
    ]
    if outcome.deleted:
        words.append(f"deleted {len(outcome.deleted)}")
    return ", ".join(words)


def _tell(
    outcome: Outcome,
    plan: Plan,
    delete: bool,
    where: Address,
    child_id: int,
    as_json: bool,
    fed: FeedsRead | str,
) -> None:
    skipped = _merged(plan.skipped, outcome.skipped)
    for reason, sessions in skipped.items():
        say(f"skipped {_sessions(len(sessions))} {reason}: {_starts(sessions)}", err=True)
    if outcome.linked:
        say(
            f"linked {_sessions(len(outcome.linked))} to entries already in Baby Buddy"
            f" (not sent again): {_starts([s for s, _ in outcome.linked])}",
            err=True,
        )
    if plan.gone and not delete:
        n = len(plan.gone)
        say(
            f"{_sessions(n)} you deleted in calmflow {'is' if n == 1 else 'are'} still in"
            " Baby Buddy; --delete deletes them there",
            err=True,
        )
    count = sum(len(s) for s in skipped.values())
    summary = {
        "sent": len(outcome.sent),
        "updated": len(outcome.updated),
        "linked": len(outcome.linked),
        "skipped": count,
        "deleted": len(outcome.deleted),
        "unchanged": plan.unchanged,
        "url": where.key,
        "child": child_id,
        "dry_run": False,
        **_feeds_summary(fed),
    }
    if isinstance(fed, str):
        say(fed, err=True)
    elif fed.added:
        say(
            f"added {_feeds(len(fed.added))} from the child's feedings at the breast:"
            f" {_starts(fed.added)}",
            err=True,
        )
    if not isinstance(fed, str) and fed.unreadable:
        say(
            f"left out {fed.unreadable} feeding{'s' if fed.unreadable != 1 else ''} whose"
            " times calmflow cannot read (no start and end within 24 hours of each other)",
            err=True,
        )
    if as_json:
        data(json.dumps(summary, indent=2))
        return
    line = f"{_counts(outcome)}, skipped {count}"
    say(f"{line} (child {child_id} at {where.key}; {plan.unchanged} already up to date)")
    if not isinstance(fed, str):
        others = (
            f"; {fed.not_removals} by bottle or fed otherwise left out (no milk removal)"
            if fed.not_removals
            else ""
        )
        say(
            f"breastfeeds from Baby Buddy: added {len(fed.added)}, already here {fed.already}"
            + others
        )


def _feeds_summary(fed: FeedsRead | str | None) -> dict[str, Any]:
    """The summary's fields for the feedings read (None where none were read)."""
    read = fed if fed is not None and not isinstance(fed, str) else None
    return {
        "feeds_added": None if read is None else len(read.added),
        "feeds_already": None if read is None else read.already,
        "feeds_left_out": None if read is None else read.not_removals,
        "feeds_error": fed if isinstance(fed, str) else None,
    }


def _feeds(count: int) -> str:
    return f"{count} breastfeed{'s' if count != 1 else ''}"


def _tell_plan(
    plan: Plan, delete: bool, where: Address, child_id: int, unit: str, as_json: bool
) -> None:
    """--dry-run: what a run would send, from the log alone (no request is made, so
    an entry that would be linked instead is counted as sent)."""
    from calmflow.services.sync.babybuddy import instant

    deleting = plan.gone if delete else []
    if as_json:
        out: dict[str, Any] = {
            "sent": len(plan.new),
            "updated": len(plan.changed),
            "linked": 0,
            "skipped": sum(len(s) for s in plan.skipped.values()),
            "deleted": len(deleting),
            "unchanged": plan.unchanged,
            "url": where.key,
            "child": child_id,
            "dry_run": True,
            **_feeds_summary(None),  # read on a real run only: a dry run asks nothing
            "entries": [{"session": e.session.uuid, **e.body(child_id)} for e in plan.new],
            "changes": [
                {"session": c.entry.session.uuid, "entry": c.link.entry_id, **c.fields}
                for c in plan.changed
            ],
        }
        data(json.dumps(out, indent=2))
        return
    for entry in plan.new:
        say(f"would send {instant(entry.start)} to {instant(entry.end)}: {entry.amount:g} {unit}")
    for change in plan.changed:
        fields = ", ".join(
            f"{k} {v!r}" if k != "notes" else "notes" for k, v in change.fields.items()
        )
        say(f"would update entry {change.link.entry_id} ({instant(change.entry.start)}): {fields}")
    for link in deleting:
        say(f"would delete entry {link.entry_id} ({instant(link.start)})")
    for reason, sessions in plan.skipped.items():
        say(f"would skip {_sessions(len(sessions))} {reason}: {_starts(sessions)}", err=True)
    if plan.gone and not delete:
        say(
            f"{_sessions(len(plan.gone))} you deleted in calmflow would stay in Baby Buddy (--delete)",
            err=True,
        )
    count = sum(len(s) for s in plan.skipped.values())
    say(
        f"dry run: would send {len(plan.new)}, update {len(plan.changed)}, skip {count}"
        + (f", delete {len(deleting)}" if deleting else "")
        + f" (child {child_id} at {where.key}); nothing was sent. Entries already in Baby"
        " Buddy at a session's time would be linked instead of sent; the child's feedings"
        " at the breast are read on a real run."
    )


def _merged(
    *groups: dict[str, list[SessionRecord]],
) -> dict[str, list[SessionRecord]]:
    merged: dict[str, list[SessionRecord]] = {}
    for group in groups:
        for reason, sessions in group.items():
            merged.setdefault(reason, []).extend(sessions)
    return merged


def _sessions(count: int) -> str:
    return f"{count} session{'s' if count != 1 else ''}"


def _starts(sessions: Sequence[SessionRecord | FeedRecord], shown: int = 5) -> str:
    from calmflow.system import wallclock

    starts = [wallclock.local(s.started_at).strftime("%Y-%m-%d %H:%M") for s in sessions[:shown]]
    more = len(sessions) - shown
    return ", ".join(starts) + (f" and {more} more" if more > 0 else "")


def _list_children(where: Address, timeout_s: float, as_json: bool) -> None:
    from calmflow.services.sync.babybuddy import children
    from calmflow.services.sync.client import Answered, Unreachable

    with _api(where, timeout_s) as (api, refused_key):
        try:
            found = children(api)
        except Answered as exc:
            raise Failure(refused_key(exc)) from None
        except Unreachable as exc:
            raise Failure(str(exc)) from None
    if as_json:
        data(json.dumps(found, indent=2))
        return
    if not found:
        say(f"{where.key} shows this key no children")
        return
    for child in found:
        name = " ".join(str(child.get(k) or "") for k in ("first_name", "last_name")).strip()
        born = child.get("birth_date") or ""
        say(
            f"{child.get('id')}  {name}  born {born}",
        )


COMMANDS = (sync,)
