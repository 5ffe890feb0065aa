"""The `calmflow` command as a user types it: outputs, exit codes, no tracebacks."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import soundfile as sf

from calmflow.core.records import AfterSession
from calmflow.store.store import Store
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e


def _no_traceback(done) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout


def test_check_accepts_the_bundled_routine(home):
    done = run_cli("check", "standard")
    assert done.returncode == 0, done.stderr
    assert "ok (standard, 4 phases, 20:00)" in done.stdout


def test_check_lists_every_problem_with_file_line_col(home, tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "name: mine\nphases:\n  - name: Warm up\n    kind: stimulaton\n    durration: 2m\n"
    )
    done = run_cli("check", str(bad))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert f"{bad}:3:5: phases.0.duration: missing 'duration'" in lines
    assert any(
        line.startswith(f"{bad}:4:11: phases.0.kind:") and "did you mean 'stimulation'?" in line
        for line in lines
    )
    assert (
        f"{bad}:5:5: phases.0.durration: unknown key 'durration' — did you mean 'duration'?"
        in lines
    )
    _no_traceback(done)


def test_check_names_the_line_of_a_missing_media_file(home, tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "name: mine\n"
        "cues:\n"
        "  lullaby:\n"
        "    sound: lullaby.ogg\n"
        "phases:\n"
        "  - {name: Settle, kind: prep, duration: 1m, cues: [lullaby]}\n"
    )
    done = run_cli("check", str(bad))
    assert done.returncode == 1
    assert done.stderr.startswith(f"{bad}:4:12: cues.lullaby.sound: media file not found:")
    assert str(tmp_path / "lullaby.ogg") in done.stderr
    _no_traceback(done)


def test_check_refuses_a_file_that_is_not_audio(home, tmp_path):
    (tmp_path / "song.mp3").write_text("not really a song")
    routine = tmp_path / "mine.yaml"
    routine.write_text(
        "name: mine\ncues:\n  song: {sound: song.mp3}\n"
        "phases:\n  - {name: A, kind: prep, duration: 1m, cues: [song]}\n"
    )
    done = run_cli("check", str(routine))
    assert done.returncode == 1
    assert f"{routine}:3:17: cues.song.sound: not a sound file calmflow can read" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "nothere.yaml"), "nothere.yaml: no such routine file"),
        (("play", "nothere"), "nothere: no routine of that name"),
        (("render", "standrad", "-o", "x.wav"), "did you mean 'standard'?"),
    ],
)
def test_a_missing_routine_is_one_clear_line(home, tmp_path, args, message):
    done = run_cli(*args)
    assert done.returncode == 1
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    _no_traceback(done)


def test_play_without_a_terminal_says_so(home):
    done = run_cli("play", "standard")
    assert done.returncode == 1
    assert "needs a terminal" in done.stderr
    _no_traceback(done)


def test_render_writes_a_wav_as_long_as_the_routine(home, tmp_path):
    out = tmp_path / "standard.wav"
    done = run_cli("render", "standard", "-o", str(out), "--rate", "8000")
    assert done.returncode == 0, done.stderr
    info = sf.info(str(out))
    assert info.samplerate == 8000
    # 20 minutes as planned, and with no let-down marked, 7 minutes into
    # expression the restimulation rule adds 90 s of stimulation.
    assert info.frames == (20 * 60 + 90) * 8000
    assert "21:30" in done.stdout


def test_render_with_a_letdown_in_stimulation_moves_on_to_expression(home, tmp_path):
    out = tmp_path / "early.wav"
    done = run_cli("render", "standard", "-o", str(out), "--rate", "8000", "--letdown-at", "150")
    assert done.returncode == 0, done.stderr
    # Stimulation (2:00–4:00) ends where the let-down at 2:30 is heard live
    # (calmflow.audio.device.heard_after_frames later): about 90 s sooner; with no
    # let-down after it, the restimulation rule adds 90 s at 9:30.
    from calmflow.audio.device import heard_after_frames

    assert sf.info(str(out)).frames == (20 * 60 - 90 + 90) * 8000 + heard_after_frames(8000)


def test_render_into_a_missing_folder_is_refused(home, tmp_path):
    done = run_cli("render", "standard", "-o", str(tmp_path / "no" / "x.wav"))
    assert done.returncode == 1
    assert "does not exist" in done.stderr


def _seed_sessions(home: Path) -> None:
    """Four standard sessions and one of another routine, with known let-downs."""
    store = Store(home / "calmflow.sqlite3")
    plan = [
        ("standard", [95.0, 300.0]),
        ("standard", [150.0]),
        ("standard", []),
        ("standard", [60.0, 200.0, 400.0]),
        ("quick", [30.0]),
    ]
    for routine, letdowns in plan:
        sid = store.start_session(
            routine=routine, routine_path=None, routine_digest=None, planned_s=1200, output="null"
        )
        for i, t in enumerate(letdowns, start=1):
            store.add_letdown(
                sid, number=i, t_s=t, phase="Expression", phase_kind="expression", cues=["waves"]
            )
        store.end_session(sid, status="completed", played_s=1200)
    store.save_form(sid, AfterSession.from_entry(2, 2.5, None, "oz"))
    store.close()


def test_review_json_gives_the_figures_per_routine(home):
    _seed_sessions(home)
    done = run_cli("review", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    by_name = {r["label"]: r for r in data["routines"]}
    standard = by_name["standard"]
    assert standard["sessions"] == 4
    assert standard["with_letdown"] == 3
    assert standard["share_with_letdown"] == 0.75
    assert standard["mean_letdowns"] == 1.5
    # First let-downs 60, 95, 150 and one session without (censored at 1200 s):
    # survival 3/4 after 60, 2/4 after 95 -> the median is 95 s.
    assert standard["median_first_letdown_s"] == 95.0
    assert by_name["quick"]["sessions"] == 1


def test_review_prints_a_readable_table(home):
    _seed_sessions(home)
    done = run_cli("review")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("standard"))
    # 4 sessions, 3 with a let-down (Wilson 95%: 30% to 95%), median 95 s, 1.5 each.
    assert row.split()[:5] == ["standard", "4", "75%", "(30%-95%)", "1"]
    assert "1 m 35 s" in row and row.split()[-2:] == ["1.5", "-"]


def test_review_since_leaves_out_older_sessions(home):
    _seed_sessions(home)
    with sqlite3.connect(home / "calmflow.sqlite3") as conn:
        old = (datetime.now(UTC) - timedelta(days=30)).isoformat().replace("+00:00", "Z")
        conn.execute("UPDATE sessions SET started_at = ? WHERE id <= 2", (old,))
    data = json.loads(run_cli("review", "--json", "--since", "7").stdout)
    standard = next(r for r in data["routines"] if r["label"] == "standard")
    assert standard["sessions"] == 2


def test_log_json_has_letdowns_and_volumes(home):
    _seed_sessions(home)
    done = run_cli("log", "--json")
    assert done.returncode == 0
    sessions = json.loads(done.stdout)
    assert len(sessions) == 5
    assert [ld["t_s"] for ld in sessions[0]["letdowns"]] == [95.0, 300.0]
    assert sessions[0]["letdowns"][0]["cues"] == ["waves"]
    assert sessions[-1]["volume_total_ml"] == pytest.approx(133.0)  # 59.1 + 73.9 ml
    assert sessions[-1]["volume_unit"] == "oz"


def test_log_says_when_the_sound_skipped_or_stopped(home):
    store = Store(home / "calmflow.sqlite3")
    for underruns, problem in [(0, None), (3, None), (1, "the sound output stopped")]:
        sid = store.start_session(
            routine="standard",
            routine_path=None,
            routine_digest=None,
            planned_s=1200,
            output="device",
        )
        store.end_session(
            sid, status="completed", played_s=1200, underruns=underruns, audio_problem=problem
        )
    store.close()
    lines = run_cli("log").stdout.splitlines()
    assert len(lines) == 3
    by_id = {int(line.split()[0]): line for line in lines}
    assert "sound" not in by_id[1]  # nothing to say when all went well
    assert by_id[2].endswith("completed  the sound skipped 3 times")
    assert by_id[3].endswith("completed  no sound for part or all of it  the sound skipped once")
    data = json.loads(run_cli("log", "--json").stdout)
    assert {s["id"]: (s["underruns"], s["audio_problem"]) for s in data} == {
        1: (0, None),
        2: (3, None),
        3: (1, "the sound output stopped"),
    }


def test_a_database_from_a_newer_calmflow_is_refused_untouched(home):
    _seed_sessions(home)
    db = home / "calmflow.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = db.read_bytes()
    done = run_cli("log")
    assert done.returncode == 3
    assert "newer calmflow" in done.stderr
    assert db.read_bytes() == before
    _no_traceback(done)


def test_routines_and_new_make_an_editable_copy(home):
    listing = json.loads(run_cli("routines", "--json").stdout)
    bundled = [r["name"] for r in listing if r["source"] == "bundled"]
    assert "standard" in bundled
    done = run_cli("new", "mine", "--from", "standard")
    assert done.returncode == 0, done.stderr
    copy = home / "routines" / "mine.yaml"
    assert 'name: "mine"\n' in copy.read_text()
    assert "# calmflow routine" in copy.read_text()  # the comments come along
    checked = run_cli("check", "mine")
    assert checked.returncode == 0, checked.stderr
    names = [r["name"] for r in json.loads(run_cli("routines", "--json").stdout)]
    assert names == [*bundled, "mine"]
    again = run_cli("new", "mine")
    assert again.returncode == 1 and "exists already" in again.stderr
    # A name YAML would read as a number stays a name.
    assert run_cli("new", "2024").returncode == 0
    assert run_cli("check", "2024").returncode == 0


def test_a_file_in_the_current_folder_does_not_hide_a_routine(home, tmp_path):
    (tmp_path / "standard").write_text("not a routine")
    done = run_cli("check", "standard", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ok (standard" in done.stdout


@pytest.mark.parametrize("name", ["session", "session.flac"])
def test_wav_output_needs_a_wav_name(home, tmp_path, name):
    done = run_cli("render", "standard", "-o", str(tmp_path / name))
    assert done.returncode == 1
    assert "must end in .wav" in done.stderr
    played = run_cli("play", "standard", "--output", f"wav:{tmp_path / name}")
    assert played.returncode == 1
    assert "give a .wav file" in played.stderr


def test_devices_lists_the_sound_server(home, pulse):
    done = run_cli("devices", "--json")
    assert done.returncode == 0, done.stderr
    names = [d["name"] for d in json.loads(done.stdout)]
    assert "default" in names or "pulse" in names


def test_the_database_is_private(home):
    _seed_sessions(home)
    assert (home / "calmflow.sqlite3").stat().st_mode & 0o777 == 0o600
    assert home.stat().st_mode & 0o777 == 0o700
