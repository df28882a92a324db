"""`personas export --pdf [ID ...]`: one-page PDFs of personas and their empathy maps."""

from __future__ import annotations

from pathlib import Path

import click

from persona_map.cli.options import root_option, today_option


@click.command()
@root_option
@today_option
@click.option("--pdf", is_flag=True, help="Write PDFs (printed by headless Chromium).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the files (default: build/export/ in the repository).",
)
@click.argument("ids", nargs=-1)
def export(root: Path | None, today, pdf: bool, out: Path | None, ids: tuple[str, ...]) -> None:
    """Export personas (all, or the IDS given) as one-page PDFs: the persona at a glance and its empathy map."""
    if not pdf:
        raise click.UsageError("choose what to export: --pdf")
    from persona_map.check.catalog import build_catalog
    from persona_map.pages.export import export_pdfs
    from persona_map.repository import Repository

    repo = Repository.open(root)
    written = export_pdfs(build_catalog(repo, today), list(ids), out or repo.root / "build" / "export")
    for path in written:
        click.echo(f"wrote {repo.display(path)}")
