"""`personas suggest`: match segments to personas and propose data-backed updates."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from persona_map.cli.options import (
    echo_findings,
    progress,
    root_option,
    segment_options,
    segment_settings,
    today_option,
)


@click.command()
@root_option
@today_option
@segment_options
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Write the data-derived fields into the persona files (atomically).",
)
def suggest(
    root: Path | None, today: date, k_min: int | None, k_max: int | None, method: str, seed: int, apply_: bool
) -> None:
    """Match the latest segments to the personas and propose data-backed updates, as a PR description.

    Without --apply nothing is written except draft personas under build/segments/candidates/.
    """
    from persona_map.check.catalog import COMPARABLE_CODES, build_catalog
    from persona_map.check.write import write_personas
    from persona_map.errors import PersonaError
    from persona_map.repository import Repository
    from persona_map.research.drafts import write_drafts
    from persona_map.research.suggest import propose
    from persona_map.research.suggest_report import markdown

    repo = Repository.open(root)
    catalog = build_catalog(repo, today, COMPARABLE_CODES)
    options = segment_settings(repo, k_min, k_max, method, seed)
    with progress(6, "Comparing") as step:
        proposal, findings = propose(repo, catalog.personas, catalog.manifest, today, options, progress=step)
    echo_findings(findings)
    if proposal is None:
        sys.exit(1)
    write_drafts(repo, proposal.drafts)
    if apply_:
        try:
            write_personas(repo, catalog.manifest, proposal.edits, today)
        except PersonaError:
            click.echo(markdown(proposal, applied=False))  # the diff that was not applied
            raise
    click.echo(markdown(proposal, applied=apply_))
