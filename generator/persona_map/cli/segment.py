"""`personas segment`: segment the research and profile each segment."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from persona_map.cli.options import (
    dask_settings,
    echo_findings,
    engine_options,
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
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text: the Markdown report; json: everything.",
)
@engine_options("respondents")
def segment(
    root: Path | None,
    today: date,
    k_min: int | None,
    k_max: int | None,
    method: str,
    seed: int,
    fmt: str,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    partition_size: int | None,
) -> None:
    """Segment the research respondents and profile each segment; saves results under build/segments/.

    With --engine dask, respondents are assigned and counted on a Dask cluster: the same segments as the
    default engine, for surveys too large for one machine's memory.
    """
    from persona_map.memory import limit_arenas
    from persona_map.repository import Repository
    from persona_map.research.segment import run

    limit_arenas()
    repo = Repository.open(root)
    options = segment_settings(repo, k_min, k_max, method, seed)
    dask = dask_settings(engine, scheduler, workers, partition_size)
    with progress(6, "Segmenting") as step:
        result, paths, findings = run(
            repo, today, options.k_min, options.k_max, options.method, options.seed, progress=step, dask=dask
        )
    echo_findings(findings)
    if result is None:
        sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        from persona_map.research.report import markdown

        click.echo(markdown(result))
        click.echo(f"Saved {paths[0]} and {paths[1]}", err=True)
