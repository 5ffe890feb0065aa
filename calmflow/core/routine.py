"""Routines: the YAML a person writes, validated into a frozen model.

`load_routine` reads a file with the safe loader of `yamlsource`, validates it
with pydantic, resolves media paths and reports every problem at once, each
with file:line:col and, where one fits, a suggestion.
"""

from __future__ import annotations

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
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from calmflow.core.yamlsource import Problem, Source, SourceError, read_yaml

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


Seconds = Annotated[float, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _half_second_steps(value: float) -> float:
    if abs(value * 2 - round(value * 2)) > 1e-9:
        raise ValueError(f"breath steps go in 0.5 s steps; found {value:g}")
    return value


class Breathing(_Model):
    """A paced-breathing pattern; one cycle is inhale, hold, exhale, hold."""

    inhale_s: Annotated[float, Field(ge=1, le=15)] = 4.0
    """Seconds breathing in; the guide tone rises."""
    hold_in_s: Annotated[float, Field(ge=0, le=15)] = 0.0
    """Seconds holding after the inhale (none by default: see EVIDENCE.md)."""
    exhale_s: Annotated[float, Field(ge=1, le=20)] = 6.0
    """Seconds breathing out; the guide tone falls."""
    hold_out_s: Annotated[float, Field(ge=0, le=15)] = 0.0
    """Seconds holding after the exhale."""

    _steps = field_validator("inhale_s", "hold_in_s", "exhale_s", "hold_out_s")(_half_second_steps)

    @property
    def cycle_s(self) -> float:
        return self.inhale_s + self.hold_in_s + self.exhale_s + self.hold_out_s

    def steps(self) -> list[tuple[str, float]]:
        """The non-empty steps of one cycle, as (label, seconds)."""
        steps = [
            ("in", self.inhale_s),
            ("hold", self.hold_in_s),
            ("out", self.exhale_s),
            ("hold", self.hold_out_s),
        ]
        return [(label, s) for label, s in steps if s > 0]


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
    volume: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Loudness of a sound or tone, 0 to 1."""
    loop: bool = True
    """Whether a sound starts again when it ends, for as long as the cue is on."""

    @model_validator(mode="after")
    def _one_kind(self) -> Cue:
        given = [k for k in ("sound", "photo", "text", "tone") if getattr(self, k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none of them"
            raise ValueError(f"a cue has exactly one of sound, photo, text or tone; found {found}")
        return self

    @property
    def kind(self) -> str:
        for k in ("sound", "photo", "text", "tone"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated cue without a kind")

    @property
    def file(self) -> str | None:
        return self.sound or self.photo


class Phase(_Model):
    """One stretch of a session: what to do, how to breathe, what plays."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    kind: PhaseKind
    duration: Annotated[Seconds, Field(gt=0, le=3 * 3600)]
    """How long the phase lasts: 90, 90s, 2m, 1m30s."""
    prompt: str = ""
    """What to do now, shown on screen."""
    pump: PumpHint | None = None
    """Pump setting; when left out, the usual one for the phase's kind."""
    breathing: Breathing | None = None
    """A breathing pattern for this phase only; the routine's otherwise."""
    cues: list[str] = Field(default_factory=list)
    """Names of cues (from the routine's `cues`) that are on during this phase."""

    @field_validator("cues")
    @classmethod
    def _each_cue_once(cls, names: list[str]) -> list[str]:
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"cue '{name}' is listed twice; list it once")
        return names

    @property
    def pump_hint(self) -> PumpHint:
        return self.pump or DEFAULT_PUMP[self.kind]


class Routine(_Model):
    """A whole routine as written in YAML."""

    version: Literal[1] = 1
    """The routine language's version, so later releases can migrate old files."""
    name: Annotated[str, Field(min_length=1, max_length=60)]
    description: str = ""
    breathing: Breathing = Breathing()
    cues: dict[str, Cue] = Field(default_factory=dict)
    phases: Annotated[list[Phase], Field(min_length=1, max_length=200)]

    @property
    def duration_s(self) -> float:
        return sum(p.duration for p in self.phases)


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


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _describe(err: dict[str, Any], loc: tuple[str | int, ...]) -> tuple[str, bool]:
    """A person's sentence for one pydantic error, and whether it is about a key."""
    kind = err["type"]
    found = err.get("input")
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
    message = err["msg"]
    message = re.sub(r"^(Value error|Assertion failed), ", "", message)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{message.lower()}; found {found!r}", False
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
    src = read_yaml(path)
    if not isinstance(src.data, dict):
        raise SourceError([src.problem((), "a routine is a mapping with name, phases and so on")])
    try:
        routine = Routine.model_validate(src.data)
    except ValidationError as exc:
        found = _problems_from(exc, src)
        raise SourceError(sorted(found, key=lambda p: (p.line, p.col))) from None

    problems: list[Problem] = []
    for i, phase in enumerate(routine.phases):
        for j, cue_name in enumerate(phase.cues):
            if cue_name not in routine.cues:
                hint = _suggest(cue_name, list(routine.cues)) or (
                    f" (the routine defines: {', '.join(routine.cues)})"
                    if routine.cues
                    else " (the routine defines no cues)"
                )
                problems.append(
                    src.problem(("phases", i, "cues", j), f"unknown cue '{cue_name}'{hint}")
                )

    base = path.resolve().parent
    resolved: dict[str, Cue] = {}
    for name, cue in routine.cues.items():
        if cue.file is None:
            resolved[name] = cue
            continue
        complaint = None
        try:
            target = resolve_media(cue.file, base, bundled_media)
            if not target.is_file():
                complaint = f"media file not found: {target}"
            elif check_media is not None:
                complaint = check_media(cue.kind, target)
        except (OSError, RuntimeError) as exc:  # an unknown ~user, a name too long
            target = Path(cue.file)
            complaint = f"media path cannot be used ({exc})"
        if complaint:
            problems.append(
                src.problem(("cues", name, cue.kind), f"cues.{name}.{cue.kind}: {complaint}")
            )
        resolved[name] = cue.model_copy(update={cue.kind: str(target)})
    if problems:
        raise SourceError(sorted(problems, key=lambda p: (p.line, p.col)))
    routine = routine.model_copy(update={"cues": resolved})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedRoutine(routine=routine, path=path.resolve(), digest=digest)
