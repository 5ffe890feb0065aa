"""Bad routines, injected for real: `calmflow check` and `calmflow play` on
files far too big, nested without end, full of aliases, binary or empty.

Each command runs as a person runs it (`python -m calmflow`, no terminal:
`play` reads and checks the routine before it needs one). Each must say what
is wrong in one line per problem, as file:line:col where there is a place,
exit 1 (bad input), print no traceback, stay within seconds and a few tens of
megabytes, and leave the log it did not need to touch as it was.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from calmflow.core.routine import MAX_PLAYED_PHASES
from calmflow.core.yamlsource import MAX_BYTES, MAX_VALUES
from tests.conftest import ROOT
from tests.faults.checks import Rows, assert_kept, integrity, rows
from tests.faults.conftest import Faults
from tests.unit.sample_log import fill

CALMFLOW = [sys.executable, "-m", "calmflow"]
SECONDS = 10.0
"""The longest a refusal may take (they take about one; a hang fails here)."""
PEAK_MB = 150.0
"""The most memory a refusal may take (about 50 MB; 440 MB before the caps)."""


@dataclass(frozen=True)
class Ran:
    """One command, as it ended."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    def lines(self) -> list[str]:
        return self.stderr.splitlines()


class _Running:
    """`calmflow ARGS` started with no terminal, its output kept in files."""

    def __init__(self, args: tuple[str, ...]) -> None:
        self.args = args
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 (closed in ran())
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        self.began = time.monotonic()
        self.proc = subprocess.Popen(
            [*CALMFLOW, *args], stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err
        )
        self.peak_kb = 0
        self.seconds = 0.0

    def watch(self) -> bool:
        """Note its memory; return whether it is still running."""
        if self.proc.poll() is not None:
            if not self.seconds:
                self.seconds = time.monotonic() - self.began
            return False
        self.peak_kb = max(self.peak_kb, _peak_kb(self.proc.pid))
        return True

    def ran(self) -> Ran:
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
            f.close()
        code = self.proc.returncode
        return Ran(self.args, code, *texts, self.seconds, self.peak_kb / 1024)


def run_all(*commands: tuple[str, ...], timeout_s: float = 60.0) -> list[Ran]:
    """calmflow COMMAND for each, side by side, watched until they end (killed
    after `timeout_s`: a hang fails the test instead of stopping the suite)."""
    running = [_Running(args) for args in commands]
    deadline = time.monotonic() + timeout_s
    while [r for r in running if r.watch()]:
        if time.monotonic() > deadline:
            for r in running:
                r.proc.kill()
                r.proc.wait()
            raise AssertionError(f"calmflow {commands} still running after {timeout_s} s")
        time.sleep(0.005)
    return [r.ran() for r in running]


def _peak_kb(pid: int) -> int:
    """The most memory the process has held since it started (VmHWM), in kB.

    Read from /proc while it runs: getrusage's maxrss counts the copy of the
    test process it was forked from as well."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def check_and_play(routine: Path) -> tuple[Ran, Ran]:
    """`calmflow check ROUTINE` and `calmflow play ROUTINE`, run side by side."""
    check, play = run_all(("check", str(routine)), ("play", str(routine)))
    return check, play


def refused(ran: Ran) -> list[str]:
    """The lines a refused command said: exit 1, nothing on stdout, no traceback,
    in reasonable time and memory."""
    said = f"calmflow {' '.join(ran.args)}:\n{ran.stdout}{ran.stderr}"
    assert ran.code == 1, said
    assert "Traceback" not in ran.stdout + ran.stderr, said
    assert ran.stdout == "", said
    assert ran.seconds < SECONDS, f"{said}\ntook {ran.seconds:.1f} s"
    assert ran.peak_mb < PEAK_MB, f"{said}\ntook {ran.peak_mb:.0f} MB"
    return ran.lines()


def seeded(home: Path) -> tuple[Path, Rows]:
    """A log with sessions of every kind, so there is something to lose."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = home / "calmflow.sqlite3"
    fill(db)
    return db, rows(db)


def kept(db: Path, before: Rows) -> int:
    """The log is sound and holds every row it held; how many were checked."""
    integrity(db)
    return assert_kept(before, rows(db))


def report(kind: str, *ran: Ran) -> None:
    """The figures, for `pytest -s` (how long each refusal took, and its memory)."""
    for r in ran:
        print(f"{kind}: calmflow {r.args[0]}: {r.seconds:.2f} s, {r.peak_mb:.0f} MB, exit {r.code}")


def _expect_refusal(
    faults: Faults, home: Path, kind: str, routine: Path, expected: list[str]
) -> None:
    db, before = seeded(home)
    with faults.inject(kind) as fault:
        check, play = check_and_play(routine)
        report(kind, check, play)
        assert refused(check) == expected
        assert refused(play) == expected
        fault.checked(kept(db, before))


# --- too big -------------------------------------------------------------------------


def _phases(count: int) -> str:
    return "name: huge\nphases:\n" + "".join(
        f"  - {{name: Phase {i}, kind: expression, duration: 1m}}\n" for i in range(count)
    )


def test_a_routine_of_100_000_phases_is_refused_by_its_size(faults, home, tmp_path):
    routine = tmp_path / "huge.yaml"
    routine.write_text(_phases(100_000))
    size = routine.stat().st_size
    assert size > 4_000_000
    _expect_refusal(
        faults,
        home,
        "routine: 100,000 phases",
        routine,
        [f"{routine}: is {size:,} bytes; a routine may be at most {MAX_BYTES:,}"],
    )


def test_a_20_mb_routine_is_refused_without_reading_it_whole(faults, home, tmp_path):
    routine = tmp_path / "twenty.yaml"
    with routine.open("w") as f:
        f.write("name: big\nphases: [{name: A, kind: prep, duration: 1m}]\ndescription: ")
        f.write("calm " * (4 * 2**20))
    size = routine.stat().st_size
    assert size > 20 * 2**20
    _expect_refusal(
        faults,
        home,
        "routine: 20 MB file",
        routine,
        [f"{routine}: is {size:,} bytes; a routine may be at most {MAX_BYTES:,}"],
    )


def test_a_file_under_the_size_cap_with_half_a_million_values_stops_at_the_cap(
    faults, home, tmp_path
):
    # 1 MB of "1," is 500,000 values: PyYAML in pure Python took 19 s and 440 MB.
    routine = tmp_path / "values.yaml"
    routine.write_text(
        "name: values\nphases: [{name: A, kind: prep, duration: 1m}]\n"
        "description: [" + "1," * 490_000 + "1]\n"
    )
    assert routine.stat().st_size < MAX_BYTES
    # values so far: the root, name and its value, phases, its list, the phase
    # mapping and its six keys and values, description and its list: 14
    column = len("description: [") + 2 * (MAX_VALUES - 14) + 1
    _expect_refusal(
        faults,
        home,
        "routine: 500,000 values",
        routine,
        [
            f"{routine}:3:{column}: holds more than {MAX_VALUES:,} values (keys, items and"
            " settings); a routine has about a hundred: is it the right file?"
        ],
    )


def test_blocks_that_repeat_into_10_000_phases_are_refused(faults, home, tmp_path):
    # 10 blocks of 20 rounds of 50 phases: a 30 kB file that planned 10,000
    # phases (200 blocks made 200,000, 600,000 hours long, and were accepted).
    block = "  - repeat: 20\n    phases:\n" + "".join(
        f"      - {{name: P{j}, kind: expression, duration: 1s}}\n" for j in range(50)
    )
    routine = tmp_path / "blocks.yaml"
    routine.write_text("name: blocks\nphases:\n" + block * 10)
    _expect_refusal(
        faults,
        home,
        "routine: 10,000 phases by repeats",
        routine,
        [
            f"{routine}:3:3: phases: 10,000 phases are played, with blocks repeated;"
            f" a routine plays at most {MAX_PLAYED_PHASES:,}"
        ],
    )


def test_phases_of_absurd_length_are_refused_each_at_its_line(faults, home, tmp_path):
    routine = tmp_path / "absurd.yaml"
    routine.write_text(
        "name: absurd\nphases:\n"
        "  - {name: A, kind: prep, duration: 99999999999999999999999h}\n"
        "  - {name: B, kind: prep, duration: .inf}\n"
    )
    _expect_refusal(
        faults,
        home,
        "routine: phase of absurd length",
        routine,
        [
            f"{routine}:3:37: phases.0.duration: must be at most 3h;"
            " found '99999999999999999999999h'",
            f"{routine}:4:37: phases.1.duration: must be at most 3h; found inf",
        ],
    )


QUOTE_IT = "' cannot be read; quote it"


def test_a_number_of_5000_digits_is_quoted_back_in_one_short_line(faults, home, tmp_path):
    # Too long even for Python's int(): said back shortened in the middle.
    routine = tmp_path / "digits.yaml"
    routine.write_text(
        "name: digits\nphases:\n  - {name: C, kind: prep, duration: " + "9" * 5000 + "}\n"
    )
    message = "'" + "9" * 5000 + QUOTE_IT
    head, tail = message[:280], message[-100:]
    _expect_refusal(
        faults,
        home,
        "routine: a 5,000-digit duration",
        routine,
        [
            f"{routine}:3:37: {head} … ({5000 + 1 + len(QUOTE_IT) - 380:,} characters left out) … {tail}"
        ],
    )


def test_phases_that_last_longer_than_a_session_are_refused(faults, home, tmp_path):
    routine = tmp_path / "long.yaml"
    routine.write_text(
        "name: long\nphases:\n"
        "  - {name: A, kind: expression, duration: 3h}\n"
        "  - {name: B, kind: expression, duration: 3h}\n"
    )
    _expect_refusal(
        faults,
        home,
        "routine: 6 hours of phases",
        routine,
        [f"{routine}:3:3: phases: the phases last 6h in all; a routine lasts at most 4h"],
    )


# --- nested without end, aliases -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("routine: 100,000 levels of [", "name: x\nphases: " + "[" * 100_000 + "]" * 100_000),
        ("routine: 100,000 levels of mappings", "name: x\nphases: " + "{a: " * 100_000 + "1"),
    ],
    ids=["lists", "mappings"],
)
def test_deep_nesting_is_refused_without_a_recursion_error(faults, home, tmp_path, kind, text):
    routine = tmp_path / "deep.yaml"
    routine.write_text(text + "\n")
    _expect_refusal(
        faults, home, kind, routine, [f"{routine}: is nested too deeply to be a routine"]
    )


BILLION_LAUGHS = """\
name: laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
phases: [{name: A, kind: prep, duration: 1m, prompt: *i}]
"""


def test_a_billion_laughs_stops_at_the_first_alias(faults, home, tmp_path):
    routine = tmp_path / "laughs.yaml"
    routine.write_text(BILLION_LAUGHS)
    _expect_refusal(
        faults,
        home,
        "routine: billion laughs",
        routine,
        [
            f"{routine}:3:8: invalid YAML: anchors and aliases (*name) are not allowed in"
            " routines; write the value out"
        ],
    )


# --- not text, or nothing --------------------------------------------------------------


def test_a_picture_saved_as_a_routine_is_not_utf8(faults, home, tmp_path):
    routine = tmp_path / "photo.yaml"
    routine.write_bytes((ROOT / "media" / "calm.png").read_bytes())
    _expect_refusal(
        faults,
        home,
        "routine: binary (a PNG)",
        routine,
        [f"{routine}: is not UTF-8 text (byte 0); save it as UTF-8"],
    )


def test_random_bytes_are_not_utf8(faults, home, tmp_path):
    garbage = b"name: x\n" + random.Random(9).randbytes(50_000)
    first_bad = garbage.decode("utf-8", "replace").index("\ufffd")  # ASCII before it
    routine = tmp_path / "garbage.yaml"
    routine.write_bytes(garbage)
    _expect_refusal(
        faults,
        home,
        "routine: random bytes",
        routine,
        [f"{routine}: is not UTF-8 text (byte {first_bad}); save it as UTF-8"],
    )


@pytest.mark.parametrize(
    ("kind", "data", "byte"),
    [
        ("routine: Latin-1 text", "name: café\nphases: []\n".encode("latin-1"), 9),
        ("routine: UTF-16 text", "name: x\nphases: []\n".encode("utf-16"), 0),
    ],
    ids=["latin-1", "utf-16"],
)
def test_text_in_another_encoding_is_refused_with_its_first_bad_byte(
    faults, home, tmp_path, kind, data, byte
):
    routine = tmp_path / "encoded.yaml"
    routine.write_bytes(data)
    _expect_refusal(
        faults,
        home,
        kind,
        routine,
        [f"{routine}: is not UTF-8 text (byte {byte}); save it as UTF-8"],
    )


def test_a_nul_byte_in_utf8_text_is_refused_at_its_place(faults, home, tmp_path):
    routine = tmp_path / "nul.yaml"
    routine.write_bytes(b"name: calm\nphases:\n  - {name: A\x00, kind: prep, duration: 1m}\n")
    _expect_refusal(
        faults,
        home,
        "routine: NUL byte",
        routine,
        [f"{routine}:3:13: the character #x0000 cannot be in a routine; delete it"],
    )


@pytest.mark.parametrize(
    ("kind", "data"),
    [("routine: empty", b""), ("routine: blank", b"\n \n")],
    ids=["empty", "blank"],
)
def test_an_empty_routine_is_refused(faults, home, tmp_path, kind, data):
    routine = tmp_path / "empty.yaml"
    routine.write_bytes(data)
    _expect_refusal(
        faults,
        home,
        kind,
        routine,
        [f"{routine}:1:1: is empty; a routine needs at least name and phases"],
    )


def test_sixty_files_of_10_000_values_share_one_cap(faults, home, tmp_path):
    # Six routines extending each other, each taking ten cue sets of 9,600
    # values: each file under the cap, 576,000 values in all (33 s, 245 MB).
    cues = "".join(f"c{i}: {{text: Breathe.}}\n" for i in range(2400))
    for k in range(10):
        (tmp_path / f"set{k}.yaml").write_text(cues.replace("c", f"s{k}c"))
    sets = ", ".join(f"set{k}.yaml" for k in range(10))
    for level in range(6):
        parent = f"extends: r{level - 1}.yaml\n" if level else ""
        (tmp_path / f"r{level}.yaml").write_text(
            f"name: r{level}\n{parent}cue_sets: [{sets}]\n"
            "phases: [{name: A, kind: prep, duration: 1m}]\n"
        )
    _expect_refusal(
        faults,
        home,
        "routine: 60 files of 9,600 values",
        tmp_path / "r5.yaml",
        [
            f"{tmp_path.resolve() / 'set1.yaml'}:94:1: holds more than {MAX_VALUES:,} values"
            " (keys, items and settings) with the files read before it; a routine has about"
            " a hundred: is it the right file?"
        ],
    )


@pytest.mark.parametrize("what", ["pipe", "device"])
def test_a_pipe_or_a_device_named_as_a_routine_is_never_read(faults, home, tmp_path, what):
    # Reading a pipe waits for a writer that never comes; /dev/zero never ends.
    routine = tmp_path / "routine.yaml"
    if what == "pipe":
        os.mkfifo(routine)
    else:
        routine.symlink_to("/dev/zero")
    _expect_refusal(
        faults,
        home,
        f"routine: a {what}",
        routine,
        [f"{routine}: is not a plain file (a device or a pipe?); give a .yaml file"],
    )


# --- big, but within the caps: answered in time -----------------------------------------


def test_thousands_of_unknown_cue_names_are_each_named_without_a_guess_each(faults, home, tmp_path):
    # 1,500 misspelt names among 2,000 cues: a guess for each took 16 s.
    routine = tmp_path / "names.yaml"
    routine.write_text(
        "name: names\ncues:\n"
        + "".join(f"  cue{i}: {{text: Breathe.}}\n" for i in range(2000))
        + "phases:\n  - name: A\n    kind: prep\n    duration: 1m\n    cues: ["
        + ", ".join(f"cua{i}" for i in range(1500))
        + "]\n"
    )
    db, before = seeded(home)
    with faults.inject("routine: 1,500 unknown cue names") as fault:
        check, play = check_and_play(routine)
        report("routine: 1,500 unknown cue names", check, play)
        for ran in (check, play):
            lines = refused(ran)
            assert len(lines) == 1500
            assert lines[0] == f"{routine}:2007:12: unknown cue 'cua0' — did you mean 'cue0'?"
            assert lines[-1].endswith(
                ": unknown cue 'cua1499' (the routine defines 2,000 cues; check its spelling)"
            )
        fault.checked(kept(db, before))


def test_extending_a_routine_of_thousands_of_cues_is_checked_in_time(faults, home, tmp_path):
    # Taking over each of the parent's cues looked through all its places: 4 s.
    (tmp_path / "parent.yaml").write_text(
        "name: parent\ncues:\n"
        + "".join(f"  cue{i}: {{text: Breathe.}}\n" for i in range(2400))
        + "phases:\n  - {name: A, kind: prep, duration: 1m, cues: [cue1]}\n"
    )
    routine = tmp_path / "child.yaml"
    routine.write_text("name: child\nextends: parent.yaml\ncues:\n  cue1: {text: Slowly.}\n")
    db, before = seeded(home)
    with faults.inject("routine: extends 2,400 cues") as fault:
        (check,) = run_all(("check", str(routine)))
        report("routine: extends 2,400 cues", check)
        assert check.code == 0, check.stderr
        assert check.stdout == f"{routine}: ok (child, 1 phase, 1:00)\n"
        assert check.seconds < SECONDS and check.peak_mb < PEAK_MB
        fault.checked(kept(db, before))
