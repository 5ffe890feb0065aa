"""Comparisons a tired person can read: with and without a cue, experiment arms, trends."""

from __future__ import annotations

import pytest
from scipy import stats

from calmflow.core.comparison import MIN_SESSIONS
from calmflow.core.review import review
from tests.unit.review_records import session

_s = session


PHOTO = (("baby-photo", 0.0),)


def test_too_few_sessions_says_how_many_are_needed():
    records = [_s(60, id=i, cues=PHOTO) for i in range(3)]
    records += [_s(200, id=10 + i) for i in range(11)]
    [comparison] = review(records).comparisons
    assert not comparison.enough and comparison.logrank_p is None
    assert comparison.sentence == (
        "With baby-photo and without it: not enough sessions yet to compare"
        f" (3 of the {MIN_SESSIONS} needed in each; 3 vs 11 sessions)."
    )


def test_a_clear_difference_is_told_in_words_with_the_tests_p():
    with_photo = [
        _s(t, id=i, cues=PHOTO)
        for i, t in enumerate([60, 70, 80, 90, 100, 110, 120, 130, 140, 600])
    ]
    without = [_s(t, id=20 + i) for i, t in enumerate([200, 250, 280, 300, 320, 340, 360, 400])]
    without += [_s(None, id=40 + i) for i in range(3)]  # no let-down: censored at 900 s
    [c] = review(with_photo + without).comparisons
    expected = stats.logrank(
        stats.CensoredData(uncensored=[60, 70, 80, 90, 100, 110, 120, 130, 140, 600]),
        stats.CensoredData(uncensored=[200, 250, 280, 300, 320, 340, 360, 400], right=[900] * 3),
    )
    assert c.logrank_p == pytest.approx(expected.pvalue)
    assert c.logrank_p < 0.05
    # Medians: with, S drops to 0.5 at the 5th of 10 (100 s); without, at 340 s
    # (S = 1 - 5/11 = 0.545 after 320, 1 - 6/11 = 0.455 after 340).
    assert c.sentence.startswith(
        "With baby-photo, let-down came sooner: median 1 m 40 s vs 5 m 40 s without it,"
        " 10 vs 11 sessions;"
        " unlikely to be chance alone (p = "
    )


def test_a_small_difference_could_still_be_chance():
    with_photo = [
        _s(t, id=i, cues=PHOTO) for i, t in enumerate([100, 150, 200, 250, 300, 350, 400, 450])
    ]
    without = [_s(t, id=20 + i) for i, t in enumerate([110, 160, 190, 260, 310, 360, 420, 440])]
    [c] = review(with_photo + without).comparisons
    assert c.logrank_p is not None and c.logrank_p > 0.5
    assert c.direction is None
    assert c.sentence == (
        "With baby-photo: no difference seen yet (median 4 m 10 s vs 4 m 20 s without it,"
        " 8 vs 8 sessions; a difference this small would take over 1,000 sessions in each"
        " to tell from chance)."
    )


def test_a_cue_that_came_after_the_letdown_did_not_bring_it():
    late = (("lullaby", 500.0),)
    records = [_s(100, id=i, cues=late) for i in range(8)]
    records += [_s(None, id=10 + i, cues=late) for i in range(8)]
    result = review(records)
    [lullaby] = result.cues
    # Only the 8 sessions without a let-down had the lullaby before one could come.
    assert (lullaby.sessions, lullaby.with_letdown) == (8, 0)


def test_without_a_cue_means_the_same_routines_without_it():
    records = [_s(60, id=i, cues=PHOTO, routine="mine") for i in range(8)]
    records += [_s(300, id=10 + i, routine="mine") for i in range(8)]
    records += [_s(900, id=30 + i, routine="other") for i in range(20)]  # never shows it
    [c] = review(records).comparisons
    assert (c.first.sessions, c.second.sessions) == (8, 8)


def test_experiment_arms_of_unequal_size():
    records = [_s(100 + i, id=i, arm="lullaby") for i in range(12)]
    records += [_s(300 + i, id=100 + i, arm="waves") for i in range(9)]
    records += [_s(200, id=200 + i, arm="silence") for i in range(3)]
    arms = [c for c in review(records).comparisons if c.subject.startswith("standard music")]
    assert [c.subject for c in arms] == [
        "standard music: lullaby or waves",
        "standard music: lullaby or silence",
        "standard music: waves or silence",
    ]
    lullaby_waves = arms[0]
    assert lullaby_waves.enough and (
        lullaby_waves.first.sessions,
        lullaby_waves.second.sessions,
    ) == (12, 9)
    assert "came sooner" in lullaby_waves.sentence
    assert " with waves, 12 vs 9 sessions" in lullaby_waves.sentence  # the other arm named
    assert not arms[1].enough and "3 of the 8 needed" in arms[1].sentence


def test_manual_sessions_count_for_volume_and_share_but_not_for_times():
    records = [_s(120, id=1, volume=80.0), _s(None, id=2, volume=40.0)]
    records.append(_s(None, id=3, volume=100.0, manual_count=2))
    r = review(records)
    assert (r.overall.sessions, r.overall.with_letdown, r.overall.timed_sessions) == (3, 2, 2)
    assert r.overall.mean_volume_ml == pytest.approx(220 / 3)
    # Time to let-down from the two timed sessions only: 120, and one censored at 900.
    assert r.overall.median_first_letdown_s == 120


def test_no_sessions_at_all():
    r = review([])
    assert r.sessions == 0 and r.overall.share_with_letdown is None
    assert r.typical_letdown_s is None and r.comparisons == [] and r.weekly == []


def test_typical_time_is_from_the_last_sessions():
    old = [_s(600, id=i, day=i) for i in range(40)]
    recent = [_s(90, id=100 + i, day=50 + i) for i in range(30)]
    r = review(old + recent)
    assert (r.typical_letdown_s, r.typical_of) == (90, 30)


def test_daily_volume_and_weekly_trend():
    records = [
        _s(100, id=1, day=0, volume=60.0),
        _s(200, id=2, day=0, volume=50.5),
        _s(300, id=3, day=1, volume=70.0),
        _s(400, id=4, day=8),
    ]
    r = review(records)
    assert [(d.sessions, d.total_ml) for d in r.daily_volume] == [(2, 110.5), (1, 70.0)]
    assert [(w.sessions, w.median_first_letdown_s) for w in r.weekly] == [(3, 200), (1, 400)]
    assert r.as_dict()["weekly"][0]["week"] == "2026-05-04"


def test_filters_by_routine_and_cue():
    records = [_s(60, id=i, cues=(("baby-photo", 0.0), ("waves", 0.0))) for i in range(8)]
    records += [_s(300, id=20 + i, routine="other") for i in range(5)]
    assert review(records, routine="other").sessions == 5
    only_waves = review(records, cue="waves")
    assert [f.label for f in only_waves.cues] == ["waves"]
    assert [c.subject for c in only_waves.comparisons] == ["cue waves"]
