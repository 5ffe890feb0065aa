"""Privacy: every file calmflow makes is its owner's alone, whatever the umask.

With a permissive umask (022, and 000: anyone may read and write what is made),
set in this process and in each calmflow process it starts, every command that
creates a file runs: the database with its -wal and -shm, the journal of
unsaved writes, the copy of an older database made before migrating it, the
error log, the audio process's log, the cache of sounds found good, `export`
(JSON and CSV), `schedule --ics` and `render`, and the folders made for them.
Then every file under CALMFLOW_HOME must be 0600 and every folder 0700 (the
folders above it that calmflow had to make too), and so must each file written
where the person asked.

A file asked for that already exists, readable by everyone (0644): calmflow
writes it readable by its owner only (0600), as if it were new. Leaving it 0644
would put a person's health log in a world-readable file; refusing would only
make them delete it first to get the same result. (Export and the calendar are
written beside it and renamed over it; the WAV is tightened before a sample is
written into it.)
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from calmflow.store import db as store_db
from calmflow.store.schema import MIGRATIONS
from calmflow.store.store import Store
from calmflow.system import paths
from tests.conftest import ROOT
from tests.store.log import start
from tests.unit.test_media_memo import ROUTINE as SOUND_ROUTINE  # a routine with one sound

UMASKS = [0o022, 0o000]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(params=UMASKS, ids=lambda m: f"umask {m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _run(umask: int, *args: str, env: dict[str, str] | None = None) -> str:
    """`calmflow ARGS` in a process of its own, started with `umask`."""
    done = subprocess.run(
        [sys.executable, "-m", "calmflow", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        umask=umask,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _cli(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, (args, done.output)
    return done.stdout


def _world_readable(path: Path) -> Path:
    path.write_text("an older file, readable by everyone\n")
    path.chmod(0o644)
    return path


def _made_folders(first: Path, home: Path) -> list[Path]:
    """The folders from `first` down to `home`: those calmflow had to make."""
    out = [home]
    while out[-1] != first:
        out.append(out[-1].parent)
    return out


def _walk(top: Path) -> tuple[list[Path], list[Path]]:
    """Every folder (top included) and every file under `top`; not symbolic links,
    whose own mode means nothing (libpulse keeps one to its runtime folder)."""
    folders, files = [top], []
    for root, dirs, names in os.walk(top):
        folders += [p for p in (Path(root, d) for d in dirs) if not p.is_symlink()]
        files += [p for p in (Path(root, n) for n in names) if not p.is_symlink()]
    return folders, files


def _not_private(folders: list[Path], files: list[Path]) -> list[str]:
    wrong = [f"{p}: {_mode(p):04o}, not 0700" for p in folders if _mode(p) != 0o700]
    wrong += [f"{p}: {_mode(p):04o}, not 0600" for p in files if _mode(p) != 0o600]
    return wrong


def _older_database(path: Path) -> None:
    """A log as the calmflow before the last migration made it, with a session."""
    with mock.patch.object(store_db, "MIGRATIONS", MIGRATIONS[: len(MIGRATIONS) - 1]):
        conn = store_db.connect(path)
    conn.execute(
        "INSERT INTO sessions (uuid, routine, started_at, updated_at, ended_at, status,"
        " planned_s, played_s, output) VALUES ('u1', 'standard', '2025-03-01T08:00:00.000Z',"
        " '2025-03-01T08:20:00.000Z', '2025-03-01T08:20:00.000Z', 'completed', 1200, 1200,"
        " 'null')"
    )
    conn.close()


def _crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Something unexpected in a command: the details go to logs/errors.log."""
    with monkeypatch.context() as m:
        m.setattr(
            "calmflow.services.exchange.json_file.to_json",
            mock.Mock(side_effect=RuntimeError("a bug")),
        )
        done = CliRunner().invoke(main, ["export", "--format", "json"])
    assert done.exit_code == 70, done.output
    assert "errors.log" in done.output


def _audio_log() -> None:
    """The audio process's stderr goes to logs/audio.log, whether or not a sound
    output opens here."""
    from calmflow.audio.device import DeviceOutput
    from calmflow.audio.output import OutputUnavailable
    from calmflow.core.plan import compile_plan
    from calmflow.core.routine_loading import load_routine
    from calmflow.core.timeline import Timeline

    plan = compile_plan(load_routine(ROOT / "tests/fixtures/routines/short.yaml").routine)
    output = DeviceOutput(plan, log_path=paths.log_dir() / "audio.log")
    timeline = Timeline.initial(plan)
    try:
        output.start(timeline)
    except OutputUnavailable:
        pass
    finally:
        output.close(timeline)


def test_every_file_calmflow_makes_is_its_owners_alone(
    umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_routine: Path, faults: Any
) -> None:
    # CALMFLOW_HOME two folders below any that exists: calmflow makes all three.
    first = tmp_path / "private"
    home = first / "data" / "calmflow"
    monkeypatch.setenv("CALMFLOW_HOME", str(home))
    # The person's other folders: calmflow writes in none of them (its cache is
    # under CALMFLOW_HOME). The sound server's client library (libpulse, in the
    # audio process) keeps its own files in config/pulse: not calmflow's.
    xdg = tmp_path / "xdg"
    for name in ("CACHE", "STATE", "CONFIG", "DATA"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(xdg / name.lower()))
    out = tmp_path / "asked-for"  # the person's own folder, where they asked for files
    out.mkdir()
    media = tmp_path / "routine"
    media.mkdir()
    shutil.copy(ROOT / "media" / "waves.ogg", media / "song.ogg")
    (media / "memo.yaml").write_text(SOUND_ROUTINE)
    existing = {
        name: _world_readable(out / name) for name in ("old.json", "old.csv", "old.ics", "old.wav")
    }

    with faults.inject(f"privacy: umask {umask:03o}") as fault:
        # An older log, migrated by a command in a process of its own: the copy aside.
        _older_database(paths.database_path())
        _run(umask, "log", "add", "--minutes", "15", "--total", "90")
        assert list(home.glob("calmflow.sqlite3.before-schema-*"))
        _run(umask, "check", str(media / "memo.yaml"))  # the sound found good is remembered
        assert (paths.cache_dir() / "sounds-checked.json").exists()
        asked = [
            out / "all.json",
            out / "all.csv",
            out / "pumping.ics",
            out / "short.wav",
            out / "float.wav",
            *existing.values(),
        ]
        for fmt, target in (("json", "all.json"), ("csv", "all.csv")):
            _cli("export", "--format", fmt, "-o", str(out / target))
            _cli("export", "--format", fmt, "-o", str(out / f"old.{fmt}"))
        assert json.loads((out / "old.json").read_text())["sessions"]
        _cli("schedule", "--times", "06:00,12:00,18:00")
        _cli("schedule", "--ics", str(out / "pumping.ics"))
        _cli("schedule", "--ics", str(out / "old.ics"))
        for wav, extra in (("short.wav", []), ("float.wav", ["--float"]), ("old.wav", [])):
            _run(
                umask, "render", str(short_routine), "-o", str(out / wav), "--rate", "8000", *extra
            )
        assert (out / "old.wav").read_bytes()[:4] == b"RIFF"
        _crash(monkeypatch)
        _audio_log()

        # A session playing: its -wal and -shm, and a write journalled on a full disk.
        store = Store(paths.database_path())
        reader = sqlite3.connect(paths.database_path())  # keeps the WAL from being folded in
        try:
            sid = start(store)
            store.add_letdown(
                sid, number=1, t_s=80.0, phase="Stimulation", phase_kind="stimulation", cues=[]
            )
            reader.execute("SELECT count(*) FROM sessions").fetchone()
            store.journal(json.dumps({"op": "heartbeat", "args": {"session_id": sid}}) + "\n")
            made = {p.name for p in home.iterdir()}
            expected = {"calmflow.sqlite3", "calmflow.sqlite3-wal", "calmflow.sqlite3-shm"}
            expected |= {"calmflow.sqlite3.unsaved.jsonl", "logs", "cache"}
            assert expected <= made, expected - made
            assert {p.name for p in (home / "logs").iterdir()} == {"errors.log", "audio.log"}

            folders, files = _walk(home)
            folders += _made_folders(first, home)[1:]
            elsewhere = [p for p in xdg.rglob("*") if not p.is_relative_to(xdg / "config")]
            assert not elsewhere, elsewhere
            assert {p.name for p in (xdg / "config").glob("*")} <= {"pulse"}
            wrong = _not_private(folders, files) + _not_private([], asked)
            assert not wrong, "\n".join(wrong)
            # Nothing half-written is left beside what was asked for.
            assert sorted(out.iterdir()) == sorted(asked)
            fault.checked(len(files) + len(asked))
        finally:
            reader.close()
            store.close()


def test_the_default_data_folder_and_those_above_it_are_made_private(
    tmp_path: Path, faults: Any
) -> None:
    # No CALMFLOW_HOME: the platform's data folder (XDG_DATA_HOME/calmflow here),
    # whose missing parents are made 0700 too, as the XDG spec asks.
    data = tmp_path / "xdg" / "data"
    env = {k: v for k, v in os.environ.items() if k != "CALMFLOW_HOME"}
    env |= {"XDG_DATA_HOME": str(data), "HOME": str(tmp_path)}
    with faults.inject("privacy: umask 000, the default data folder") as fault:
        _run(0o000, "log", "add", "--minutes", "10", env=env)
        home = data / "calmflow"
        folders, files = _walk(tmp_path / "xdg")
        assert (home / "calmflow.sqlite3") in files
        wrong = _not_private(folders, files)
        assert not wrong, "\n".join(wrong)
        fault.checked(len(files))


@pytest.mark.usefixtures("umask")
def test_a_routine_copied_to_edit_is_private(home: Path, tmp_path: Path) -> None:
    # A person's routine can hold the baby's name, photo and voice.
    shutil.copy(ROOT / "media" / "waves.ogg", tmp_path / "song.ogg")
    (tmp_path / "memo.yaml").write_text(SOUND_ROUTINE)
    (tmp_path / "song.ogg").chmod(0o644)
    _cli("new", "mine", "--from", str(tmp_path / "memo.yaml"))
    folders, files = _walk(paths.user_routines_dir())
    assert {p.name for p in files} == {"mine.yaml", "song.ogg"}
    wrong = _not_private(folders, files)
    assert not wrong, "\n".join(wrong)
