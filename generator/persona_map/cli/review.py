"""`personas review`: personas due for review soon and overdue, as the reminder issue's body."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TextIO

import click

from persona_map.cli.options import root_option, today_option


@click.command()
@root_option
@today_option
@click.option(
    "--within",
    type=click.IntRange(min=0),
    default=None,
    metavar="DAYS",
    help="Count personas due within DAYS (default: due_soon_days from the config, 30).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    help="markdown: the body of the reminder issue; json: everything the workflow needs.",
)
@click.option(
    "--previous",
    type=click.File("r", encoding="utf-8", errors="replace"),
    default=None,
    metavar="FILE",
    help="The open reminder issue's body: the JSON's comment then says what changed since (empty if nothing).",
)
def review(root: Path | None, today: date, within: int | None, fmt: str, previous: TextIO | None) -> None:
    """List personas due for review soon and those already overdue, with their owners."""
    from persona_map.check.review import as_dict, due_for_review, markdown
    from persona_map.repository import Repository

    repo = Repository.open(root)
    window = repo.config.due_soon_days if within is None else within
    items = due_for_review(repo, today, window)
    if fmt == "json":
        before = previous.read() if previous else None
        click.echo(json.dumps(as_dict(items, today, window, repo, before), indent=2, ensure_ascii=False))
    else:
        click.echo(markdown(items, today, window, repo))
