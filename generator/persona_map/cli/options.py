"""Options and output helpers the commands share: --root, --today, segmentation options, progress bars."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click


def parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    from persona_map.dates import parse_date

    day = parse_date(value)
    if day is None:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD")
    return day


class _Steps:
    """A progress bar over named steps on a terminal; silent otherwise."""

    def __init__(self, total: int, label: str) -> None:
        self.bar = (
            click.progressbar(length=total, label=label, file=sys.stderr) if sys.stderr.isatty() else None
        )

    def __enter__(self):
        if self.bar is None:
            return lambda name: None
        self.bar.__enter__()
        return self

    def __call__(self, name: str) -> None:
        self.bar.label = name
        self.bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def progress(total: int, label: str) -> _Steps:
    return _Steps(total, label)


def echo_findings(findings: list) -> None:
    """Research findings on stderr, in the same form as `personas check` (without its summary line)."""
    if findings:
        from persona_map.findings import CheckResult
        from persona_map.reporters import text

        click.echo(text(CheckResult(findings=list(findings)), summary=False), err=True)


root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Repository folder (default: the nearest folder above here with a personas/ folder).",
)
today_option = click.option(
    "--today",
    metavar="YYYY-MM-DD",
    callback=parse_today,
    expose_value=True,
    help="Date to check review dates against (default: today), for reproducible runs.",
)


def segment_options(func):
    """The options of a segmentation run, shared by `segment` and `suggest`."""
    options = [
        click.option(
            "--k-min",
            type=click.IntRange(min=2),
            default=None,
            help="Fewest segments to consider (default: primary_min).",
        ),
        click.option(
            "--k-max",
            type=click.IntRange(min=2),
            default=None,
            help="Most segments to consider (default: primary_max).",
        ),
        click.option(
            "--method",
            type=click.Choice(["kmeans", "gmm"]),
            default="kmeans",
            help="k-means (default) or a Gaussian mixture.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Random seed: the same seed gives the same segments.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def segment_settings(repo, k_min: int | None, k_max: int | None, method: str, seed: int):
    from persona_map.research.segmentation import SegmentOptions

    options = SegmentOptions(k_min or repo.config.primary_min, k_max or repo.config.primary_max, method, seed)
    if options.k_min > options.k_max:
        raise click.UsageError(f"--k-min ({options.k_min}) is larger than --k-max ({options.k_max})")
    return options


def engine_options(unit: str):
    """--engine, --scheduler, --workers and --partition-size, shared by `segment` and `classify`."""

    def decorate(func):
        options = [
            click.option(
                "--engine",
                type=click.Choice(["default", "dask"]),
                default="default",
                show_default=True,
                help="default: this process; dask: partitions on a Dask cluster (pip install 'persona-map[dask]').",
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                default=None,
                help="With --engine dask: the scheduler of an existing Dask cluster, e.g. tcp://scheduler:8786 "
                "(default: a local cluster for the run).",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                default=None,
                help="With --engine dask and no --scheduler: worker processes of the local cluster "
                "(default: one per core).",
            ),
            click.option(
                "--partition-size",
                type=click.IntRange(min=1),
                default=None,
                help=f"With --engine dask: {unit} per partition, a worker's unit of work (default: 1,000,000).",
            ),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def dask_settings(engine: str, scheduler: str | None, workers: int | None, partition_size: int | None):
    """The Dask settings, or None for the default engine; Dask options without --engine dask are usage errors."""
    from persona_map.dask_cluster import DaskOptions

    if engine == "default":
        given = [flag for flag, value in (("--scheduler", scheduler), ("--workers", workers),
                 ("--partition-size", partition_size)) if value is not None]  # fmt: skip
        if given:
            raise click.UsageError(f"{', '.join(given)} needs --engine dask")
        return None
    if scheduler and workers:
        raise click.UsageError("--workers sizes a local cluster: leave it out with --scheduler")
    return DaskOptions(scheduler, workers, partition_size or DaskOptions.partition_size)
