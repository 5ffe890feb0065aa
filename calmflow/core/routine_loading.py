"""Loading a routine: the file read with the safe YAML loader, the routines it
extends merged in, every name and media file checked, the whole validated into
the model, and every problem reported at once, each with file:line:col.
"""

from __future__ import annotations

import contextlib
import hashlib
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from calmflow.core.routine import BUNDLED_PREFIX, CUE_KINDS, Cue, Routine, phase_or_block
from calmflow.core.routine_problems import problems_from, suggest
from calmflow.core.yamlsource import Problem, Source, SourceError, ValueBudget, read_yaml


@dataclass(frozen=True)
class MediaName:
    """A media file as a routine names it, and where."""

    written: str
    """As written in `file` (`sounds/baby.wav`, `~/baby.png`, `bundled:calm.png`);
    a routine's own relative paths are kept inside a copy's folder (catalog)."""
    path: Path
    """The file it names, absolute."""
    place: Problem
    """Where it is named: the file, line and column, and the key (`cues.baby.photo`)
    as the message, for what is to be said of it."""

    @property
    def relative(self) -> bool:
        """Whether it names a file by a path relative to the file it is written in."""
        return not (
            self.written.startswith((BUNDLED_PREFIX, "~")) or Path(self.written).is_absolute()
        )


@dataclass(frozen=True)
class LoadedRoutine:
    """A validated routine with its file, media paths made absolute."""

    routine: Routine
    path: Path
    digest: str
    """SHA-256 of the file, so a session records exactly which version it ran."""
    media: tuple[MediaName, ...] = ()
    """Every media file it names, in its own file and those it takes from."""


def resolve_media(name: str, base: Path, bundled_media: Path) -> Path:
    """Where a media path written in a routine points."""
    if name.startswith(BUNDLED_PREFIX):
        return bundled_media / name[len(BUNDLED_PREFIX) :]
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path


MediaCheck = Callable[[str, Path], str | None]
"""Given a cue kind ('sound', 'photo', 'video') and a file, a complaint, or None
if it is usable."""


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
    from calmflow.system import paths

    looped = None
    for folder in (base, paths.user_routines_dir(), paths.bundled_routines_dir()):
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                if candidate.resolve() not in skip:
                    return candidate
                looped = looped or candidate
    return looped  # only a routine already in the chain: reported as a loop


NOT_SHOWN = "none of its text is shown"
"""Said of a file that is not a routine or a cue set: it could be any file the
person can read (a shared routine may say `extends: /etc/shadow`), so no line of
it is quoted in what calmflow says."""


def _stranger(src: Source, *, cue_set: bool) -> str | None:
    """Where `src`, a file a routine names, is not shaped like a routine (or,
    with `cue_set`, a cue set), in words that quote nothing of it; None if it
    is shaped like one, and so may be quoted in what is said of it."""
    data = src.data
    if not isinstance(data, dict):
        return "it is not a mapping of " + ("cue names to cues" if cue_set else "a routine's keys")
    keys: list[tuple[str, ...]]
    if not cue_set:
        keys = [(name,) for name in data if name not in Routine.model_fields]
        what = "not one of a routine's keys"
    else:
        cues = [(name,) for name, cue in data.items() if not isinstance(cue, dict)]
        if cues:
            line, col = src.where(cues[0])
            return f"at its line {line}, column {col}: not a cue (a mapping, e.g. photo: a.png)"
        keys = [(n, key) for n, cue in data.items() for key in cue if key not in Cue.model_fields]
        what = "not one of a cue's keys"
    if not keys:
        return None
    line, col = src.where(keys[0], key=True)
    return f"at its line {line}, column {col}: {what}"


def _looks_like_a_routine(src: Source) -> bool:
    """Whether the file given to be read as a routine is one, if perhaps a
    mistaken one: not a mapping (said without quoting it), or one with at least
    one of a routine's keys. Anything else (a password file, another program's
    settings) is refused whole, quoting none of it: a near miss is not enough,
    as `users:` is near `cues:`."""
    data = src.data
    return not isinstance(data, dict) or not data or any(k in Routine.model_fields for k in data)


def _plain_file(path: Path) -> str | None:
    """Why `path` cannot be read as a file (missing, a folder, a device or a
    pipe: symbolic links are followed to plain files only), or None."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "not found"
    except OSError as exc:  # a name too long, a loop of links, no permission
        return f"cannot be used ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    return "is not a plain file (a device or a pipe?)"


def _with_parents(src: Source, budget: ValueBudget, chain: tuple[Path, ...] = ()) -> Source:
    """`src` laid over the routine it extends and the cue sets it names, all
    read within `budget`. A file named here is quoted in what is said of it only
    once it is seen to be a routine (or a cue set)."""
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
        unusable = _plain_file(cue_file)
        if unusable == "not found":
            raise SourceError([src.problem(("cue_sets", i), f"cue set not found: {cue_file}")])
        if unusable:
            raise SourceError([src.problem(("cue_sets", i), f"cue set {cue_file} {unusable}")])
        cue_src = read_yaml(cue_file, budget, quote=False)
        stranger = _stranger(cue_src, cue_set=True)
        if stranger:
            raise SourceError(
                [
                    src.problem(
                        ("cue_sets", i),
                        f"{cue_file} is not a cue set ({stranger}); {NOT_SHOWN}",
                    )
                ]
            )
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
    unusable = "not found" if parent_file is None else _plain_file(parent_file)
    if unusable == "not found" or parent_file is None:
        raise SourceError(
            [src.problem(("extends",), f"extends '{parent_name}': no routine of that name or path")]
        )
    if unusable:
        raise SourceError(
            [src.problem(("extends",), f"extends '{parent_name}': {parent_file} {unusable}")]
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
    parent = read_yaml(parent_file.resolve(), budget, quote=False)
    stranger = _stranger(parent, cue_set=False)
    if stranger:
        raise SourceError(
            [
                src.problem(
                    ("extends",),
                    f"extends '{parent_name}': {parent_file} is not a routine ({stranger});"
                    f" {NOT_SHOWN}; `calmflow check {parent_file}` says more",
                )
            ]
        )
    parent = _with_parents(parent, budget, chain)
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
        if phase_or_block(item) == "block":
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
                places += [(cue, (*at, name), kind) for kind in ("sound", "photo", "video")]
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
        from calmflow.system.paths import bundled_media_dir

        bundled_media = bundled_media_dir()
    budget = ValueBudget()
    src = read_yaml(path, budget)
    if not _looks_like_a_routine(src):
        raise SourceError(
            [src.problem((), f"is not a routine: it has none of a routine's keys; {NOT_SHOWN}")]
        )
    if not isinstance(src.data, dict):
        raise SourceError([src.problem((), "a routine is a mapping with name, phases and so on")])
    try:
        src = _with_parents(src, budget)
    except RuntimeError as exc:  # an unknown ~user in a path
        raise SourceError([src.problem((), f"a path in it cannot be used ({exc})")]) from None
    # names and media are checked on the data as written, so that their
    # problems come in the same run as those validation finds
    problems = _unknown_names(src)
    media = _resolve_media(src, path.resolve().parent, bundled_media, check_media, problems)
    try:
        routine = Routine.model_validate(src.data)
    except ValidationError as exc:
        problems += problems_from(exc, src)
    if problems:
        raise SourceError(_in_order(problems))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedRoutine(routine=routine, path=path.resolve(), digest=digest, media=tuple(media))


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
        guess = suggest(name, defined) if len(problems) < MAX_GUESSES else ""
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
    src: Source, base: Path, bundled: Path, check: MediaCheck | None, problems: list[Problem]
) -> list[MediaName]:
    """Write each media path of the routine as the absolute path of its file, and
    say of each one that cannot be used why not, at the line that names it (in
    `problems`); return each as it was named. Symbolic links are followed to
    plain files only: a device or a pipe is never opened."""
    named: list[MediaName] = []
    for holder, loc, key in _media_places(src.data, ("cues",)):
        complaint = None
        where = ".".join(str(p) for p in (*loc, key))
        written = holder[key]
        try:
            target = resolve_media(written, base, bundled)
            holder[key] = str(target)
            unusable = _plain_file(target)
            if unusable == "not found":
                complaint = f"media file not found: {target}"
            elif unusable:
                complaint = f"{target} {unusable}"
            elif check is not None:
                complaint = check("sound" if key == "voice" else key, target)
            named.append(MediaName(written, target, src.problem((*loc, key), where)))
        except (OSError, RuntimeError) as exc:  # an unknown ~user, a name too long
            complaint = f"media path cannot be used ({exc})"
        if complaint:
            problems.append(src.problem((*loc, key), f"{where}: {complaint}"))
    return named
