"""Routines: the YAML a person writes, validated into a frozen model.

`load_routine` reads a file with the safe loader of `yamlsource`, validates it
with pydantic, resolves media paths and reports every problem at once, each
with file:line:col and, where one fits, a suggestion.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from calmflow.core.yamlsource import Problem, Source, SourceError, ValueBudget, read_yaml

BUNDLED_PREFIX = "bundled:"
"""Media paths starting with this name a file that ships with calmflow."""

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$"
)


def parse_duration(value: Any) -> float:
    """Seconds from `90`, `90s`, `2m`, `1m30s` or `1h`; raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 90s, 2m or 1m30s; found {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match and match.group(1) and match.group(3) and not value.rstrip().endswith("s"):
            raise ValueError(f"'{value}' is ambiguous: write {value}m or {value}s")
        if match and any(match.groups()):
            hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise ValueError(f"expected a duration like 90s, 2m or 1m30s; found {value!r}")


def duration_text(seconds: float) -> str:
    """A duration as a routine would write it: 1m, 1m30s, 3h, 45s."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours:g}h" if hours else "", f"{minutes:g}m" if minutes else ""]
    parts.append(f"{secs:g}s" if secs or not (hours or minutes) else "")
    return "".join(parts)


_VOLUME_DB = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*dB\s*$", re.IGNORECASE)


def parse_volume(value: Any) -> float:
    """A gain from 0 to 1, or from decibels like `-12dB` (0dB is full)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a volume from 0 to 1, or in dB like -12dB; found {value!r}")
    if isinstance(value, str):
        match = _VOLUME_DB.match(value)
        if not match:
            raise ValueError(f"expected a volume from 0 to 1, or in dB like -12dB; found {value!r}")
        db = float(match.group(1))
        if db > 0:
            raise ValueError(f"a volume in dB is at most 0dB (full); found {value!r}")
        return float(10 ** (db / 20))
    return value  # type: ignore[no-any-return]  # pydantic checks it is a number


Seconds = Annotated[float, BeforeValidator(parse_duration)]
Volume = Annotated[float, BeforeValidator(parse_volume), Field(ge=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    return value


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
CUE_KINDS = ("sound", "photo", "text", "tone")


class Cue(_Model):
    """One named cue: exactly one of a sound file, a photo, a text or a tone."""

    sound: str | None = None
    """An audio file (WAV, FLAC, OGG, MP3), relative to the routine's folder."""
    photo: str | None = None
    """An image shown while the cue is on."""
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

    @model_validator(mode="after")
    def _one_kind(self) -> Cue:
        given = [k for k in CUE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none of them"
            raise ValueError(f"a cue has exactly one of sound, photo, text or tone; found {found}")
        if self.every is not None and self.duration is not None and self.duration > self.every:
            raise ValueError(
                f"duration ({self.duration:g} s) is longer than every ({self.every:g} s);"
                " shorten it, or repeat less often"
            )
        if self.min_length is not None and self.sound is None:
            raise ValueError("min_length is for sound cues")
        if self.loop and self.min_length is not None:
            raise ValueError("a looping sound plays on anyway; use min_length with loop: false")
        return self

    @property
    def kind(self) -> str:
        for k in CUE_KINDS:
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated cue without a kind")

    @property
    def file(self) -> str | None:
        return self.sound or self.photo

    @property
    def loops(self) -> bool:
        if self.loop is not None:
            return self.loop
        return self.every is None and self.duration is None and self.min_length is None


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


def _phase_or_block(value: Any) -> str:
    return "block" if isinstance(value, dict) and "repeat" in value else "phase"


PhaseItem = Annotated[
    Annotated[Phase, Tag("phase")] | Annotated[Block, Tag("block")],
    Discriminator(_phase_or_block),
]
_TAGS: dict[str, type[BaseModel]] = {"phase": Phase, "block": Block}


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


class Experiment(_Model):
    """A cue slot that alternates between cues from session to session."""

    slot: Annotated[str, Field(min_length=1, max_length=60)]
    """The name phases list in `cues` where the chosen cue plays."""
    arms: Annotated[list[str], Field(min_length=2, max_length=6)]
    """Names of the cues to compare (from the routine's `cues`)."""

    @field_validator("arms")
    @classmethod
    def _each_arm_once(cls, arms: list[str]) -> list[str]:
        return _each_once(arms, "arm")


MAX_PLAYED_PHASES = 1000
"""Phases a routine plays, blocks repeated: power pumping plays 5 and a long
routine a few dozen. The cap keeps a mistake from planning a session of
hundreds of thousands of phases (200 blocks of 20 rounds of 50 could)."""
MAX_ROUTINE_S = 4 * 3600.0
"""The phases together, blocks repeated, as `rules.max_duration` at its longest."""


class Routine(_Model):
    """A whole routine as written in YAML."""

    version: Literal[1] = 1
    """The routine language's version, so later releases can migrate old files."""
    name: Annotated[str, Field(min_length=1, max_length=60)]
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
    def duration_s(self) -> float:
        """As planned, before any rule changes it."""
        planned = sum(p.duration for p, _, _ in self.flat_phases)
        cap = self.rules.max_duration
        return min(planned, cap) if cap else planned


@dataclass(frozen=True)
class LoadedRoutine:
    """A validated routine with its file, media paths made absolute."""

    routine: Routine
    path: Path
    digest: str
    """SHA-256 of the file, so a session records exactly which version it ran."""


# --- errors -----------------------------------------------------------------


def _walk(loc: tuple[Any, ...]) -> tuple[tuple[str | int, ...], type[BaseModel] | None]:
    """Keep the parts of a pydantic `loc` that are keys or indexes of the document.

    pydantic adds the names of union branches ("float", "function-after[...]");
    they are dropped. Also returns the model whose fields live at the end.
    """
    out: list[str | int] = []
    model: type[BaseModel] | None = Routine
    in_container = False
    for part in loc:
        if in_container:
            out.append(part)
            in_container = False
        elif isinstance(part, str) and part in _TAGS:  # which branch of a phase list item
            model = _TAGS[part]
        elif model is not None and isinstance(part, str) and part in model.model_fields:
            out.append(part)
            annotation = model.model_fields[part].annotation
            if get_origin(annotation) in (list, dict):
                in_container = True
                annotation = get_args(annotation)[-1]
            model = _first_model(annotation)
    return tuple(out), model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found:
            return found
    return None


def _parsed_by(raw: tuple[Any, ...], parser: Callable[[Any], Any]) -> bool:
    """Whether the field at pydantic's `raw` loc is read with `parser`."""
    model = _walk(raw[:-1])[1]
    field = model.model_fields.get(str(raw[-1])) if model else None
    if field is None:
        return False

    def mentions(node: Any) -> bool:
        if isinstance(node, BeforeValidator):
            return node.func is parser
        return any(mentions(arg) for arg in get_args(node))

    return any(mentions(node) for node in (field.annotation, *field.metadata))


_BOUNDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _describe(err: dict[str, Any], loc: tuple[str | int, ...]) -> tuple[str, bool]:
    """A person's sentence for one pydantic error, and whether it is about a key."""
    kind = err["type"]
    found = err.get("input")
    key, words = _BOUNDS.get(kind, ("", ""))
    bound = err.get("ctx", {}).get(key)
    if isinstance(bound, int | float):
        raw = tuple(err["loc"])
        if _parsed_by(raw, parse_volume):
            return f"a volume is from 0 to 1, or in dB like -12dB; found {found!r}", False
        limit = duration_text(bound) if _parsed_by(raw, parse_duration) else f"{bound:g}"
        return f"must be {words} {limit}; found {found!r}", False
    if kind == "extra_forbidden":
        model = _walk(loc[:-1])[1]
        choices = list(model.model_fields) if model else []
        key = str(loc[-1])
        hint = _suggest(key, choices) or (
            f" (expected one of: {', '.join(choices)})" if choices else ""
        )
        return f"unknown key '{key}'{hint}", True
    if kind == "missing":
        return f"missing '{loc[-1]}'", False
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = re.findall(r"'([^']*)'", expected) or re.split(r", | or ", expected)
        hint = _suggest(str(found), options) if isinstance(found, str) else ""
        return f"expected one of {', '.join(options)}; found {found!r}{hint}", False
    if kind in ("too_short", "too_long"):
        ctx = err.get("ctx", {})
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        least = "at least" if kind == "too_short" else "at most"
        return (
            f"needs {least} {bound} {'entry' if bound == 1 else 'entries'}; found {ctx.get('actual_length')}",
            False,
        )
    message = err["msg"]
    message = re.sub(r"^(Value error|Assertion failed), ", "", message)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{message.lower()}; found {found!r}", False
    return message, False


def _problems_from(exc: ValidationError, src: Source) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        raw = tuple(err["loc"])
        loc = _walk(raw[:-1])[0] + (raw[-1],) if err["type"] == "extra_forbidden" else _walk(raw)[0]
        message, about_key = _describe(dict(err), loc)
        where = ".".join(str(p) for p in loc)
        text = f"{where}: {message}" if where else message
        problems.append(src.problem(loc, text, key=about_key))
    return problems


# --- loading ----------------------------------------------------------------


def resolve_media(name: str, base: Path, bundled_media: Path) -> Path:
    """Where a media path written in a routine points."""
    if name.startswith(BUNDLED_PREFIX):
        return bundled_media / name[len(BUNDLED_PREFIX) :]
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path


MediaCheck = Callable[[str, Path], str | None]
"""Given a cue kind ('sound', 'photo') and a file, a complaint, or None if it is usable."""


REPLACED_WHOLE = {"breathing", "experiment"}
"""Keys that a routine which extends another replaces, where mappings otherwise merge."""
MAX_EXTENDS = 5
"""How long a chain of `extends` may be."""


def _routine_file(name: str, base: Path, skip: tuple[Path, ...]) -> Path | None:
    """The file `extends: name` points at: a path, or a routine of that name
    beside this one, in the user's folder, or bundled."""
    if "/" in name or Path(name).suffix in (".yaml", ".yml"):
        candidate = Path(name).expanduser()
        return candidate if candidate.is_absolute() else base / candidate
    from calmflow import paths

    looped = None
    for folder in (base, paths.user_routines_dir(), paths.bundled_routines_dir()):
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                if candidate.resolve() not in skip:
                    return candidate
                looped = looped or candidate
    return looped  # only a routine already in the chain: reported as a loop


def _with_parents(src: Source, budget: ValueBudget, chain: tuple[Path, ...] = ()) -> Source:
    """`src` laid over the routine it extends and the cue sets it names, all
    read within `budget`."""
    data = src.data
    if not isinstance(data, dict):
        return src
    chain = (*chain, src.path.resolve())
    base = src.path.resolve().parent
    cue_sets = data.get("cue_sets")
    for i, name in enumerate(cue_sets if isinstance(cue_sets, list) else []):
        if not isinstance(name, str):
            continue  # reported when the routine is validated
        cue_file = Path(name).expanduser()
        cue_file = cue_file if cue_file.is_absolute() else base / cue_file
        if not cue_file.is_file():
            raise SourceError([src.problem(("cue_sets", i), f"cue set not found: {cue_file}")])
        cue_src = read_yaml(cue_file, budget)
        if not isinstance(cue_src.data, dict):
            raise SourceError([cue_src.problem((), "a cue set is a mapping of cue names to cues")])
        _absolute_media(cue_src, ())
        _drop_replaced_cues(data.get("cues"), cue_src.data)
        src = src.merged(cue_src, at=("cues",))
    parent_name = data.get("extends")
    if parent_name is None:
        return src
    if not isinstance(parent_name, str):
        raise SourceError(
            [src.problem(("extends",), "extends names a routine, e.g. extends: standard")]
        )
    if "name" not in data:
        raise SourceError(
            [
                src.problem(
                    ("extends",),
                    "a routine that extends another needs its own name: add name:",
                    key=True,
                )
            ]
        )
    parent_file = _routine_file(parent_name, base, chain)
    if parent_file is None or not parent_file.is_file():
        raise SourceError(
            [src.problem(("extends",), f"extends '{parent_name}': no routine of that name or path")]
        )
    if parent_file.resolve() in chain:
        raise SourceError(
            [
                src.problem(
                    ("extends",), f"extends '{parent_name}', which leads back to this routine"
                )
            ]
        )
    if len(chain) > MAX_EXTENDS:
        raise SourceError(
            [src.problem(("extends",), f"routines extend each other more than {MAX_EXTENDS} deep")]
        )
    parent = _with_parents(read_yaml(parent_file.resolve(), budget), budget, chain)
    if not isinstance(parent.data, dict):
        raise SourceError(
            [parent.problem((), "a routine is a mapping with name, phases and so on")]
        )
    _absolute_media(parent, ("cues",))
    for key in REPLACED_WHOLE & data.keys():  # one pattern, one experiment: never half of each
        parent.data.pop(key, None)
    _drop_replaced_cues(data.get("cues"), parent.data.get("cues"))
    return src.merged(parent)


def _drop_replaced_cues(cues: Any, base_cues: Any) -> None:
    """Remove from `base_cues` each cue that `cues` writes out anew (naming its
    kind), so a sound can become a text without the two mixing; a cue written
    without a kind (`baby: {volume: 0.8}`) changes only what it names."""
    if not isinstance(cues, dict) or not isinstance(base_cues, dict):
        return
    for name, cue in cues.items():
        if isinstance(cue, dict) and any(kind in cue for kind in CUE_KINDS):
            base_cues.pop(name, None)


def _raw_phases(data: Any) -> list[tuple[dict[str, Any], tuple[str | int, ...]]]:
    """The phases of routine data as written, blocks opened, with where each is;
    whatever is not a mapping is left for validation to report."""
    items = data.get("phases") if isinstance(data, dict) else None
    out: list[tuple[dict[str, Any], tuple[str | int, ...]]] = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if _phase_or_block(item) == "block":
            inner = item.get("phases")
            for k, phase in enumerate(inner if isinstance(inner, list) else []):
                if isinstance(phase, dict):
                    out.append((phase, ("phases", i, "phases", k)))
        elif isinstance(item, dict):
            out.append((item, ("phases", i)))
    return out


_Place = tuple[dict[str, Any], tuple[str | int, ...], str]


def _media_places(data: Any, at: tuple[str, ...]) -> list[_Place]:
    """Each mapping in `data` that names a media file, where it is, and the key:
    the cues under `at`, and for a routine (at == ("cues",)) the voice files of
    its phases' prompts too."""
    cues = data
    for part in at:
        cues = cues.get(part) if isinstance(cues, dict) else None
    places: list[_Place] = []
    if isinstance(cues, dict):
        for name, cue in cues.items():
            if isinstance(cue, dict):
                places += [(cue, (*at, name), kind) for kind in ("sound", "photo")]
    if at:
        for phase, loc in _raw_phases(data):
            prompt = phase.get("prompt")
            if isinstance(prompt, dict):
                places.append((prompt, (*loc, "prompt"), "voice"))
            prompts = phase.get("prompts")
            for j, timed in enumerate(prompts if isinstance(prompts, list) else []):
                if isinstance(timed, dict):
                    places.append((timed, (*loc, "prompts", j), "voice"))
    return [(holder, loc, key) for holder, loc, key in places if isinstance(holder.get(key), str)]


def _absolute_media(src: Source, at: tuple[str, ...]) -> None:
    """Make the relative media paths in `src` absolute, so they keep pointing at
    the files beside the file that names them (see `_media_places`)."""
    for holder, loc, key in _media_places(src.data, at):
        value = holder[key]
        if not value.startswith(BUNDLED_PREFIX):
            folder = src.file_of((*loc, key)).resolve().parent
            # an unknown ~user is reported when the routine is checked
            with contextlib.suppress(RuntimeError):
                holder[key] = str(folder / Path(value).expanduser())


def load_routine(
    path: Path, *, bundled_media: Path | None = None, check_media: MediaCheck | None = None
) -> LoadedRoutine:
    """Read and validate a routine file; raise `SourceError` listing every problem.

    Media files must exist; `check_media` can look inside them too (the core
    cannot decode audio itself).
    """
    if bundled_media is None:
        from calmflow.paths import bundled_media_dir

        bundled_media = bundled_media_dir()
    budget = ValueBudget()
    src = read_yaml(path, budget)
    if not isinstance(src.data, dict):
        raise SourceError([src.problem((), "a routine is a mapping with name, phases and so on")])
    try:
        src = _with_parents(src, budget)
    except RuntimeError as exc:  # an unknown ~user in a path
        raise SourceError([src.problem((), f"a path in it cannot be used ({exc})")]) from None
    # names and media are checked on the data as written, so that their
    # problems come in the same run as those validation finds
    problems = _unknown_names(src)
    problems += _resolve_media(src, path.resolve().parent, bundled_media, check_media)
    try:
        routine = Routine.model_validate(src.data)
    except ValidationError as exc:
        problems += _problems_from(exc, src)
    if problems:
        raise SourceError(_in_order(problems))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedRoutine(routine=routine, path=path.resolve(), digest=digest)


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (str(p.path), p.line, p.col))


MAX_GUESSES = 20
"""Unknown cue names given a 'did you mean' each, at most."""


def _unknown_names(src: Source) -> list[Problem]:
    """Cue names used but not defined, and an experiment that does not fit."""
    data = src.data
    cues = data.get("cues", {})
    if not isinstance(cues, dict):
        return []  # validation says what cues should be
    defined = [str(name) for name in cues]
    experiment = data.get("experiment")
    experiment = experiment if isinstance(experiment, dict) else {}
    slot = experiment.get("slot")
    problems: list[Problem] = []

    def listed(holder: dict[str, Any], key: str, loc: tuple[str | int, ...]) -> list[Any]:
        names = holder.get(key)
        return [
            (name, (*loc, key, j))
            for j, name in enumerate(names if isinstance(names, list) else [])
            if isinstance(name, str)
        ]

    def check(name: str, loc: tuple[str | int, ...], *, slot_ok: bool = True) -> None:
        if name in cues or (slot_ok and name == slot):
            return
        # A guess costs a comparison with every cue; a file of thousands of
        # unknown names gets guesses for its first few only.
        guess = _suggest(name, defined) if len(problems) < MAX_GUESSES else ""
        if guess or not defined:
            hint = guess or " (the routine defines no cues)"
        elif len(defined) <= 12:
            hint = f" (the routine defines: {', '.join(defined)})"
        else:
            hint = f" (the routine defines {len(defined):,} cues; check its spelling)"
        problems.append(src.problem(loc, f"unknown cue '{name}'{hint}"))

    in_phases = [used for phase, loc in _raw_phases(data) for used in listed(phase, "cues", loc)]
    for name, loc in in_phases:
        check(name, loc)
    for name, loc in listed(data, "background", ()):
        check(name, loc, slot_ok=False)
    if isinstance(slot, str):
        for name, loc in listed(experiment, "arms", ("experiment",)):
            check(name, loc, slot_ok=False)
        if slot in cues:
            problems.append(
                src.problem(
                    ("experiment", "slot"),
                    f"experiment.slot: '{slot}' is also a cue's name; give the slot a name of its own",
                )
            )
        elif not any(name == slot for name, _ in in_phases):
            problems.append(
                src.problem(
                    ("experiment", "slot"),
                    f"experiment.slot: no phase lists '{slot}' in its cues, so the experiment never plays",
                )
            )
    return problems


def _resolve_media(
    src: Source, base: Path, bundled: Path, check: MediaCheck | None
) -> list[Problem]:
    """Write each media path of the routine as the absolute path of its file, and
    say of each one that cannot be used why not, at the line that names it."""
    problems: list[Problem] = []
    for holder, loc, key in _media_places(src.data, ("cues",)):
        complaint = None
        try:
            target = resolve_media(holder[key], base, bundled)
            holder[key] = str(target)
            if not target.is_file():
                complaint = f"media file not found: {target}"
            elif check is not None:
                complaint = check("sound" if key == "voice" else key, target)
        except (OSError, RuntimeError) as exc:  # an unknown ~user, a name too long
            complaint = f"media path cannot be used ({exc})"
        if complaint:
            where = ".".join(str(p) for p in (*loc, key))
            problems.append(src.problem((*loc, key), f"{where}: {complaint}"))
    return problems
