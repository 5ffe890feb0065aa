"""The routine's language as the person meets it in the player: timed prompts,
cautions, the rules acting on their own, the f key and the experiment's turns."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.core.trial import arm_at
from calmflow.ui.screens.after_session import AfterSessionScreen
from tests.ui.driving import after, db_rows, playing, text, told

ROUTINE = """\
name: rules
breathing: box
rules: {restimulate_after: 1m, restimulate_for: 20s, after_flow_stops: 30s}
experiment: {slot: calm, arms: [glow, hum]}
cues:
  glow: {text: Picture your baby.}
  hum: {tone: 220, volume: 0.2}
phases:
  - name: Settle
    kind: prep
    duration: 10s
    prompt: Sit back.
    prompts: [{at: 5s, text: Shoulders down.}]
    cues: [calm]
  - name: Expression
    kind: expression
    duration: 5m
"""


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(ROUTINE)
    return path


def _shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    return told(app)


async def test_timed_prompts_come_at_their_time(home, routine, clock):
    async with playing(routine, clock) as (_app, pilot, screen):
        await after(2, clock, pilot, screen)
        assert text(screen, "#prompt") == "Sit back."
        await after(4, clock, pilot, screen)
        assert text(screen, "#prompt") == "Shoulders down."


async def test_breath_holds_come_with_one_caution(home, routine, clock):
    async with playing(routine, clock) as (app, pilot, screen):
        await after(11, clock, pilot, screen)  # into the second phase, same pattern
        cautions = [m for m in _shown(app) if "Holding the breath" in m]
    assert len(cautions) == 1


async def test_no_letdown_for_a_while_brings_stimulation_back(home, routine, clock):
    async with playing(routine, clock) as (app, pilot, screen):
        await after(10 + 59, clock, pilot, screen)
        assert "Expression" in text(screen, "#title")
        await after(2, clock, pilot, screen)
        assert "Stimulation again" in text(screen, "#title")
        assert text(screen, "#pump").startswith("stimulation mode")
        assert "no let-down for a minute: back to stimulation for 20 s" in _shown(app)
        await after(20, clock, pilot, screen)
        assert "Expression" in text(screen, "#title")
    rules = db_rows("SELECT t_s, detail FROM session_events WHERE kind = 'rule'")
    assert rules == [(70.0, "no let-down for a minute: back to stimulation for 20 s")]


async def test_f_finishes_after_the_countdown(home, routine, clock):
    async with playing(routine, clock) as (app, pilot, screen):
        await after(40, clock, pilot, screen)
        await pilot.press("f")
        assert "flow stopped: finishing in 30 s" in _shown(app)
        await after(29, clock, pilot, screen)
        assert not isinstance(app.screen, AfterSessionScreen)
        await after(2, clock, pilot, screen)
        await pilot.pause()
        assert isinstance(app.screen, AfterSessionScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert db_rows("SELECT status, played_s FROM sessions") == [("completed", 70.0)]


async def _session(routine, clock, *, letdown_at: float | None, quit_at: float) -> None:  # type: ignore[no-untyped-def]
    """One session: a let-down marked at `letdown_at` s (if any), quit at `quit_at` s."""
    async with playing(routine, clock) as (_app, pilot, screen):
        if letdown_at is not None:
            await after(letdown_at, clock, pilot, screen)
            await pilot.press("space")
        await after(quit_at - (letdown_at or 0), clock, pilot, screen)
        await pilot.press("q", "q")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()


async def test_the_experiment_draws_its_arms_and_answers_when_its_blocks_are_done(
    home, tmp_path, clock
):
    path = tmp_path / "trial.yaml"
    path.write_text(ROUTINE.replace("arms: [glow, hum]}", "arms: [glow, hum], blocks: 2}"))
    await _session(path, clock, letdown_at=40, quit_at=90)
    await _session(path, clock, letdown_at=None, quit_at=5)  # quit in its first minute
    for _ in range(3):
        await _session(path, clock, letdown_at=40, quit_at=90)
    rows = db_rows("SELECT experiment_arm, played_s, trial_id FROM sessions ORDER BY id")
    ((seed,),) = db_rows("SELECT seed FROM trials")
    drawn = [arm_at(seed, ("glow", "hum"), k) for k in range(4)]
    # The session quit at 5 s does not count: the next one gets its arm again.
    assert [arm for arm, played, _ in rows if played >= 60] == drawn
    assert rows[1] == (drawn[1], 5.0, 1)
    assert {trial for _, _, trial in rows} == {1}
    # Both blocks done: the review answers, and says what can be done next.
    result = CliRunner().invoke(main, ["review"])
    assert result.exit_code == 0, result.output
    assert "- No clear difference between glow and hum after 2 blocks:" in result.output
    assert "calmflow experiment adopt rules" in result.output
    # Adopted: the slot plays the chosen arm, and the experiment no longer runs.
    result = CliRunner().invoke(main, ["experiment", "adopt", str(path), "hum"])
    assert result.exit_code == 0, result.output
    await _session(path, clock, letdown_at=None, quit_at=70)
    assert db_rows("SELECT experiment, trial_id FROM sessions ORDER BY id DESC LIMIT 1") == [
        (None, None)
    ]
    shown = db_rows(
        "SELECT DISTINCT detail FROM session_events WHERE kind = 'cue'"
        " AND session_id = (SELECT MAX(id) FROM sessions)"
    )
    assert shown == [("hum",)]
