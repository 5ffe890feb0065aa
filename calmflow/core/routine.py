"""Routines: the frozen model a routine's YAML is validated into.

One cohesive thing, the routine's schema, so over 400 lines: breathing, pump
hints, cues, prompts, phases and blocks, rules, the experiment, the routine.
`routine_loading.load_routine` reads a file into it; `routine_problems` turns
what pydantic finds wrong into file:line:col problems.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from calmflow.core.quantities import duration_text, parse_duration, parse_volume
from calmflow.core.trial import DEFAULT_BLOCKS

BUNDLED_PREFIX = "bundled:"
"""Media paths starting with this name a file that ships with calmflow."""

Seconds = Annotated[float, BeforeValidator(parse_duration)]
Volume = Annotated[float, BeforeValidator(parse_volume), Field(ge=0, le=1)]


class _Model(BaseModel):
    # strict: a boolean is only true or false (`chime: 0` is not false), a number
    # is never a boolean (`inhale_s: true` is not 1 s) nor a quoted string, and a
    # whole number is never a fraction: every field of every routine model, so a
    # field added later is strict too. Durations and volumes, written as words
    # (`2m`, `-12dB`), are read by their own parsers first.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _half_second_steps(value: float | None) -> float | None:
    if value is not None and abs(value * 2 - round(value * 2)) > 1e-9:
        raise ValueError(f"breath steps go in 0.5 s steps; found {value:g}")
    return value


def _parse_ratio(value: Any) -> Any:
    """'2:3' (inhale:exhale) as a pair of numbers."""
    if isinstance(value, str) and ":" in value:
        left, _, right = value.partition(":")
        try:
            return (float(left), float(right))
        except ValueError:
            pass
    if isinstance(value, str | int | float):
        raise ValueError(f"expected a ratio of inhale to exhale like 2:3; found {value!r}")
    return tuple(value) if isinstance(value, list) else value  # [2, 3], as YAML gives it


BreathPreset = Literal["resonance", "even-5", "even-5.5", "box", "4-7-8", "off"]
BREATH_PRESETS: dict[str, tuple[float, float, float, float]] = {
    # (inhale, hold, exhale, hold) in seconds
    # [trial] about 6 breaths a minute relaxes: Steffen 2017; Shaffer & Meehan 2020
    "resonance": (4.0, 0.0, 6.0, 0.0),
    "even-5": (5.0, 0.0, 5.0, 0.0),
    "even-5.5": (5.5, 0.0, 5.5, 0.0),
    # [practice] breath-hold patterns, with a caution (EVIDENCE.md: no holds by default)
    "box": (4.0, 4.0, 4.0, 4.0),
    "4-7-8": (4.0, 7.0, 8.0, 0.0),
}
HOLD_CAUTION = (
    "Holding the breath is not for everyone: with asthma or high blood pressure, "
    "leave the holds out, and breathe normally if you feel dizzy."
)
BreathVoice = Literal["tone", "wave", "chime", "none"]


class Breathing(_Model):
    """A paced-breathing pattern; one cycle is inhale, hold, exhale, hold.

    Written as a preset name (`resonance`), as seconds per step, or as breaths
    a minute with an inhale:exhale ratio; `off` means no breathing guide.
    """

    preset: BreathPreset | None = None
    """A named pattern; the seconds below, if given, change it."""
    inhale_s: Annotated[float, Field(ge=1, le=15)] | None = None
    """Seconds breathing in; the guide tone rises."""
    hold_in_s: Annotated[float, Field(ge=0, le=15)] | None = None
    """Seconds holding after the inhale (none by default: see EVIDENCE.md)."""
    exhale_s: Annotated[float, Field(ge=1, le=20)] | None = None
    """Seconds breathing out; the guide tone falls."""
    hold_out_s: Annotated[float, Field(ge=0, le=15)] | None = None
    """Seconds holding after the exhale."""
    bpm: Annotated[float, Field(ge=2, le=15)] | None = None
    """Breaths a minute, instead of seconds per step."""
    ratio: Annotated[tuple[float, float], BeforeValidator(_parse_ratio)] | None = None
    """With bpm: inhale to exhale, e.g. 2:3 (the default) or 1:1."""
    voice: BreathVoice = "tone"
    """The breath guide's sound: a rising and falling tone, a soft noise wave,
    a chime at each inhale and exhale, or none (the guide is then only seen)."""

    _steps = field_validator("inhale_s", "hold_in_s", "exhale_s", "hold_out_s")(_half_second_steps)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"preset": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _consistent(self) -> Breathing:
        if self.bpm is not None and (self.inhale_s is not None or self.exhale_s is not None):
            raise ValueError("give either bpm or inhale_s/exhale_s, not both")
        if self.ratio is not None and self.bpm is None:
            raise ValueError("ratio goes with bpm (e.g. bpm: 6, ratio: 2:3)")
        if self.ratio is not None and min(self.ratio) <= 0:
            raise ValueError(f"both sides of the ratio must be above 0; found {self.ratio}")
        if self.off and len(self.model_fields_set) > 1:
            raise ValueError("breathing 'off' takes no other settings")
        inhale, hold_in, exhale, hold_out = self.pattern()
        if self.bpm is not None and min(inhale, exhale) < 1:
            raise ValueError(
                f"at {self.bpm:g} breaths a minute with these holds, a breath step is under 1 s"
            )
        return self

    @property
    def off(self) -> bool:
        return self.preset == "off"

    def pattern(self) -> tuple[float, float, float, float]:
        """Seconds of (inhale, hold, exhale, hold)."""
        base = BREATH_PRESETS.get(self.preset or "resonance", (0.0, 0.0, 0.0, 0.0))
        hold_in = base[1] if self.hold_in_s is None else self.hold_in_s
        hold_out = base[3] if self.hold_out_s is None else self.hold_out_s
        if self.bpm is not None:
            a, b = self.ratio or (2.0, 3.0)
            breathing = 60.0 / self.bpm - hold_in - hold_out
            return (breathing * a / (a + b), hold_in, breathing * b / (a + b), hold_out)
        inhale = base[0] if self.inhale_s is None else self.inhale_s
        exhale = base[2] if self.exhale_s is None else self.exhale_s
        return (inhale, hold_in, exhale, hold_out)

    @property
    def cycle_s(self) -> float:
        return sum(self.pattern())

    def steps(self) -> list[tuple[str, float]]:
        """The non-empty steps of one cycle, as (label, seconds)."""
        labels = ("in", "hold", "out", "hold")
        return [(label, s) for label, s in zip(labels, self.pattern(), strict=True) if s > 0]

    @property
    def caution(self) -> str | None:
        """A word of caution for patterns with breath holds."""
        _, hold_in, _, hold_out = self.pattern()
        return HOLD_CAUTION if (hold_in or hold_out) and not self.off else None


PumpMode = Literal["stimulation", "expression", "off"]
PumpSpeed = Literal["fast", "medium", "slow"]
PumpSuction = Literal["light", "medium", "comfortable_max"]


class PumpHint(_Model):
    """How to set the pump in a phase; shown large when the phase starts."""

    mode: PumpMode
    speed: PumpSpeed | None = None
    suction: PumpSuction | None = None

    def describe(self) -> str:
        """Words for the screen, e.g. 'stimulation mode: fast, light suction'."""
        if self.mode == "off":
            return "pump off"
        parts: list[str] = []
        if self.speed:
            parts.append(self.speed)
        if self.suction:
            parts.append(
                "strongest comfortable suction"
                if self.suction == "comfortable_max"
                else f"{self.suction} suction"
            )
        return f"{self.mode} mode" + (": " + ", ".join(parts) if parts else "")


DEFAULT_PUMP: dict[str, PumpHint] = {
    # [practice] Ramsay 2005, Medela 2-Phase: fast and light until milk flows,
    # then slower and as strong as is still comfortable.
    "prep": PumpHint(mode="off"),
    "stimulation": PumpHint(mode="stimulation", speed="fast", suction="light"),
    "expression": PumpHint(mode="expression", speed="slow", suction="comfortable_max"),
    "hands_on": PumpHint(mode="expression", speed="slow", suction="comfortable_max"),
    "pump": PumpHint(mode="expression", speed="slow", suction="comfortable_max"),
    "rest": PumpHint(mode="off"),
}

PhaseKind = Literal["prep", "stimulation", "expression", "hands_on", "rest", "pump"]
CUE_KINDS = ("sound", "photo", "video", "text", "tone")
SOUNDING_KINDS = ("sound", "video")
"""Cues whose file has a sound the engine plays, matched to a role."""


class Cue(_Model):
    """One named cue: exactly one of a sound file, a photo, a video, a text or a tone."""

    sound: str | None = None
    """An audio file (WAV, FLAC, OGG, MP3, M4A, or an MP4 or MOV video's sound),
    relative to the routine's folder."""
    photo: str | None = None
    """An image shown while the cue is on (PNG, JPEG, HEIC, WebP, GIF, BMP)."""
    video: str | None = None
    """A video (MP4 or MOV, as a phone films it) shown where a photo shows, with
    its sound played as a sound cue's; prepared once into a small copy the
    player reads (engine/video_proxy.py)."""
    text: str | None = None
    """Words shown while the cue is on."""
    tone: Annotated[float, Field(ge=60, le=2000)] | None = None
    """A soft sustained tone at this many Hz."""
    volume: Volume = 0.5
    """Loudness of a sound or tone: 0 to 1, or in dB like -12dB."""
    loop: bool | None = None
    """Whether a sound starts again when it ends; by default it does, unless
    the cue repeats `every` so often or has a `duration`."""
    fade_in: Annotated[Seconds, Field(ge=0, le=60)] = 1.0
    """Seconds a sound or tone takes to fade in each time it starts."""
    fade_out: Annotated[Seconds, Field(ge=0, le=60)] = 0.8
    """Seconds it takes to fade out when it stops before its end."""
    at: Annotated[Seconds, Field(ge=0, le=3 * 3600)] = 0.0
    """How long after the cue comes on it first starts (or shows)."""
    every: Annotated[Seconds, Field(ge=5, le=3 * 3600)] | None = None
    """Start it again this often while the cue is on (e.g. every 5m)."""
    duration: Annotated[Seconds, Field(gt=0, le=3 * 3600)] | None = None
    """How long it plays or shows each time; by default, while the cue is on
    (a sound that does not loop: once through)."""
    min_length: Annotated[Seconds, Field(gt=0, le=3600)] | None = None
    """A sound shorter than this is played again back to back until it has
    lasted this long (a baby's cry: at least 30 s, EVIDENCE.md)."""
    role: Literal["ambience", "music", "baby"] | None = None
    """What a sound is, which sets the loudness it is matched to (docs/sound.md):
    by default `ambience` if it loops, `baby` if it has `min_length` or is a
    video's, else `music`."""

    @model_validator(mode="after")
    def _one_kind(self) -> Cue:
        given = [k for k in CUE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none of them"
            raise ValueError(
                f"a cue has exactly one of sound, photo, video, text or tone; found {found}"
            )
        if self.every is not None and self.duration is not None and self.duration > self.every:
            raise ValueError(
                f"duration ({self.duration:g} s) is longer than every ({self.every:g} s);"
                " shorten it, or repeat less often"
            )
        if self.min_length is not None and self.sound is None:
            raise ValueError("min_length is for sound cues")
        if self.loop and self.min_length is not None:
            raise ValueError("a looping sound plays on anyway; use min_length with loop: false")
        if self.role is not None and self.sound is None and self.video is None:
            raise ValueError("role is for sound and video cues")
        return self

    @property
    def kind(self) -> str:
        for k in CUE_KINDS:
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated cue without a kind")

    @property
    def file(self) -> str | None:
        return self.sound or self.photo or self.video

    @property
    def loops(self) -> bool:
        if self.loop is not None:
            return self.loop
        return self.every is None and self.duration is None and self.min_length is None

    @property
    def sound_role(self) -> str:
        """The role of a sound: as given, or as its use says (a video's sound
        is the baby's, as a video in a routine is of the baby)."""
        if self.role is not None:
            return self.role
        if self.video is not None:
            return "baby"
        if self.loops:
            return "ambience"
        return "baby" if self.min_length is not None else "music"


def _each_once(names: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} '{name}' is listed twice; list it once")
        seen.add(name)
    return names


def _prompt_from_text(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class Prompt(_Model):
    """What to do now: words on screen, and optionally a recording of them."""

    text: str = ""
    voice: str | None = None
    """An audio file of the prompt spoken; background sound ducks under it."""


class TimedPrompt(Prompt):
    """A prompt that comes part-way through a phase."""

    at: Annotated[Seconds, Field(ge=0, le=3 * 3600)]
    """How long after the phase starts it comes."""
    duration: Annotated[Seconds, Field(gt=0, le=3 * 3600)] | None = None
    """How long the words stay; by default until the next prompt or the phase's end."""

    @model_validator(mode="after")
    def _says_something(self) -> TimedPrompt:
        if not self.text and self.voice is None:
            raise ValueError("a prompt needs text, a voice file or both")
        return self


class Phase(_Model):
    """One stretch of a session: what to do, how to breathe, what plays."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    kind: PhaseKind
    duration: Annotated[Seconds, Field(gt=0, le=3 * 3600)]
    """How long the phase lasts: 90, 90s, 2m, 1m30s."""
    prompt: Annotated[Prompt, BeforeValidator(_prompt_from_text)] = Prompt()
    """What to do now, shown on screen (and spoken, with a voice file)."""
    prompts: Annotated[list[TimedPrompt], Field(max_length=50)] = Field(default_factory=list)
    """Further prompts at times within the phase."""
    pump: PumpHint | None = None
    """Pump setting; when left out, the usual one for the phase's kind."""
    breathing: Breathing | None = None
    """A breathing pattern for this phase only (or `off`); the routine's otherwise."""
    cues: list[str] = Field(default_factory=list)
    """Names of cues (from the routine's `cues`) that are on during this phase."""
    open_ended: bool = False
    """The routine's last phase only: it lasts at least `duration`, then goes on
    while milk flows, until `f` (flow stopped) or `q`, at most `OPEN_ENDED_MAX_S`
    longer (or to `rules.max_duration`)."""

    @field_validator("cues")
    @classmethod
    def _each_cue_once(cls, names: list[str]) -> list[str]:
        return _each_once(names, "cue")

    @field_validator("prompts")
    @classmethod
    def _in_order(cls, prompts: list[TimedPrompt]) -> list[TimedPrompt]:
        times = [p.at for p in prompts]
        if times != sorted(times):
            raise ValueError("list the prompts in the order they come (by 'at')")
        return prompts

    @property
    def pump_hint(self) -> PumpHint:
        return self.pump or DEFAULT_PUMP[self.kind]


class Block(_Model):
    """Phases played `repeat` times over, e.g. the pump and rest of power pumping."""

    repeat: Annotated[int, Field(ge=1, le=20)]
    phases: Annotated[list[Phase], Field(min_length=1, max_length=50)]


def phase_or_block(value: Any) -> str:
    return "block" if isinstance(value, dict) and "repeat" in value else "phase"


PhaseItem = Annotated[
    Annotated[Phase, Tag("phase")] | Annotated[Block, Tag("block")],
    Discriminator(phase_or_block),
]
TAGS: dict[str, type[BaseModel]] = {"phase": Phase, "block": Block}


class Rules(_Model):
    """What the session does on its own, in answer to the body and the clock."""

    on_letdown: Literal["expression", "stay"] = "expression"
    """A let-down marked in stimulation moves on to the next expression phase
    (as a pump's let-down button does), or `stay` keeps to the clock."""
    restimulate_after: Annotated[Seconds, Field(ge=60, le=3600)] | None = None
    """In expression, after this long without a let-down, go back to
    stimulation for `restimulate_for` (EVIDENCE.md: 6-8 min, 1-2 min)."""
    restimulate_for: Annotated[Seconds, Field(ge=15, le=600)] = 90.0
    after_flow_stops: Annotated[Seconds, Field(ge=0, le=1800)] = 120.0
    """The `f` key (flow stopped) finishes the session this long after
    (EVIDENCE.md: keep going about 2 min after the flow stops)."""
    max_duration: Annotated[Seconds, Field(ge=60, le=4 * 3600)] | None = None
    """The session never runs longer than this, whatever the rules add."""
    letdown_extends: Annotated[Seconds, Field(ge=10, le=600)] | None = None
    """A let-down marked with less than this left of an expression phase (the
    expression phases in a row count as one) makes it go on until this long
    after the let-down, so the flow is not cut off by the clock (EVIDENCE.md: a
    let-down lasts 45 s to 3.5 min)."""


class Experiment(_Model):
    """A cue slot filled by one of its arms, drawn at random in blocks from
    session to session: an n-of-1 trial (calmflow.core.trial)."""

    slot: Annotated[str, Field(min_length=1, max_length=60)]
    """The name phases list in `cues` where the chosen cue plays."""
    arms: Annotated[list[str], Field(min_length=2, max_length=6)]
    """Names of the cues to compare (from the routine's `cues`)."""
    blocks: Annotated[int, Field(ge=2, le=50)] = DEFAULT_BLOCKS
    """Blocks planned: each gives every arm once, in a random order. The answer
    comes when they are all done."""
    adopted: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    """The arm chosen for good (`calmflow experiment adopt`): the slot plays it and
    the experiment no longer runs."""

    @field_validator("arms")
    @classmethod
    def _each_arm_once(cls, arms: list[str]) -> list[str]:
        return _each_once(arms, "arm")

    @field_validator("adopted")
    @classmethod
    def _one_of_the_arms(cls, adopted: str | None, info: ValidationInfo) -> str | None:
        arms = info.data.get("arms") or []
        if adopted is not None and arms and adopted not in arms:
            raise ValueError(f"'{adopted}' is not one of the arms ({', '.join(arms)})")
        return adopted


MAX_PLAYED_PHASES = 1000
"""Phases a routine plays, blocks repeated: power pumping plays 5 and a long
routine a few dozen. The cap keeps a mistake from planning a session of
hundreds of thousands of phases (200 blocks of 20 rounds of 50 could)."""
MAX_ROUTINE_S = 4 * 3600.0
"""The phases together, blocks repeated, as `rules.max_duration` at its longest."""
MIN_ROUTINE_S = 3.0
"""The phases together, at the least: the chime that opens a session rings for
3 s, so a routine any shorter ends before its first sound does, with nothing to
breathe with or press; it can only be a slip (`duration: 0.01` meant as minutes),
and a session of a few microseconds would be logged and counted as one."""
OPEN_ENDED_MAX_S = 30 * 60.0
"""How much longer than its `duration` an open-ended phase can go on [ours]: a
typical session is 15-20 min (EVIDENCE.md), so by then the milk has long
stopped or the person has fallen asleep with the pump on; `rules.max_duration`
sets another end."""
MAX_NAME = 60
"""Characters in a routine's name: it heads the player and the lines of the log."""


def name_problem(name: str, *, file_name: bool = False) -> str | None:
    """What is wrong with `name` as a routine's name, or None: the one rule for
    the `name:` that `calmflow check` reads and the NAME `calmflow new` is given.

    `file_name`: the name also names the routine's file (NAME.yaml), so it is
    letters, digits, - and _ only (at most 4 bytes each, so the file's name
    stays within the 255 bytes a file system allows)."""
    if not name:
        return "a routine's name cannot be empty"
    if len(name) > MAX_NAME:
        return f"a routine's name is at most {MAX_NAME} characters; this one has {len(name):,}"
    if file_name and not name.replace("-", "").replace("_", "").isalnum():
        return "use letters, digits, - and _ only"
    return None


class ProblemAt(ValueError):
    """A problem a list's validator finds at a place inside it (`loc`, from the
    list): shown at that place's line and column, not the list's."""

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


def _open_ended_last(phases: list[Phase | Block]) -> None:
    """Only the last phase can go on while milk flows: a phase after it would
    never come, and a block's rounds would each wait for the person."""
    for i, item in enumerate(phases):
        inner = item.phases if isinstance(item, Block) else [item]
        for j, phase in enumerate(inner):
            if phase.open_ended and (isinstance(item, Block) or i + 1 < len(phases)):
                where = "in a repeated block" if isinstance(item, Block) else "not the last phase"
                raise ProblemAt(
                    f"'{phase.name}' is {where}: only the routine's last phase can go on"
                    " while milk flows; remove `open_ended: true` or move the phase to the end",
                    (i, "phases", j, "open_ended")
                    if isinstance(item, Block)
                    else (i, "open_ended"),
                )


def _routine_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def _not_a_boolean(value: Any) -> Any:
    """Python counts true as 1: refuse it where a number is meant (`version: true`)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number; found {str(value).lower()}")
    return value


class Routine(_Model):
    """A whole routine as written in YAML."""

    version: Annotated[Literal[1], BeforeValidator(_not_a_boolean)] = 1
    """The routine language's version, so later releases can migrate old files."""
    name: Annotated[str, AfterValidator(_routine_name)]
    description: str = ""
    extends: str | None = None
    """Another routine (by name or path) this one starts from. What is not
    written here is taken over from it; `cues` and `rules` merge key by key (a
    cue that names its kind replaces the one of that name); everything else
    written here, breathing, experiment and lists such as phases, replaces it."""
    cue_sets: Annotated[list[str], Field(max_length=10)] = Field(default_factory=list)
    """Files of shared cues (name: cue) whose cues this routine may use."""
    breathing: Breathing = Breathing(preset="resonance")
    chime: bool = True
    """A chime at every phase change."""
    cues: dict[str, Cue] = Field(default_factory=dict)
    background: list[str] = Field(default_factory=list)
    """Cues on through the whole session (music, guided audio)."""
    ducking: Volume = 0.25
    """How loud background cues stay while a voice prompt speaks (-12dB)."""
    rules: Rules = Rules()
    experiment: Experiment | None = None
    phases: Annotated[list[PhaseItem], Field(min_length=1, max_length=200)]

    @field_validator("phases")
    @classmethod
    def _within_a_session(cls, phases: list[Phase | Block]) -> list[Phase | Block]:
        count, seconds, blocks = 0, 0.0, False
        for item in phases:
            if isinstance(item, Block):
                count += item.repeat * len(item.phases)
                seconds += item.repeat * sum(p.duration for p in item.phases)
                blocks = True
            else:
                count, seconds = count + 1, seconds + item.duration
        repeated = ", with blocks repeated" if blocks else ""
        _open_ended_last(phases)
        if seconds < MIN_ROUTINE_S:
            lasting = duration_text(seconds) if seconds >= 0.01 else "under 0.01s"
            raise ValueError(
                f"the phases last {lasting} in all{repeated};"
                f" a routine lasts at least {duration_text(MIN_ROUTINE_S)}"
            )
        if count > MAX_PLAYED_PHASES:
            raise ValueError(
                f"{count:,} phases are played{repeated}; a routine plays at most"
                f" {MAX_PLAYED_PHASES:,}"
            )
        if seconds > MAX_ROUTINE_S:
            raise ValueError(
                f"the phases last {duration_text(seconds)} in all{repeated};"
                f" a routine lasts at most {duration_text(MAX_ROUTINE_S)}"
            )
        return phases

    @property
    def flat_phases(self) -> list[tuple[Phase, int, int]]:
        """Every phase in playing order, blocks unrolled, as (phase, round, rounds)."""
        out: list[tuple[Phase, int, int]] = []
        for item in self.phases:
            if isinstance(item, Block):
                for k in range(item.repeat):
                    out.extend((phase, k + 1, item.repeat) for phase in item.phases)
            else:
                out.append((item, 1, 1))
        return out

    @property
    def open_ended(self) -> bool:
        """Whether the last phase goes on while milk flows (its `duration` is its least)."""
        last = self.phases[-1]
        return isinstance(last, Phase) and last.open_ended

    @property
    def duration_s(self) -> float:
        """As planned, before any rule changes it (an open-ended last phase at
        its least)."""
        planned = sum(p.duration for p, _, _ in self.flat_phases)
        cap = self.rules.max_duration
        return min(planned, cap) if cap else planned
