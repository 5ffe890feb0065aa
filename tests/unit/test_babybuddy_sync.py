"""`calmflow sync babybuddy` against a Baby Buddy API that answers as Baby Buddy's
does (tests/unit/babybuddy_server.py, written from its source).

Sessions are put in the log through the real Store; the command runs through
click with calmflow's clock and zone set (tests/unit/cli_clock.py) and the
server's own "now" on the same clock. What a person would notice: the entries
Baby Buddy ends up with (times as instants, amounts, notes), how many, and the
one line a failure prints.
"""

from __future__ import annotations

import socket
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from calmflow.cli import main
from calmflow.core.records import SessionRecord
from calmflow.core.values import ML_PER_OZ
from calmflow.services.sync.client import Address, Answered, Api
from calmflow.store.store import Store
from calmflow.system import wallclock
from tests.unit.babybuddy_server import BabyBuddyState, babybuddy_server
from tests.unit.cli_clock import Clock, clocked_cli

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@dataclass
class BB:
    url: str
    state: BabyBuddyState
    clock: Clock
    home: Path

    def sync(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, ["sync", "babybuddy", self.url, *args], input=input, catch_exceptions=False
        )

    def log(self, *sessions: SessionRecord) -> None:
        store = Store(self.home / "calmflow.sqlite3")
        try:
            store.add_sessions(sessions)
        finally:
            store.close()

    def store(self) -> Store:
        return Store(self.home / "calmflow.sqlite3")


@pytest.fixture
def bb(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BB]:
    clock = clocked_cli(home, monkeypatch)
    clock.now = NOW
    with babybuddy_server(BabyBuddyState(now=lambda: clock.now)) as (url, state):
        monkeypatch.setenv("CALMFLOW_BABYBUDDY_TOKEN", state.token)
        yield BB(url, state, clock, home)


def pumped(
    start: datetime,
    minutes: float = 20,
    ml: float | None = 120.0,
    *,
    left: float | None = None,
    right: float | None = None,
    unit: str = "ml",
    status: str = "completed",
    notes: str | None = None,
) -> SessionRecord:
    ended = None if status == "running" else start + timedelta(minutes=minutes)
    return SessionRecord(
        routine="standard",
        started_at=start,
        updated_at=ended or start,
        ended_at=ended,
        status=status,
        planned_s=1200,
        played_s=0 if status == "running" else minutes * 60,
        output="null",
        volume_left_ml=left,
        volume_right_ml=right,
        volume_total_ml=ml,
        volume_unit=unit if ml is not None else None,
        notes=notes,
    )


def one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("calmflow: ")
    return lines[0]


DAYS = [NOW - timedelta(days=d, hours=h) for d in (1, 2, 3) for h in (2, 7)]


# --- sending ------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("user_zone", ["Pacific/Auckland", "America/Chicago"])
def test_a_first_sync_sends_every_session_at_its_instant_whatever_the_zones(
    bb: BB, monkeypatch: pytest.MonkeyPatch, zone: str, user_zone: str
) -> None:
    monkeypatch.setattr(wallclock, "zone", lambda: ZoneInfo(zone))
    bb.state.user_zone = user_zone
    # 05:30 UTC on 1 November 2026: 01:30 in New York, in the hour its clocks repeat.
    starts = [datetime(2026, 11, 1, 5, 30, tzinfo=UTC), *DAYS]
    sessions = [
        pumped(s, 20 + i, 100 + i, left=60, right=40 + i, notes="calm" if i == 0 else None)
        for i, s in enumerate(starts)
    ]
    bb.log(*sessions)

    result = bb.sync("--child", "1", "--unit", "ml")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"sent {len(sessions)}, updated 0, linked 0, skipped 0")
    entries = bb.state.of_child(1)
    assert [(e.start, e.end) for e in entries] == [
        (s.started_at, s.ended_at) for s in sorted(sessions, key=lambda s: s.started_at)
    ]
    assert sorted(e.amount for e in entries) == sorted(s.volume_total_ml for s in sessions)
    assert all(e.tags == ["calmflow"] for e in entries)
    first = entries[0]
    assert first.notes is not None
    assert first.notes.startswith("calm\ncalmflow: routine standard, left 60 ml, right 40 ml")
    # Sent with the offset of calmflow's zone then, so nothing depends on Baby Buddy's.
    post = next(r for r in bb.state.requests if r[0] == "POST")
    assert post[1] == "/api/pumping/"


def test_amounts_go_in_the_unit_set_for_that_baby_buddy_and_it_is_remembered(bb: BB) -> None:
    bb.log(pumped(DAYS[0], ml=4 * ML_PER_OZ, unit="oz"), pumped(DAYS[1], ml=150))
    assert bb.sync("--child", "1", "--unit", "oz").exit_code == 0
    assert sorted(e.amount for e in bb.state.of_child(1)) == [4.0, round(150 / ML_PER_OZ, 2)]

    bb.log(pumped(DAYS[2], ml=90))
    result = bb.sync("--child", "1")  # no --unit: oz, as remembered
    assert result.exit_code == 0
    assert round(90 / ML_PER_OZ, 2) in [e.amount for e in bb.state.of_child(1)]

    result = bb.sync("--child", "1", "--unit", "ml")  # every entry sent is now in ml
    assert result.exit_code == 0
    assert "updated 3" in result.stdout
    assert sorted(e.amount for e in bb.state.of_child(1)) == [90.0, round(4 * ML_PER_OZ, 1), 150.0]


def test_a_second_sync_sends_nothing(bb: BB) -> None:
    bb.log(*(pumped(s) for s in DAYS))
    assert bb.sync("--child", "1").exit_code == 0
    before = len(bb.state.requests)

    result = bb.sync("--child", "1")

    assert result.exit_code == 0
    assert result.stdout.startswith("sent 0, updated 0, linked 0, skipped 0")
    assert "6 already up to date" in result.stdout
    assert bb.state.writes()[-1][0] == "POST"  # no write since the first run's
    assert len([r for r in bb.state.writes()]) == len(DAYS)
    # The child looked up and its feedings read (from the last run), nothing more.
    assert [r[1].split("?")[0] for r in bb.state.requests[before:]] == [
        "/api/children/",
        "/api/feedings/",
    ]
    assert len(bb.state.of_child(1)) == len(DAYS)


def test_a_volume_fixed_afterwards_is_patched_into_its_entry(bb: BB) -> None:
    bb.log(*(pumped(s, ml=100) for s in DAYS))
    assert bb.sync("--child", "1").exit_code == 0
    store = bb.store()
    first = store.sessions()[0]
    store.edit_session(first.id, volume_total_ml=135.5)
    store.close()

    result = bb.sync("--child", "1")

    assert result.exit_code == 0
    assert result.stdout.startswith("sent 0, updated 1, linked 0")
    patches = [r for r in bb.state.writes() if r[0] == "PATCH"]
    assert len(patches) == 1
    entries = bb.state.of_child(1)
    assert len(entries) == len(DAYS)
    assert entries[0].amount == 135.5
    assert entries[0].start == first.started_at


def test_an_entry_made_by_hand_in_baby_buddy_is_linked_not_doubled(bb: BB) -> None:
    bb.log(pumped(DAYS[0], 20), pumped(DAYS[1], 20))
    by_hand = bb.state.add(
        1, 3.5, DAYS[1] - timedelta(minutes=5), DAYS[1] + timedelta(minutes=15), "by hand"
    )

    result = bb.sync("--child", "1")

    assert result.exit_code == 0
    assert result.stdout.startswith("sent 1, updated 0, linked 1, skipped 0")
    assert "linked 1 session to entries already in Baby Buddy" in result.stderr
    assert len(bb.state.of_child(1)) == 2
    assert bb.state.entries[by_hand.id].amount == 3.5  # the person's own entry, left as it is
    assert bb.sync("--child", "1").stdout.startswith("sent 0, updated 0, linked 0")
    assert len(bb.state.of_child(1)) == 2


def test_an_entry_made_while_the_run_goes_is_linked_when_baby_buddy_says_it_intersects(
    bb: BB,
) -> None:
    bb.log(pumped(DAYS[0], 20))

    def someone_else_logs_it(state: BabyBuddyState) -> None:
        state.before_post = None
        state.add(1, 110, DAYS[0] + timedelta(minutes=2), DAYS[0] + timedelta(minutes=18))

    bb.state.before_post = someone_else_logs_it
    result = bb.sync("--child", "1")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("sent 0, updated 0, linked 1")
    assert len(bb.state.of_child(1)) == 1


def test_sessions_baby_buddy_cannot_take_are_skipped_saying_why(bb: BB) -> None:
    bb.log(
        pumped(DAYS[0], ml=None),
        pumped(DAYS[1], 25 * 60),
        pumped(DAYS[2], 30),
        pumped(DAYS[2] + timedelta(minutes=10), 30),  # overlaps the one before
    )
    store = bb.store()  # one playing now, in this process
    store.start_session(
        routine="standard", routine_path=None, routine_digest=None, planned_s=1200, output="null"
    )
    store.close()

    result = bb.sync("--child", "1")

    assert result.exit_code == 0
    assert result.stdout.startswith("sent 1, updated 0, linked 0, skipped 4"), result.output
    for said in (
        "skipped 1 session with no amount",
        "skipped 1 session still running",
        "skipped 1 session longer than 24 hours",
        "skipped 1 session overlapping an earlier session",
    ):
        assert said in result.stderr
    assert len(bb.state.of_child(1)) == 1


def test_a_session_deleted_in_calmflow_stays_in_baby_buddy_unless_delete_is_given(bb: BB) -> None:
    bb.log(*(pumped(s) for s in DAYS[:3]))
    assert bb.sync("--child", "1").exit_code == 0
    store = bb.store()
    store.delete_session(store.sessions()[0].id)
    store.close()

    kept = bb.sync("--child", "1")
    assert kept.exit_code == 0
    assert "1 session you deleted in calmflow is still in Baby Buddy; --delete" in kept.stderr
    assert len(bb.state.of_child(1)) == 3

    gone = bb.sync("--child", "1", "--delete")
    assert gone.exit_code == 0
    assert "deleted 1" in gone.stdout
    assert len(bb.state.of_child(1)) == 2
    assert "still in Baby Buddy" not in bb.sync("--child", "1").stderr


def test_a_dry_run_says_what_it_would_send_and_sends_nothing(
    bb: BB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALMFLOW_BABYBUDDY_TOKEN")  # no key needed: nothing is asked
    bb.log(pumped(DAYS[0], ml=100), pumped(DAYS[1], ml=None))

    result = bb.sync("--child", "1", "--dry-run")

    assert result.exit_code == 0
    assert bb.state.requests == []
    local = wallclock.local(DAYS[0]).isoformat()
    assert f"would send {local}" in result.stdout
    assert "dry run: would send 1, update 0, skip 1" in result.stdout
    assert bb.state.entries == {}


def test_children_are_listed_for_their_ids(bb: BB) -> None:
    result = bb.sync("--list-children")
    assert result.exit_code == 0
    assert result.stdout.strip() == "1  Ada Lovelace  born 2026-09-01"


# --- the key --------------------------------------------------------------------------------


def test_a_key_typed_once_is_kept_private_and_used_again(
    bb: BB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALMFLOW_BABYBUDDY_TOKEN")
    bb.log(pumped(DAYS[0]))

    first = bb.sync("--child", "1", input=f"{bb.state.token}\n")

    assert first.exit_code == 0, first.output
    assert bb.state.token not in first.output
    kept = bb.home / "sync-keys.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = bb.sync("--child", "1")  # no input: it must not ask
    assert again.exit_code == 0
    assert "API key for" not in again.stderr


def test_a_wrong_key_is_one_line_and_a_kept_one_is_forgotten(
    bb: BB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALMFLOW_BABYBUDDY_TOKEN")
    bb.log(pumped(DAYS[0]))
    from calmflow.services.sync import keys

    keys.keep_key(f"{bb.url}", "stale-key")

    result = bb.sync("--child", "1")

    assert result.exit_code == 1
    line = one_line(result)
    assert "refused the API key (HTTP 403: Invalid token.)" in line
    assert "forgotten" in line
    assert keys.kept_key(bb.url) is None
    assert bb.state.entries == {}


def test_a_401_from_a_proxy_is_the_key_refused_too(bb: BB, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALMFLOW_BABYBUDDY_TOKEN", "wrong")
    bb.state.unauthorized_status = 401
    bb.log(pumped(DAYS[0]))
    result = bb.sync("--child", "1")
    assert result.exit_code == 1
    assert "refused the API key (HTTP 401" in one_line(result)
    assert "CALMFLOW_BABYBUDDY_TOKEN" in one_line(result)


# --- what goes wrong ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_one_line_and_nothing_is_lost(bb: BB) -> None:
    bb.log(pumped(DAYS[0]))
    result = CliRunner().invoke(
        main, ["sync", "babybuddy", f"http://127.0.0.1:{_free_port()}", "--child", "1"]
    )
    assert result.exit_code == 1
    assert "connection refused" in one_line(result)
    assert "nothing was sent" in one_line(result)


def test_a_missing_child_is_one_line(bb: BB) -> None:
    bb.log(pumped(DAYS[0]))
    result = bb.sync("--child", "7")
    assert result.exit_code == 1
    assert "has no child with id 7" in one_line(result)
    assert bb.state.entries == {}


def test_a_child_removed_during_the_run_stops_it_in_one_line(bb: BB) -> None:
    bb.log(pumped(DAYS[0]), pumped(DAYS[1]))
    bb.state.before_post = lambda state: state.children.clear()
    result = bb.sync("--child", "1")
    assert result.exit_code == 1
    assert 'child: Invalid pk "1" - object does not exist.' in one_line(result)


def test_a_server_error_is_one_line_and_the_next_run_finishes(bb: BB) -> None:
    bb.log(*(pumped(s) for s in DAYS))
    bb.state.fail_after = 4  # the child, the entries, two POSTs: then 500s

    result = bb.sync("--child", "1")

    assert result.exit_code == 1
    line = one_line(result)
    assert "server error (HTTP 500 to POST /api/pumping/" in line
    assert "sent 2" in line and "run it again" in line
    bb.state.fail_after = None
    again = bb.sync("--child", "1")
    assert again.exit_code == 0
    assert again.stdout.startswith("sent 4, updated 0, linked 0")
    assert len(bb.state.of_child(1)) == len(DAYS)


@pytest.mark.parametrize("lost", ["server stops", "answer lost"])
def test_a_run_cut_off_half_way_is_finished_by_the_next_without_doubling(bb: BB, lost: str) -> None:
    bb.log(*(pumped(s) for s in DAYS))
    if lost == "server stops":
        bb.state.stop_after = 5
    else:
        bb.state.lose_answer_after = 5  # the 3rd POST is taken, its answer never comes

    result = bb.sync("--child", "1")

    assert result.exit_code == 1
    assert "run it again to finish" in one_line(result)
    taken = len(bb.state.of_child(1))
    assert taken == (3 if lost == "server stops" else 4)
    state = bb.state
    state.stop_after = state.lose_answer_after = None
    with babybuddy_server(state) as (url, _):  # the same Baby Buddy, up again
        bb.url = url.replace("127.0.0.1", "localhost")
        result = bb.sync("--child", "1")
    assert result.exit_code == 0, result.output
    # Another address is another Baby Buddy to calmflow: everything is found there, linked.
    entries = state.of_child(1)
    assert len(entries) == len(DAYS)
    assert sorted(e.start for e in entries) == sorted(DAYS)


def test_a_cut_off_run_at_the_same_address_finishes_without_doubling(bb: BB) -> None:
    bb.log(*(pumped(s) for s in DAYS))
    bb.state.lose_answer_after = 5
    assert bb.sync("--child", "1").exit_code == 1
    bb.state.lose_answer_after = None

    result = bb.sync("--child", "1")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("sent 2, updated 0, linked 1")
    assert len(bb.state.of_child(1)) == len(DAYS)
    assert bb.sync("--child", "1").stdout.startswith("sent 0, updated 0, linked 0")


def test_an_answer_that_never_comes_times_out_in_one_line(bb: BB) -> None:
    bb.log(pumped(DAYS[0]))
    bb.state.delay_s = 3
    result = bb.sync("--child", "1", "--timeout", "1")
    assert result.exit_code == 1
    assert "did not answer within 1 s" in one_line(result)


def test_plain_http_only_to_this_machine_unless_insecure() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        Address_of("http://baby.example")
    assert Address_of("http://baby.example", insecure=True).key == "http://baby.example"
    for local in ("http://localhost:8000/", "http://127.0.0.1/api/", "http://[::1]:8000"):
        assert Address_of(local).local
    assert Address_of("https://Baby.Example/bb/api/").key == "https://baby.example/bb"
    result = CliRunner().invoke(main, ["sync", "babybuddy", "http://baby.example", "--child", "1"])
    assert result.exit_code == 1
    assert "--insecure" in one_line(result)


def Address_of(url: str, insecure: bool = False) -> Address:  # noqa: N802
    from calmflow.services.sync.client import address

    return address(url, insecure=insecure)


def test_https_is_verified(bb: BB) -> None:
    # The test server speaks plain http: https to it fails the TLS handshake, and
    # no key or session is sent in the clear.
    address = bb.url.replace("http://", "https://")
    bb.log(pumped(DAYS[0]))
    result = CliRunner().invoke(main, ["sync", "babybuddy", address, "--child", "1"])
    assert result.exit_code == 1
    assert "securely" in one_line(result) or "certificate" in one_line(result)
    assert bb.state.requests == []


def test_a_certificate_not_trusted_is_refused_and_one_trusted_is_taken(
    bb: BB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("openssl cannot make a certificate here")
    bb.log(pumped(DAYS[0]))
    with babybuddy_server(bb.state, tls=(cert, key)) as (url, state):
        bb.url = url
        refused = bb.sync("--child", "1")
        assert refused.exit_code == 1
        assert "certificate is not trusted" in one_line(refused)
        assert state.requests == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the person's own authority
        taken = bb.sync("--child", "1")
    assert taken.exit_code == 0, taken.output
    assert len(state.of_child(1)) == 1


# --- the fake itself, against what Baby Buddy's source says -----------------------------------


def test_the_server_reads_a_time_without_offset_as_utc_and_answers_as_baby_buddy(bb: BB) -> None:
    from calmflow.services.sync.client import address

    api = Api(address(bb.url), bb.state.token)
    made = api.post(
        "/api/pumping/",
        {"child": 1, "amount": 80, "start": "2026-11-09T08:00:00", "end": "2026-11-09T08:20:00"},
    )
    assert made["start"] == "2026-11-09T08:00:00Z"
    with pytest.raises(Answered) as refused:
        api.post(
            "/api/pumping/",
            {
                "child": 1,
                "amount": 80,
                "start": "2026-11-09T09:10:00+01:00",
                "end": "2026-11-09T09:30:00+01:00",
            },
        )
    assert refused.value.detail.startswith("Another entry intersects the specified time period.")
    for body, said in (
        (
            {"child": 1, "start": "2026-11-09T10:00:00Z", "end": "2026-11-09T10:10:00Z"},
            "amount: This field is required.",
        ),
        (
            {
                "child": 1,
                "amount": 1,
                "start": "2026-11-11T10:00:00Z",
                "end": "2026-11-11T10:10:00Z",
            },
            "start: Date/time can not be in the future.",
        ),
        (
            {
                "child": 1,
                "amount": 1,
                "start": "2026-11-09T10:00:00Z",
                "end": "2026-11-09T09:00:00Z",
            },
            "Start time must come before end time.",
        ),
        (
            {
                "child": 1,
                "amount": 1,
                "start": "2026-11-07T10:00:00Z",
                "end": "2026-11-09T09:00:00Z",
            },
            "Duration too long.",
        ),
        (
            {"amount": 1, "start": "2026-11-09T10:00:00Z", "end": "2026-11-09T10:10:00Z"},
            "child: This field is required.",
        ),
    ):
        with pytest.raises(Answered) as refused:
            api.post("/api/pumping/", body)
        assert (refused.value.status, refused.value.detail) == (400, said)
    with pytest.raises(Answered) as put:
        api.request("PUT", f"/api/pumping/{made['id']}/", body={"amount": 1})
    assert put.value.status == 405
    page = api.get("/api/pumping/", {"limit": 1})
    assert set(page) == {"count", "next", "previous", "results"}
    api.delete(f"/api/pumping/{made['id']}/")
    assert bb.state.entries == {}
    api.close()


def test_many_entries_are_read_a_page_at_a_time(bb: BB) -> None:
    from calmflow.services.sync import babybuddy

    bb.log(*(pumped(NOW - timedelta(hours=2 * i)) for i in range(1, 8)))
    for i in range(1, 8):  # all there already, made by hand
        start = NOW - timedelta(hours=2 * i)
        bb.state.add(1, 1, start, start + timedelta(minutes=20))
    original = babybuddy.PAGE
    babybuddy.PAGE = 3
    try:
        result = bb.sync("--child", "1")
    finally:
        babybuddy.PAGE = original
    assert result.stdout.startswith("sent 0, updated 0, linked 7")
    assert len([r for r in bb.state.requests if r[1].startswith("/api/pumping/?")]) == 3


def test_an_entry_deleted_in_baby_buddy_is_sent_again_when_its_session_changes(bb: BB) -> None:
    bb.log(pumped(DAYS[0], ml=100), pumped(DAYS[1], ml=100))
    assert bb.sync("--child", "1").exit_code == 0
    first = bb.state.of_child(1)[0]
    del bb.state.entries[first.id]  # deleted by hand in Baby Buddy
    store = bb.store()
    store.edit_session(store.sessions()[0].id, volume_total_ml=90)
    store.close()

    result = bb.sync("--child", "1")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("sent 1, updated 0, linked 0")
    assert sorted(e.amount for e in bb.state.of_child(1)) == [90.0, 100.0]


def test_the_summary_is_json_for_programs(bb: BB) -> None:
    import json

    bb.log(pumped(DAYS[0]), pumped(DAYS[1], ml=None))
    result = bb.sync("--child", "1", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("sent", "updated", "linked", "skipped", "deleted")} == {
        "sent": 1,
        "updated": 0,
        "linked": 0,
        "skipped": 1,
        "deleted": 0,
    }


def test_a_key_that_cannot_be_one_is_one_line_and_never_sent(
    bb: BB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALMFLOW_BABYBUDDY_TOKEN", "abc\r\nX-Evil: 1")
    bb.log(pumped(DAYS[0]))
    result = bb.sync("--child", "1")
    assert result.exit_code == 1
    assert "CALMFLOW_BABYBUDDY_TOKEN is not an API key" in one_line(result)
    assert bb.state.requests == []


# --- feedings at the breast, read back as breastfeeds -------------------------------------


def logged_feeds(bb: BB) -> list[dict[str, object]]:
    import json

    result = CliRunner().invoke(main, ["log", "--feeds", "--json"], catch_exceptions=False)
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def a_week_of_feedings(state: BabyBuddyState) -> None:
    """Feedings of every method Baby Buddy has, and one of another child."""
    state.children[2] = {**state.children[1], "id": 2, "first_name": "Bo", "slug": "bo"}
    state.feed(1, NOW - timedelta(hours=5), 15, "left breast")
    state.feed(1, NOW - timedelta(hours=4), 10, "bottle", amount=90)
    state.feed(1, NOW - timedelta(hours=3), 20, "right breast")
    state.feed(1, NOW - timedelta(hours=2), 10, "bottle", "formula", amount=60)
    state.feed(1, NOW - timedelta(hours=1, minutes=30), 5, "parent fed", "solid food")
    state.feed(1, NOW - timedelta(hours=1, minutes=10), 5, "self fed", "solid food")
    state.feed(1, NOW - timedelta(minutes=40), 25, "both breasts")
    state.feed(2, NOW - timedelta(minutes=30), 10, "left breast")


def test_feedings_at_the_breast_arrive_once_however_often_the_sync_runs(
    bb: BB, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmflow.services.sync import babybuddy

    monkeypatch.setattr(babybuddy, "PAGE", 3)  # seven feedings of the child: three pages
    a_week_of_feedings(bb.state)
    bb.log(pumped(DAYS[0]))

    for run in range(3):
        result = bb.sync("--child", "1")
        assert result.exit_code == 0, result.output
        added = 3 if run == 0 else 0
        assert result.stdout.splitlines()[-1] == (
            f"breastfeeds from Baby Buddy: added {added}, already here {3 - added};"
            " 4 by bottle or fed otherwise left out (no milk removal)"
        )

    feeds = logged_feeds(bb)
    assert [(f["side"], f["source"], f["started_at"], f["ended_at"]) for f in feeds] == [
        ("left", "babybuddy", "2026-11-10T07:00:00.000Z", "2026-11-10T07:15:00.000Z"),
        ("right", "babybuddy", "2026-11-10T09:00:00.000Z", "2026-11-10T09:20:00.000Z"),
        ("both", "babybuddy", "2026-11-10T11:20:00.000Z", "2026-11-10T11:45:00.000Z"),
    ]
    # Read, never written: no feeding sent, and the feeds never went back as pumping.
    assert [w for w in bb.state.writes() if not w[1].startswith("/api/pumping/")] == []
    assert len(bb.state.of_child(1)) == 1
    # Three pages a run (the feedings of the last week, from the last run's reading).
    assert len([r for r in bb.state.requests if r[1].startswith("/api/feedings/?")]) == 3 * 3


def test_a_later_run_asks_for_the_feedings_of_the_last_week_and_gets_the_new_ones(
    bb: BB,
) -> None:
    from urllib.parse import parse_qs, urlsplit

    bb.state.feed(1, NOW - timedelta(days=20), 15, "left breast")
    assert bb.sync("--child", "1").exit_code == 0
    first = [r[1] for r in bb.state.requests if r[1].startswith("/api/feedings/")]
    assert "start_min" not in parse_qs(urlsplit(first[0]).query)  # the first time: all

    bb.clock.now = NOW + timedelta(hours=6)
    bb.state.feed(1, NOW + timedelta(hours=5), 15, "right breast")
    bb.state.feed(1, NOW - timedelta(days=3), 15, "both breasts")  # typed in days late
    result = bb.sync("--child", "1")

    asked = [r[1] for r in bb.state.requests if r[1].startswith("/api/feedings/")][-1]
    (since,) = parse_qs(urlsplit(asked).query)["start_min"]
    assert datetime.fromisoformat(since) == NOW - timedelta(days=7)  # the last read, less a week
    assert result.stdout.splitlines()[-1] == "breastfeeds from Baby Buddy: added 2, already here 0"
    assert [f["side"] for f in logged_feeds(bb)] == ["left", "both", "right"]


@pytest.mark.parametrize("status", [500, 403, 404])
def test_a_baby_buddy_that_gives_no_feedings_still_gets_the_sessions(bb: BB, status: int) -> None:
    bb.state.feedings_status = status
    bb.log(*(pumped(s) for s in DAYS))

    result = bb.sync("--child", "1")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"sent {len(DAYS)}, updated 0, linked 0, skipped 0")
    assert "breastfeeds" not in result.stdout
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"could not read the child's feedings ({bb.url}")
    assert f"HTTP {status}" in line and line.endswith("; run it again to read them")
    assert len(bb.state.of_child(1)) == len(DAYS)
    assert logged_feeds(bb) == []

    bb.state.feedings_status = None  # mended: the next run reads them, and sends nothing twice
    bb.state.feed(1, NOW - timedelta(hours=1), 15, "left breast")
    result = bb.sync("--child", "1")
    assert result.stdout.startswith("sent 0, updated 0, linked 0, skipped 0")
    assert len(logged_feeds(bb)) == 1


def test_a_feed_from_baby_buddy_keeps_its_slot(bb: BB) -> None:
    import json

    bb.clock.now = NOW - timedelta(hours=8)  # set in the morning, at 05:00 on the clock
    assert CliRunner().invoke(main, ["schedule", "--times", "08:00,11:00"]).exit_code == 0
    bb.clock.now = NOW
    bb.log(pumped(datetime(2026, 11, 10, 7, 0, tzinfo=UTC)))  # 08:00 on the clock, kept
    bb.state.feed(1, datetime(2026, 11, 10, 10, 5, tzinfo=UTC), 15, "right breast")  # 11:05
    before = json.loads(CliRunner().invoke(main, ["next", "--json"]).stdout)
    assert before["suggest_catch_up"] is True

    assert bb.sync("--child", "1", "--json").exit_code == 0

    after = json.loads(CliRunner().invoke(main, ["next", "--json"]).stdout)
    assert (after["missed_last_24h"], after["suggest_catch_up"]) == ([], False)
    assert [s["kept_by_kind"] for s in after["slots"][:2]] == ["pumping", "breastfeed"]


def test_feeds_exported_and_imported_elsewhere_are_linked_not_added_again(
    bb: BB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    bb.state.feed(1, NOW - timedelta(hours=3), 15, "left breast")
    summary = json.loads(bb.sync("--child", "1", "--json").stdout)
    assert (summary["feeds_added"], summary["feeds_already"], summary["feeds_error"]) == (
        1,
        0,
        None,
    )
    exported = tmp_path / "all.json"
    assert CliRunner().invoke(main, ["export", "-o", str(exported)]).exit_code == 0
    elsewhere = tmp_path / "other-home"
    elsewhere.mkdir(mode=0o700)
    monkeypatch.setenv("CALMFLOW_HOME", str(elsewhere))
    assert CliRunner().invoke(main, ["import", str(exported)]).exit_code == 0

    summary = json.loads(bb.sync("--child", "1", "--json").stdout)

    assert (summary["feeds_added"], summary["feeds_already"]) == (0, 1)
    assert len(logged_feeds(bb)) == 1


def test_the_server_answers_feedings_as_baby_buddy_does(bb: BB) -> None:
    made = bb.state.feed(1, NOW - timedelta(hours=2), 12.5, "right breast", amount=None)
    bb.state.feed(1, NOW - timedelta(hours=1), 10, "bottle", amount=80)
    api = Api(Address("http", "127.0.0.1", int(bb.url.rsplit(":", 1)[1]), ""), bb.state.token)
    page = api.get("/api/feedings/", {"child": 1})
    assert set(page) == {"count", "next", "previous", "results"}
    newest, oldest = page["results"]  # ordered by "-end"
    assert oldest == {
        "id": made.id,
        "child": 1,
        "start": "2026-11-10T10:00:00Z",
        "end": "2026-11-10T10:12:30Z",
        "duration": "00:12:30",
        "type": "breast milk",
        "method": "right breast",
        "amount": None,
        "notes": None,
        "tags": [],
    }
    assert newest["method"] == "bottle" and newest["amount"] == 80
    assert api.get("/api/feedings/", {"method": "right breast"})["count"] == 1
    assert api.get("/api/feedings/", {"start_min": "2026-11-10T10:30:00+00:00"})["count"] == 1
    for query, said in (
        ({"method": "breast"}, "method: Select a valid choice. breast is not one of"),
        ({"start_min": "yesterday"}, "start_min: Enter a valid date/time."),
        ({"child": 9}, "child: Select a valid choice."),
    ):
        with pytest.raises(Answered) as refused:
            api.get("/api/feedings/", query)
        assert refused.value.status == 400 and refused.value.detail.startswith(said)
    assert api.get(f"/api/feedings/{made.id}/")["method"] == "right breast"
    api.close()


def test_a_feeding_is_a_feed_only_at_the_breast_and_with_times_that_can_be() -> None:
    from pydantic import ValidationError

    from calmflow.services.sync.feedings import feed_of, feed_uuid

    where = "https://baby.example"
    item = {"id": 7, "start": "2026-11-10T10:00:00Z", "end": "2026-11-10T10:20:00Z"}
    for method, side in (
        ("left breast", "left"),
        ("right breast", "right"),
        ("both breasts", "both"),
    ):
        found = feed_of(where, {**item, "method": method})
        assert found is not None
        feeding_id, feed = found
        assert (feeding_id, feed.side, feed.minutes, feed.source) == (7, side, 20, "babybuddy")
        assert feed.uuid == feed_uuid(where, 7) != feed_uuid("https://other.example", 7)
    for method in ("bottle", "parent fed", "self fed"):
        assert feed_of(where, {**item, "method": method}) is None
    with pytest.raises(ValidationError):  # Baby Buddy keeps none such: refused, not guessed
        feed_of(where, {**item, "method": "left breast", "end": "2026-11-09T10:00:00Z"})
