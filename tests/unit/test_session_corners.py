"""Keys at awkward moments, through the Player on a manual clock with no sound
(issue 25): each script logs what docs/routines.md says it does.

`standard` restimulates after 7 min without a let-down: expression starts at
4:00, so stimulation comes back at 11:00 unless a key acts first. Each script
runs as the null output plays (no render lead) and as a sound card does (a
change of course is heard CARD_LEAD_FRAMES after its key).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calmflow.system import paths
from tests.conftest import ROOT
from tests.unit.player_driving import CARD_LEAD_FRAMES, Played, play

RATE = 48_000
STANDARD = ROOT / "routines" / "standard.yaml"
QUICK = ROOT / "routines" / "quick-letdown.yaml"
RESTIM = "no let-down for 7 minutes: back to stimulation for 90 s"
SWITCH = "let-down marked: switch to expression mode"

leads = pytest.mark.parametrize("lead", [0, CARD_LEAD_FRAMES], ids=["null", "card"])


def _play(routine: Path, lead: int = 0) -> Played:
    return play(routine, paths.database_path(), lead_frames=lead, rate=RATE)


def _routine(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routine.yaml"
    path.write_text(text)
    return path


def _in_order(played: Played) -> None:
    """Every event at or after the one logged before it, none after the end."""
    times = [t for t, _, _ in played.events()]
    assert times == sorted(times)
    _, end = played.session_row()
    assert all(t <= end for t in times)


@leads
def test_f_at_the_first_frame_of_a_phase_with_no_countdown_ends_the_session_there(
    home, tmp_path, lead
):
    routine = _routine(
        tmp_path,
        "name: no-countdown\n"
        "rules: {after_flow_stops: 0}\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 1m}\n"
        "  - {name: Stimulation, kind: stimulation, duration: 2m}\n"
        "  - {name: Expression, kind: expression, duration: 5m}\n",
    )
    played = _play(routine, lead)
    played.wait(70)
    played.player.letdown()
    played.player.flow_stopped()  # the frame expression starts (as heard)
    h = 70 + lead / RATE
    played.wait(1)
    assert played.player.ended
    assert played.session_row() == ("completed", h)
    if lead:  # the switch would be heard as the session ends: it never happens
        assert played.rules() == [(h, "flow stopped: finishing")]
        assert played.phases()[-1] == (0.0 + 60, "Stimulation")
    else:
        assert played.rules() == [(h, SWITCH), (h, "flow stopped: finishing")]
        assert played.phases()[-1] == (h, "Expression")
    _in_order(played)


@leads
def test_f_then_n_still_finishes_when_the_countdown_ends(home, lead):
    played = _play(STANDARD, lead)
    played.wait(10)
    played.player.flow_stopped()
    played.player.next_phase()
    h = 10 + lead / RATE
    played.wait(1)
    assert played.player.session.phase.name == "Stimulation"
    played.wait(200)
    # Stimulation for the 2 minutes of the countdown, then the end
    assert played.session_row() == ("completed", h + 120)
    assert played.phases() == [(0.0, "Settle"), (h, "Stimulation")]
    assert played.rules() == [(h, "flow stopped: finishing in 2 min")]
    _in_order(played)


@leads
def test_the_cap_leaves_the_phases_after_a_restimulation_their_time(home, tmp_path, lead):
    routine = _routine(
        tmp_path,
        f"name: capped\nextends: {STANDARD}\nrules: {{max_duration: 20m}}\n",
    )
    played = _play(routine, lead)
    played.wait(11 * 60 + 30)
    assert played.player.session.phase.name == "Stimulation again"
    played.player.letdown()
    h = 11 * 60 + 30 + lead / RATE
    played.wait(10 * 60)
    assert played.session_row() == ("completed", 20 * 60.0)
    assert played.phases()[-3:] == [
        (11 * 60.0, "Stimulation again"),
        (h, "Expression"),  # its 6 minutes still to come...
        (h + 6 * 60, "Hands-on finish"),  # ...then hands-on until the cap, 20:00
    ]
    assert played.rules() == [(11 * 60.0, RESTIM), (h, SWITCH)]
    _in_order(played)


def _told(played: Played) -> list[str]:
    return [n.text for n in played.player.take_notices() if n.kind == "rule"]


@leads
def test_a_letdown_half_a_second_before_restimulation_calls_it_off(home, lead):
    played = _play(STANDARD, lead)
    played.wait(10 * 60 + 59.5)
    played.player.letdown()
    played.wait(15 * 60)
    assert _told(played) == []
    assert played.rules() == []
    assert [name for _, name in played.phases()] == [
        "Settle",
        "Stimulation",
        "Expression",
        "Hands-on finish",
    ]
    assert played.session_row() == ("completed", 20 * 60.0)
    _in_order(played)


@leads
def test_n_half_a_second_before_restimulation_moves_on_to_the_hands_on_finish(home, lead):
    played = _play(STANDARD, lead)
    played.wait(10 * 60 + 59.5)
    played.player.next_phase()
    h = 10 * 60 + 59.5 + lead / RATE
    played.wait(15 * 60)
    assert played.rules() == []
    assert played.phases()[-2:] == [(240.0, "Expression"), (h, "Hands-on finish")]
    assert played.session_row() == ("completed", h + 180)
    _in_order(played)


@leads
def test_f_half_a_second_before_restimulation_means_no_restimulation(home, lead):
    played = _play(STANDARD, lead)
    played.wait(10 * 60 + 59.5)
    played.player.flow_stopped()
    h = 10 * 60 + 59.5 + lead / RATE
    played.wait(15 * 60)
    assert _told(played) == ["flow stopped: finishing in 2 min"]
    assert played.rules() == [(h, "flow stopped: finishing in 2 min")]
    assert [name for _, name in played.phases()] == ["Settle", "Stimulation", "Expression"]
    assert played.session_row() == ("completed", h + 120)
    _in_order(played)


@pytest.mark.parametrize("key", ["pause", "volume", "mute", "letdown", "undo", "next", "flow"])
def test_a_key_as_the_session_reaches_its_end_logs_nothing_after_it(home, tmp_path, key):
    # quick-letdown's phases with an end: its own last phase goes on while milk flows
    closed = _routine(
        tmp_path,
        f"name: closed\nextends: {QUICK}\nphases:\n"
        "  - {name: Warmth, kind: prep, duration: 1m30s, cues: [picture, waves]}\n"
        "  - {name: Stimulation, kind: stimulation, duration: 2m30s, cues: [picture]}\n"
        "  - {name: Flowing, kind: expression, duration: 1m, cues: [picture]}\n",
    )
    played = _play(closed)
    played.wait(299.95)
    if key == "undo":
        played.player.letdown()
    played.clock.advance_ms(50)  # 5:00, the end, before the next tick
    player = played.player
    {
        "pause": player.toggle_pause,
        "volume": lambda: player.change_volume(-1),
        "mute": player.toggle_mute,
        "letdown": player.letdown,
        "undo": player.undo_letdown,
        "next": player.next_phase,
        "flow": player.flow_stopped,
    }[key]()
    assert player.ended and not player.paused and not player.muted
    assert played.session_row() == ("completed", 300.0)
    assert [e for e in played.events() if e[0] >= 300] == []
    _in_order(played)
