"""The one place that decides the person's time zone (calmflow/system/wallclock.py).

Every time shown, parsed or written goes through it, so no other module may read
the machine's zone itself: a bare `.astimezone()`, a naive `datetime.now()` or
`today()`, `time.localtime` or a `fromtimestamp` without a zone anywhere else in
calmflow fails here, with the place.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmflow.system import wallclock

PACKAGE = Path(__file__).resolve().parents[2] / "calmflow"
ALLOWED = PACKAGE / "system" / "wallclock.py"


def _machine_zone_reads(tree: ast.AST) -> list[tuple[int, int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, args = node.func.attr, len(node.args) + len(node.keywords)
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        bare = (
            (name == "astimezone" and args == 0)
            or (name == "now" and owner_name == "datetime" and args == 0)
            or (name == "today" and owner_name in ("datetime", "date"))
            or name in ("utcnow", "utcfromtimestamp", "localtime", "mktime")
            or (name == "fromtimestamp" and args < 2)
        )
        if bare:
            found.append((node.lineno, node.col_offset + 1, ast.unparse(node)))
    return found


def test_no_module_reads_the_machines_zone_but_wallclock():
    places = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        places += [
            f"{path.relative_to(PACKAGE.parent)}:{ln}:{col}: {code}"
            for ln, col, code in _machine_zone_reads(tree)
        ]
    assert places == [], "read the zone through calmflow.system.wallclock:\n" + "\n".join(places)


def test_the_scan_finds_each_way_of_reading_the_machines_zone():
    code = (
        "a = moment.astimezone()\nb = datetime.now()\nc = date.today()\n"
        "d = time.localtime()\ne = datetime.fromtimestamp(t)\nf = datetime.utcnow()\n"
        "ok = (moment.astimezone(tz), datetime.now(UTC), datetime.fromtimestamp(t, UTC))\n"
    )
    assert [line for line, _, _ in _machine_zone_reads(ast.parse(code))] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("tz", "name"),
    [
        ("America/New_York", "America/New_York"),
        (":Europe/Berlin", "Europe/Berlin"),
        ("/usr/share/zoneinfo/Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_the_zone_is_the_one_tz_names(monkeypatch, tz, name):
    if tz.startswith("/") and not Path(tz).exists():
        pytest.skip("no system zone files here")
    monkeypatch.setenv("TZ", tz)
    assert wallclock.zone_name() == name
    summer = datetime(2027, 7, 1, 12, tzinfo=UTC)
    assert wallclock.local(summer).utcoffset() == summer.astimezone(ZoneInfo(name)).utcoffset()


def test_a_named_zone_keeps_each_instant_its_own_offset(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    winter, summer = datetime(2027, 1, 10, 17, tzinfo=UTC), datetime(2027, 7, 10, 16, tzinfo=UTC)
    assert wallclock.local(winter).strftime("%H:%M %z") == "12:00 -0500"
    assert wallclock.local(summer).strftime("%H:%M %z") == "12:00 -0400"


def test_times_the_clocks_skip_or_repeat_are_read_as_rfc_5545_reads_them():
    ny = ZoneInfo("America/New_York")
    # 02:30 on the spring morning does not exist: the offset before the change.
    skipped = wallclock.on_clock(date(2027, 3, 14), time(2, 30), ny)
    assert skipped.astimezone(UTC) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    # 01:30 on the autumn morning happens twice: the first.
    repeated = wallclock.on_clock(date(2027, 11, 7), time(1, 30), ny)
    assert repeated.astimezone(UTC) == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    second = datetime(2027, 11, 7, 6, 30, tzinfo=UTC).astimezone(ny)
    assert wallclock.exists_on_clock(repeated) and not wallclock.exists_on_clock(second)


def test_a_zone_name_that_is_not_one_says_how_to_name_one():
    with pytest.raises(ValueError, match="America/New_York"):
        wallclock.named("Mars/Olympus")
    assert wallclock.named("Asia/Kolkata").key == "Asia/Kolkata"
