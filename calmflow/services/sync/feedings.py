"""Breastfeeds read from a person's own Baby Buddy (`calmflow sync babybuddy`):
the child's feedings at the breast become feeds in calmflow's log, each once.

Written from Baby Buddy's source (github:babybuddy/babybuddy at fa8bf4cd):
core/models.py `Feeding` has a start and an end (24 hours at most), a `type`
(breast milk, formula, ...) and a `method`: "bottle", "left breast", "right
breast", "both breasts", "parent fed" or "self fed". api/serializers.py
`FeedingSerializer` shows id, child, start, end, duration, type, method, amount,
notes and tags; api/filters.py `FeedingFilter` takes child, start_min (an
IsoDateTimeFilter, start >= it) and the other bounds, type and method; api/
views.py orders them by "-end"; lists come a page at a time
(LimitOffsetPagination).

Only a feeding at the breast removes milk: its side is the method's. A bottle
(of pumped milk or formula), "parent fed" and "self fed" are not removals and
are not added. Each feeding is linked by its id there (store.synced), so it is
added once however often the sync runs; its feed's uuid is made from that id
and the address too, so one imported from another calmflow's export is found
and linked, not doubled. Feeds are never sent to Baby Buddy: the sync sends
sessions, and a feed is none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from calmflow.core.feeds import FeedRecord
from calmflow.services.sync.babybuddy import instant, pages
from calmflow.services.sync.client import Api
from calmflow.store import synced
from calmflow.store.store import Store

FEEDINGS = "/api/feedings/"
SIDE_OF_METHOD = {"left breast": "left", "right breast": "right", "both breasts": "both"}
"""Baby Buddy's methods of a feeding at the breast, and the side each means."""
LOOK_BACK = timedelta(days=7)
"""A run asks for the feedings begun from this long before the last run read them:
a feeding typed into Baby Buddy up to a week after it began is still found."""


@dataclass
class FeedsRead:
    """What reading the child's feedings did."""

    added: list[FeedRecord] = field(default_factory=list)
    already: int = 0
    """Feedings at the breast added before (or whose feed the log had)."""
    not_removals: int = 0
    """Bottle, parent-fed and self-fed feedings: no milk removal, not added."""
    unreadable: int = 0
    """Feedings whose times calmflow could not take (none that Baby Buddy keeps)."""


def feed_uuid(where: str, feeding_id: int) -> str:
    """The feed's uuid for the feeding `feeding_id` of the Baby Buddy at `where`:
    the same in every calmflow, so a feed exported and imported elsewhere is the
    same feed there."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{where}{FEEDINGS}{feeding_id}/"))


def feed_of(where: str, item: dict[str, Any]) -> tuple[int, FeedRecord] | None:
    """A feeding as Baby Buddy shows it, as a feed (with its id there); None for one
    that is no feeding at the breast. ValueError (or KeyError, TypeError) for one
    whose id or times cannot be read."""
    side = SIDE_OF_METHOD.get(item.get("method", ""))
    if side is None:
        return None
    feeding_id = int(item["id"])
    feed = FeedRecord(
        uuid=feed_uuid(where, feeding_id),
        started_at=datetime.fromisoformat(item["start"]),
        ended_at=datetime.fromisoformat(item["end"]),
        side=side,
        source="babybuddy",
    )
    return feeding_id, feed


def read_feeds(api: Api, store: Store, where: str, child_id: int, now: datetime) -> FeedsRead:
    """Add the child's feedings at the breast begun since the last run read them (less
    LOOK_BACK; all of them the first time) that are not in the log yet. Raises what
    the API raises (Answered, Unreachable): nothing is added then."""
    since = synced.feedings_read_at(store, where, child_id)
    query: dict[str, Any] = {"child": child_id}
    if since is not None:
        query["start_min"] = instant(since - LOOK_BACK)
    linked = synced.linked_feedings(store, where)
    done = FeedsRead()
    new: dict[int, FeedRecord] = {}
    for item in pages(api, FEEDINGS, query):
        try:
            if not isinstance(item, dict):
                raise TypeError(item)
            found = feed_of(where, item)
        except (KeyError, TypeError, ValueError, ValidationError):
            done.unreadable += 1
            continue
        if found is None:
            done.not_removals += 1
            continue
        feeding_id, feed = found
        if feeding_id in linked:
            done.already += 1
        elif feeding_id not in new:  # a page may repeat one when feedings come meanwhile
            new[feeding_id] = feed
    done.added = synced.remember_feedings(store, where, child_id, new.items(), read_at=now)
    done.already += len(new) - len(done.added)
    return done
