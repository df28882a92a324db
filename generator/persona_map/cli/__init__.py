"""The `personas` command line: parse options, call the core, hand the result to a reporter."""

from __future__ import annotations

import json
import sys
import traceback
from datetime import date
from pathlib import Path

import click

from persona_map import __version__
from persona_map.errors import InvalidPersonas, PersonaError


class _Group(click.Group):
    """Turns handled errors into one clear line and unexpected ones into a short bug report."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InvalidPersonas as e:
            from persona_map.reporters import text

            click.secho(f"error: {e}:", fg="red", err=True)
            click.echo(text(e.result), err=True)
            ctx.exit(e.exit_code)
        except PersonaError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a traceback is a bug: show it only with --debug
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            else:
                click.secho(
                    f"internal error: {type(e).__name__}: {e} (rerun with --debug and report it)",
                    fg="red",
                    err=True,
                )
            ctx.exit(1)


def _today(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
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


def _progress(total: int, label: str) -> _Steps:
    return _Steps(total, label)


def _echo_findings(findings: list) -> None:
    """Research findings on stderr, in the same form as `personas check`."""
    if findings:
        from persona_map.findings import CheckResult
        from persona_map.reporters import text

        result = CheckResult(findings=list(findings))
        click.echo("\n".join(text(result).splitlines()[:-1]).rstrip(), err=True)


root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Repository folder (default: the nearest folder above here with a personas/ folder).",
)
today_option = click.option(
    "--today",
    metavar="YYYY-MM-DD",
    callback=_today,
    expose_value=True,
    help="Date to check review dates against (default: today), for reproducible runs.",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.version_option(__version__, prog_name="personas")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Persona Map: check, publish and apply customer personas kept as YAML files."""
    ctx.obj = {"debug": debug}


@main.command()
@root_option
@today_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Output format (default: github inside GitHub Actions, else text).",
)
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def check(
    root: Path | None, today: date, fmt: str | None, color: bool | None, paths: tuple[Path, ...]
) -> None:
    """Check every persona (or only PATHS) against the schema and the repository rules.

    Exit status: 0 when there are no errors (warnings allowed), 1 when there are, 2 on wrong usage.
    """
    from persona_map.check.check import check as run_check
    from persona_map.reporters import REPORTERS, default_format
    from persona_map.repository import Repository

    result = run_check(Repository.open(root), paths, today)
    click.echo(REPORTERS[fmt or default_format()](result), color=color)
    sys.exit(0 if result.ok else 1)


@main.command()
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
def review(root: Path | None, today: date, within: int | None, fmt: str) -> None:
    """List personas due for review soon and those already overdue, with their owners."""
    from persona_map.check.review import as_dict, due_for_review, markdown
    from persona_map.repository import Repository

    repo = Repository.open(root)
    window = repo.config.due_soon_days if within is None else within
    items = due_for_review(repo, today, window)
    if fmt == "json":
        click.echo(json.dumps(as_dict(items, today, window, repo), indent=2, ensure_ascii=False))
    else:
        click.echo(markdown(items, today, window, repo))


@main.command()
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


def _options(repo, k_min: int | None, k_max: int | None, method: str, seed: int):
    from persona_map.research.segment import SegmentOptions

    options = SegmentOptions(k_min or repo.config.primary_min, k_max or repo.config.primary_max, method, seed)
    if options.k_min > options.k_max:
        raise click.UsageError(f"--k-min ({options.k_min}) is larger than --k-max ({options.k_max})")
    return options


@main.command()
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
def segment(
    root: Path | None, today: date, k_min: int | None, k_max: int | None, method: str, seed: int, fmt: str
) -> None:
    """Segment the research respondents and profile each segment; saves results under build/segments/."""
    from persona_map.repository import Repository
    from persona_map.research.segment import run

    repo = Repository.open(root)
    options = _options(repo, k_min, k_max, method, seed)
    with _progress(6, "Segmenting") as step:
        result, paths, findings = run(
            repo, today, options.k_min, options.k_max, options.method, options.seed, progress=step
        )
    _echo_findings(findings)
    if result is None:
        sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        from persona_map.research.report import markdown

        click.echo(markdown(result))
        click.echo(f"Saved {paths[0]} and {paths[1]}", err=True)


@main.command()
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
    from persona_map.repository import Repository
    from persona_map.research.suggest import markdown, propose

    repo = Repository.open(root)
    with _progress(6, "Comparing") as step:
        proposal, findings = propose(
            repo, today, _options(repo, k_min, k_max, method, seed), apply=apply_, progress=step
        )
    _echo_findings(findings)
    if proposal is None:
        sys.exit(1)
    click.echo(markdown(proposal, applied=apply_))


def _column_map(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    from persona_map.routing.contacts import CANONICAL

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
    """Contacts classified so far, on a terminal: a bar over the input's bytes when its size is known."""

    def __init__(self, total: int | None) -> None:
        self.rows, self.done, self.tty, self.bar = 0, 0, sys.stderr.isatty(), None
        if self.tty and total:
            self.bar = click.progressbar(
                length=total,
                label="Classifying",
                file=sys.stderr,
                item_show_func=lambda _: f"{self.rows:,} rows",
            )
            self.bar.__enter__()

    def __call__(self, rows: int, position: int) -> None:
        self.rows = rows
        if self.bar is not None:
            self.bar.update(max(position - self.done, 0))
            self.done = position
        elif self.tty:
            click.echo(f"\rClassifying  {rows:,} rows", err=True, nl=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_progress()  # the last count, which the bar may not have drawn yet
            self.bar.__exit__(None, None, None)
        elif self.tty and self.rows:
            click.echo(err=True)


@main.command()
@root_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    help="File to write (default: stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="csv (spreadsheet-safe) or jsonl, one JSON object per contact (default: jsonl for an --out "
    "ending in .jsonl or .ndjson, else csv).",
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
@click.argument(
    "input_path",
    metavar="[INPUT]",
    required=False,
    default="-",
    type=click.Path(dir_okay=False, exists=True, allow_dash=True, path_type=Path),
)
def classify(
    root: Path | None,
    out: Path | None,
    fmt: str | None,
    columns: dict[str, str],
    mapping: Path | None,
    delimiter: str,
    encoding: str | None,
    chunk_size: int,
    min_confidence: float,
    no_model: bool,
    input_path: Path,
) -> None:
    """Route CRM contacts (a CSV file, or stdin) to personas: adds persona_id, persona_name, confidence, reason.

    The summary (contacts per persona, unassigned share) goes to stderr. Exit status: 0 ok, 1 bad input.
    """
    from persona_map.routing.contacts import ClassifyOptions, classify_file, load_classifier, summary_text

    stdin, stdout = str(input_path) == "-", out is None or str(out) == "-"
    if stdin and sys.stdin.isatty():
        raise click.UsageError("give a contacts CSV file, or pipe one in: personas classify contacts.csv")
    fmt = fmt or ("jsonl" if not stdout and out.suffix in (".jsonl", ".ndjson") else "csv")
    options = ClassifyOptions(fmt, columns, mapping, delimiter, encoding, chunk_size, min_confidence)
    classifier = load_classifier(root, use_model=not no_model)
    progress = _RowProgress(None if stdin else input_path.stat().st_size)
    try:
        summary = classify_file(
            sys.stdin.buffer if stdin else input_path,
            sys.stdout.buffer if stdout else out,
            options, classifier, progress=progress,
        )  # fmt: skip
    except BrokenPipeError:  # `personas classify big.csv | head`: the reader has seen enough
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    finally:
        progress.close()
    click.echo(summary_text(summary), err=True)
