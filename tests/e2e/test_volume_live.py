"""The volume keys through a real sound server: `-` makes the chimes quieter by
the step asked for, `m` is silence with the session's clock going on, and no
change clicks or moves a chime off its frame."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from calmflow.core.plan import compile_plan
from calmflow.core.routine_loading import load_routine
from calmflow.core.timeline import Timeline
from calmflow.engine.mixer import Engine
from tests.e2e.conftest import RATE, chime_envelope, chime_onsets, db_rows, live_player

pytestmark = pytest.mark.e2e


def _reference(routine: Path) -> np.ndarray:
    """The routine rendered offline at full volume, as the capture hears it (mono)."""
    plan = compile_plan(load_routine(routine).routine)
    frames = plan.duration_frames
    out = np.zeros((frames, 2), dtype=np.float32)
    Engine(plan, max_block=frames).render(Timeline.initial(plan), 0, out)
    return out.mean(axis=1)


def test_volume_and_mute_change_the_level_only(home, short_routine, capture):
    # The short routine chimes at 0, 3 and 6 s. Two presses of - before the
    # second chime; mute from 4 s to 5 s; back to full before the third chime.
    player = live_player(short_routine)
    steps = [
        (1.2, lambda: player.change_volume(-2)),
        (4.0, player.toggle_mute),
        (5.0, player.toggle_mute),
        (5.4, lambda: player.change_volume(+2)),
    ]
    done: list[float] = []
    deadline = time.monotonic() + 30
    while not player.ended and time.monotonic() < deadline:
        player.tick()
        if steps and player.played_s >= steps[0][0]:
            done.append(player.played_s)
            steps.pop(0)[1]()
        time.sleep(0.02)
    player.finish()
    audio = capture.stop()
    assert player.no_sound is None and not steps

    # The loud chimes are where the plan puts them: muting stopped no clock.
    onsets = chime_onsets(audio)
    assert len(onsets) == 3, onsets
    assert abs((onsets[2] - onsets[0]) - 6.0) < 0.005, onsets
    # (the quieter one crosses the onset threshold a few ms later in its rise)
    assert 0 <= (onsets[1] - onsets[0]) - 3.0 < 0.010, onsets
    rows = db_rows(home, "SELECT status, played_s FROM sessions")
    assert rows == [("completed", 9.0)]

    # The second chime at -6 dB: half the level of the others.
    envelope = chime_envelope(audio)
    start = int(onsets[0] * RATE)

    def peak(at_s: float) -> float:
        a = start + int(at_s * RATE)
        return float(envelope[a : a + int(0.3 * RATE)].max())

    assert peak(3.0) / peak(0.0) == pytest.approx(10 ** (-6 / 20), rel=0.05)
    assert peak(6.0) / peak(0.0) == pytest.approx(1.0, rel=0.05)

    # Muted: silence, from a moment after the key until the key again (the
    # onset found lies a few ms into the first chime, hence the margin).
    muted = audio[start + int((done[1] + 0.25) * RATE) : start + int((done[2] - 0.05) * RATE)]
    assert len(muted) > 0.5 * RATE
    assert np.abs(muted).max() < 1e-3
    # And nothing changed from one sample to the next faster than the routine's
    # own sound does: every change of level was ramped, none clicked.
    session = audio[start : start + 9 * RATE]
    assert np.abs(session[: int(0.5 * RATE)]).max() > 0.05  # it was heard
    steepest = np.abs(np.diff(_reference(short_routine))).max()
    assert np.abs(np.diff(session)).max() <= steepest * 1.05
