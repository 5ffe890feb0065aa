"""`calmflow export` and `calmflow import`: sessions out of the log and into it."""

from __future__ import annotations

from pathlib import Path

import click

from calmflow.cli.errors import Failure
from calmflow.cli.options import open_store


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json keeps everything; csv has a row per session and fits Baby Buddy's pumping import.",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE, readable by you only (0600), instead of printing.",
)
@click.option(
    "--child-id",
    type=click.IntRange(min=1),
    help="CSV: the child's id in Baby Buddy, for its child_id column (its import needs it).",
)
def export(fmt: str, out: Path | None, child_id: int | None) -> None:
    """Write every session, its let-downs and events out, to keep or to move.

    CSV columns: start, end (local time), amount (the total in the unit you logged
    it in: see the unit column), notes and child_id as Baby Buddy's pumping import
    reads them; then routine, status, let-downs, first_letdown_s, volumes in ml,
    unit, how it felt, the experiment, output and uuid. CSV leaves out each
    let-down's time, phase and cues and the session's events; JSON keeps them.
    """
    from calmflow.services.exchange.csv_file import to_csv
    from calmflow.services.exchange.json_file import to_json
    from calmflow.system.private_files import write_private

    if child_id is not None and fmt != "csv":
        raise Failure("--child-id is for --format csv")
    sessions = open_store(read_only=True).dump_sessions()
    text = to_json(sessions) if fmt == "json" else to_csv(sessions, child_id=child_id)
    if out is None:
        click.echo(text, nl=False)
        return
    if not out.parent.is_dir():
        raise Failure(f"{out.parent} does not exist; create the folder or choose another path")
    try:
        write_private(out, text)
    except OSError as exc:
        raise Failure(f"could not write {out}: {exc.strerror or exc}") from None
    count = len(sessions)
    click.echo(
        f"exported {count} session{'s' if count != 1 else ''} to {out} (readable by you only)"
    )


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Add the sessions in FILE, a `calmflow export` (JSON, or CSV).

    Sessions are matched by their uuid: those already in your log are left as they
    are, so importing a file twice adds nothing twice. A file with anything wrong
    in it is refused whole, naming the place (JSON path, or CSV line and column).
    A CSV cannot carry each let-down's time, phase and cues, nor the session's
    events: a session imported from one keeps only how many let-downs it had.
    """
    from calmflow.services.exchange.reading import ImportProblem, read_export

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise Failure(f"{file}: no such file") from None
    except OSError as exc:
        raise Failure(f"{file}: cannot be read ({exc.strerror or exc})") from None
    try:
        sessions = read_export(data.decode("utf-8"), name=file.name)
    except UnicodeDecodeError:
        raise Failure(
            f"{file}: not a calmflow export (not UTF-8 text); nothing was imported"
        ) from None
    except ImportProblem as exc:
        raise Failure(f"{file}: {exc}; nothing was imported") from None
    added, already = open_store().add_sessions(sessions)
    click.echo(f"added {added}, already there {already}")


COMMANDS = (export, import_)
