"""The personal-data guard: e-mail addresses and phone numbers outside columns declared as personal data.

Research CSVs are streamed with the `csv` module (no pandas: `personas check` stays light). Each row's
scanned cells are searched once, joined; only a hit looks at the cells one by one.
Findings show masked values only, since they end up in CI logs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from persona_map.csv_files import CsvFormat, detect, records
from persona_map.data_paths import JsonPath
from persona_map.findings import Finding
from persona_map.personal_data import A_NOUN, NOUN, found, suspect
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest, Source
from persona_map.yaml_load import Document

_JOIN = "\x00"  # matches no pattern character, so no match spans two cells
MAX_PER_COLUMN = 3  # findings per (file, column, kind) before one summary finding

RESEARCH_HINT = (
    "declare the column as personal in research/manifest.yaml (it is then never copied into personas, "
    "reports or the website), or remove the personal data"
)


def scan_research(repo: Repository, manifest: Manifest) -> list[Finding]:
    """E-mail addresses and phone numbers in research columns not declared as personal data."""
    findings: list[Finding] = []
    for source in manifest.sources.values():
        if source.exists:
            findings += _scan_parquet(repo, source) if source.parquet else _scan_source(repo, source)
    return findings


def _scan_parquet(repo: Repository, source: Source) -> list[Finding]:
    """The same scan for a Parquet source: every cell of every column not declared personal, and the names."""
    from persona_map.research.read_parquet import parquet_header, text_batches  # pyarrow only for Parquet

    path = repo.research_dir / source.file
    shown = repo.display(path)
    names = parquet_header(path)
    if names is None:
        return [Finding(shown, 0, 0, "", "cannot scan for personal data: not a Parquet file (or folder)",
                        "export the data as Parquet, or as CSV", "privacy.unreadable")]  # fmt: skip
    cells = _Cells(shown, names, 1)
    scanned = [n for n in names if n not in source.personal]
    position = {name: index for index, name in enumerate(names)}
    for first, columns in text_batches(path, scanned):
        for name, values in columns.items():
            for offset, cell in enumerate(values):
                if cell:
                    cells.add(first + offset, first + offset, position[name], cell)
    return cells.finish()


class _Cells:
    """Findings for the cells of one research file: at most MAX_PER_COLUMN per column and kind, then one that
    counts the rest (at the first row it leaves out). Column names are scanned too: they are published."""

    def __init__(self, shown: str, names: list[str], line: int) -> None:
        self.shown, self.names = shown, names
        self.counts: dict[tuple[int, str], int] = {}
        self.first_omitted: dict[tuple[int, str], int] = {}
        self.findings = [
            Finding(shown, line, index + 1, "", f"{NOUN[kind]} ({masked}) in a column name",
                    "rename the column (in the file and the manifest): column names are published", f"privacy.{kind}")
            for index, name in enumerate(names) for kind, masked in found(name)
        ]  # fmt: skip

    def add(self, line: int, row: int, index: int, cell: str) -> None:
        """Scan one cell (`row` as a spreadsheet counts it, header = 1)."""
        if not suspect(cell):
            return
        for kind, masked in found(cell):
            key = (index, kind)
            self.counts[key] = self.counts.get(key, 0) + 1
            if self.counts[key] > MAX_PER_COLUMN:
                self.first_omitted.setdefault(key, line)
                continue
            message = (
                f"{NOUN[kind]} ({masked}) in column '{self._name(index)}' (row {row}), "
                "which is not declared as personal data"
            )
            self.findings.append(self._finding(line, index, kind, message))

    def finish(self) -> list[Finding]:
        for (index, kind), line in self.first_omitted.items():
            more = self.counts[(index, kind)] - MAX_PER_COLUMN
            message = f"... and {more} more row{'s' if more != 1 else ''} with {A_NOUN[kind]} in this column"
            self.findings.append(self._finding(line, index, kind, message))
        return self.findings

    def _name(self, index: int) -> str:
        return self.names[index] if index < len(self.names) else f"column {index + 1}"

    def _finding(self, line: int, index: int, kind: str, message: str) -> Finding:
        return Finding(
            self.shown, line, index + 1, self._name(index), message, RESEARCH_HINT, f"privacy.{kind}"
        )


def _records(
    path: Path, fmt: CsvFormat, shown: str, problems: list[Finding]
) -> Iterator[tuple[int, list[str]]]:
    """The file's records; where one cannot be read the scan stops, and `problems` says the rest went unscanned."""
    try:
        yield from records(path, fmt)
    except csv.Error as e:
        line = e.args[1] if len(e.args) > 1 else 0
        problems.append(_unreadable(Finding(shown, line, 0, "", f"cannot read the CSV here: {e.args[0]}",
                                            "fix the record on this line; the rest of the file was not scanned",
                                            "research.csv")))  # fmt: skip
    except (OSError, UnicodeError) as e:
        problems.append(_unreadable(Finding(shown, 0, 0, "", f"cannot read the file: {e}",
                                            "check the file and its declared `encoding:`", "research.file")))  # fmt: skip


def _unreadable(finding: Finding) -> Finding:
    """A file the guard cannot read may hold anything: say so as a privacy finding too."""
    return replace(
        finding, message=f"cannot scan for personal data: {finding.message}", code="privacy.unreadable"
    )


def _scan_source(repo: Repository, source: Source) -> list[Finding]:
    """Findings for one research file; `row` in messages counts records as a spreadsheet does (header = 1).

    The file is read exactly as the research loader reads it (csv_files.detect): a file it cannot decode is
    a finding here too, never skipped.
    """
    path = repo.research_dir / source.file
    shown = repo.display(path)
    fmt, problems = detect(
        path, shown, delimiter=source.delimiter, encoding=source.encoding, columns=source.columns
    )
    if fmt is None:
        return [_unreadable(f) for f in problems if f.is_error]
    cells: _Cells | None = None
    unread: list[Finding] = []  # a record that cannot be read: the rest of the file went unscanned
    personal: list[int] = []
    for row, (line, record) in enumerate(_records(path, fmt, shown, unread), start=1):
        if cells is None:
            names = [name.strip() for name in record]
            cells = _Cells(shown, names, line)
            personal = [i for i, name in enumerate(names) if name in source.personal]
            continue
        for i in personal:
            if i < len(record):
                record[i] = ""
        if not suspect(_JOIN.join(record)):
            continue
        for index, cell in enumerate(record):
            if cell:
                cells.add(line, row, index, cell)
    return (cells.finish() if cells else []) + unread


def scan_persona(doc: Document) -> list[Finding]:
    """E-mail addresses and phone numbers anywhere in a persona: quotes, quote candidates, every other text."""
    findings: list[Finding] = []
    for path, value in _strings(doc.data, ()):
        for kind, masked in found(value):
            findings.append(_persona_finding(doc, path, kind, masked))
    return findings


def _persona_finding(doc: Document, path: JsonPath, kind: str, masked: str) -> Finding:
    if "quotes" in path or "quote_candidates" in path:
        where = "a quote's respondent" if path[-1] == "respondent" else "a quote"
        return doc.finding(
            path,
            f"{NOUN[kind]} ({masked}) in {where}",
            f"quotes must never identify a participant: remove the {NOUN[kind]}",
            f"privacy.quote-{kind}",
        )
    return doc.finding(
        path,
        f"{NOUN[kind]} ({masked}) in a persona",
        f"a persona is published to everyone: remove the {NOUN[kind]} (personas stand for segments, not people)",
        f"privacy.persona-{kind}",
    )


def scan_manifest(manifest: Manifest) -> list[Finding]:
    """E-mail addresses and phone numbers in what the manifest publishes: titles, column names, descriptions."""
    doc = manifest.document
    if doc is None or not isinstance(doc.data, dict):
        return []
    findings = []
    for path, value in _strings(doc.data.get("sources"), ("sources",)):
        if path[-1] not in ("title", "description") and path[-2:-1] != ("columns",):
            continue
        for kind, masked in found(value):
            findings.append(
                doc.finding(
                    path,
                    f"{NOUN[kind]} ({masked}) in the research manifest, which the Research page shows",
                    f"remove the {NOUN[kind]} from the manifest",
                    f"privacy.manifest-{kind}",
                )
            )
    entries = doc.data.get("sources")
    for index, entry in enumerate(
        entries if isinstance(entries, list) else []
    ):  # not a list: load_manifest says so
        columns = entry.get("columns") if isinstance(entry, dict) else None
        for name in columns if isinstance(columns, dict) else {}:
            for kind, masked in found(str(name)):
                findings.append(
                    doc.finding(
                        ("sources", index, "columns", name),
                        f"{NOUN[kind]} ({masked}) in a column name, which the Research page shows",
                        "rename the column in the file and the manifest",
                        f"privacy.manifest-{kind}",
                        key=True,
                    )
                )
    return findings


def _strings(data: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """(path, text) of every string value in JSON-shaped data."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))
