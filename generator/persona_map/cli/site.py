"""`personas site`: check the personas, render the pages and build the whole site into build/site/."""

from __future__ import annotations

from pathlib import Path

import click

from persona_map.cli.options import root_option


@click.command()
@root_option
@click.option(
    "--engine",
    type=click.Choice(["mkdocs", "zensical"]),
    default="mkdocs",
    show_default=True,
    help="Site generator: MkDocs with Material, or Zensical (the extra persona-map[zensical]).",
)
def site(root: Path | None, engine: str) -> None:
    """Check the personas, render their pages and build the persona website into build/site/."""
    from persona_map.pages.site import build_site
    from persona_map.repository import Repository

    built = build_site(Repository.open(root), engine)
    click.echo(f"built {built.pages} pages with {built.engine} into {built.out}")
