"""The after-session form's answers, stored in millilitres."""

from __future__ import annotations

import pytest

from calmflow.core.records import AfterSession
from calmflow.core.values import ML_PER_OZ


def test_ml_are_kept_and_total_is_left_plus_right():
    answers = AfterSession.from_entry(60, 45.5, None, "ml", "  felt calm \n")
    assert answers == AfterSession(
        volume_left_ml=60.0,
        volume_right_ml=45.5,
        volume_total_ml=105.5,
        unit="ml",
        notes="felt calm",
    )


def test_ounces_are_converted_to_ml():
    # 2 oz = 59.147 ml, 1.5 oz = 44.360 ml, together 3.5 oz = 103.507 ml.
    answers = AfterSession.from_entry(2, 1.5, None, "oz")
    assert (answers.volume_left_ml, answers.volume_right_ml) == (59.1, 44.4)
    assert answers.volume_total_ml == 103.5
    assert answers.unit == "oz"


def test_a_typed_total_wins_over_the_sides():
    answers = AfterSession.from_entry(None, None, 5, "oz")
    assert answers.volume_total_ml == round(5 * ML_PER_OZ, 1) == 147.9
    assert (answers.volume_left_ml, answers.volume_right_ml) == (None, None)


@pytest.mark.parametrize(("left", "right", "total"), [(50, None, 50.0), (None, 70, 70.0)])
def test_one_side_only_is_the_total(left, right, total):
    assert AfterSession.from_entry(left, right, None, "ml").volume_total_ml == total


def test_nothing_typed_stores_nothing():
    assert AfterSession.from_entry(None, None, None, "ml") == AfterSession(unit="ml")


@pytest.mark.parametrize(
    ("values", "unit"),
    [((-5, None, None), "ml"), ((None, 2001, None), "ml"), ((10, 10, None), "l")],
)
def test_impossible_entries_are_refused(values, unit):
    with pytest.raises(ValueError):
        AfterSession.from_entry(*values, unit)


def test_over_two_litres_in_ounces_is_refused_like_in_ml():
    # 2001 ml is refused as a typo; 100 oz is 2957 ml and must be too.
    with pytest.raises(ValueError):
        AfterSession.from_entry(100, None, None, "oz")


# --- one model of a session: instants keep the log's text -------------------------------


def test_an_instant_keeps_the_text_the_log_stores_it_as():
    import pickle
    from datetime import UTC, datetime, timedelta

    from calmflow.core.values import Instant

    kept = Instant.of("2025-03-02T08:00:00+00:00")  # UTC written another way: kept as it is
    assert kept == datetime(2025, 3, 2, 8, tzinfo=UTC) and kept.text == "2025-03-02T08:00:00+00:00"
    moved = Instant.of("2025-03-02T09:00:00+01:00")  # another offset: stored in UTC
    assert moved == kept and moved.text == "2025-03-02T08:00:00.000Z"
    made = Instant.of(datetime(2025, 3, 2, 9, 30, 15, 250000, tzinfo=UTC))
    assert made.text == "2025-03-02T09:30:15.250Z"
    assert pickle.loads(pickle.dumps(kept)).text == kept.text
    assert (kept + timedelta(hours=1)).text == "2025-03-02T09:00:00.000Z"
    for bad in ("2025-03-02 08:00", "soon", "", 5, datetime(2025, 3, 2, 8)):
        with pytest.raises(ValueError, match="expected a time"):
            Instant.of(bad)


def test_a_session_dumps_to_the_export_s_fields_and_text():
    from calmflow.core.records import EXPORTED, SessionRecord

    raw = {
        "routine": "standard",
        "started_at": "2025-03-02T08:00:00+00:00",
        "status": "completed",
        "planned_s": 1200,
        "played_s": 1200,
        "output": "null",
        "dmer": True,
    }
    session = SessionRecord.model_validate(raw)
    dumped = session.model_dump(mode="json")
    assert tuple(dumped) == EXPORTED  # no row id, no cues shown: they mean nothing elsewhere
    assert dumped["started_at"] == dumped["updated_at"] == "2025-03-02T08:00:00+00:00"
    assert (dumped["planned_s"], dumped["dmer"], dumped["letdowns"]) == (1200.0, True, [])
    with pytest.raises(ValueError, match="expected a whole number from 1 to 5"):
        SessionRecord.model_validate({**raw, "comfort": 6})
