"""`personas init`: start your own persona repository from the example one."""

from __future__ import annotations

from pathlib import Path

import click

from persona_map.cli.options import root_option


@click.command()
@root_option
@click.option("--apply", "apply_", is_flag=True, help="Remove them (without it, only list what would go).")
def init(root: Path | None, apply_: bool) -> None:
    """Remove the example research and the personas built only on it, to start from your own research."""
    from persona_map.repository import Repository
    from persona_map.research.init import apply_init, plan_init
    from persona_map.research.manifest import load_manifest

    repo = Repository.open(root)
    manifest, _ = load_manifest(repo)
    plan = plan_init(repo, manifest)
    if plan.empty:
        click.echo("No example research here: nothing to remove.")
        return
    if apply_:
        apply_init(repo, plan)  # said once it is done (an error: nothing was removed)
    click.echo("Removed:" if apply_ else "Would remove (run with --apply):")
    click.echo("\n".join(f"  research source {sid} (research/manifest.yaml)" for sid in plan.sources))
    click.echo("\n".join(f"  {name}" for name in [*plan.files, *plan.personas]))
    for name in plan.mixed:
        click.echo(f"Kept {name}: it cites your research too; remove its example citations by hand.")
    click.echo(
        "\nNext: declare your research in research/manifest.yaml (see research/README.md), then run "
        "`personas segment` and `personas suggest`: it drafts a persona for every segment under "
        "build/segments/candidates/ to complete and move into personas/."
    )
