"""The home screen's `b`: fed at the breast just now, logged as a breastfeed; and
`u`, which takes exactly that feed back for FEED_UNDO_S (a stray `b` would keep a
slot of the schedule that was in fact missed, and hide the catch-up).
"""

from __future__ import annotations

from dataclasses import dataclass

from calmflow.store.store import Store
from calmflow.ui.widgets.key_bar import BarKey

FEED_UNDO_S = 30.0
"""How long `u` takes back a breastfeed logged with `b`."""
FEED_KEY = BarKey("b", "Fed at the breast", "Fed", 2)
UNDO_FEED_KEY = BarKey("u", "Undo feed", "Undo", 0)
"""On the key bar, after `b`, while the feed just logged can be taken back."""


@dataclass(frozen=True)
class LoggedFeed:
    """The breastfeed `b` logged last: its row, and when by the app's clock."""

    feed_id: int
    at_s: float

    def can_undo(self, now_s: float) -> bool:
        return now_s - self.at_s <= FEED_UNDO_S


def log_feed_now(store: Store, now_s: float) -> tuple[LoggedFeed, str]:
    """Log a breastfeed at the store's now; what it is, and the notice that says so
    (StoreError if the log cannot be written)."""
    from calmflow.core.feeds import new_feed
    from calmflow.services.schedule import note_missed
    from calmflow.store.feeds import add_feed
    from calmflow.text.schedule import clock_time

    feed = new_feed(now=store.now())
    feed_id = add_feed(store, feed)
    note_missed(store)
    said = (
        f"Breastfeed logged at {clock_time(feed.started_at)}: it keeps this slot of your"
        f" schedule. u undoes it ({FEED_UNDO_S:.0f} s)."
    )
    return LoggedFeed(feed_id, now_s), said


def take_back(store: Store, logged: LoggedFeed) -> str:
    """Delete exactly the feed `logged`; the notice that says so (StoreError if the
    log cannot be written)."""
    from calmflow.store.feeds import delete_feed

    if delete_feed(store, logged.feed_id):
        return "Breastfeed taken back."
    return "That breastfeed was already deleted."
