"""A hypothesis state machine that plays sessions through the Player, with random
waits and keys, and holds it to the reference model (session_model.py) after
every step: tests/unit/test_session_model.py runs it in the suite and
benchmarks/session_fuzz.py runs it for thousands of sessions.

Each run picks a routine (the bundled ones and short ones made to reach the
corners: one-minute restimulation, consecutive expression phases, caps, blocks,
phases shorter than the undo window), a render lead (none, as the null output;
or a sound card's) and how often the player screen ticks. The waits aim at the
awkward moments: the last second of a phase, just before a restimulation, the
edges of the 5 s double-press and 10 s undo windows; keys come alone or in
bursts, during pauses and restimulation blocks.

After every step the Player and the SQLite log must agree with the model; at
the end of a run the session is played to its end and `log --json`, `export`
and `review --json` must agree with the log.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from calmflow.cli import main
from calmflow.core.routine_loading import LoadedRoutine, load_routine
from tests.conftest import ROOT
from tests.unit.player_driving import CARD_LEAD_FRAMES, Played, play_loaded
from tests.unit.session_model import RESTIM_NAME, SWITCH, SessionModel

RATE = 48_000
FRAMES_PER_MS = RATE // 1000

settings.register_profile(
    "session-ci",
    # The same 300 runs every time: CI passes or fails on the code, not on the
    # draw (benchmarks/session_fuzz.py explores new ones).
    derandomize=True,
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "session-fuzz",
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

BUNDLED = [
    "standard",
    "quick-letdown",
    "power-pumping",
    "catch-up",
    "hands-on",
    "silent",
    "photo-or-waves",
]
SHORT = {
    "restim-short": """\
name: restim-short
rules: {restimulate_after: 1m, restimulate_for: 15s, after_flow_stops: 30s}
phases:
  - {name: Stimulation, kind: stimulation, duration: 1m}
  - {name: Expression, kind: expression, duration: 4m}
  - {name: Hands-on, kind: hands_on, duration: 1m}
""",
    "consecutive": """\
name: consecutive
rules: {restimulate_after: 1m, restimulate_for: 20s, after_flow_stops: 0}
phases:
  - {name: Settle, kind: prep, duration: 20s}
  - {name: Stimulation, kind: stimulation, duration: 40s}
  - {name: Slow, kind: expression, duration: 1m30s}
  - {name: Deep, kind: expression, duration: 1m30s}
  - {name: Finish, kind: hands_on, duration: 30s}
""",
    "capped": """\
name: capped
rules: {restimulate_after: 1m, restimulate_for: 30s, after_flow_stops: 1m, max_duration: 3m}
phases:
  - {name: Stimulation, kind: stimulation, duration: 1m}
  - {name: Expression, kind: expression, duration: 2m}
  - {name: Hands-on, kind: hands_on, duration: 2m}
""",
    "rounds": """\
name: rounds
rules: {restimulate_after: 1m, restimulate_for: 15s, after_flow_stops: 20s}
phases:
  - repeat: 3
    phases:
      - {name: Stimulation, kind: stimulation, duration: 20s}
      - {name: Expression, kind: expression, duration: 1m10s}
  - {name: Rest, kind: rest, duration: 30s}
""",
    "stay": """\
name: stay
rules: {on_letdown: stay, restimulate_after: 1m, restimulate_for: 15s, after_flow_stops: 10s}
phases:
  - {name: Stimulation, kind: stimulation, duration: 40s}
  - {name: Expression, kind: expression, duration: 2m}
""",
    "tiny": """\
name: tiny
rules: {after_flow_stops: 0}
phases:
  - {name: Settle, kind: prep, duration: 5s}
  - {name: Stimulation, kind: stimulation, duration: 5s}
  - {name: Break, kind: prep, duration: 2s}
  - {name: Expression, kind: expression, duration: 6s}
  - {name: Again, kind: stimulation, duration: 4s}
  - {name: More, kind: expression, duration: 5s}
  - {name: Finish, kind: hands_on, duration: 5s}
""",
    "no-expression": """\
name: no-expression
rules: {after_flow_stops: 0, max_duration: 1m}
phases:
  - {name: Settle, kind: prep, duration: 30s}
  - {name: Stimulation, kind: stimulation, duration: 1m}
""",
    "open": """\
name: open
rules: {restimulate_after: 1m, restimulate_for: 15s, after_flow_stops: 20s, letdown_extends: 30s, max_duration: 5m}
phases:
  - {name: Stimulation, kind: stimulation, duration: 30s}
  - {name: Expression, kind: expression, duration: 1m}
  - {name: Flowing, kind: expression, duration: 40s, open_ended: true}
""",
    "extends": """\
name: extends
rules: {letdown_extends: 40s, after_flow_stops: 10s}
phases:
  - {name: Stimulation, kind: stimulation, duration: 20s}
  - {name: Expression, kind: expression, duration: 1m}
  - {name: Rest, kind: rest, duration: 20s}
  - {name: Again, kind: expression, duration: 30s}
  - {name: Finish, kind: hands_on, duration: 20s}
""",
    "open-long": """\
name: open-long
rules: {after_flow_stops: 0}
phases:
  - {name: Stimulation, kind: stimulation, duration: 20s}
  - {name: Flowing, kind: expression, duration: 30s, open_ended: true}
""",
    "standard-capped": f"""\
name: standard-capped
extends: {ROOT / "routines" / "standard.yaml"}
rules: {{restimulate_after: 2m, max_duration: 14m}}
""",
}
UNSETTLED = {"open"}
"""Routines on which the model and the Player still disagree in corners not yet
settled: `n` and restimulation in an open-ended phase (issue 21's note). The
suite leaves them out so it passes or fails on what is settled;
benchmarks/session_fuzz.py plays them (CALMFLOW_FUZZ_ALL=1)."""
ROUTINES = BUNDLED + 2 * sorted(
    set(SHORT) - (set() if os.environ.get("CALMFLOW_FUZZ_ALL") else UNSETTLED)
)
"""The short ones twice as often: they reach their corners in fewer steps."""
LEADS = [0, CARD_LEAD_FRAMES, 4800]
"""Render leads in frames: none (the null output), a sound card's, 0.1 s."""
TICKS_MS = [50, 100, 250, 600, 950]
"""How often the player screen ticks; under a second, as the rules' look-ahead needs."""
KEYS = ["space", "space", "u", "n", "f", "p", "+", "-", "m", "q"]
WINDOW_EDGES_S = [4.9, 4.999, 5.0, 5.001, 5.1, 9.9, 9.999, 10.0, 10.001, 10.1]
BEFORE_MS = st.one_of(st.sampled_from([0, 1, 50, 500, 999, -1]), st.integers(-200, 1500))
"""How long before a moment to stop: often right on it."""
GAP_MS = st.one_of(st.just(0), st.integers(0, 60))

TALLY: Counter[str] = Counter()
"""Runs, steps and key presses, for the benchmark to print."""


@cache
def _routines_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="calmflow-model-routines-"))
    atexit.register(shutil.rmtree, folder, True)
    for name, text in SHORT.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


@cache
def _loaded(name: str) -> LoadedRoutine:
    path = _routines_dir() / f"{name}.yaml"
    if name not in SHORT:
        path = ROOT / "routines" / f"{name}.yaml"
    return load_routine(path)


def _scratch() -> Path:
    """A private folder for one run's log, in memory where the system has one."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="calmflow-model-", dir=base))


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.home: Path | None = None
        self.played: Played | None = None
        self.model: SessionModel | None = None
        self.tick_ms = 100
        self._db: sqlite3.Connection | None = None

    # --- the run -----------------------------------------------------------------------

    @initialize(
        routine=st.sampled_from(ROUTINES),
        lead=st.sampled_from(LEADS),
        tick_ms=st.sampled_from(TICKS_MS),
    )
    def begin(self, routine: str, lead: int, tick_ms: int) -> None:
        TALLY["runs"] += 1
        self.home = _scratch()
        loaded = _loaded(routine)
        self.played = play_loaded(loaded, self.home / "calmflow.sqlite3", lead, RATE)
        self.model = SessionModel.of(loaded.routine, RATE, lead)
        self.tick_ms = tick_ms
        self._db = sqlite3.connect(self.home / "calmflow.sqlite3")

    def teardown(self) -> None:
        try:
            if self.played is not None and self.model is not None:
                self._play_to_the_end()
                self._check_faces()
        finally:
            if self._db is not None:
                self._db.close()
            if self.played is not None:
                self.played.player.store.close()
            if self.home is not None:
                shutil.rmtree(self.home, ignore_errors=True)

    # --- waits -------------------------------------------------------------------------

    def _wait(self, ms: int, tick_ms: int | None = None) -> None:
        assert self.played is not None and self.model is not None
        if ms <= 0:
            return
        TALLY["steps"] += 1
        self.model.wait(ms)
        self.played.wait(ms / 1000, (tick_ms or self.tick_ms) / 1000)

    def _wait_to_frame(self, frame: int) -> None:
        """Wait until `frame` of the session is played (if it is still to come)."""
        assert self.model is not None
        if not self.model.paused:
            self._wait(math.ceil((frame - self.model.t) / FRAMES_PER_MS))

    @rule(ms=st.integers(1, 90_000))
    def wait(self, ms: int) -> None:
        self._wait(ms)

    @rule(ms=st.integers(1, 400))
    def wait_a_moment(self, ms: int) -> None:
        self._wait(ms)

    @precondition(lambda self: self.model is not None and self.model.ended is None)
    @rule(before_ms=BEFORE_MS)
    def wait_for_the_phase_end(self, before_ms: int) -> None:
        """To the last second of the phase (or just past its end)."""
        assert self.model is not None
        end = min(self.model.course[self.model.idx].end, self.model.end)
        self._wait_to_frame(end - before_ms * FRAMES_PER_MS)

    @precondition(lambda self: self.model is not None and self.model.ended is None)
    @rule(before_ms=BEFORE_MS, key=st.sampled_from(KEYS))
    def press_as_the_phase_ends(self, before_ms: int, key: str) -> None:
        """A key in the last second of the phase, on its last frame or its next."""
        self.wait_for_the_phase_end(before_ms)
        self._press(key)

    @precondition(lambda self: self.model is not None and self.model.ended is None)
    @rule(before_ms=BEFORE_MS)
    def wait_for_the_end(self, before_ms: int) -> None:
        """To the last second of the session (or just past its end, between ticks)."""
        assert self.model is not None
        self._wait_to_frame(self.model.end - before_ms * FRAMES_PER_MS)

    @precondition(lambda self: self.model is not None and self.model.next_due() is not None)
    @rule(before_ms=BEFORE_MS)
    def wait_for_restimulation(self, before_ms: int) -> None:
        """To just before (or just after) a restimulation is due."""
        assert self.model is not None
        due = self.model.next_due()
        assert due is not None
        self._wait_to_frame(due - before_ms * FRAMES_PER_MS)

    @precondition(lambda self: self.model is not None and self.model.last_mark_ms is not None)
    @rule(edge_s=st.sampled_from(WINDOW_EDGES_S))
    def wait_to_a_window_edge(self, edge_s: float) -> None:
        """To an edge of the double-press or the undo window of the last mark."""
        assert self.model is not None and self.model.last_mark_ms is not None
        self._wait(self.model.last_mark_ms + round(edge_s * 1000) - self.model.wall_ms)

    # --- keys --------------------------------------------------------------------------

    def _press(self, key: str) -> None:
        assert self.played is not None and self.model is not None
        TALLY["keys"] += 1
        TALLY["steps"] += 1
        player, model = self.played.player, self.model
        if key == "space":
            marked = player.letdown()
            assert (marked is not None) == model.space()
        elif key == "u":
            undone = player.undo_letdown()
            assert (undone is not None) == model.undo()
        elif key == "n":
            player.next_phase()
            model.next()
        elif key == "f":
            player.flow_stopped()
            model.flow()
        elif key == "p":
            player.toggle_pause()
            model.pause()
        elif key in "+-":
            player.change_volume(1 if key == "+" else -1)
            model.volume(1 if key == "+" else -1)
        elif key == "m":
            player.toggle_mute()
            model.mute()
        else:
            player.finish()
            model.quit()

    @rule(key=st.sampled_from(KEYS))
    def press(self, key: str) -> None:
        self._press(key)

    @rule(
        keys=st.lists(st.sampled_from(KEYS[:-1]), min_size=2, max_size=6),
        gap_ms=GAP_MS,
    )
    def burst(self, keys: list[str], gap_ms: int) -> None:
        """Keys in quick succession, as a fumbling hand presses them."""
        for key in keys:
            self._press(key)
            self._wait(gap_ms)

    # --- what must hold ----------------------------------------------------------------

    @invariant()
    def agrees_with_the_model(self) -> None:
        if self.played is None or self.model is None:
            return
        check(self.played, self.model, self._rows)

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        assert self._db is not None
        return [tuple(row) for row in self._db.execute(sql)]

    # --- at the end --------------------------------------------------------------------

    def _play_to_the_end(self) -> None:
        assert self.model is not None
        if self.model.paused and self.model.ended is None:
            self._press("p")
        while self.model.ended is None:
            self._wait(60_000, tick_ms=max(TICKS_MS))
        assert self.played is not None
        self.played.player.tick()  # the player screen's next tick
        check(self.played, self.model, self._rows)

    def _check_faces(self) -> None:
        """`log --json`, `export` and `review --json` agree with the log."""
        assert self.home is not None and self.model is not None
        env = {"CALMFLOW_HOME": str(self.home)}
        runner = CliRunner()
        status, played = self._rows("SELECT status, played_s FROM sessions")[0]
        letdowns = self._rows("SELECT number, t_s, phase FROM letdowns ORDER BY number")
        events = self._rows("SELECT t_s, kind, detail FROM session_events ORDER BY id")

        logged = runner.invoke(main, ["log", "--json"], env=env)
        assert logged.exit_code == 0, logged.output
        (shown,) = json.loads(logged.stdout)
        assert (shown["status"], shown["played_s"]) == (status, _near(played, shown["played_s"]))
        assert [(d["number"], d["phase"]) for d in shown["letdowns"]] == [
            (n, p) for n, _, p in letdowns
        ]
        for d, (_, t_s, _) in zip(shown["letdowns"], letdowns, strict=True):
            assert abs(d["t_s"] - t_s) < 0.0015

        exported = runner.invoke(main, ["export", "--format", "json"], env=env)
        assert exported.exit_code == 0, exported.output
        (session,) = json.loads(exported.stdout)["sessions"]
        assert [(e["kind"], e["detail"]) for e in session["events"]] == [
            (k, d) for _, k, d in events
        ]
        for e, (t_s, _, _) in zip(session["events"], events, strict=True):
            assert abs(e["t_s"] - t_s) < 0.0015
        assert [d["number"] for d in session["letdowns"]] == [n for n, _, _ in letdowns]

        reviewed = runner.invoke(main, ["review", "--json"], env=env)
        assert reviewed.exit_code == 0, reviewed.output
        overall = json.loads(reviewed.stdout)["overall"]
        if overall["sessions"]:
            assert overall["mean_letdowns"] == len(letdowns)
            assert overall["with_letdown"] == (1 if letdowns else 0)
            if letdowns and overall["timed_sessions"]:
                assert abs(overall["median_first_letdown_s"] - letdowns[0][1]) < 0.0015


def _near(value: float, shown: float) -> float:
    """`shown` if it is `value` to the millisecond (JSON may round)."""
    return shown if abs(value - shown) < 0.0015 else value


def check(played: Played, model: SessionModel, rows: Any) -> None:
    """The Player and the SQLite log agree with the model, and the log holds
    only what can be true: in time order, nothing after the end, every rule
    logged with the change of course it tells."""
    player = played.player
    session = player.session
    now = session.now_frame
    assert model.t == min(model.unpaused_ms * FRAMES_PER_MS, model.end), "played = unpaused"
    assert round(player.played_s * RATE) == now
    # Between two ticks the Player has not seen the last frames played yet.
    synced = now == model.t
    if synced:
        assert player.ended == (model.ended is not None), "ended"
        if model.ended is None:
            assert session.phase.name == model.phase_name, "the phase playing"
    else:
        assert now < model.t and not player.ended, "the Player ahead of the clock"
    if player.ended:
        assert session.ended == model.ended, "how it ended"
    assert [(m.number, m.frame) for m in player.letdowns] == [
        (m.number, m.frame) for m in model.marks
    ], "let-downs"
    assert (player.paused, player.muted, player.volume_db) == (
        model.paused,
        model.muted,
        model.volume_db,
    ), "paused, muted and the volume"

    events = [
        (float(t), str(k), str(d))
        for t, k, d in rows("SELECT t_s, kind, detail FROM session_events ORDER BY id")
    ]
    times = [t for t, _, _ in events]
    assert times == sorted(times), f"events out of time order: {events}"
    logged = sorted((round(t * RATE), k, d) for t, k, d in events if k not in ("cue", "owner"))
    expected = sorted(e for e in model.log if e[0] <= now)
    assert logged == expected, (
        f"the log: {[e for e in logged if e not in expected]} logged, "
        f"{[e for e in expected if e not in logged]} expected"
    )
    letdowns = [
        (int(n), round(float(t) * RATE), str(p))
        for n, t, p in rows("SELECT number, t_s, phase FROM letdowns ORDER BY number")
    ]
    assert letdowns == [(m.number, m.frame, m.phase) for m in model.marks], "logged let-downs"

    phases = {(round(t * RATE), d) for t, k, d in events if k == "phase"}
    kinds = {p.name: p.kind for p in model.phases}
    for t, k, d in events:
        if k != "rule":
            continue
        frame = round(t * RATE)
        if d.startswith("no let-down"):
            assert (frame, RESTIM_NAME) in phases, f"a restimulation logged at {t} never began"
        elif d == SWITCH:
            assert any(f == frame and kinds.get(name) == "expression" for f, name in phases), (
                f"a switch logged at {t} never happened"
            )

    if player.ended:
        ((status, played_s),) = rows("SELECT status, played_s FROM sessions")
        assert (status, round(float(played_s) * RATE)) == (model.ended, model.end_frame)
        assert all(t <= float(played_s) for t in times), "an event after the end"
        assert all(t <= round(float(played_s) * RATE) for _, t, _ in letdowns), "a late mark"
