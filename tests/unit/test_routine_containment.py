"""Shared routines cannot hurt: a copy's media stay in the folder it goes to,
a file a routine names is quoted only if it is a routine or a cue set, only
plain files are read, and `new` refuses a name `check` would before writing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from calmflow.cli import main
from calmflow.core.routine import MAX_NAME

ROOT = Path(__file__).resolve().parents[2]
KEY_LINE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIattacker attacker@forum"


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _png_with_a_key(path: Path) -> None:
    """A valid picture that also carries a line sshd would take as a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    info = PngInfo()
    info.add_text("Comment", f"\n{KEY_LINE}\n")
    Image.new("RGB", (4, 4), (200, 180, 170)).save(path, format="PNG", pnginfo=info)


def _files(root: Path) -> set[Path]:
    """Every file and folder under `root`."""
    return {Path(d, n) for d, _, names in os.walk(root) for n in names} | {
        Path(d, n) for d, names, _ in os.walk(root) for n in names
    }


def _routine(photo: str, voice: str | None = None) -> str:
    prompt = f"\n    prompt: {{text: Breathe., voice: {voice}}}" if voice else ""
    return (
        "name: shared\n"
        "cues:\n"
        "  baby:\n"
        f"    photo: {photo}\n"
        "phases:\n"
        "  - name: Settle\n"
        "    kind: prep\n"
        f"    duration: 1m{prompt}\n"
        "    cues: [baby]\n"
    )


# --- a copy's media stay inside the folder it goes to ------------------------------


def test_a_shared_routine_cannot_put_its_photo_into_ssh(tmp_path, monkeypatch):
    # The reported attack: `calmflow new mine --from shared.yaml` wrote the
    # "media copy" to ~/.ssh/authorized_keys, four folders up from the routines.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CALMFLOW_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    forum = tmp_path / "forum"
    _png_with_a_key(forum / ".ssh" / "authorized_keys")
    shared = forum / "a" / "b" / "c" / "d" / "shared.yaml"
    shared.parent.mkdir(parents=True)
    shared.write_text(_routine("../../../../.ssh/authorized_keys"))
    before = _files(tmp_path)

    result = _run("new", "mine", "--from", str(shared))

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"{shared}:4:12: cues.baby.photo: '../../../../.ssh/authorized_keys' leads out of"
        f" the folder the copy goes to ({home}/.local/share/calmflow/routines); a copy keeps"
        " its media inside it, so give this file's full path instead, or move it beside"
        " the routine"
    ]
    assert not (home / ".ssh").exists()
    data = home / ".local" / "share" / "calmflow"
    # Nothing was written but what checking the routine keeps in calmflow's own
    # folder: no routine, and nothing at all outside it.
    written = _files(tmp_path) - before
    assert all(data in p.parents or p in (data, *data.parents) for p in written), written
    assert not (data / "routines" / "mine.yaml").exists()
    for path in written:
        if path.is_file():
            assert KEY_LINE.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "photo",
    [
        "../baby.png",
        "pictures/../../baby.png",
        "pictures/../../../../baby.png",
        # out and back in: the folders on the way would be made outside
        "../routines/baby.png",
    ],
)
def test_any_way_out_of_the_folder_is_refused_at_its_line(home, tmp_path, photo):
    shared = tmp_path / "forum" / "pictures" / "shared" / "shared.yaml"
    (shared.parent / "pictures").mkdir(parents=True)
    shared.write_text(_routine(photo))
    _png_with_a_key((shared.parent / photo).resolve())
    result = _run("new", "mine", "--from", str(shared))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{shared}:4:12: cues.baby.photo: '{photo}' leads out")
    assert not (home / "routines").exists() or not any((home / "routines").iterdir())


def test_a_link_in_the_routines_folder_that_leads_out_is_refused(home, tmp_path):
    # `media` in the routines folder is a link to a folder elsewhere: a copy
    # made through it would land outside.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (home / "routines").mkdir(parents=True)
    (home / "routines" / "media").symlink_to(outside)
    shared = tmp_path / "forum" / "shared.yaml"
    _png_with_a_key(shared.parent / "media" / "baby.png")
    shared.write_text(_routine("media/baby.png"))
    result = _run("new", "mine", "--from", str(shared))
    assert result.exit_code == 1, result.output
    assert "'media/baby.png' leads out of the folder" in result.stderr
    assert list(outside.iterdir()) == []
    assert not (home / "routines" / "mine.yaml").exists()


def test_media_inside_the_folder_are_copied_with_the_routine(home, tmp_path):
    # A path with .. that stays inside the folder is copied as written.
    forum = tmp_path / "forum"
    _png_with_a_key(forum / "baby.png")
    (forum / "pictures").mkdir()
    shared = forum / "shared.yaml"
    shared.write_text(_routine("pictures/../baby.png"))
    result = _run("new", "mine", "--from", str(shared))
    assert result.exit_code == 0, result.output
    copied = home / "routines" / "baby.png"
    assert copied.read_bytes() == (forum / "baby.png").read_bytes()
    assert (home / "routines" / "pictures").is_dir()  # so that the path works
    checked = _run("check", "mine")
    assert checked.exit_code == 0, checked.output


def test_a_prompts_voice_file_is_copied_too(home, tmp_path):
    forum = tmp_path / "forum"
    _png_with_a_key(forum / "baby.png")
    (forum / "voice").mkdir()
    shutil.copy(ROOT / "media" / "waves.ogg", forum / "voice" / "breathe.ogg")
    shared = forum / "shared.yaml"
    shared.write_text(_routine("baby.png", voice="voice/breathe.ogg"))
    assert _run("new", "mine", "--from", str(shared)).exit_code == 0
    assert (home / "routines" / "voice" / "breathe.ogg").is_file()
    checked = _run("check", "mine")
    assert checked.exit_code == 0, checked.output


# --- files a routine names: quoted only if they are routines or cue sets ---------------

SECRETS = {
    "shadow": (
        "root:$6$saltsalt$SECRETHASHroot:19700:0:99999:7:::\n"
        "alice:$6$pepper$SECRETHASHalice:19700:0:99999:7:::\n"
    ),
    "settings": "SECRET_token: SECRETtoken123\npassword: SECREThunter2\n",
    "nested": "users:\n  - name: SECRETalice\n    password: SECREThunter2\n",
    "twice": "token: SECRETone\ntoken: SECRETtwo\n",
    "tagged": "vault: !SECRETtag SECRETvaulted\n",
    "bad value": "name: x\nkey: !!int SECRET123\n",
    "bad date": "name: x\nwhen: 2024-02-30\n",
    "broken": "key: SECRETkey\n  - [SECRETbroken\n",
}


@pytest.mark.parametrize("how", ["extends", "cue_sets"])
@pytest.mark.parametrize("secret", list(SECRETS))
def test_a_file_that_is_not_a_routine_is_never_quoted(home, tmp_path, how, secret):
    secrets = tmp_path / "private" / "secrets"
    secrets.parent.mkdir()
    secrets.write_text(SECRETS[secret])
    routine = tmp_path / "mine.yaml"
    named = f"extends: {secrets}\n" if how == "extends" else f"cue_sets: [{secrets}]\n"
    routine.write_text(
        f"name: mine\n{named}phases:\n  - {{name: Pump, kind: expression, duration: 10m}}\n"
    )
    result = _run("check", str(routine))
    assert result.exit_code == 1, result.output
    assert "SECRET" not in result.output
    assert str(secrets) in result.output  # which file, and where in it, are said


@pytest.mark.parametrize("secret", ["shadow", "settings", "nested"])
def test_check_on_a_file_that_is_no_routine_quotes_none_of_it(home, tmp_path, secret):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(SECRETS[secret])
    result = _run("check", str(secrets))
    assert result.exit_code == 1
    assert result.stderr == (
        f"{secrets}:1:1: is not a routine: it has none of a routine's keys;"
        " none of its text is shown\n"
    )


def test_a_routine_it_extends_is_still_quoted_where_it_is_wrong(home, tmp_path):
    # Shaped like a routine: its own mistakes are said in full, at its own lines.
    (tmp_path / "parent.yaml").write_text(
        "name: parent\nchime: 'off'\nphases:\n  - {name: A, kind: prepp, duration: 1m}\n"
    )
    routine = tmp_path / "child.yaml"
    routine.write_text("name: child\nextends: parent.yaml\n")
    result = _run("check", str(routine))
    assert result.exit_code == 1
    parent = tmp_path.resolve() / "parent.yaml"
    assert result.stderr.splitlines() == [
        f"{parent}:2:8: chime: expected true or false; found 'off': write chime: false",
        f"{parent}:4:21: phases.0.kind: expected one of prep, stimulation, expression,"
        " hands_on, rest, pump; found 'prepp' — did you mean 'prep'?",
    ]


def test_a_routine_with_a_misspelt_key_is_still_a_routine(home, tmp_path):
    routine = tmp_path / "mine.yaml"
    routine.write_text("nmae: mine\nphases:\n  - {name: A, kind: prep, duration: 1m}\n")
    result = _run("check", str(routine))
    assert "unknown key 'nmae' — did you mean 'name'?" in result.stderr


# --- only plain files are read -----------------------------------------------------------


@pytest.mark.parametrize("what", ["pipe", "device", "folder"])
@pytest.mark.parametrize("how", ["extends", "cue_sets", "photo"])
def test_a_pipe_a_device_or_a_folder_named_by_a_routine_is_never_read(home, tmp_path, what, how):
    target = tmp_path / "target"
    if what == "pipe":
        os.mkfifo(target)
    elif what == "device":
        target.symlink_to("/dev/zero")  # followed: a link leads to plain files only
    else:
        target.mkdir()
    named = {
        "extends": f"extends: {target}\n",
        "cue_sets": f"cue_sets: [{target}]\n",
        "photo": f"cues:\n  baby: {{photo: {target}}}\n",
    }[how]
    routine = tmp_path / "mine.yaml"
    routine.write_text(
        f"name: mine\n{named}phases:\n  - {{name: Pump, kind: expression, duration: 10m}}\n"
    )
    result = _run("check", str(routine))
    assert result.exit_code == 1, result.output
    kind = "is a folder, not a file" if what == "folder" else "is not a plain file"
    assert f"{target} {kind}" in result.stderr


# --- names: one rule for `new` and `check` ---------------------------------------------


@pytest.mark.parametrize("length", [MAX_NAME + 1, 300])
def test_new_refuses_a_name_check_would_refuse_before_writing(home, length):
    name = "a" * length
    result = _run("new", name)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"calmflow: '{'a' * 20}…': a routine's name is at most {MAX_NAME} characters;"
        f" this one has {length}\n"
    )
    assert not (home / "routines").exists() or list((home / "routines").iterdir()) == []


@pytest.mark.parametrize("name", ["a" * MAX_NAME, "\U0001d7d8" * MAX_NAME, "2024", "x"])
def test_a_name_new_takes_is_one_check_takes(home, name):
    # 60 letters of four bytes each still make a file name a file system takes,
    # and come back as the same 60 letters (not 120 halves of letters).
    made = _run("new", name)
    assert made.exit_code == 0, made.output
    checked = _run("check", name)
    assert checked.exit_code == 0, checked.output
    assert f"ok ({name}," in checked.stdout


def test_new_where_the_routines_folder_cannot_be_made_exits_3(home):
    home.mkdir()
    (home / "routines").write_text("a file where the folder should be")
    result = _run("new", "mine")
    assert result.exit_code == 3, result.output
    assert f"{home / 'routines'}" in result.stderr
    assert result.stderr.count("\n") <= 2  # one line (and perhaps a notice), no traceback
    assert (home / "routines").read_text() == "a file where the folder should be"


def test_a_copy_that_cannot_be_finished_leaves_nothing_behind(home, tmp_path, monkeypatch):
    # The disk fills while the media are copied: no routine is left whose
    # media are missing, and the command says so in one line (exit 3).
    from calmflow.services import catalog

    forum = tmp_path / "forum"
    _png_with_a_key(forum / "baby.png")
    shared = forum / "shared.yaml"
    shared.write_text(_routine("baby.png"))

    def full(source: Path, target: Path, *, replace: bool = True) -> None:
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(catalog, "copy_private", full)
    result = _run("new", "mine", "--from", str(shared))
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines()[-1] == (
        f"calmflow: could not copy to {home / 'routines' / 'baby.png'} (No space left on"
        " device); nothing was copied"
    )
    assert list((home / "routines").iterdir()) == []
