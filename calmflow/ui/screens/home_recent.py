"""The home screen's last entries: sessions and breastfeeds, newest first.

A breastfeed is listed among them (it is a milk removal: it kept a slot of the
schedule) but told apart from the sessions: 'breastfeed' where a session has its
routine, its side and length where a session has its let-downs, in italics.
"""

from __future__ import annotations

from datetime import datetime

from rich.table import Table

from calmflow.core.feeds import FEED_WORD, FeedRecord
from calmflow.core.records import SessionRecord
from calmflow.text.numbers import clock_text
from calmflow.text.sessions import (
    STATUS_WORDS,
    feed_text,
    letdowns_text,
    volume_text,
    when_text,
)
from calmflow.ui.safe import escape


def recent_table(
    records: list[SessionRecord],
    feeds: list[FeedRecord],
    now: datetime,
    *,
    count: int,
    name_width: int,
) -> Table | None:
    """The `count` latest sessions and feeds as a table, newest first (a routine's
    name cut at `name_width`); None when there is neither."""
    both: list[SessionRecord | FeedRecord] = [*records, *feeds]
    entries = sorted(both, key=lambda e: e.started_at)[-count:]
    if not entries:
        return None
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="dim")
    table.add_column("Last sessions", no_wrap=True)
    table.add_column("routine", no_wrap=True, overflow="ellipsis", max_width=name_width)
    table.add_column("let-downs", no_wrap=True)
    table.add_column("first at", justify="right", no_wrap=True)
    table.add_column("volume", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, style="dim")
    for entry in reversed(entries):
        if isinstance(entry, FeedRecord):
            about = feed_text(entry).removeprefix(FEED_WORD).removeprefix(", ")
            table.add_row(
                when_text(entry.started_at, now), FEED_WORD, about, "", "", "", style="italic"
            )
            continue
        first = entry.first_letdown_s
        table.add_row(
            when_text(entry.started_at, now),
            escape(entry.routine),
            letdowns_text(entry),
            clock_text(first) if first is not None else "",
            volume_text(entry),
            STATUS_WORDS.get(entry.status, ""),
        )
    return table
