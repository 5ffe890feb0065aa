"""Faults of the file system, made for real in a mount namespace of the test's
own (`unshare`: no root needed where user namespaces are allowed, as on CI):
a small disk that fills up, a folder mounted read-only."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

SMALL_DISK = """
size=$1 seed=$2 disk=$3 out=$4; shift 4
mount -t tmpfs -o size="$size"k,mode=0700 tmpfs "$disk"
cp -a "$seed"/. "$disk"/
if [ "${FILL:-}" = now ]; then
  cat /dev/zero > "$disk/filler" 2>/dev/null || true
fi
set +e
CALMFLOW_HOME="$disk" "$@"
code=$?
set -e
rm -f "$disk/filler" "$disk/filler2"
cp -a "$disk"/. "$out"/
exit $code
"""

READ_ONLY = """
home=$1; shift
mount --bind "$home" "$home"
mount -o remount,bind,ro "$home"
CALMFLOW_HOME="$home" exec "$@"
"""


def _unshare() -> list[str]:
    if shutil.which("unshare") is None:
        pytest.fail("unshare is not installed: apt package util-linux")
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-euc"]


def on_small_disk(
    seed: Path, work: Path, command: list[str], *, size_kb: int = 2048, full: bool = False
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `command` with CALMFLOW_HOME on a disk of `size_kb` holding a copy of
    `seed` (filled to the brim first if `full`); return its result and a folder
    holding what the disk held afterwards."""
    disk, out = work / "disk", work / "after"
    disk.mkdir()
    out.mkdir()
    done = subprocess.run(
        [*_unshare(), SMALL_DISK, "sh", str(size_kb), str(seed), str(disk), str(out), *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "FILL": "now" if full else ""},
    )
    return done, out


def read_only(home: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `command` with CALMFLOW_HOME on `home` mounted read-only."""
    return subprocess.run(
        [*_unshare(), READ_ONLY, "sh", str(home), *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
