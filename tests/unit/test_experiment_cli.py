"""`calmflow experiment`: an experiment's progress and answer, more blocks, and the
better arm adopted into the routine file with the rest of the file as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from calmflow.cli import main
from calmflow.core.routine import Routine
from calmflow.services.experiments import NotWrittenHere, adopt_in_file, arm_for
from calmflow.store.store import Store
from calmflow.store.trials import trials
from calmflow.system import paths

BLOCK_STYLE = """\
# my routine
name: mine
cues:
  picture: {text: Picture your baby.}
  waves: {tone: 220}
experiment:
  slot: calm     # which cue plays here
  arms: [picture, waves]
phases:
  - {name: Settle, kind: prep, duration: 2m, cues: [calm]}
"""

FLOW_STYLE = BLOCK_STYLE.replace(
    "experiment:\n  slot: calm     # which cue plays here\n  arms: [picture, waves]\n",
    "experiment: {slot: calm, arms: [picture, waves]}\n",
)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _routine_file(home: Path, text: str) -> Path:
    home.mkdir(mode=0o700, exist_ok=True)  # private, as calmflow makes it
    folder = home / "routines"
    folder.mkdir(exist_ok=True)
    path = folder / "mine.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text", [BLOCK_STYLE, FLOW_STYLE], ids=["block", "flow"])
def test_adopt_writes_the_arm_and_keeps_the_rest_of_the_file(home, text):
    path = _routine_file(home, text)
    assert paths.user_routines_dir() == path.parent
    result = _run("experiment", "adopt", "mine", "waves")
    assert result.exit_code == 0, result.output
    assert result.output == "mine: the calm slot now plays waves from now on.\n"
    after = path.read_text()
    # Only the one line (or the one key) added: comments and everything else kept.
    assert after.replace('  adopted: "waves"\n', "").replace(', adopted: "waves"', "") == text
    # Adopted: the slot plays it, no trial is drawn, the session is no experiment's.
    assert _run("check", "mine").exit_code == 0
    loaded = Routine.model_validate(yaml.safe_load(after))
    assert loaded.experiment is not None and loaded.experiment.adopted == "waves"
    store = Store(home / "calmflow.sqlite3")
    assert arm_for(store, loaded) is None
    assert trials(store) == []
    store.close()


def test_adopting_again_replaces_the_arm(home):
    path = _routine_file(home, BLOCK_STYLE)
    assert _run("experiment", "adopt", "mine", "waves").exit_code == 0
    assert _run("experiment", "adopt", "mine", "picture").exit_code == 0
    assert path.read_text().count("adopted:") == 1
    assert 'adopted: "picture"' in path.read_text()


def test_adopt_refuses_an_arm_that_is_not_one(home):
    path = _routine_file(home, BLOCK_STYLE)
    result = _run("experiment", "adopt", "mine", "lullaby")
    assert result.exit_code == 1
    assert result.output == (
        "calmflow: 'lullaby' is not one of the experiment's arms (picture, waves)\n"
    )
    assert path.read_text() == BLOCK_STYLE


def test_adopt_in_a_bundled_routine_goes_into_the_persons_own_copy(home):
    bundled = paths.bundled_routines_dir() / "photo-or-waves.yaml"
    before = bundled.read_text()
    result = _run("experiment", "adopt", "photo-or-waves", "picture")
    assert result.exit_code == 0, result.output
    assert "in your own copy" in result.output
    assert bundled.read_text() == before
    copy = paths.user_routines_dir() / "photo-or-waves.yaml"
    assert 'adopted: "picture"' in copy.read_text()
    assert (copy.stat().st_mode & 0o777) == 0o600


def test_an_experiment_written_in_the_routine_it_extends_is_adopted_there(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text("name: child\nextends: photo-or-waves\n")
    with pytest.raises(NotWrittenHere):
        adopt_in_file(path, "picture")
    assert path.read_text() == "name: child\nextends: photo-or-waves\n"


def test_more_blocks_and_the_listing(home):
    _routine_file(home, BLOCK_STYLE)
    assert _run("experiment").output.startswith("No experiments yet.")
    result = _run("experiment", "more", "mine")
    assert result.exit_code == 1
    assert "has run no experiment yet" in result.output
    store = Store(home / "calmflow.sqlite3")
    routine = Routine.model_validate(yaml.safe_load(BLOCK_STYLE))
    assert arm_for(store, routine) is not None  # the trial begins with the first session
    store.close()
    result = _run("experiment", "more", "mine", "--blocks", "2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("mine: 18 blocks planned. Experiment in mine")
    listed = _run("experiment")
    assert listed.output == (
        "- Experiment in mine (picture or waves): block 1 of 18; the answer comes when all 18"
        " are done (36 more sessions).\n"
    )


def test_adopt_keeps_windows_line_endings(home):
    path = _routine_file(home, "")
    path.write_bytes(BLOCK_STYLE.replace("\n", "\r\n").encode())
    assert _run("experiment", "adopt", "mine", "waves").exit_code == 0
    after = path.read_bytes().decode()
    assert after.count("\r\n") == BLOCK_STYLE.count("\n") + 1
    assert '  adopted: "waves"\r\n' in after
