"""One description of a session: what the log keeps about it, and the checks of
every value.

`SessionRecord` is the one model the store reads sessions into, the export
writes out (`model_dump(mode="json")`), the import checks files against, a
session logged by hand is made as, and whose checks the after-session form and
later edits use. A new field is added here, and to a migration in
store/schema.py; the JSON export and import follow it (the CSV's columns are
a chosen few: services/exchange/csv_file.py; Baby Buddy's file has its own,
services/exchange/babybuddy.py).

Each value's check raises ValueError saying what was expected ("expected a whole
number from 1 to 5"); the import names the place at fault in front of it.
Instants keep the text the log stores them as (`Instant`), so an export comes
back the same, byte for byte.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from calmflow.core.values import (
    MANUAL,
    MAX_SESSION_ML,
    Instant,
    any_text,
    choice,
    cue_names,
    cues_before,
    flag,
    left_out,
    ml_per,
    optional,
    score,
    seconds,
    some_text,
    uuid_text,
    volume_ml,
    whole,
)

SessionStatus = Literal["running", "completed", "finished_early", "interrupted"]
STATUSES: tuple[str, ...] = get_args(SessionStatus)
Unit = Literal["ml", "oz"]
UNITS: tuple[str, ...] = get_args(Unit)


# --- the model --------------------------------------------------------------------

SomeText = Annotated[str, PlainValidator(some_text)]
AnyText = Annotated[str, PlainValidator(any_text)]
Seconds = Annotated[float, PlainValidator(seconds)]
VolumeMl = Annotated[float | None, PlainValidator(optional(volume_ml))]
Score = Annotated[int | None, PlainValidator(optional(score))]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LetdownRecord(_Record):
    """A let-down, marked with a key press as it came."""

    number: Annotated[int, PlainValidator(whole(1))]
    t_s: Seconds
    """Seconds of session played when it was marked (pauses not counted)."""
    phase: AnyText
    phase_kind: AnyText
    cues: Annotated[tuple[str, ...], BeforeValidator(cue_names)]
    """The cues playing or showing then."""
    marked_at: Instant


class EventRecord(_Record):
    """Something that happened in a session: a phase began, a pause, a rule, a cue shown."""

    t_s: Seconds
    kind: SomeText
    detail: AnyText
    at: Instant


class SessionRecord(_Record):
    """A session as the log keeps it: every field an export carries, in its order,
    and, not exported, its row id in this log and the cues it showed."""

    uuid: Annotated[str, PlainValidator(uuid_text)] = Field(
        default_factory=lambda: str(uuid.uuid4())
    )
    routine: SomeText
    routine_path: Annotated[str | None, PlainValidator(optional(any_text))] = None
    routine_digest: Annotated[str | None, PlainValidator(optional(any_text))] = None
    started_at: Instant
    updated_at: Instant
    """When it was last written to (filled from the end or the start if not given)."""
    ended_at: Instant | None = None
    status: Annotated[SessionStatus, PlainValidator(choice(*STATUSES))]
    planned_s: Seconds
    played_s: Seconds
    output: SomeText
    audio_problem: Annotated[str | None, PlainValidator(optional(any_text))] = None
    underruns: Annotated[int, PlainValidator(whole(0))] = 0
    volume_left_ml: VolumeMl = None
    volume_right_ml: VolumeMl = None
    volume_total_ml: VolumeMl = None
    volume_unit: Annotated[Unit | None, PlainValidator(optional(choice(*UNITS)))] = None
    notes: Annotated[str | None, PlainValidator(optional(any_text))] = None
    experiment: Annotated[str | None, PlainValidator(optional(any_text))] = None
    """The routine's experiment slot, if it ran one..."""
    experiment_arm: Annotated[str | None, PlainValidator(optional(any_text))] = None
    """...and the cue that filled it in this session."""
    comfort: Score = None
    """1 (painful) to 5 (comfortable), from the form."""
    relaxation: Score = None
    """1 (tense) to 5 (relaxed), from the form."""
    dmer: Annotated[bool | None, PlainValidator(optional(flag))] = None
    """Whether D-MER was felt, if the person said."""
    counted_letdowns: Annotated[int | None, PlainValidator(optional(whole(0)))] = None
    """Let-downs the person counted, for a session logged by hand (no times then);
    None when each let-down was marked as it came (see `letdowns`)."""
    in_review: Annotated[bool | None, PlainValidator(optional(flag))] = None
    """The person's word on whether it counts in the review and the schedule;
    None: as the rule says (`counts_in_review`)."""
    letdowns: tuple[LetdownRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    """Everything that happened in it; read for an export (`Store.dump_sessions`),
    left empty where sessions are read to be shown."""

    id: int = Field(default=0, exclude=True)
    """Its row in this log (0 before it is in one); means nothing in another log,
    so never exported."""
    cues_shown: tuple[tuple[str, float], ...] = Field(default=(), exclude=True)
    """Each cue the session showed or played, with the seconds played when it first did."""
    trial_id: int | None = Field(default=None, exclude=True)
    """The experiment drawn at random that gave it its arm, in this log (never exported)."""

    @model_validator(mode="before")
    @classmethod
    def _updated_when_not_said(cls, data: Any) -> Any:
        if isinstance(data, dict) and "updated_at" not in data:
            return {**data, "updated_at": data.get("ended_at") or data.get("started_at")}
        return data

    @model_validator(mode="after")
    def _times_agree(self) -> SessionRecord:
        inconsistency(self)
        return self

    @property
    def first_letdown_s(self) -> float | None:
        return min((ld.t_s for ld in self.letdowns), default=None)

    def cues_before_letdown(self) -> frozenset[str]:
        """The cues that came before the first let-down (or in a session without one):
        the ones that could have helped it come."""
        return cues_before(self.cues_shown, self.first_letdown_s)

    @property
    def letdown_count(self) -> int | None:
        """How many let-downs the session had, marked or counted by hand; None for
        one logged by hand without a count (not known is not zero)."""
        if self.counted_letdowns is not None:
            return self.counted_letdowns
        if self.is_manual:
            return None
        return len(self.letdowns)

    @property
    def counts_in_review(self) -> bool:
        """Whether it counts in the review and the schedule: as the person said, else
        all but a session they ended within its first minute (`values.left_out`)."""
        if self.in_review is not None:
            return self.in_review
        return not left_out(self.status, self.played_s, len(self.letdowns))

    @property
    def is_manual(self) -> bool:
        """Logged by hand afterwards, not played with calmflow."""
        return self.output == MANUAL


class Inconsistent(ValueError):
    """Values that are each right but cannot all be true of one session; `place`
    is the field at fault (`letdowns[2].t_s`)."""

    def __init__(self, place: str, words: str) -> None:
        super().__init__(words)
        self.place = place


SLACK_S = 60.0
"""How far a session's own times may disagree and still be taken as they are: its
clock is the sound card's, its instants the computer's (which a time server may
step), and a let-down is written a moment before the length played."""


def inconsistency(session: SessionRecord) -> None:
    """Raise `Inconsistent` if the session's times cannot all be true: it ends
    before it starts, it played longer than it lasted (by more than a hundredth
    and `SLACK_S`), or a let-down comes after the time it played."""
    if session.ended_at is not None:
        lasted_s = (session.ended_at - session.started_at).total_seconds()
        if lasted_s < 0:
            raise Inconsistent("ended_at", "before the session starts")
        if session.played_s > lasted_s * 1.01 + SLACK_S:
            raise Inconsistent(
                "played_s", f"longer than the session lasted ({lasted_s:.0f} s from start to end)"
            )
    for j, letdown in enumerate(session.letdowns):
        if letdown.t_s > session.played_s + SLACK_S:
            raise Inconsistent(
                f"letdowns[{j}].t_s", f"after the {session.played_s:g} s the session played"
            )


EXPORTED = tuple(name for name, f in SessionRecord.model_fields.items() if not f.exclude)
"""The fields of a session an export carries, in order."""
ADDED_LATER = frozenset({"in_review"})
"""Fields an export from an earlier calmflow does not carry: their defaults stand."""
SESSION_FIELDS = tuple(name for name in EXPORTED if name not in ("letdowns", "events"))
"""A session's own columns in the log: all but its row id and the player's pid."""
LETDOWN_FIELDS = tuple(LetdownRecord.model_fields)
EVENT_FIELDS = tuple(EventRecord.model_fields)


Record = TypeVar("Record", bound=BaseModel)


def stored(model: type[Record], row: Mapping[str, Any], **extra: Any) -> Record:
    """A record from the log's columns (a `sqlite3.Row` or a dict), which were
    checked when they were written: built without checking them again (years of
    sessions are read at once), instants from their text, flags from SQLite's 0
    and 1, lists as tuples. `extra` gives fields that are not columns."""
    instants, flags, tuples = _kinds(model)
    values: dict[str, Any] = {}
    for name in row.keys():  # noqa: SIM118  # a sqlite3.Row has keys() but no iteration by name
        if name not in model.model_fields:
            continue
        value = row[name]
        if value is not None:
            if name in instants:
                value = Instant.of(value)
            elif name in flags:
                value = bool(value)
            elif name in tuples:
                value = tuple(value)
        values[name] = value
    values.update(extra)
    return model.model_construct(**values)


@cache
def _kinds(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The fields of `model` that are instants, flags and tuples."""

    def named(kind: Any) -> frozenset[str]:
        return frozenset(
            name
            for name, f in model.model_fields.items()
            if f.annotation is kind
            or kind in get_args(f.annotation)
            or get_origin(f.annotation) is kind
        )

    return named(Instant), named(bool), named(tuple)


def check_field(name: str, value: Any) -> Any:
    """`value` checked as a session's field `name` is checked everywhere (an import,
    an edit afterwards); ValueError saying what was expected."""
    from pydantic import ValidationError

    try:
        return _adapter(name).validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"{name}: {problem_words(exc.errors()[0])}") from None


@cache
def _adapter(name: str) -> Any:
    from pydantic import TypeAdapter

    info = SessionRecord.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, *info.metadata])  # type: ignore[arg-type]


def problem_words(error: Mapping[str, Any]) -> str:
    """What a pydantic error of one of these checks says: the check's own words."""
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    return str(error["msg"])


# --- what the person says after a session -----------------------------------------


class AfterSession(_Record):
    """The answers of the after-session form, in millilitres whatever was typed;
    the same checks as a session's fields."""

    volume_left_ml: VolumeMl = None
    volume_right_ml: VolumeMl = None
    volume_total_ml: VolumeMl = None
    unit: Annotated[Unit, PlainValidator(choice(*UNITS))] = "ml"
    """The unit the person typed in, kept to show their numbers back the same way."""
    notes: AnyText = ""
    comfort: Score = None
    relaxation: Score = None
    dmer: Annotated[bool | None, PlainValidator(optional(flag))] = None
    in_review: Annotated[bool | None, PlainValidator(optional(flag))] = None
    """Keep a session ended within its first minute in the review (True), or leave
    it out (False); None leaves it as it is."""

    @classmethod
    def from_entry(
        cls,
        left: float | None,
        right: float | None,
        total: float | None,
        unit: str,
        notes: str = "",
        *,
        comfort: int | None = None,
        relaxation: int | None = None,
        dmer: bool | None = None,
    ) -> AfterSession:
        """Convert what was typed (in ml or oz) to ml; total is left + right when not
        given. ValueError, in the person's words, for what cannot be right."""
        if unit not in UNITS:
            raise ValueError(f"unit must be ml or oz, not {unit!r}")
        factor = ml_per(unit)

        def ml(v: float | None) -> float | None:
            if v is None:
                return None
            try:
                return round(volume_ml(v * factor), 1)
            except ValueError:
                raise ValueError(f"a volume of {v:g} {unit} cannot be right") from None

        left_ml, right_ml, total_ml = ml(left), ml(right), ml(total)
        if total_ml is None and left_ml is not None and right_ml is not None:
            total_ml = round(left_ml + right_ml, 1)
            if total_ml > MAX_SESSION_ML:  # each side may be possible, and not both
                raise ValueError(f"a volume of {left + right:g} {unit} cannot be right")  # type: ignore[operator]
        elif total_ml is None:
            total_ml = left_ml if right_ml is None else right_ml
        for name, given in (("comfort", comfort), ("relaxation", relaxation)):
            if given is not None:
                try:
                    score(given)
                except ValueError:
                    raise ValueError(f"{name} goes from 1 to 5, not {given}") from None
        return cls(
            volume_left_ml=left_ml,
            volume_right_ml=right_ml,
            volume_total_ml=total_ml,
            unit=unit,
            notes=notes.strip(),
            comfort=comfort,
            relaxation=relaxation,
            dmer=dmer,
        )
