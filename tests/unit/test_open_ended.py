"""A session that follows the milk (issue 21): an open-ended last phase lasts at
least its `duration`, then goes on until `f` or `q` (at most 30 minutes more);
`letdown_extends` keeps an expression going after a late let-down. Through the
Player on a manual clock, as docs/routines.md says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.system import paths
from tests.conftest import ROOT
from tests.unit.player_driving import CARD_LEAD_FRAMES, Played, play

RATE = 8_000
QUICK = ROOT / "routines" / "quick-letdown.yaml"
STANDARD = ROOT / "routines" / "standard.yaml"
SWITCH = "let-down marked: switch to expression mode"

leads = pytest.mark.parametrize("lead", [0, CARD_LEAD_FRAMES], ids=["null", "card"])


def _play(routine: Path, lead: int = 0) -> Played:
    return play(routine, paths.database_path(), lead_frames=lead, rate=RATE)


@leads
def test_quick_letdown_goes_on_past_five_minutes_and_takes_a_second_letdown(home, lead):
    played = _play(QUICK, lead)
    played.wait(5 * 60 + 30)
    player = played.player
    assert not player.ended and player.session.phase.name == "Flowing"
    assert player.session.going_on
    assert player.letdown() is not None  # a let-down at 5:30, in the open part
    played.wait(30)
    player.finish()
    played.wait(1)
    # q after the phase's least is how the routine is meant to end: completed
    assert played.session_row() == ("completed", pytest.approx(360, abs=0.2))
    assert [n for (n,) in played.rows("SELECT number FROM letdowns")] == [1]


@leads
def test_f_in_the_open_part_finishes_two_minutes_later(home, lead):
    played = _play(QUICK, lead)
    played.wait(150)
    played.player.letdown()  # in stimulation: on to Flowing at once
    played.wait(300)
    played.player.flow_stopped()
    h = 450 + lead / RATE
    played.wait(200)
    assert played.player.ended
    assert played.session_row() == ("completed", pytest.approx(h + 120, abs=1e-3))
    assert played.rules() == [
        (pytest.approx(150 + lead / RATE, abs=1e-3), SWITCH),
        (pytest.approx(h, abs=1e-3), "flow stopped: finishing in 2 min"),
    ]


def test_left_alone_it_ends_thirty_minutes_past_its_least(home):
    played = _play(QUICK)
    played.wait(35 * 60 - 1, tick_s=1.0)
    assert not played.player.ended
    played.wait(2, tick_s=1.0)
    assert played.player.ended
    assert played.session_row() == ("completed", 35 * 60)


@pytest.mark.parametrize(
    ("when", "status"), [(4 * 60, "finished_early"), (5 * 60 + 20, "completed")]
)
def test_q_or_n_before_the_least_is_early_after_it_is_completed(home, when, status):
    for key in ("finish", "next_phase"):
        played = _play(QUICK)
        played.wait(when)
        getattr(played.player, key)()
        played.wait(1)
        assert played.player.ended
        assert played.session_row()[0] == status, key
        played.player.store.close()
        paths.database_path().unlink()


@leads
def test_a_letdown_in_the_last_minute_of_expression_keeps_it_going_a_minute(home, lead):
    played = _play(STANDARD, lead)
    # standard: expression 4:00-17:00, restimulation at 11:00 for 90 s, so it ends at 18:30
    played.wait(18 * 60 + 10)
    assert played.player.session.phase.name == "Expression"
    played.player.letdown()
    h = 18 * 60 + 10 + lead / RATE
    played.wait(55)
    assert played.player.session.phase.name == "Expression"  # 18:30 has passed
    played.wait(10)
    assert played.player.session.phase.name == "Hands-on finish"
    assert played.rules()[-1] == (
        pytest.approx(h, abs=1e-3),
        "let-down near the end: Expression goes on for a minute",
    )
    assert played.phases()[-1] == (pytest.approx(h + 60, abs=1e-3), "Hands-on finish")


@leads
def test_undoing_that_letdown_takes_the_minute_back(home, lead):
    played = _play(STANDARD, lead)
    played.wait(18 * 60 + 10)
    played.player.letdown()
    played.wait(3)
    played.player.undo_letdown()
    played.wait(30)
    assert played.player.session.phase.name == "Hands-on finish"
    assert played.phases()[-1] == (18 * 60 + 30, "Hands-on finish")


def test_a_letdown_with_more_than_a_minute_left_changes_nothing(home):
    played = _play(STANDARD)
    played.wait(17 * 60)
    played.player.letdown()
    played.wait(100)
    assert played.phases()[-1] == (18 * 60 + 30, "Hands-on finish")
    assert not any("near the end" in rule for _, rule in played.rules())


def test_render_writes_the_planned_duration(home, tmp_path):
    out = tmp_path / "quick.wav"
    result = CliRunner().invoke(main, ["render", "quick-letdown", "--rate", "8000", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sf.info(out).frames == 5 * 60 * 8000
    # a let-down in stimulation at 3:00: Flowing from then, for its minute
    result = CliRunner().invoke(
        main,
        ["render", "quick-letdown", "--rate", "8000", "--letdown-at", "180", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert abs(sf.info(out).frames / 8000 - 240) < 0.2


def test_routines_and_check_show_the_least_with_a_plus(home):
    listed = CliRunner().invoke(main, ["routines"])
    (line,) = [ln for ln in listed.output.splitlines() if ln.startswith("quick-letdown")]
    assert "5:00+" in line
    (standard,) = [ln for ln in listed.output.splitlines() if ln.startswith("standard")]
    assert "20:00 " in standard and "+" not in standard.split()[1]
    rows = json.loads(CliRunner().invoke(main, ["routines", "--json"]).stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["quick-letdown"]["open_ended"] is True
    assert by_name["quick-letdown"]["duration_s"] == 300
    assert by_name["standard"]["open_ended"] is False
    checked = CliRunner().invoke(main, ["check", "quick-letdown"])
    assert "5:00+" in checked.output
