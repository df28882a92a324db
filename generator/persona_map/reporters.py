"""Reporters: the same check result as text for people, JSON for machines, annotations for GitHub."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from persona_map.findings import CheckResult, Finding
from persona_map.markdown import github_cell, github_code

FORMATS = ("text", "json", "github")


def default_format() -> str:
    """`github` inside GitHub Actions, `text` everywhere else."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: CheckResult) -> str:
    files = _plural(len(result.checked), "persona file")
    errors, warnings = len(result.errors), len(result.warnings)
    if not errors and not warnings:
        return f"{files} checked: all good"
    bad = len({f.file for f in result.errors})
    parts = [_plural(errors, "error")] if errors else []
    if warnings:
        parts.append(_plural(warnings, "warning"))
    where = f" in {_plural(bad, 'file')}" if errors else ""
    return f"{files} checked: {', '.join(parts)}{where}"


_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}


def _style(value: str, *styles: str, on: bool = True) -> str:
    """ANSI colours (the CLI strips them when output is not a terminal); plain when `on` is False."""
    if not on:
        return value
    return f"\x1b[{';'.join(_SGR[s] for s in styles)}m{value}\x1b[0m"


def text(result: CheckResult, color: bool | None = None, *, summary: bool = True) -> str:
    """One block per finding, `file:line:col: severity: path: message`, hint indented below, then a summary.

    `color=False` gives plain text; otherwise ANSI codes, which `click.echo` strips off a terminal.
    `summary=False` leaves out the summary line (for findings that are not a whole check).
    """
    on = color is not False
    lines = []
    for f in result.sorted():
        colour = "red" if f.is_error else "yellow"
        where = _style(f.location, "bold", on=on)
        label = _style(f.severity.value, colour, "bold", on=on)
        path = f"{f.path}: " if f.path else ""
        lines.append(f"{where}: {label}: {path}{f.message}")
        if f.hint:
            lines.append(_style(f"    hint: {f.hint}", "dim", on=on))
    if summary:
        status = _style(summary_line(result), "green" if result.ok else "red", "bold", on=on)
        lines.append(("\n" if lines else "") + status)
    return "\n".join(lines)


def as_json(result: CheckResult) -> str:
    return json.dumps(
        {
            "ok": result.ok,
            "checked": result.checked,
            "summary": {"errors": len(result.errors), "warnings": len(result.warnings)},
            "findings": [f.to_dict() for f in result.sorted()],
        },
        indent=2,
        ensure_ascii=False,
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    """A GitHub Actions workflow command that shows the finding on the pull request's diff."""
    props = []
    if f.file:
        props.append(f"file={_escape_property(f.file)}")
    if f.line:
        props.append(f"line={f.line}")
        if f.column:
            props.append(f"col={f.column}")
    props.append(f"title={_escape_property(f.path or f.code or 'persona check')}")
    message = f.message + (f" (hint: {f.hint})" if f.hint else "")
    return f"::{'error' if f.is_error else 'warning'} {','.join(props)}::{_escape_data(message)}"


def markdown_summary(result: CheckResult) -> str:
    """A Markdown table of findings for the job summary page."""
    head = f"### Persona check: {'passed' if result.ok else 'failed'}\n\n{summary_line(result)}\n"
    if not result.findings:
        return head
    rows = ["| | Where | Field | Problem | How to fix |", "|---|---|---|---|---|"]
    for f in result.sorted():
        icon = "❌" if f.is_error else "⚠️"
        rows.append(
            f"| {icon} | `{github_code(f.location)}` | `{github_code(f.path)}` | {github_cell(f.message)} | {github_cell(f.hint)} |"
        )
    return head + "\n" + "\n".join(rows) + "\n"


def github(result: CheckResult) -> str:
    """Annotations on stdout; the Markdown table goes to $GITHUB_STEP_SUMMARY when it is set."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown_summary(result))
    return "\n".join([*(annotation(f) for f in result.sorted()), summary_line(result)])


REPORTERS: dict[str, Callable[[CheckResult], str]] = {
    "text": text,
    "json": as_json,
    "github": github,
}
