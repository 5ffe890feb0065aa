"""Files asked for with `-o`: only ever a plain file, and never left half-written.

`export -o`, `render -o`, `play --output wav:` and `schedule --ics` once took a
device's name for a file of their own (as root, `/dev/full` or `/dev/stdout`
would be replaced by a file), and wrote into a pipe, waiting for a reader that
might never come. A folder, a device or a pipe is now refused with exit 1 and
one line, before any work, and left as it is.

SIGTERM (a shutdown) or SIGHUP (the terminal closed) during a render left its
part written so far (1.1 GB for an hour) beside the file; ctrl-c cleaned it up.
Now each cleans up as ctrl-c does, and ends with 128 + the signal's number.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calmflow.cli import main
from tests.conftest import ROOT


def _targets(folder: Path, suffix: str) -> dict[str, tuple[Path, Callable[[Path], bool]]]:
    """Each kind of thing that is not a plain file, named with `suffix`, and how to
    see it is still what it was."""
    fifo = folder / f"pipe{suffix}"
    os.mkfifo(fifo)
    inside = folder / f"folder{suffix}"
    inside.mkdir()
    device = folder / f"device{suffix}"
    device.symlink_to(os.devnull)  # a device, by a name that ends right
    return {
        "a pipe": (fifo, lambda p: stat.S_ISFIFO(p.stat().st_mode)),
        "a folder": (inside, lambda p: p.is_dir() and not list(p.iterdir())),
        "a device": (device, lambda p: p.is_symlink() and stat.S_ISCHR(p.stat().st_mode)),
    }


COMMANDS: dict[str, tuple[str, Callable[[Path], list[str]]]] = {
    # command: (the suffix its file takes, its arguments for a target)
    "export json": (".json", lambda t: ["export", "-o", str(t)]),
    "export csv": (".csv", lambda t: ["export", "--format", "csv", "-o", str(t)]),
    "render": (".wav", lambda t: ["render", "quick-letdown", "--rate", "8000", "-o", str(t)]),
    "play to a wav": (".wav", lambda t: ["play", "quick-letdown", "--output", f"wav:{t}"]),
    "the calendar": (".ics", lambda t: ["schedule", "--ics", str(t)]),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_pipe_a_folder_or_a_device_is_refused_with_exit_1_and_left_as_it_is(
    home: Path, tmp_path: Path, command: str
) -> None:
    suffix, arguments = COMMANDS[command]
    out = tmp_path / "out"
    out.mkdir()
    before = _targets(out, suffix)
    for kind, (target, still) in before.items():
        result = CliRunner().invoke(main, arguments(target))
        assert result.exit_code == 1, (kind, result.output)
        ((line,),) = [result.stderr.splitlines()]
        # (the calendar says a folder in words of its own, with a file name to give)
        said = f"it is {kind}, not a file" in line or "that is a folder; give a file" in line
        assert str(target) in line and said, line
        assert still(target), f"{kind} was changed"
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert sorted(p.name for p in out.iterdir()) == sorted(t.name for t, _ in before.values())


def test_export_to_the_null_device_itself_is_refused_and_it_stays_a_device(home: Path) -> None:
    for device in (os.devnull, "/dev/full"):
        result = CliRunner().invoke(main, ["export", "-o", device])
        assert result.exit_code == 1, result.output
        assert f"-o {device}: it is a device, not a file" in result.stderr
        assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_plain_file_already_there_is_still_written(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "sessions.json"
    target.write_text("an older export")
    result = CliRunner().invoke(main, ["export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("{")


def _rendering(home: Path, out: Path) -> subprocess.Popen[str]:
    """`calmflow render` of an hour's routine, 32-bit float: over a gigabyte to write."""
    return subprocess.Popen(
        [sys.executable, "-m", "calmflow", "render", "power-pumping", "--float", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "CALMFLOW_HOME": str(home)},
    )


def _part_growing(part: Path, proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 1 << 20):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the render never started writing"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["SIGTERM", "SIGHUP"]
)
def test_a_render_ended_by_a_signal_leaves_no_part_and_the_old_file_as_it_was(
    home: Path, tmp_path: Path, faults: Any, signum: int, code: int
) -> None:
    out = tmp_path / "hour.wav"
    out.write_bytes(b"an earlier render")
    part = tmp_path / ".hour.wav.part"
    with faults.inject(f"render ended by {signal.Signals(signum).name}") as fault:
        proc = _rendering(home, out)
        try:
            _part_growing(part, proc)
            proc.send_signal(signum)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == code, stderr  # the README's 128 + N
        assert "Traceback" not in stdout + stderr and "unexpected" not in stderr, stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [out.name, home.name] if home.exists() else [out.name]
        )
        assert out.read_bytes() == b"an earlier render"
        fault.checked(1)
