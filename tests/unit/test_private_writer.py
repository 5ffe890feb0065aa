"""The one way calmflow writes a private file: 0600, whole or not at all, beside its
name, and never over a file it must not replace, whatever the file system."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from calmflow.system import private_files
from calmflow.system.private_files import append_private, private_path, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_private_and_whole(tmp_path: Path) -> None:
    os.umask(0o000)
    try:
        target = tmp_path / "export.json"
        write_private(target, "é\r\n")
        assert target.read_bytes() == "é\r\n".encode() and _mode(target) == 0o600
        with pytest.raises(RuntimeError), private_path(target) as part:
            assert _mode(part) == 0o600 and part.name == ".export.json.part"
            part.write_text("half")
            raise RuntimeError("the disk is full")
        assert target.read_bytes() == "é\r\n".encode()  # as it was
        assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]  # no part left
    finally:
        os.umask(0o022)


def test_a_part_left_by_a_kill_is_replaced_by_the_next_try(tmp_path: Path) -> None:
    (tmp_path / ".out.wav.part").write_bytes(b"left over" * 1000)
    write_private(tmp_path / "out.wav", b"RIFF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_a_file_that_must_not_be_replaced_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("theirs")
    with pytest.raises(FileExistsError) as err:
        write_private(target, "ours", replace=False)
    assert err.value.filename == str(target)  # the name the person knows, not the part
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]


@pytest.mark.parametrize("existing", [False, True])
def test_without_hard_links_a_new_file_is_still_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    def no_links(source: object, target: object) -> None:  # FAT, exFAT, some network mounts
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(private_files.os, "link", no_links)
    target = tmp_path / "calmflow.sqlite3.before-schema-7"
    if existing:
        target.write_text("the first copy")
        with pytest.raises(FileExistsError):
            write_private(target, "a second copy", replace=False)
        assert target.read_text() == "the first copy"
    else:
        write_private(target, "the copy", replace=False)
        assert target.read_text() == "the copy" and _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_folder_a_pipe_or_a_device_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    # Moved onto, a device's name would become a file (as root, in /dev); written
    # into, a pipe waits for a reader that may never come.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    link = tmp_path / "link.json"
    link.symlink_to(os.devnull)
    for target, kind in (
        (fifo, "a pipe"),
        (folder, "a folder"),
        (Path(os.devnull), "a device"),
        (link, "a device"),  # followed: a link to a device is a device
    ):
        with pytest.raises(private_files.NotAFile) as refused:
            write_private(target, "nothing")
        assert f"it is {kind}, not a file" in str(refused.value.strerror)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and folder.is_dir()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.json", "link.json", "pipe"]


def test_appending_adds_lines_privately(tmp_path: Path) -> None:
    journal = tmp_path / "calmflow.sqlite3.unsaved.jsonl"
    append_private(journal, '{"op": 1}\n')
    append_private(journal, '{"op": 2}\n')
    assert journal.read_text() == '{"op": 1}\n{"op": 2}\n' and _mode(journal) == 0o600
