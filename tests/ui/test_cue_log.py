"""Each cue a session showed is logged once, so the review can compare with and without it."""

from __future__ import annotations

from calmflow.audio.output import NullOutput
from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.services.player import Player
from calmflow.store.store import Store
from calmflow.system import paths

ROUTINE = """\
version: 1
name: cues
breathing:
  inhale_s: 1
  exhale_s: 2
phases:
  - name: Settle
    kind: prep
    duration: 10s
    prompt: Settle in.
    cues: [hello, later]
cues:
  hello:
    text: Think of your baby.
  later:
    text: Warm hands.
    at: 6s
"""


def test_cues_are_logged_when_they_first_show(home, tmp_path, clock):
    path = tmp_path / "cues.yaml"
    path.write_text(ROUTINE)
    loaded = load_routine(path)
    plan = compile_plan(loaded.routine)
    store = Store(paths.database_path())
    player = Player(loaded, plan, store, NullOutput(plan.rate, clock=clock), clock=clock)
    player.start()
    for t in (0.5, 3.0, 6.5, 7.0, 9.0):
        clock.now = 1000.0 + t
        player.tick()
        if t == 3.0:
            player.letdown()
    player.finish()
    player.settle()
    [record] = store.sessions()
    # Once each, at the tick that first found it showing.
    assert record.cues_shown == (("hello", 0.5), ("later", 6.5))
    # The let-down at 3 s came before "later" was shown: it cannot have helped.
    assert record.cues_before_letdown() == {"hello"}
