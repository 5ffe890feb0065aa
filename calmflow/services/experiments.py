"""A routine's experiment, run as an n-of-1 trial (calmflow.core.trial): the arm a
session gets, the answer so far, and what the person can do once it answers
(adopt the better arm, or plan more blocks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from calmflow.core.trial import ANSWERED, TrialReport, fingerprint, next_place, report
from calmflow.store.trials import add_blocks, latest_trial, trial_for, trial_sessions, trials
from calmflow.system.private_files import write_private

if TYPE_CHECKING:
    from calmflow.core.routine import Routine
    from calmflow.store.store import Store

MORE_BLOCKS = 4
"""Blocks `calmflow experiment more` adds when not told how many."""


class Drawn(NamedTuple):
    """What a session of an experiment is given: its arm, the trial and its place."""

    arm: str
    trial: int
    place: int


def arm_for(store: Store, routine: Routine) -> Drawn | None:
    """The arm this session of `routine` gets, with its trial (begun, or begun anew
    when the experiment or the phases changed) and its place in the trial's
    allocation; None for a routine without an experiment, or whose experiment's
    arm was adopted."""
    experiment = routine.experiment
    if experiment is None or experiment.adopted is not None:
        return None
    same = fingerprint(
        experiment.slot,
        experiment.arms,
        [phase.model_dump(mode="json") for phase in routine.phases],
    )
    trial = trial_for(
        store, routine.name, experiment.slot, tuple(experiment.arms), experiment.blocks, same
    )
    place, arm = next_place(trial, trial_sessions(store, trial.id))
    return Drawn(arm, trial.id, place)


def experiment_reports(store: Store, routine: str | None = None) -> list[TrialReport]:
    """Each routine's experiment: its latest trial's progress or answer, and the
    answers of earlier ones (a trial the routine left behind unanswered, when its
    experiment or phases changed, says nothing more); of one routine, if named."""
    found = [t for t in trials(store) if routine is None or t.routine == routine]
    latest = {t.routine: t.id for t in found}
    out = []
    for trial in found:
        said = report(trial, trial_sessions(store, trial.id))
        if trial.id == latest[trial.routine] or said.state == ANSWERED:
            out.append(said)
    return out


def plan_more(store: Store, routine: str, blocks: int = MORE_BLOCKS) -> tuple[TrialReport, int]:
    """Plan `blocks` more blocks for the routine's latest trial: (its report, blocks
    now planned). LookupError when the routine has run no experiment."""
    trial = latest_trial(store, routine)
    if trial is None:
        raise LookupError(routine)
    planned = add_blocks(store, trial.id, blocks)
    return experiment_reports(store, routine)[-1], planned


class NotWrittenHere(LookupError):
    """The routine's file does not itself write the experiment (it extends one that does)."""


def adopt_in_file(path: Path, arm: str) -> str:
    """Write `adopted: ARM` into the experiment of the routine file at `path`, the
    rest of the file (comments and all) as it was; return the text it had, to put
    back if the result does not load. NotWrittenHere when the file has no
    `experiment` of its own."""
    import yaml  # here: the review, which reads reports from this module, needs no YAML

    text = path.read_bytes().decode("utf-8")  # line endings as they are (CRLF too)
    newline = "\r\n" if "\r\n" in text else "\n"
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # nodes only: nothing is built
    experiment = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "experiment":
                experiment = value
    if not isinstance(experiment, yaml.MappingNode) or not experiment.value:
        raise NotWrittenHere(str(path))
    written = json.dumps(arm)  # a double-quoted YAML scalar
    for key, value in experiment.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "adopted":
            start, end = value.start_mark.index, value.end_mark.index
            write_private(path, text[:start] + written + text[end:])
            return text
    if experiment.flow_style:  # experiment: {slot: calm, arms: [photo, waves]}
        at = experiment.end_mark.index - 1  # the closing brace
        write_private(path, f"{text[:at].rstrip()}, adopted: {written}{text[at:]}")
        return text
    first_key = experiment.value[0][0]
    line_start = text.rfind("\n", 0, first_key.start_mark.index) + 1
    line = f"{' ' * first_key.start_mark.column}adopted: {written}{newline}"
    write_private(path, text[:line_start] + line + text[line_start:])
    return text
