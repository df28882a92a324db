"""`personas check`: every persona (or some files) against the schema and the repository rules."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from persona_map.cli.options import root_option, today_option


@click.command()
@root_option
@today_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Output format (default: github inside GitHub Actions, else text).",
)
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def check(
    root: Path | None, today: date, fmt: str | None, color: bool | None, paths: tuple[Path, ...]
) -> None:
    """Check every persona (or only PATHS) against the schema and the repository rules.

    Exit status: 0 when there are no errors (warnings allowed), 1 when there are, 2 on wrong usage.
    """
    from persona_map.check.check import check as run_check
    from persona_map.reporters import REPORTERS, default_format
    from persona_map.repository import Repository

    result = run_check(Repository.open(root), paths, today)
    click.echo(REPORTERS[fmt or default_format()](result), color=color)
    sys.exit(0 if result.ok else 1)
