"""Pump care, as both faces use it: each part's state now, the fit, and the one
gentle line after a session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmflow.core.fit import FitReminder, Measurement
from calmflow.core.parts import PartStatus, care_line
from calmflow.store.care import fit_state, part_statuses
from calmflow.system import wallclock

if TYPE_CHECKING:
    from calmflow.store.store import Store


def statuses(store: Store) -> list[PartStatus]:
    """Every part with where it stands now, on the person's clock."""
    return part_statuses(store, wallclock.zone())


def fit(store: Store) -> tuple[dict[str, Measurement], FitReminder]:
    """The latest measurement of each side, and whether to measure again."""
    return fit_state(store)


def care_summary_line(store: Store) -> str | None:
    """The one gentle pump-care line after a session, or None: parts due, and a
    flange-fit check when comfort has fallen."""
    due = [s for s in statuses(store) if s.due]
    _, reminder = fit_state(store)
    return care_line(due, reminder.comfort)
