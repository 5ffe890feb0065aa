"""The phase chime soothes: a soft attack, quieter than it was, never landing on
the breath's peak or at full level on the tone, and still clearly heard over the
mix (it is the eyes-closed cue to change the pump): at least 6 LU above the
400 ms before it, measured with pyloudnorm on every chime of every bundled
routine, as planned and with let-downs."""

from __future__ import annotations

import numpy as np
import pytest

from calmflow.core.breathing import chime_frames
from calmflow.core.timeline import Timeline
from calmflow.engine import synth
from calmflow.engine.mixer import Engine
from tests.engine.listen import envelope, played
from tests.engine.meter import bundled_plan, momentary, render

RATE = 48_000
EARLIER_PEAK_DB = -13.5
"""The chime's peak before it was made soft (issue 20's measurement)."""


def test_the_chime_has_a_soft_attack_and_is_5_db_quieter_than_it_was() -> None:
    bell = synth.chime(RATE).astype(np.float64)
    env = envelope(bell)
    start = int(np.argmax(env > 1e-3 * env.max()))
    attack_ms = 1000 * (int(np.argmax(env)) - start) / RATE
    assert 15.0 <= attack_ms <= 25.0, attack_ms
    peak_db = 20 * np.log10(np.abs(bell).max())
    assert 4.0 <= EARLIER_PEAK_DB - peak_db <= 6.0, peak_db


SESSIONS = [
    ("standard", None, ()),
    ("standard", None, (197.3, 920.0, 1067.3)),
    ("standard", None, (121.0,)),
    ("quick-letdown", None, (100.0,)),
    ("power-pumping", None, ()),
    ("catch-up", None, ()),
    ("hands-on", None, ()),
    ("photo-or-waves", "waves", (150.0,)),
]


@pytest.mark.parametrize(
    ("name", "arm", "letdowns"),
    SESSIONS,
    ids=[f"{n}{'-' + a if a else ''}{'-letdowns' if ld else ''}{ld[:1]}" for n, a, ld in SESSIONS],
)
def test_every_chime_stands_out_from_what_came_before_and_not_on_a_breath_peak(
    name: str, arm: str | None, letdowns: tuple[float, ...]
) -> None:
    plan = bundled_plan(name, RATE, arm)
    timeline = _played(Timeline.initial(plan), letdowns)
    window = round(0.4 * RATE)
    mix = Engine(plan, max_block=65_536)
    breath = Engine(plan, max_block=65_536, parts=("breath",))
    peak_breath = np.abs(render(timeline, 30 * RATE, 40 * RATE, engine=breath)).max()
    chimes = chime_frames(timeline)
    assert len(chimes) >= len([s for s in timeline.segments if s.end_frame > s.start_frame]) - 1
    for chime in chimes:
        if chime.frame < window:
            continue  # the session's first sound: nothing before it
        around = render(timeline, chime.frame - window, chime.frame + window, engine=mix)
        before, after = momentary(around[:window], RATE), momentary(around[window:], RATE)
        assert after - before >= 6.0, (chime.frame / RATE, before, after)
        # Where it lands the breath is near silence, not at its peak.
        at = render(timeline, chime.frame - RATE // 20, chime.frame + RATE // 20, engine=breath)
        assert np.abs(at).max() < 0.1 * peak_breath, chime.frame / RATE
    mix.close()
    breath.close()


def _played(timeline: Timeline, letdowns: tuple[float, ...]) -> Timeline:
    if not letdowns:
        return timeline
    from calmflow.core.session import Session

    session = Session(timeline.plan)
    session.start()
    for at_s in letdowns:
        session.advance_to(round(at_s * RATE))
        session.letdown()
    session.advance_to(session.end_frame)
    return session.timeline


def test_a_chime_waits_at_most_a_breath_step_for_its_quiet_point() -> None:
    # 4 s in, 6 s out: the tone is quiet at the end of each step.
    plan = bundled_plan("standard", RATE)
    for at_s in (121.0, 123.9, 125.0, 129.5, 130.0):
        timeline = played(plan, "letdown", round(at_s * RATE))
        change = round(at_s * RATE)
        # (A change while the last one's chime is still waiting shares that chime.)
        chime = next(c for c in chime_frames(timeline) if c.frame >= change)
        assert chime.frame - change <= 6 * RATE
