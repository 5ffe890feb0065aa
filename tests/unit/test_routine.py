"""Routines: the bundled one, durations, and what `calmflow check` says about bad ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.core.quantities import parse_duration
from calmflow.core.routine import PumpHint
from calmflow.core.routine_loading import load_routine, resolve_media
from calmflow.core.yamlsource import SourceError
from calmflow.system import paths

INVALID = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"
CORPUS = sorted(INVALID.glob("*.yaml"))


def _write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, **kwargs) -> list[tuple[int, int, str]]:
    with pytest.raises(SourceError) as info:
        load_routine(path, **kwargs)
    return [(p.line, p.col, p.message) for p in info.value.problems]


# --- the bundled standard routine -------------------------------------------------


def test_standard_routine_has_the_four_phases_and_their_lengths(standard_routine):
    routine = load_routine(standard_routine).routine
    assert routine.name == "standard"
    assert [(p.kind, p.duration) for p in routine.phases] == [
        ("prep", 120.0),
        ("stimulation", 120.0),
        ("expression", 780.0),
        ("hands_on", 180.0),
    ]
    assert routine.duration_s == 20 * 60


def test_standard_routine_breathes_4_in_6_out_without_holds(standard_routine):
    routine = load_routine(standard_routine).routine
    assert routine.breathing.pattern() == (4, 0, 6, 0)
    # No phase breathes differently from the routine.
    assert all(p.breathing is None for p in routine.phases)
    assert routine.breathing.steps() == [("in", 4.0), ("out", 6.0)]


def test_standard_routine_tells_how_to_set_the_pump_in_words(standard_routine):
    routine = load_routine(standard_routine).routine
    assert [p.pump_hint.describe() for p in routine.phases] == [
        "pump off",
        "stimulation mode: fast, light suction",
        "expression mode: slow, strongest comfortable suction",
        "expression mode: slow, strongest comfortable suction",
    ]


def test_standard_routine_media_are_bundled_files_that_exist(standard_routine):
    loaded = load_routine(standard_routine)
    media = paths.bundled_media_dir()
    files = {name: cue.file for name, cue in loaded.routine.cues.items() if cue.file}
    assert files == {"waves": str(media / "waves.ogg"), "picture": str(media / "calm.png")}
    assert all(Path(f).is_file() for f in files.values())


def test_loaded_routine_records_the_digest_of_the_exact_file(tmp_path, short_routine):
    copy = _write(tmp_path, short_routine.read_text())
    first = load_routine(copy)
    assert first.digest == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert first.path == copy.resolve()
    copy.write_text(copy.read_text() + "# edited\n")
    assert load_routine(copy).digest != first.digest


# --- durations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("90", 90.0),
        ("90s", 90.0),
        ("2m", 120.0),
        ("1m30s", 90.0),
        ("1m 30s", 90.0),
        ("1.5m", 90.0),
        ("0.5s", 0.5),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        (" 2m ", 120.0),
    ],
)
def test_duration_forms_a_person_writes(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value", ["", " ", "s", "m", "fast", "2m30x", "-5s", "30s2m", True, None, [90], {"m": 2}]
)
def test_bad_durations_say_what_is_expected(value):
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert str(info.value) == f"expected a duration like 90s, 2m or 1m30s; found {value!r}"


def test_yaml_duration_written_as_minutes_and_seconds_in_a_file(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\nphases:\n"
        "  - {name: a, kind: prep, duration: 1m30s}\n"
        "  - {name: b, kind: expression, duration: 45}\n",
    )
    assert [p.duration for p in load_routine(path).routine.phases] == [90.0, 45.0]


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        ("0", "phases.0.duration: must be more than 0s; found '0'"),
        ("4h", "phases.0.duration: must be at most 3h; found '4h'"),
    ],
)
def test_durations_out_of_range_are_refused_at_the_value(tmp_path, duration, message):
    path = _write(
        tmp_path, f"name: mine\nphases:\n  - name: a\n    kind: prep\n    duration: '{duration}'\n"
    )
    assert _problems(path) == [(5, 15, message)]


# --- breathing -----------------------------------------------------------------------


def test_breath_steps_in_half_seconds_are_accepted(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\nbreathing: {inhale_s: 4.5, hold_in_s: 1.5, exhale_s: 6, hold_out_s: 0.5}\n"
        "phases:\n  - {name: a, kind: prep, duration: 1m}\n",
    )
    assert load_routine(path).routine.breathing.cycle_s == 12.5


def test_phase_breathing_overrides_only_that_phase(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\nbreathing: {inhale_s: 4, exhale_s: 6}\nphases:\n"
        "  - {name: a, kind: prep, duration: 1m, breathing: {inhale_s: 3, exhale_s: 5}}\n"
        "  - {name: b, kind: expression, duration: 1m}\n",
    )
    routine = load_routine(path).routine
    assert routine.phases[0].breathing.cycle_s == 8
    assert routine.phases[1].breathing is None


def test_a_breath_step_below_one_second_is_refused(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\nbreathing:\n  inhale_s: 0.5\nphases:\n  - {name: a, kind: prep, duration: 1m}\n",
    )
    assert _problems(path) == [(3, 13, "breathing.inhale_s: must be at least 1; found 0.5")]


# --- words and values -----------------------------------------------------------------


def test_pump_mode_off_stays_the_word_off(tmp_path):
    # In YAML 1.1 `off` would be the boolean False and fail as a pump mode.
    path = _write(
        tmp_path,
        "name: mine\nphases:\n  - name: a\n    kind: stimulation\n    duration: 1m\n"
        "    pump: {mode: off}\n",
    )
    phase = load_routine(path).routine.phases[0]
    assert phase.pump == PumpHint(mode="off")
    assert phase.pump_hint.describe() == "pump off"


def test_names_yes_and_no_stay_words(tmp_path):
    path = _write(tmp_path, "name: yes\nphases:\n  - {name: no, kind: prep, duration: 1m}\n")
    routine = load_routine(path).routine
    assert (routine.name, routine.phases[0].name) == ("yes", "no")


def test_unknown_top_level_key_without_a_close_match_lists_the_keys(tmp_path):
    path = _write(
        tmp_path, "name: mine\ncolour: blue\nphases:\n  - {name: a, kind: prep, duration: 1m}\n"
    )
    assert _problems(path) == [
        (
            2,
            1,
            "colour: unknown key 'colour' (expected one of: version, name, description, "
            "extends, cue_sets, breathing, chime, cues, background, ducking, rules, "
            "experiment, phases)",
        )
    ]


def test_unknown_key_inside_a_cue_suggests_the_field(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\ncues:\n  hum:\n    tone: 220\n    volum: 0.3\n"
        "phases:\n  - {name: a, kind: prep, duration: 1m, cues: [hum]}\n",
    )
    assert _problems(path) == [
        (5, 5, "cues.hum.volum: unknown key 'volum' — did you mean 'volume'?")
    ]


def test_unsupported_version_names_the_version_that_is_supported(tmp_path):
    path = _write(
        tmp_path, "version: 2\nname: mine\nphases:\n  - {name: a, kind: prep, duration: 1m}\n"
    )
    [(line, col, message)] = _problems(path)
    assert (line, col) == (1, 10)
    assert message.startswith("version: ")
    # Before "found", the message must say which value would be right.
    expected_part = message.split("found")[0]
    assert "1" in expected_part, message


def test_unknown_cue_when_the_routine_defines_none(tmp_path):
    path = _write(
        tmp_path, "name: mine\nphases:\n  - {name: a, kind: prep, duration: 1m, cues: [x]}\n"
    )
    assert _problems(path) == [(3, 48, "unknown cue 'x' (the routine defines no cues)")]


def test_a_cue_with_no_kind_is_refused(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\ncues:\n  hum:\n    volume: 0.3\nphases:\n  - {name: a, kind: prep, duration: 1m}\n",
    )
    assert _problems(path) == [
        (
            4,
            5,
            "cues.hum: a cue has exactly one of sound, photo, video, text or tone; found none of them",
        )
    ]


# --- the corpus of invalid routines, as `calmflow check` prints them ------------------


@pytest.mark.parametrize("routine", CORPUS, ids=[p.stem for p in CORPUS])
def test_check_prints_the_expected_problems(home, routine):
    expected = routine.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    result = CliRunner().invoke(main, ["check", str(routine)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    printed = result.stderr.replace(f"{INVALID}/", "").splitlines()
    assert printed == expected


def test_check_passes_the_bundled_routine(home, standard_routine):
    result = CliRunner().invoke(main, ["check", str(standard_routine)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{standard_routine}: ok (standard, 4 phases, 20:00)\n"


def test_check_counts_one_phase_in_the_singular(home, tmp_path):
    path = _write(
        tmp_path, "name: mine\nphases:\n  - name: Settle\n    kind: prep\n    duration: 2m\n"
    )
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: ok (mine, 1 phase, 2:00)\n"


# --- media ----------------------------------------------------------------------------

WITH_SOUND = """\
name: mine
cues:
  note:
    text: Breathe.
  baby:
    sound: sounds/baby.wav
phases:
  - name: a
    kind: prep
    duration: 1m
    cues: [note, baby]
"""


def test_check_media_complaint_is_reported_at_the_media_line(tmp_path):
    path = _write(tmp_path, WITH_SOUND)
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "baby.wav").write_bytes(b"not a sound")
    calls: list[tuple[str, Path]] = []

    def check(kind: str, file: Path) -> str | None:
        calls.append((kind, file))
        return "not a sound calmflow can play"

    assert _problems(path, check_media=check) == [
        (6, 12, "cues.baby.sound: not a sound calmflow can play")
    ]
    # Only files are looked inside, and by their absolute path.
    assert calls == [("sound", tmp_path.resolve() / "sounds" / "baby.wav")]


def test_usable_media_resolve_relative_to_the_routine_not_the_cwd(tmp_path, monkeypatch):
    path = _write(tmp_path, WITH_SOUND)
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "baby.wav").write_bytes(b"RIFF")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    routine = load_routine(path, check_media=lambda kind, file: None).routine
    assert routine.cues["baby"].sound == str(tmp_path.resolve() / "sounds" / "baby.wav")
    assert routine.cues["note"].text == "Breathe."


def test_missing_media_is_not_passed_to_check_media(tmp_path):
    path = _write(tmp_path, WITH_SOUND)
    calls = []
    problems = _problems(path, check_media=lambda kind, file: calls.append(file))
    assert problems == [
        (6, 12, f"cues.baby.sound: media file not found: {tmp_path.resolve()}/sounds/baby.wav")
    ]
    assert calls == []


def test_bundled_prefix_resolves_into_the_bundled_media_folder(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "rain.ogg").write_bytes(b"OggS")
    path = _write(
        tmp_path,
        "name: mine\ncues:\n  rain: {sound: 'bundled:rain.ogg'}\n"
        "phases:\n  - {name: a, kind: prep, duration: 1m, cues: [rain]}\n",
    )
    routine = load_routine(path, bundled_media=media).routine
    assert routine.cues["rain"].sound == str(media / "rain.ogg")


def test_bundled_prefix_defaults_to_calmflows_own_media(tmp_path):
    path = _write(
        tmp_path,
        "name: mine\ncues:\n  sea: {sound: 'bundled:waves.ogg'}\n  birds: {sound: 'bundled:birds.ogg'}\n"
        "phases:\n  - {name: a, kind: prep, duration: 1m, cues: [sea, birds]}\n",
    )
    media = paths.bundled_media_dir()
    assert _problems(path) == [
        (4, 18, f"cues.birds.sound: media file not found: {media / 'birds.ogg'}")
    ]
    assert resolve_media("bundled:waves.ogg", tmp_path, media) == media / "waves.ogg"
    assert (media / "waves.ogg").is_file()


def test_home_folder_in_media_paths_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert resolve_media("~/baby.jpg", Path("/routines"), Path("/media")) == (
        tmp_path / "me" / "baby.jpg"
    )
    assert resolve_media("/abs/baby.jpg", Path("/routines"), Path("/media")) == Path(
        "/abs/baby.jpg"
    )
    assert resolve_media("baby.jpg", Path("/routines"), Path("/media")) == Path(
        "/routines/baby.jpg"
    )
