"""Pumping sessions sent to a person's own Baby Buddy through its REST API, once
each, kept up to date, never doubled (`calmflow sync babybuddy`).

Written from Baby Buddy's source (api/serializers.py, api/views.py, core/
models.py, babybuddy/settings/base.py): `POST /api/pumping/` takes child,
amount, start and end (all four needed), notes and tags, and answers 201 with
the entry and its id; `PATCH /api/pumping/ID/` changes the fields given; PUT is
refused (405); `GET /api/pumping/?child=&start_min=&start_max=&end_min=` lists
a child's entries a page at a time (LimitOffsetPagination: count, next,
previous, results). Instants are sent with their offsets (a time without one
is read as UTC: token authentication comes after Baby Buddy's time-zone
middleware) and come back in UTC. An entry is refused (400) that starts in the
future, ends before it starts, lasts over 24 hours, or intersects another of
the child's entries ("Another entry intersects the specified time period.");
the rules a session must pass first are the file's (services.exchange.
babybuddy.refusal), and so are the entry's times, amount and notes.

What was sent is remembered (store.synced): the next run sends only sessions
not sent yet, PATCHes the fields whose value calmflow would now send otherwise
(a volume fixed afterwards, the unit changed), and with `delete` removes the
entries of sessions deleted from the log. An entry already there (made by hand
in Baby Buddy, or sent by a run cut off before it could remember it) is
linked, not doubled: it is found by its times before anything is sent, and
again when Baby Buddy answers that a new entry would intersect it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calmflow.core.records import SessionRecord, Unit
from calmflow.services.exchange.babybuddy import (
    LONGEST,
    Spans,
    pumping_amount,
    pumping_notes,
    pumping_span,
    refusal,
)
from calmflow.services.sync.client import Answered, Api
from calmflow.store import synced
from calmflow.store.store import Store
from calmflow.store.synced import Link
from calmflow.system import wallclock

PUMPING = "/api/pumping/"
CHILDREN = "/api/children/"
PROFILE = "/api/profile"
TAG = "calmflow"
"""The tag every entry calmflow makes carries."""
PAGE = 1000
"""Entries asked for at a time (LimitOffsetPagination has no upper limit there)."""
BATCH = 100
"""Links written to the log in one transaction (and whatever is done when a run stops)."""
OVERLAP_MESSAGE = "Another entry intersects the specified time period."

OVERLAP_SESSION = "overlapping an earlier session (Baby Buddy keeps one entry at a time)"
OVERLAP_MANY = "overlapping more than one entry already in Baby Buddy"
OVERLAP_LINKED = "overlapping an entry another calmflow session is linked to"


class NoChild(Exception):
    """The child asked for is not one the key can see."""


@dataclass(frozen=True)
class Entry:
    """A session as the pumping entry calmflow sends for it."""

    session: SessionRecord
    start: datetime
    """In UTC, to the second."""
    end: datetime
    amount: float
    """In the instance's unit."""
    notes: str

    def body(self, child_id: int) -> dict[str, Any]:
        return {
            "child": child_id,
            "amount": self.amount,
            "start": instant(self.start),
            "end": instant(self.end),
            "notes": self.notes,
            "tags": [TAG],
        }

    def link(self, entry_id: int) -> Link:
        return Link(self.session.uuid, entry_id, self.amount, self.start, self.end, self.notes)


def instant(moment: datetime) -> str:
    """A moment as sent: on the person's clock with its offset then
    (2025-03-01T23:50:00-05:00), which Baby Buddy reads as that instant whatever
    its user's zone."""
    return wallclock.local(moment).isoformat()


@dataclass(frozen=True)
class Change:
    """An entry sent before whose fields calmflow would now send otherwise."""

    entry: Entry
    link: Link
    fields: dict[str, Any]
    """Only the fields that changed, as PATCH sends them."""


@dataclass
class Plan:
    """What a run has to do, worked out from the log and what was sent before."""

    new: list[Entry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    gone: list[Link] = field(default_factory=list)
    """Entries of sessions no longer in the log."""
    skipped: dict[str, list[SessionRecord]] = field(default_factory=dict)
    """Sessions Baby Buddy cannot take, by why."""
    unchanged: int = 0

    def skip(self, reason: str, session: SessionRecord) -> None:
        self.skipped.setdefault(reason, []).append(session)


def plan_sync(
    sessions: Sequence[SessionRecord], sent: dict[str, Link], *, unit: Unit, now: datetime
) -> Plan:
    """What to send of `sessions` (the log) given the links `sent` before, amounts in `unit`."""
    plan = Plan()
    here = {s.uuid for s in sessions}
    plan.gone = [link for uuid, link in sent.items() if uuid not in here]
    entries: list[Entry] = []
    for session in sessions:
        start, end = pumping_span(session)
        reason = refusal(session, start, end, now)
        if reason is not None:
            plan.skip(reason, session)
            continue
        entries.append(
            Entry(
                session,
                start,
                end,
                pumping_amount(session, unit),
                pumping_notes(session, sides_in=unit),
            )
        )
    taken = Spans()
    for before in sorted(sent.values(), key=lambda link: link.start):
        if before.session_uuid in here:
            taken.add(before.start, before.end)
    new_spans = Spans()
    for entry in sorted(entries, key=lambda e: (e.start, e.session.started_at)):
        link = sent.get(entry.session.uuid)
        if link is not None:
            fields = _changed(entry, link)
            if fields:
                plan.changed.append(Change(entry, link, fields))
            else:
                plan.unchanged += 1
            continue
        if taken.overlaps(entry.start, entry.end) or new_spans.overlaps(entry.start, entry.end):
            plan.skip(OVERLAP_SESSION, entry.session)
            continue
        new_spans.add(entry.start, entry.end)
        plan.new.append(entry)
    return plan


def _changed(entry: Entry, link: Link) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if entry.amount != link.amount:
        fields["amount"] = entry.amount
    if entry.start != link.start:
        fields["start"] = instant(entry.start)
    if entry.end != link.end:
        fields["end"] = instant(entry.end)
    if entry.notes != link.notes:
        fields["notes"] = entry.notes
    return fields


@dataclass
class Outcome:
    """What a run did, so far (a run cut off says what it had done)."""

    sent: list[SessionRecord] = field(default_factory=list)
    updated: list[SessionRecord] = field(default_factory=list)
    linked: list[tuple[SessionRecord, int]] = field(default_factory=list)
    """Sessions found already there, with the entry they were linked to."""
    deleted: list[Link] = field(default_factory=list)
    skipped: dict[str, list[SessionRecord]] = field(default_factory=dict)

    def skip(self, reason: str, session: SessionRecord) -> None:
        self.skipped.setdefault(reason, []).append(session)


@dataclass(frozen=True)
class Existing:
    """An entry Baby Buddy has."""

    id: int
    start: datetime
    end: datetime


def check_child(api: Api, child_id: int) -> dict[str, Any]:
    """The child `child_id` as Baby Buddy shows it; NoChild if the key sees none such."""
    found = api.get(CHILDREN, {"id": child_id, "limit": 1})
    results = found.get("results") if isinstance(found, dict) else None
    if not results:
        raise NoChild(child_id)
    child: dict[str, Any] = results[0]
    return child


def children(api: Api) -> list[dict[str, Any]]:
    """Every child the key can see."""
    return list(pages(api, CHILDREN, {}))


def pages(api: Api, path: str, query: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The items of a list of Baby Buddy's, `query` filtering it, a page at a time."""
    # By offset, not by the `next` link: behind a proxy that link may name
    # another scheme or host than the one the person gave.
    offset = 0
    while True:
        page = api.get(path, {**query, "limit": PAGE, "offset": offset})
        results = page.get("results", []) if isinstance(page, dict) else []
        yield from results
        offset += len(results)
        if not results or offset >= int(page.get("count", 0)):
            return


def _existing(api: Api, child_id: int, query: dict[str, Any]) -> list[Existing]:
    found = []
    for item in pages(api, PUMPING, {"child": child_id, **query}):
        found.append(
            Existing(
                int(item["id"]),
                datetime.fromisoformat(item["start"]),
                datetime.fromisoformat(item["end"]),
            )
        )
    return found


class _Pool:
    """Entries already in Baby Buddy that no session is linked to, to link a new
    one to by its times (sorted by start; an entry lasts 24 hours at most)."""

    def __init__(self, entries: Iterable[Existing], linked: Iterable[int]) -> None:
        taken = set(linked)
        self._all = sorted(entries, key=lambda e: (e.start, e.id))
        self._starts = [e.start for e in self._all]
        self._free = [e.id not in taken for e in self._all]

    def intersecting(self, start: datetime, end: datetime) -> tuple[list[Existing], int]:
        """The free entries intersecting start..end as Baby Buddy checks it (or at
        exactly those times, for an entry of no length), and how many linked ones do."""
        low = bisect_left(self._starts, start - LONGEST)
        high = bisect_right(self._starts, end)
        free: list[Existing] = []
        linked = 0
        for i in range(low, high):
            e = self._all[i]
            if (e.start < end and e.end > start) or (e.start == start and e.end == end):
                if self._free[i]:
                    free.append(e)
                else:
                    linked += 1
        return free, linked

    def take(self, entry_id: int) -> None:
        for i, e in enumerate(self._all):
            if e.id == entry_id:
                self._free[i] = False


class Sync:
    """One run against the Baby Buddy at `where` (its remembered address) for a
    child: each step remembered as it is done (a batch at a time, and whatever
    was done when a request fails), so a run cut off is finished by the next."""

    def __init__(
        self,
        api: Api,
        store: Store,
        where: str,
        child_id: int,
        *,
        progress: Callable[[], None] = lambda: None,
    ) -> None:
        self.api = api
        self.store = store
        self.where = where
        self.child_id = child_id
        self.progress = progress
        self.outcome = Outcome()
        self._pending: list[Link] = []

    def run(self, plan: Plan, *, delete: bool) -> Outcome:
        try:
            if delete:
                for link in plan.gone:
                    self._delete(link)
            again: list[Entry] = []
            for change in plan.changed:
                if not self._patch(change):
                    again.append(change.entry)
            self._send([*again, *plan.new])
        finally:
            self._flush()
        return self.outcome

    def _remember(self, link: Link) -> None:
        self._pending.append(link)
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            synced.remember_links(self.store, self.where, self.child_id, self._pending)
            self._pending = []

    def _delete(self, link: Link) -> None:
        try:
            self.api.delete(f"{PUMPING}{link.entry_id}/")
        except Answered as exc:
            if exc.status != 404:  # gone already: as good as deleted
                raise
        synced.forget_links(self.store, self.where, self.child_id, [link.session_uuid])
        self.outcome.deleted.append(link)
        self.progress()

    def _patch(self, change: Change) -> bool:
        """PATCH the entry; False if it is gone from Baby Buddy (to be sent again)."""
        try:
            self.api.patch(f"{PUMPING}{change.link.entry_id}/", change.fields)
        except Answered as exc:
            if exc.status == 404:
                self._flush()
                synced.forget_links(
                    self.store, self.where, self.child_id, [change.entry.session.uuid]
                )
                return False
            if exc.status != 400 or _about_child(exc):
                raise
            self.outcome.skip(f"refused by Baby Buddy: {exc.detail}", change.entry.session)
            self.progress()
            return True
        self._remember(change.entry.link(change.link.entry_id))
        self.outcome.updated.append(change.entry.session)
        self.progress()
        return True

    def _send(self, entries: list[Entry]) -> None:
        if not entries:
            return
        earliest = min(e.start for e in entries) - LONGEST
        latest = max(e.end for e in entries)
        pool = _Pool(
            _existing(
                self.api,
                self.child_id,
                {"start_min": instant(earliest), "start_max": instant(latest)},
            ),
            synced.linked_entries(self.store, self.where),
        )
        for entry in entries:
            if not self._linked(entry, pool):
                self._post(entry, pool)
            self.progress()

    def _linked(self, entry: Entry, pool: _Pool) -> bool:
        """Link `entry` to the one entry already there at its times, if there is
        one; skip it if it meets several, or only ones linked to other sessions."""
        free, linked = pool.intersecting(entry.start, entry.end)
        if len(free) == 1:
            pool.take(free[0].id)
            self._remember(entry.link(free[0].id))
            self.outcome.linked.append((entry.session, free[0].id))
            return True
        if len(free) > 1:
            self.outcome.skip(OVERLAP_MANY, entry.session)
            return True
        if linked:
            self.outcome.skip(OVERLAP_LINKED, entry.session)
            return True
        return False

    def _post(self, entry: Entry, pool: _Pool) -> None:
        try:
            made = self.api.post(PUMPING, entry.body(self.child_id))
        except Answered as exc:
            if exc.status != 400 or _about_child(exc):
                raise
            if OVERLAP_MESSAGE in exc.detail:
                # Made since the run looked (or outside what it looked at): look again.
                self._flush()
                around = _existing(
                    self.api,
                    self.child_id,
                    {"start_max": instant(entry.end), "end_min": instant(entry.start)},
                )
                here = _Pool(around, synced.linked_entries(self.store, self.where))
                if self._linked(entry, here):
                    return
            self.outcome.skip(f"refused by Baby Buddy: {exc.detail}", entry.session)
            return
        self._remember(entry.link(int(made["id"])))
        self.outcome.sent.append(entry.session)


def _about_child(exc: Answered) -> bool:
    """A 400 about the child: every entry would be refused alike."""
    return isinstance(exc.payload, dict) and "child" in exc.payload
