"""`personas new`: start a persona file, from a skeleton or from the narrative parts of an existing persona."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from persona_map.cli.options import root_option, today_option


def _persona_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from persona_map.ids import id_problem

    problem = id_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


@click.command()
@root_option
@today_option
@click.option(
    "--from",
    "source",
    metavar="EXISTING",
    default=None,
    help="Copy the narrative parts of the persona EXISTING (never its routing rules, quotes or evidence).",
)
@click.argument("persona_id", metavar="ID", callback=_persona_id)
def new(root: Path | None, today: date, source: str | None, persona_id: str) -> None:
    """Write personas/ID.yaml: every required field, explained, with a TODO on each one to fill in."""
    from persona_map.check.new import new_persona
    from persona_map.repository import Repository

    written = new_persona(Repository.open(root), persona_id, today, source)
    click.echo(f"wrote {written}: fill in every field marked TODO, then run `personas check`")
