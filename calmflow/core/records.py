"""What the log holds about past sessions, as plain data.

The store returns these and the review reads them; neither needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ML_PER_OZ = 29.5735
"""US fluid ounce, the unit on bottles and pumps."""
MAX_SESSION_ML = 2000.0
"""More than this from one session cannot be right: a typing slip."""

SessionStatus = str
"""'running', 'completed', 'finished_early' or 'interrupted'."""

MANUAL = "manual"
"""The routine and output of a session logged by hand (`calmflow log add`): it was
pumped without calmflow, so it has no let-down times and no sound."""


def cues_before(
    shown: tuple[tuple[str, float], ...] | list[tuple[str, float]], first: float | None
) -> frozenset[str]:
    """The cues of `shown` (name, seconds first shown) that came at or before the
    first let-down at `first` seconds, or all of them in a session without one."""
    if not shown:
        return frozenset()
    return frozenset(name for name, t in shown if first is None or t <= first)


@dataclass(frozen=True)
class LetdownRecord:
    number: int
    t_s: float
    """Seconds of session played when it was marked (pauses not counted)."""
    phase: str
    phase_kind: str
    cues: tuple[str, ...]
    marked_at: datetime


@dataclass(frozen=True)
class SessionRecord:
    id: int
    routine: str
    started_at: datetime
    ended_at: datetime | None
    status: SessionStatus
    planned_s: float
    played_s: float
    output: str
    underruns: int = 0
    audio_problem: str | None = None
    volume_left_ml: float | None = None
    volume_right_ml: float | None = None
    volume_total_ml: float | None = None
    volume_unit: str | None = None
    notes: str | None = None
    experiment: str | None = None
    """The routine's experiment slot, if it ran one..."""
    experiment_arm: str | None = None
    """...and the cue that filled it in this session."""
    comfort: int | None = None
    """1 (painful) to 5 (comfortable), from the form."""
    relaxation: int | None = None
    """1 (tense) to 5 (relaxed), from the form."""
    dmer: bool | None = None
    """Whether D-MER was felt, if the person said."""
    letdowns: tuple[LetdownRecord, ...] = field(default_factory=tuple)
    cues_shown: tuple[tuple[str, float], ...] = ()
    """Each cue the session showed or played, with the seconds played when it first did."""
    counted_letdowns: int | None = None
    """Let-downs the person counted, for a session logged by hand (no times then);
    None when each let-down was marked as it came (see `letdowns`)."""

    @property
    def first_letdown_s(self) -> float | None:
        return min((ld.t_s for ld in self.letdowns), default=None)

    def cues_before_letdown(self) -> frozenset[str]:
        """The cues that came before the first let-down (or in a session without one):
        the ones that could have helped it come."""
        return cues_before(self.cues_shown, self.first_letdown_s)

    @property
    def letdown_count(self) -> int:
        """How many let-downs the session had, marked or counted by hand."""
        if self.counted_letdowns is not None:
            return self.counted_letdowns
        return len(self.letdowns)

    @property
    def is_manual(self) -> bool:
        """Logged by hand afterwards, not played with calmflow."""
        return self.output == MANUAL


@dataclass(frozen=True)
class AfterSession:
    """The answers of the after-session form, in millilitres whatever was typed."""

    volume_left_ml: float | None = None
    volume_right_ml: float | None = None
    volume_total_ml: float | None = None
    unit: str = "ml"
    """The unit the person typed in, kept to show their numbers back the same way."""
    notes: str = ""
    comfort: int | None = None
    relaxation: int | None = None
    dmer: bool | None = None

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
        """Convert what was typed (in ml or oz) to ml; total is left + right when not given."""
        if unit not in ("ml", "oz"):
            raise ValueError(f"unit must be ml or oz, not {unit!r}")
        factor = ML_PER_OZ if unit == "oz" else 1.0

        def ml(v: float | None) -> float | None:
            if v is None:
                return None
            if not 0 <= v * factor <= MAX_SESSION_ML:
                raise ValueError(f"a volume of {v:g} {unit} cannot be right")
            return round(v * factor, 1)

        left_ml, right_ml, total_ml = ml(left), ml(right), ml(total)
        if total_ml is None and left_ml is not None and right_ml is not None:
            total_ml = round(left_ml + right_ml, 1)
        elif total_ml is None:
            total_ml = left_ml if right_ml is None else right_ml
        for name, score in (("comfort", comfort), ("relaxation", relaxation)):
            if score is not None and not 1 <= score <= 5:
                raise ValueError(f"{name} goes from 1 to 5, not {score}")
        return cls(left_ml, right_ml, total_ml, unit, notes.strip(), comfort, relaxation, dmer)
