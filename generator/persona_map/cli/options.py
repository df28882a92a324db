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
