"""A session an earlier calmflow took in that cannot be shown (a start in year 1,
played for 1e308 s) never stops a command: it is left out of every read,
`calmflow log` shows it as damaged with its number, and `log delete` removes it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calmflow.audio.output import NullOutput
from calmflow.cli import main
from calmflow.store.store import Store
from calmflow.ui.app import make_app
from calmflow.ui.screens.home import HomeScreen
from tests.conftest import ManualClock
from tests.unit.sample_log import fill, local_zone

# What an earlier calmflow's import let into the log, by session id of the sample log.
DAMAGE = {
    1: "UPDATE sessions SET started_at = '0001-01-01T00:00:00Z' WHERE id = 1",
    2: "UPDATE letdowns SET t_s = 1e300 WHERE session_id = 2",
    3: "UPDATE sessions SET played_s = 1e308, ended_at = NULL,"
    " started_at = '9999-12-31T23:00:00Z' WHERE id = 3",
}
SOUND = (4, 5)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def damaged(home: Path) -> Iterator[Path]:
    """The sample log with three sessions damaged, read in a zone west of UTC
    (where year 1 cannot be put on the clock)."""
    path = home / "calmflow.sqlite3"
    fill(path)
    with sqlite3.connect(path) as conn:
        for sql in DAMAGE.values():
            conn.execute(sql)
    conn.close()
    with local_zone("America/New_York"):
        yield path


@pytest.mark.parametrize(
    "command",
    [
        ["log"],
        ["log", "--json"],
        ["review"],
        ["review", "--json"],
        ["export"],
        ["export", "--format", "csv"],
        ["next"],
    ],
)
def test_no_command_is_stopped_by_a_damaged_session(damaged: Path, command: list[str]) -> None:
    result = _run(*command)
    assert result.exit_code == 0, result.output


def test_log_shows_each_damaged_session_with_its_number_and_how_to_delete_it(
    damaged: Path,
) -> None:
    lines = _run("log").stdout.splitlines()
    listed = [int(line.split()[0]) for line in lines if line[:4].strip().isdigit()]
    assert listed == [*SOUND, 1, 2, 3]
    shown = "\n".join(lines)
    assert (
        "   1  damaged: started_at is 0001-01-01T00:00:00Z: expected a time from 2000-01-01"
        " to 2100-01-01 (UTC)\n      left out of everything (uuid "
    ) in shown
    assert "   2  damaged: let-down 1's t_s is 1e+300: expected a number of seconds" in shown
    assert "   3  damaged: started_at is 9999-12-31T23:00:00Z" in shown
    assert "`calmflow log delete 3` deletes it" in shown


def test_log_json_lists_the_sound_sessions_and_says_the_damaged_on_stderr(damaged: Path) -> None:
    result = _run("log", "--json")
    assert [s["id"] for s in json.loads(result.stdout)] == list(SOUND)
    assert [line.split()[1] for line in result.stderr.splitlines()] == ["1", "2", "3"]


def test_exports_leave_damaged_sessions_out_so_they_import_again(
    damaged: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export.json"
    assert _run("export", "-o", str(out)).exit_code == 0
    assert len(json.loads(out.read_text())["sessions"]) == len(SOUND)
    (tmp_path / "other").mkdir()
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CALMFLOW_HOME", str(tmp_path / "other"))
        result = _run("import", str(out))
    assert result.stdout == f"added {len(SOUND)}, already there 0\n"


def test_a_damaged_session_is_deleted_by_its_number(damaged: Path) -> None:
    result = _run("log", "delete", "1")
    assert result.exit_code == 1  # not on a terminal: asked for --yes
    assert "add --yes" in result.stderr
    result = _run("log", "delete", "1", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Deleted damaged session 1 (uuid ")
    store = Store(damaged)
    assert [d.id for d in store.damaged_sessions()] == [2, 3]
    store.close()
    assert _run("log", "delete", "1", "--yes").exit_code == 1  # gone


def test_a_sound_session_is_deleted_too_and_an_unknown_number_is_said(damaged: Path) -> None:
    result = _run("log", "delete", "4", "--yes")
    assert result.stdout == "Deleted session 4 (manual, 2025-03-01 15:00).\n"
    result = _run("log", "delete", "99", "--yes")
    assert result.exit_code == 1
    assert (
        result.stderr == "calmflow: there is no session 99: `calmflow log` lists them by number\n"
    )


def test_every_sound_session_is_read_and_no_damaged_one(damaged: Path) -> None:
    store = Store(damaged, read_only=True)
    try:
        assert [s.id for s in store.sessions()] == list(SOUND)
        assert [s.id for s in store.dump_sessions()] == list(SOUND)
        assert [r.id for r in store.review_rows()] == list(SOUND)
        with pytest.raises(KeyError):
            store.session(1)
    finally:
        store.close()


async def test_the_home_screen_and_the_sessions_screen_open(damaged: Path) -> None:
    clock = ManualClock()
    app = make_app(
        store=Store(damaged),
        output_factory=lambda plan: NullOutput(plan.rate, clock=clock),
        clock=clock,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        app.screen.action_sessions()
        await pilot.pause()
        assert not isinstance(app.screen, HomeScreen)
        assert app.is_running
