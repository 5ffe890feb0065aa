"""Every ```yaml example in docs/routines.md is a routine calmflow accepts.

A block whose first line is `# file: NAME` is a companion file (a cue set, a
routine another example extends): it is written out under that name beside the
examples instead of being loaded on its own.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import yaml

from calmflow.core.routine import BUNDLED_PREFIX
from calmflow.core.routine_loading import load_routine
from calmflow.core.yamlsource import SourceError

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "routines.md"
CALM_PNG = ROOT / "media" / "calm.png"

_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
_COMPANION = re.compile(r"^#\s*file:\s*(\S+)\s*$")
_SOUND_SUFFIXES = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}
_IMAGE_SUFFIXES = {".png"}


def _blocks() -> list[tuple[int, str]]:
    """Each yaml block with the line of the docs it starts on."""
    text = DOC.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _BLOCK.finditer(text)]


def _companion_name(block: str) -> str | None:
    match = _COMPANION.match(block.splitlines()[0]) if block.strip() else None
    return match.group(1) if match else None


COMPANIONS = {name: block for _, block in _blocks() if (name := _companion_name(block))}
EXAMPLES = [(line, block) for line, block in _blocks() if not _companion_name(block)]


def _media_names(data: Any) -> list[str]:
    """Every file a document names as a sound, photo or voice recording."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("sound", "photo", "voice") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_media_names(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(_media_names(item))
    return found


def _make_media(name: str, folder: Path, home: Path) -> None:
    """A small valid file where an example's media path points."""
    suffix = Path(name).suffix.lower()
    if name.startswith(BUNDLED_PREFIX) or not (
        suffix in _SOUND_SUFFIXES or suffix in _IMAGE_SUFFIXES
    ):
        return  # bundled files exist already; `voice: none` is not a file
    target = home / name[2:] if name.startswith("~/") else folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix in _IMAGE_SUFFIXES:
        shutil.copyfile(CALM_PNG, target)
    else:
        rate = 16_000
        tone = 0.1 * np.sin(2 * np.pi * 220 * np.arange(rate // 2) / rate)
        sf.write(target, tone.astype(np.float32), rate, format=_SOUND_SUFFIXES[suffix])


def test_the_docs_have_examples_of_every_feature():
    assert len(EXAMPLES) >= 15
    joined = "\n".join(block for _, block in EXAMPLES)
    for feature in (
        "extends:",
        "cue_sets:",
        "repeat:",
        "experiment:",
        "background:",
        "ducking:",
        "rules:",
        "prompts:",
        "min_length:",
        "every:",
        "bpm:",
        "voice: none",
        "chime: false",
        "dB",
    ):
        assert feature in joined, f"no example uses {feature!r}"


def test_every_companion_file_is_used_by_an_example():
    joined = "\n".join(block for _, block in EXAMPLES)
    assert COMPANIONS, "expected companion files (a cue set, a routine to extend)"
    for name in COMPANIONS:
        assert name in joined, f"{name} is given in the docs but no example uses it"


@pytest.mark.parametrize(
    "block", [block for _, block in EXAMPLES], ids=[f"line{line}" for line, _ in EXAMPLES]
)
def test_docs_example_loads(block, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CALMFLOW_HOME", str(tmp_path / "calmflow-home"))
    folder = tmp_path / "routines"
    folder.mkdir()
    for name, text in COMPANIONS.items():
        (folder / name).write_text(text, encoding="utf-8")
        for media in _media_names(yaml.safe_load(text)):
            _make_media(media, folder, home)
    for media in _media_names(yaml.safe_load(block)):
        _make_media(media, folder, home)
    path = folder / "example.yaml"
    path.write_text(block, encoding="utf-8")

    loaded = load_routine(path)

    assert loaded.routine.phases
    assert loaded.routine.duration_s > 0


def test_the_docs_show_what_check_says_of_a_broken_routine(tmp_path, home):
    """The example under "When something is wrong" prints what the docs say."""
    section = DOC.read_text(encoding="utf-8").split("## When something is wrong", 1)[1]
    routine, said = re.findall(r"^```text\n(.*?)^```", section, re.MULTILINE | re.DOTALL)[:2]
    folder = tmp_path / "mine"
    folder.mkdir()
    path = folder / "mine.yaml"
    path.write_text(routine, encoding="utf-8")
    with pytest.raises(SourceError) as info:
        load_routine(path)
    printed = "\n".join(str(p) for p in info.value.problems)
    printed = printed.replace(f"{path}:", "mine.yaml:").replace(str(folder), "/home/you/mine")
    assert printed == said.strip()
