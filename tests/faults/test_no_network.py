"""Privacy: nothing leaves the machine. Every command and a whole session in the
player run with network connections refused; none is ever tried.

Connections from Python (socket.connect, connect_ex, create_connection, name
lookups) are refused and recorded; local sockets (AF_UNIX: the audio process's
pipe) are let through. C libraries below Python are not covered here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from tests.ui.driving import after, db_rows, playing
from tests.unit.sample_log import fill

REMOTE = (socket.AF_INET, socket.AF_INET6)


@pytest.fixture
def network_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    tried: list[Any] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(what: Any) -> None:
        tried.append(what)
        raise OSError("network refused by the test")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family in REMOTE:
            refuse(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in REMOTE:
            refuse(address)
        return connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(a))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: refuse(a))
    yield tried


def test_the_refusal_is_real(network_refused):
    # The guard can see what it is there to see.
    with pytest.raises(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect(("192.0.2.1", 443))
    assert network_refused == [("192.0.2.1", 443)]


def test_no_command_tries_the_network(home: Path, tmp_path: Path, short_routine, network_refused):
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    fill(home / "calmflow.sqlite3")
    export = tmp_path / "all.json"
    commands = [
        ["routines", "--json"],
        ["check", str(short_routine)],
        ["log", "--json"],
        ["log", "add", "--minutes", "15", "--total", "90"],
        ["export", "--format", "json", "-o", str(export)],
        ["export", "--format", "csv"],
        ["import", str(export)],
        ["review", "--json"],
        ["review"],
        ["schedule", "--times", "06:00,09:00,12:00,15:00,18:00,21:00"],
        ["schedule", "--ics", str(tmp_path / "pumping.ics")],
        ["next", "--json"],
        ["fit", "--both", "18"],
        ["parts", "add", "valves"],
        ["parts", "--json"],
        ["render", str(short_routine), "-o", str(tmp_path / "short.wav"), "--rate", "8000"],
    ]
    for args in commands:
        done = CliRunner().invoke(main, args)
        assert done.exit_code == 0, (args, done.output)
    assert network_refused == []


async def test_a_whole_session_in_the_player_tries_no_network(
    home, short_routine, clock, network_refused
):
    async with playing(short_routine, clock) as (app, pilot, screen):
        await after(4.0, clock, pilot, screen)
        await pilot.press("space")
        await after(10.0, clock, pilot, screen)
        await pilot.press("escape")  # the form, skipped: the session is kept
        await pilot.pause()
    assert db_rows("SELECT number FROM letdowns") == [(1,)]
    assert db_rows("SELECT status FROM sessions") == [("completed",)]
    assert network_refused == []
