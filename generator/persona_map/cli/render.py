"""`personas render`: the generated site pages as Markdown, for another site generator."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from persona_map.cli.options import root_option, today_option


@click.command()
@root_option
@today_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the generated Markdown pages (and personas.json) into.",
)
@click.option(
    "--links",
    type=click.Choice(["markdown", "directory", "file"]),
    default="markdown",
    help="How raw-HTML links point at pages: markdown (.md files, for any generator), "
    "directory (MkDocs-style page/ URLs) or file (page.html).",
)
def render(root: Path | None, today: date, out: Path, links: str) -> None:
    """Write the generated site pages as Markdown into --out, for another site generator."""
    from persona_map.check.catalog import build_catalog
    from persona_map.pages.render import Renderer, write_pages
    from persona_map.repository import Repository

    repo = Repository.open(root)
    directory_urls = {"markdown": None, "directory": True, "file": False}[links]
    pages = Renderer(build_catalog(repo, today), directory_urls=directory_urls).pages()
    written = write_pages(pages, out)
    click.echo(f"wrote {len(written)} pages to {out}")
