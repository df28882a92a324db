"""`personas classify`: route CRM contacts to personas."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from persona_map.cli.options import dask_settings, engine_options, root_option


def _column_map(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    from persona_map.routing.crm_columns import CANONICAL

    mapping = {}
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or name.strip() not in CANONICAL or not column:
            raise click.BadParameter(
                f"{value!r}: write CANONICAL=COLUMN with CANONICAL one of {', '.join(CANONICAL)}"
            )
        mapping[name.strip()] = column
    return mapping


def _delimiter(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(value, value)
    if len(value) != 1 or value in '"\r\n':
        raise click.BadParameter(f"{value!r}: give one character, e.g. ';' or '\\t'")
    return value


def _encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    import codecs

    try:
        return None if value is None else codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(
            f"{value!r} is not an encoding Python knows (try utf-8, latin-1 or cp1252)"
        ) from None


class _RowProgress:
    """Contacts classified so far, on a terminal: a bar over the share of the input read when it is known."""

    STEPS = 1000

    def __init__(self) -> None:
        self.rows, self.done, self.tty, self.bar = 0, 0, sys.stderr.isatty(), None

    def __call__(self, rows: int, fraction: float | None) -> None:
        self.rows = rows
        if self.tty and fraction is not None and self.bar is None:
            self.bar = click.progressbar(
                length=self.STEPS,
                label="Classifying",
                file=sys.stderr,
                item_show_func=lambda _: f"{self.rows:,} rows",
            )
            self.bar.__enter__()
        if self.bar is not None and fraction is not None:
            step = int(fraction * self.STEPS)
            self.bar.update(max(step - self.done, 0))
            self.done = max(step, self.done)
        elif self.tty:
            click.echo(f"\rClassifying  {rows:,} rows", err=True, nl=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_progress()  # the last count, which the bar may not have drawn yet
            self.bar.__exit__(None, None, None)
        elif self.tty and self.rows:
            click.echo(err=True)


def _format(out: str | None, folder: bool) -> str:
    """The output format an --out name implies: .jsonl/.ndjson, .parquet/.parq/.pq, else CSV."""
    suffix = "" if out is None or folder else Path(out).suffix.lower()
    return {
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".parquet": "parquet",
        ".parq": "parquet",
        ".pq": "parquet",
    }.get(suffix, "csv")


@click.command()
@root_option
@click.option(
    "--out",
    type=click.Path(allow_dash=True),
    default=None,
    help="File to write (default: stdout); with --engine dask, a folder ending in / gets one file per partition.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default=None,
    help="csv (spreadsheet-safe), jsonl (one JSON object per contact) or parquet (default: from the --out "
    "suffix: .jsonl or .ndjson, .parquet; else csv).",
)
@click.option(
    "--map",
    "columns",
    multiple=True,
    metavar="CANONICAL=COLUMN",
    callback=_column_map,
    help="Read a contact field (title, seniority, department, company_size, industry) from a column, "
    "e.g. --map title='Role Name' (repeatable).",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="YAML or JSON file of CANONICAL: COLUMN lines (--map wins over it).",
)
@click.option(
    "--delimiter",
    default=",",
    metavar="CHAR",
    show_default=True,
    callback=_delimiter,
    help="Field delimiter of the input, also used for CSV output ('\\t' or tab for tabs).",
)
@click.option(
    "--encoding",
    default=None,
    metavar="NAME",
    callback=_encoding,
    help="Encoding of the input (default: UTF-8, or UTF-16 with a byte-order mark); output is UTF-8.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Contacts classified at a time: bounds memory.",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Contacts below this confidence are unassigned.",
)
@click.option(
    "--no-model", is_flag=True, help="Use only the rules in the persona files, not the last segmentation."
)
@engine_options("contacts")
@click.argument(
    "input_path",
    metavar="[INPUT]",
    required=False,
    default="-",
    type=click.Path(exists=True, allow_dash=True, path_type=Path),
)
def classify(
    root: Path | None,
    out: str | None,
    fmt: str | None,
    columns: dict[str, str],
    mapping: Path | None,
    delimiter: str,
    encoding: str | None,
    chunk_size: int,
    min_confidence: float,
    no_model: bool,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    partition_size: int | None,
    input_path: Path,
) -> None:
    """Route CRM contacts (a CSV file or stdin, or Parquet) to personas: adds persona_id, persona_name, confidence, reason.

    The summary (contacts per persona, unassigned share) goes to stderr. Exit status: 0 ok, 1 bad input.
    """
    stdin, stdout = str(input_path) == "-", out is None or out == "-"
    if stdin and sys.stdin.isatty():
        raise click.UsageError("give a contacts CSV file, or pipe one in: personas classify contacts.csv")
    folder = not stdout and out.endswith(("/", os.sep))  # an existing folder without the slash: refused
    dask = dask_settings(engine, scheduler, workers, partition_size)
    if folder and dask is None:
        raise click.UsageError("--out DIR/ (one file per partition) needs --engine dask")

    from persona_map.check.catalog import build_catalog  # pandas and pyarrow: after the usage checks
    from persona_map.routing.classify import Classifier, ClassifyOptions, classify_file, repository
    from persona_map.routing.report import summary_text

    fmt = fmt or _format(None if stdout else out, folder)
    options = ClassifyOptions(fmt, columns, mapping, delimiter, encoding, chunk_size, min_confidence)
    repo = repository(root)
    classifier = Classifier.load(repo, build_catalog(repo).personas, use_model=not no_model)
    progress = _RowProgress()
    # stdin unbuffered: a thread waiting on a pipe then holds no lock that the interpreter needs at exit
    source = getattr(sys.stdin.buffer, "raw", sys.stdin.buffer) if stdin else input_path
    sink = sys.stdout.buffer if stdout else Path(out)
    try:
        if dask is None:
            summary = classify_file(source, sink, options, classifier, progress=progress)
        else:
            from persona_map.routing.dask_engine import classify_file as classify_on_dask

            summary = classify_on_dask(source, sink, options, classifier, dask, folder, progress=progress)
    except BrokenPipeError:  # `personas classify big.csv | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    finally:
        progress.close()
    click.echo(summary_text(summary), err=True)
