"""A file Baby Buddy's pumping import takes whole (`calmflow export --format babybuddy`).

Baby Buddy imports pumping entries through its admin (core/admin.py,
PumpingImportExportResource, with django-import-export 4.4.1), reading columns
by name: child_id, start, end, amount, notes (no id column: every row is a new
entry). One row it cannot take refuses the whole file, so the file holds only
rows that pass its rules (core/models.py, Pumping and its `clean`):

- start and end are both needed (an empty end would become the time of the
  import) and so is amount, a number without a unit;
- times are read with `strptime('%Y-%m-%d %H:%M:%S')`, no offset, and put on the
  clock of the importing user's Timezone setting, the first of the two in an
  hour the clocks repeat: so they are written on that zone's clock, and a time
  in the second pass of such an hour cannot be written at all;
- the start not after the time of the import, the end not before the start,
  at most 24 hours between them;
- no other pumping entry of the child with start < this end and end > this
  start (touching is fine), checked row by row against what the file and
  earlier imports put there.

Rows are the sessions as the log keeps them, to the second; a session that
cannot be a row is left out and said why (`BabyBuddyFile.left_out`). Sessions
in an earlier Baby Buddy file are left out by the caller's choice (`earlier`),
so a second, later file imports after the first; their times still count
against overlaps.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_left
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from calmflow.core.records import SessionRecord, Unit
from calmflow.core.values import ml_per
from calmflow.services.exchange.csv_file import spreadsheet_safe
from calmflow.system import wallclock
from calmflow.text.sessions import STATUS_WORDS, letdowns_text
from calmflow.text.sessions import amount_text as volume_in

TARGET = "babybuddy"
"""The name the log remembers these files' sessions by (the `exported` table)."""
COLUMNS = ("child_id", "start", "end", "amount", "notes")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""The first of Django's DATETIME_INPUT_FORMATS, which Baby Buddy keeps."""
LONGEST = timedelta(hours=24)
"""Baby Buddy's longest entry (core/models.py, validate_duration)."""
DECIMALS: dict[str, int] = {"ml": 1, "oz": 2}
"""Never three decimals: with a thousands separator of '.', Django would read
'1.250' as 1250."""

# Why a session is left out, in the order they are looked at; each follows
# "left out N sessions" on the command line.
RUNNING = "still running"
NO_AMOUNT = "with no amount (no volume was logged)"
FUTURE = "starting in the future"
BACKWARDS = "ending before they start"
TOO_LONG = "longer than 24 hours"
OFF_CLOCK = "starting or ending in the second pass of an hour the clocks repeat in {zone}"
OVERLAP = "overlapping a session earlier in the file"
OVERLAP_EARLIER = "overlapping a session of an earlier Baby Buddy file"
REASONS = (RUNNING, NO_AMOUNT, FUTURE, BACKWARDS, TOO_LONG, OFF_CLOCK, OVERLAP, OVERLAP_EARLIER)


@dataclass(frozen=True)
class PumpingRow:
    """A session as a Baby Buddy pumping entry."""

    session: SessionRecord
    start: datetime
    """The instant Baby Buddy reads, in UTC: the session's start to the second."""
    end: datetime
    amount: float
    """In the file's unit."""
    notes: str


@dataclass(frozen=True)
class BabyBuddyFile:
    """The file, and what was left out of it and why."""

    text: str
    rows: tuple[PumpingRow, ...]
    unit: Unit
    zone: str
    """The zone whose clock the times are on, by name."""
    earlier: tuple[SessionRecord, ...]
    """Sessions of an earlier Baby Buddy file, left out."""
    left_out: dict[str, tuple[SessionRecord, ...]]
    """Sessions Baby Buddy would refuse, by the reason (REASONS, with the zone
    said), in that order."""
    again: tuple[SessionRecord, ...] = ()
    """Sessions of an earlier Baby Buddy file in this one again (all were asked for)."""


def pumping_end(session: SessionRecord) -> datetime | None:
    """When the session ended: as logged, else its start and the time it played;
    None for one whose length was not logged (`log add` without --minutes)."""
    if session.ended_at is not None:
        return session.ended_at
    if session.played_s > 0:
        return session.started_at + timedelta(seconds=session.played_s)
    return None


def pumping_notes(session: SessionRecord, *, sides_in: Unit | None = None) -> str:
    """A pumping entry's notes: the person's own, then a line of what calmflow
    knows (the routine, the let-downs, how soon the first came; with `sides_in`,
    the volume of each side logged, in that unit: Baby Buddy keeps only the
    total). Plain text, as any place may show it."""
    said = ["logged by hand" if session.is_manual else f"routine {session.routine}"]
    if sides_in is not None:
        for side, ml in (("left", session.volume_left_ml), ("right", session.volume_right_ml)):
            if ml is not None:
                said.append(f"{side} {volume_in(ml, sides_in)}")
    if session.status in STATUS_WORDS:
        said.append(STATUS_WORDS[session.status])
    said.append(letdowns_text(session))
    first = session.first_letdown_s
    if first is not None:
        said.append(f"the first after {_minutes_seconds(first)}")
    if pumping_end(session) is None:
        said.append("its length was not logged")
    line = "calmflow: " + ", ".join(said)
    own = (session.notes or "").strip()
    return f"{own}\n{line}" if own else line


def pumping_amount(session: SessionRecord, unit: Unit) -> float:
    """The session's total volume as a Baby Buddy amount in `unit` (0 when none was
    logged: such a session is refused first, see `refusal`)."""
    return round((session.volume_total_ml or 0.0) / ml_per(unit), DECIMALS[unit])


def _minutes_seconds(seconds: float) -> str:
    whole = max(0, round(seconds))
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def babybuddy_file(
    sessions: Sequence[SessionRecord],
    *,
    tz: tzinfo,
    now: datetime,
    child_id: int = 1,
    unit: Unit | None = None,
    since: datetime | None = None,
    earlier: Collection[str] = (),
    again: Collection[str] = (),
) -> BabyBuddyFile:
    """The Baby Buddy file of `sessions` (the whole log, oldest first) for the
    child `child_id`, times on `tz`'s clock, amounts in `unit` (by default the
    one most of its sessions were logged in; ml on a tie).

    `since` keeps the sessions started from then. Sessions whose uuid is in
    `earlier` were in an earlier file: left out, and no row may overlap them.
    Sessions in `again` were too, and are put in again (`all` was asked for).
    """
    zone = wallclock.zone_name(tz)
    earlier_spans = Spans()
    for span in sorted(
        pumping_span(s) for s in sessions if s.uuid in earlier and s.status != "running"
    ):
        earlier_spans.add(*span)
    chosen = [s for s in sessions if since is None or s.started_at >= since]
    left_out: dict[str, list[SessionRecord]] = {reason: [] for reason in REASONS}
    taken: list[tuple[SessionRecord, datetime, datetime]] = []
    in_file = Spans()
    candidates = sorted(
        (s for s in chosen if s.uuid not in earlier),
        key=lambda s: (_whole_second(s.started_at), s.started_at),
    )
    for session in candidates:
        start, end = pumping_span(session)
        reason = _refused(session, start, end, tz, now)
        if reason is None and in_file.overlaps(start, end):
            reason = OVERLAP
        if reason is None and earlier_spans.overlaps(start, end):
            reason = OVERLAP_EARLIER
        if reason is not None:
            left_out[reason].append(session)
            continue
        in_file.add(start, end)
        taken.append((session, start, end))
    unit = unit or most_used_unit(s for s, _, _ in taken)
    rows = tuple(
        PumpingRow(
            session=s,
            start=start,
            end=end,
            amount=pumping_amount(s, unit),
            notes=pumping_notes(s),
        )
        for s, start, end in taken
    )
    return BabyBuddyFile(
        text=_csv(rows, child_id=child_id, tz=tz, unit=unit),
        rows=rows,
        unit=unit,
        zone=zone,
        earlier=tuple(s for s in chosen if s.uuid in earlier),
        left_out={
            reason.format(zone=zone): tuple(found) for reason, found in left_out.items() if found
        },
        again=tuple(row.session for row in rows if row.session.uuid in again),
    )


def _whole_second(moment: datetime) -> datetime:
    """The instant as a time to the second (the file's) reads it back, in UTC."""
    return moment.astimezone(UTC).replace(microsecond=0)


def pumping_span(session: SessionRecord) -> tuple[datetime, datetime]:
    """The start and end Baby Buddy reads for the session: to the second (which
    keeps their order, so no two rows overlap that did not), and the end at the
    start when its length was not logged."""
    end = pumping_end(session)
    return _whole_second(session.started_at), _whole_second(end or session.started_at)


def _refused(
    session: SessionRecord, start: datetime, end: datetime, tz: tzinfo, now: datetime
) -> str | None:
    """Why Baby Buddy would refuse the session's row in a file on its own, or None."""
    reason = refusal(session, start, end, now)
    if reason is None and not all(
        wallclock.exists_on_clock(wallclock.local(t, tz)) for t in (start, end)
    ):
        return OFF_CLOCK
    return reason


def refusal(session: SessionRecord, start: datetime, end: datetime, now: datetime) -> str | None:
    """Why Baby Buddy would refuse the session as a pumping entry from `start` to
    `end` (its `pumping_span`), whichever way it is sent, or None. Its API takes
    instants with their offsets, so only a file has a clock to be off (`_refused`)."""
    if session.status == "running":
        return RUNNING
    if session.volume_total_ml is None:
        return NO_AMOUNT
    if start > now:
        return FUTURE
    if end < start:
        return BACKWARDS
    if end - start > LONGEST:
        return TOO_LONG
    return None


class Spans:
    """Entries already there, added in the order they start; whether a new one
    overlaps any as Baby Buddy checks it (start < new end and end > new start),
    in a time that grows with the log's logarithm, not its length."""

    def __init__(self) -> None:
        self._starts: list[datetime] = []
        self._latest_ends: list[datetime] = []
        """The latest end of the entries up to each one."""

    def add(self, start: datetime, end: datetime) -> None:
        latest = max(end, self._latest_ends[-1]) if self._latest_ends else end
        self._starts.append(start)
        self._latest_ends.append(latest)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        before_end = bisect_left(self._starts, end)  # those starting before `end`
        return before_end > 0 and self._latest_ends[before_end - 1] > start


def most_used_unit(sessions: Iterable[SessionRecord]) -> Unit:
    """The unit most of `sessions` were logged in; ml on a tie."""
    counts = Counter(s.volume_unit for s in sessions)
    return "oz" if counts["oz"] > counts["ml"] else "ml"


def _csv(rows: Sequence[PumpingRow], *, child_id: int, tz: tzinfo, unit: Unit) -> str:
    # The notes are the one text column: made `spreadsheet_safe` (Baby Buddy then
    # keeps the apostrophe of a note that began with =, +, - or @).
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                str(child_id),
                wallclock.local(row.start, tz).strftime(TIME_FORMAT),
                wallclock.local(row.end, tz).strftime(TIME_FORMAT),
                amount_text(row.amount, unit),
                spreadsheet_safe(row.notes),
            ]
        )
    return out.getvalue()


def amount_text(amount: float, unit: Unit) -> str:
    """An amount as the file writes it: 120.5, 4.25, 80 (never 1e-05, never three
    decimals)."""
    return f"{amount:.{DECIMALS[unit]}f}".rstrip("0").rstrip(".")
