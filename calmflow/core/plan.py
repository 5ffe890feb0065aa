"""Plan: a routine compiled into audio frames at one sample rate.

Everything that later happens in a session is placed by frame, so the sound,
the screen and the log agree to the sample. The Plan is plain frozen data
(picklable) so it can be handed to the audio process as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from calmflow.core.routine import Breathing, Routine

DEFAULT_RATE = 48_000


@dataclass(frozen=True)
class BreathPlan:
    """One breathing cycle in frames: inhale, hold, exhale, hold."""

    inhale_frames: int
    hold_in_frames: int
    exhale_frames: int
    hold_out_frames: int

    @classmethod
    def from_breathing(cls, breathing: Breathing, rate: int) -> BreathPlan:
        return cls(
            inhale_frames=round(breathing.inhale_s * rate),
            hold_in_frames=round(breathing.hold_in_s * rate),
            exhale_frames=round(breathing.exhale_s * rate),
            hold_out_frames=round(breathing.hold_out_s * rate),
        )

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
    """'sound', 'photo', 'text' or 'tone'."""
    file: str | None
    text: str | None
    tone_hz: float | None
    volume: float
    loop: bool


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
    breath: BreathPlan
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A routine ready to play: phases in order, cues by name, all in frames."""

    routine_name: str
    rate: int
    phases: tuple[PlannedPhase, ...]
    cues: tuple[CueSpec, ...]

    @property
    def duration_frames(self) -> int:
        return sum(p.duration_frames for p in self.phases)

    def cue(self, name: str) -> CueSpec:
        for cue in self.cues:
            if cue.name == name:
                return cue
        raise KeyError(name)

    def seconds(self, frames: int) -> float:
        return frames / self.rate


def compile_plan(routine: Routine, rate: int = DEFAULT_RATE) -> Plan:
    """Turn a validated routine into frames at `rate`."""
    phases = tuple(
        PlannedPhase(
            index=i,
            name=phase.name,
            kind=phase.kind,
            duration_frames=max(1, round(phase.duration * rate)),
            prompt=phase.prompt,
            pump_mode=phase.pump_hint.mode,
            pump_hint=phase.pump_hint.describe(),
            breath=BreathPlan.from_breathing(phase.breathing or routine.breathing, rate),
            cues=tuple(phase.cues),
        )
        for i, phase in enumerate(routine.phases)
    )
    cues = tuple(
        CueSpec(
            name=name,
            kind=cue.kind,
            file=cue.file,
            text=cue.text,
            tone_hz=cue.tone,
            volume=cue.volume,
            loop=cue.loop,
        )
        for name, cue in routine.cues.items()
    )
    return Plan(routine_name=routine.name, rate=rate, phases=phases, cues=cues)
