"""Plan: a routine compiled into audio frames at one sample rate.

Everything that later happens in a session is placed by frame, so the sound,
the screen and the log agree to the sample. The Plan is plain frozen data
(picklable) so it can be handed to the audio process as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a Plan is plain data: the audio process unpickles it without pydantic
    from calmflow.core.routine import Breathing, Routine

DEFAULT_RATE = 48_000


@dataclass(frozen=True)
class BreathPlan:
    """One breathing cycle in frames: inhale, hold, exhale, hold."""

    inhale_frames: int
    hold_in_frames: int
    exhale_frames: int
    hold_out_frames: int
    voice: str = "tone"
    """How the guide sounds: 'tone', 'wave', 'chime' or 'none'."""

    @classmethod
    def from_breathing(cls, breathing: Breathing, rate: int) -> BreathPlan | None:
        """The cycle in frames, or None when the breathing guide is off."""
        if breathing.off:
            return None
        inhale, hold_in, exhale, hold_out = (round(s * rate) for s in breathing.pattern())
        return cls(inhale, hold_in, exhale, hold_out, breathing.voice)

    @property
    def cycle_frames(self) -> int:
        return self.inhale_frames + self.hold_in_frames + self.exhale_frames + self.hold_out_frames

    def position(self, offset_frames: int) -> BreathPosition:
        """Where in the cycle a phase is, `offset_frames` after it started."""
        t = offset_frames % self.cycle_frames
        steps = (
            ("in", self.inhale_frames),
            ("hold", self.hold_in_frames),
            ("out", self.exhale_frames),
            ("hold", self.hold_out_frames),
        )
        for i, (label, length) in enumerate(steps):
            if t < length:
                fraction = t / length
                if label == "in":
                    fullness = fraction
                elif label == "out":
                    fullness = 1 - fraction
                else:
                    fullness = 1.0 if i == 1 else 0.0
                return BreathPosition(label, fraction, length - t, fullness)
            t -= length
        raise AssertionError("offset beyond the breathing cycle")


@dataclass(frozen=True)
class BreathPosition:
    """The breath step now, for the screen."""

    step: str
    """'in', 'out' or 'hold'."""
    fraction: float
    """How far through the step, 0 to 1."""
    frames_left: int
    """Frames until the next step."""
    fullness: float
    """How full the lungs are meant to be, 0 (empty) to 1 (full)."""


@dataclass(frozen=True)
class CueSpec:
    """A cue as the engine and the screen need it; files are absolute paths."""

    name: str
    kind: str
    """'sound', 'photo', 'video', 'text' or 'tone'."""
    file: str | None
    text: str | None
    tone_hz: float | None
    volume: float
    """Linear gain, 0 to 1."""
    loop: bool
    fade_in_frames: int = 0
    fade_out_frames: int = 0
    at_frames: int = 0
    """From the moment the cue comes on to its first start."""
    every_frames: int | None = None
    """Starts again this often while on."""
    duration_frames: int | None = None
    """Each start lasts this long at most (None: while the cue is on)."""
    min_frames: int = 0
    """A sound shorter than this plays back to back until this long."""
    background: bool = False
    """Ducks under voice prompts."""
    role: str = "ambience"
    """What a sound (or a video's sound) is ('ambience', 'music' or 'baby'): the
    loudness it is matched to."""


@dataclass(frozen=True)
class PlannedPrompt:
    """A prompt at a time within its phase."""

    at_frames: int
    text: str
    voice: str | None
    """An absolute path to a recording of the prompt, or None."""
    duration_frames: int | None
    """How long the words stay (None: until the next prompt or the phase's end)."""


@dataclass(frozen=True)
class PlannedPhase:
    """One phase of the routine, in frames."""

    index: int
    name: str
    kind: str
    duration_frames: int
    prompt: str
    pump_mode: str
    pump_hint: str
    """The pump setting in words, e.g. 'stimulation mode: fast, light suction'."""
    breath: BreathPlan | None
    """None: no breathing guide in this phase."""
    cues: tuple[str, ...]
    prompts: tuple[PlannedPrompt, ...] = ()
    """The phase's prompts in order; the first, at 0, is its main prompt when it
    has a voice file (words alone stay in `prompt`)."""
    caution: str | None = None
    """Said once when the phase starts, e.g. about breath holds."""
    open_ended: bool = False
    """The last phase, going on while milk flows: `duration_frames` is its least."""


@dataclass(frozen=True)
class PlannedRules:
    letdown_to_expression: bool = True
    restimulate_after_frames: int | None = None
    restimulation_phase: int | None = None
    """Index in `Plan.phases` of the stimulation block the rule inserts."""
    after_flow_stops_frames: int = 0
    max_frames: int | None = None
    letdown_extends_frames: int | None = None
    open_ended_frames: int = 0
    """How much longer than its least an open-ended last phase can go on."""


@dataclass(frozen=True)
class Plan:
    """A routine ready to play: phases in order, cues by name, all in frames."""

    routine_name: str
    rate: int
    phases: tuple[PlannedPhase, ...]
    cues: tuple[CueSpec, ...]
    chime: bool = True
    ducking: float = 0.25
    """Gain of background cues while a voice prompt plays."""
    rules: PlannedRules = PlannedRules()
    planned: int = -1
    """How many of `phases` play in order from the start (the rest are only
    placed by rules); -1 for all."""
    experiment: tuple[str, str] | None = None
    """(slot, the cue chosen for it this session)."""

    @property
    def sequence(self) -> range:
        return range(len(self.phases) if self.planned < 0 else self.planned)

    @property
    def open_ended(self) -> bool:
        """Whether the last phase played in order goes on while milk flows."""
        return bool(self.sequence) and self.phases[self.sequence[-1]].open_ended

    @property
    def duration_frames(self) -> int:
        """As planned, before any rule changes it (an open-ended phase at its least)."""
        total = sum(self.phases[i].duration_frames for i in self.sequence)
        cap = self.rules.max_frames
        return min(total, cap) if cap is not None else total

    def cue(self, name: str) -> CueSpec:
        for cue in self.cues:
            if cue.name == name:
                return cue
        raise KeyError(name)

    def seconds(self, frames: int) -> float:
        return frames / self.rate


RESTIMULATION_PROMPT = "No let-down for a while: back to fast, light pumping for a moment."


def compile_plan(routine: Routine, rate: int = DEFAULT_RATE, arm: str | None = None) -> Plan:
    """Turn a validated routine into frames at `rate`.

    `arm` is the cue that fills the routine's experiment slot this session
    (the adopted arm, or its first, if not given). A session of an experiment
    whose arm was adopted is no longer part of it (`experiment` is None).
    """

    from calmflow.core.routine import OPEN_ENDED_MAX_S

    def frames(seconds: float) -> int:
        return round(seconds * rate)

    experiment: tuple[str, str] | None = None
    filled: tuple[str, str] | None = None
    if routine.experiment is not None:
        arms = routine.experiment.arms
        if arm is not None and arm not in arms:
            raise ValueError(f"'{arm}' is not one of the experiment's arms ({', '.join(arms)})")
        filled = (routine.experiment.slot, arm or routine.experiment.adopted or arms[0])
        if arm is not None or routine.experiment.adopted is None:
            experiment = filled

    def cue_names(names: list[str]) -> tuple[str, ...]:
        named = [*routine.background, *(n for n in names if n not in routine.background)]
        if filled is not None:
            named = [filled[1] if n == filled[0] else n for n in named]
        return tuple(dict.fromkeys(named))

    phases: list[PlannedPhase] = []
    for i, (phase, round_, rounds) in enumerate(routine.flat_phases):
        breathing = phase.breathing or routine.breathing
        prompts = [
            PlannedPrompt(frames(p.at), p.text, p.voice, frames(p.duration) if p.duration else None)
            for p in phase.prompts
        ]
        if phase.prompt.voice is not None:
            prompts.insert(0, PlannedPrompt(0, phase.prompt.text, phase.prompt.voice, None))
        phases.append(
            PlannedPhase(
                index=i,
                name=phase.name if rounds == 1 else f"{phase.name} ({round_} of {rounds})",
                kind=phase.kind,
                duration_frames=max(1, frames(phase.duration)),
                prompt=phase.prompt.text,
                pump_mode=phase.pump_hint.mode,
                pump_hint=phase.pump_hint.describe(),
                breath=BreathPlan.from_breathing(breathing, rate),
                cues=cue_names(phase.cues),
                prompts=tuple(prompts),
                caution=breathing.caution,
                open_ended=phase.open_ended,
            )
        )
    planned = len(phases)
    rules = routine.rules
    restim_index = None
    if rules.restimulate_after is not None:
        from calmflow.core.routine import DEFAULT_PUMP

        # [practice] back to stimulation after 6-8 min without a let-down (EVIDENCE.md)
        restim_index = len(phases)
        hint = DEFAULT_PUMP["stimulation"]
        phases.append(
            PlannedPhase(
                index=restim_index,
                name="Stimulation again",
                kind="stimulation",
                duration_frames=max(1, frames(rules.restimulate_for)),
                prompt=RESTIMULATION_PROMPT,
                pump_mode=hint.mode,
                pump_hint=hint.describe(),
                breath=BreathPlan.from_breathing(routine.breathing, rate),
                cues=cue_names([]),
                caution=None,
            )
        )
    cues = tuple(
        CueSpec(
            name=name,
            kind=cue.kind,
            file=cue.file,
            text=cue.text,
            tone_hz=cue.tone,
            volume=cue.volume,
            loop=cue.loops,
            fade_in_frames=frames(cue.fade_in),
            fade_out_frames=frames(cue.fade_out),
            at_frames=frames(cue.at),
            every_frames=frames(cue.every) if cue.every else None,
            duration_frames=frames(cue.duration) if cue.duration else None,
            min_frames=frames(cue.min_length) if cue.min_length else 0,
            background=name in routine.background,
            role=cue.sound_role,
        )
        for name, cue in routine.cues.items()
    )
    return Plan(
        routine_name=routine.name,
        rate=rate,
        phases=tuple(phases),
        cues=cues,
        chime=routine.chime,
        ducking=routine.ducking,
        rules=PlannedRules(
            letdown_to_expression=rules.on_letdown == "expression",
            restimulate_after_frames=(
                frames(rules.restimulate_after) if rules.restimulate_after else None
            ),
            restimulation_phase=restim_index,
            after_flow_stops_frames=frames(rules.after_flow_stops),
            max_frames=frames(rules.max_duration) if rules.max_duration else None,
            letdown_extends_frames=(
                frames(rules.letdown_extends) if rules.letdown_extends else None
            ),
            open_ended_frames=frames(OPEN_ENDED_MAX_S) if routine.open_ended else 0,
        ),
        planned=planned,
        experiment=experiment,
    )
