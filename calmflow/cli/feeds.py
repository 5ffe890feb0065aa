"""Breastfeeds on the command line: `calmflow log feed`, and how `calmflow log`
lists a feed (`f3`, beside the sessions' numbers) and `log delete f3` names one.

A feed is a milk removal: it keeps its schedule slot as a session does, and is
never a pumping session (core/feeds.py).
"""

from __future__ import annotations

import contextlib
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import open_store
from calmflow.cli.output import say
from calmflow.cli.types import When, _Parsed
from calmflow.core.values import FEED_SIDES
from calmflow.store.db import StoreError
from calmflow.system import wallclock

if TYPE_CHECKING:
    from calmflow.core.feeds import FeedRecord

    _Type = click.ParamType[Any, Any]
else:
    _Type = click.ParamType  # generic only in newer click

FEED_MARK = "f"
"""A feed's number in `calmflow log` begins with it (f3), apart from the sessions'."""
Entry = tuple[Literal["session", "feed"], int]


def feed_number(feed: FeedRecord) -> str:
    """'f3': how `calmflow log` numbers the feed."""
    return f"{FEED_MARK}{feed.id}"


def feed_line(feed: FeedRecord) -> str:
    """A feed's line in `calmflow log`: its number, when it began, what it was."""
    from calmflow.text.sessions import feed_text

    local = wallclock.local(feed.started_at).strftime("%Y-%m-%d %H:%M")
    return f"{feed_number(feed):>4}  {local}  {feed_text(feed)}"


def feed_dict(feed: FeedRecord) -> dict[str, Any]:
    """A feed as `log --feeds --json` shows it: its row id, then the model's fields."""
    return {"id": feed.id, **feed.model_dump(mode="json")}


class EntryId(_Type):
    """A session's number in `calmflow log` (12), or a feed's (f3)."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        text = str(value).strip().lower()
        kind: Literal["session", "feed"] = "session"
        if text.startswith(FEED_MARK):
            kind, text = "feed", text[len(FEED_MARK) :]
        if not text.isdigit() or int(text) < 1:
            raise Failure(
                f"{str(value)!r} is no number in `calmflow log`: give a session's (12)"
                f" or a feed's ({FEED_MARK}3)"
            )
        return kind, int(text)


class FeedSide(_Parsed):
    """The breast a feed was at: left, right or both."""

    name = "|".join(FEED_SIDES)

    def parse(self, text: str, option: str) -> str:
        side = text.strip().lower()
        if side not in FEED_SIDES:
            raise ValueError(f"{option} {text!r}: give left, right or both")
        return side


class FeedMinutes(_Parsed):
    """How long a feed lasted, in minutes: more than 0, up to MAX_MINUTES."""

    name = "minutes"

    def parse(self, text: str, option: str) -> float:
        try:
            minutes = float(text)
        except ValueError:
            minutes = math.nan
        if not 0 < minutes <= MAX_MINUTES:  # nan, inf and the rest
            raise ValueError(
                f"{option} {text!r}: give how many minutes it lasted, up to {MAX_MINUTES}"
            )
        return minutes


MAX_MINUTES = 600
"""As for a session logged by hand (`log add --minutes`)."""


@click.command("feed")
@click.option(
    "--at",
    "at",
    type=When(),
    metavar="WHEN",
    help="When it began: 2026-11-23 14:05 (local time), or 14:05 for the last one. "
    "Default: now, or, with --minutes, it has just ended.",
)
@click.option("--minutes", type=FeedMinutes(), metavar="M", help="How long it lasted.")
@click.option("--side", type=FeedSide(), metavar="left|right|both", help="The breast (or both).")
def log_feed(at: datetime | None, minutes: float | None, side: str | None) -> None:
    """Log a breastfeed: it keeps its schedule slot as a pumping session does (no
    missed session, no catch-up), but it is not a session: the review, the CSV
    exports and the sync to Baby Buddy leave it out. `calmflow log` lists it as
    fN; `calmflow log delete fN` deletes it."""
    from calmflow.core.feeds import new_feed
    from calmflow.services.schedule import note_missed
    from calmflow.store.feeds import add_feed
    from calmflow.text.sessions import feed_text

    store = open_store()
    try:
        feed = new_feed(now=store.now(), at=at, minutes=minutes, side=side)
    except ValueError as exc:
        raise Failure(str(exc)) from None
    feed_id = add_feed(store, feed)
    with contextlib.suppress(StoreError):  # a note only: the feed is saved
        note_missed(store)
    local = wallclock.local(feed.started_at).strftime("%Y-%m-%d %H:%M")
    say(
        f"Logged a {feed_text(feed)} at {local} ({FEED_MARK}{feed_id}): it keeps its"
        " schedule slot; it is not a pumping session."
    )
