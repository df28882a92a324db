"""Research sources read as typed tables, validated against the manifest, every problem a finding.

Clean files take a fast path (persona_map.research.read_arrow: pyarrow's multi-threaded CSV reader with the
column types the manifest declares). A file with any problem is read again row by row
(persona_map.research.read_rows), so that every problem is reported with its exact line and column. Columns
declared as personal data are never kept: Arrow skips them, the slow path drops them as it reads, and
so they never reach a table, a report or a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from persona_map.csv_files import detect
from persona_map.findings import Finding, Severity
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest, Source
from persona_map.research.read_arrow import fast_read, keyed_rows_only
from persona_map.research.read_parquet import parquet_header, read_parquet
from persona_map.research.read_rows import slow_read


@dataclass
class Research:
    """Typed tables of every readable source (personal columns dropped), keyed by source id."""

    specs: dict[str, Source] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def by_kind(self, kind: str) -> list[str]:
        return [sid for sid, spec in self.specs.items() if spec.kind == kind and sid in self.frames]


def load_research(
    repo: Repository, manifest: Manifest, ids: Iterable[str] | None = None
) -> tuple[Research, list[Finding]]:
    """Read and validate every declared source (or only `ids`)."""
    research, findings = Research(), []
    for sid in ids if ids is not None else manifest.sources:
        source = manifest.sources[sid]
        spec = source
        research.specs[sid] = spec
        path = repo.research_dir / spec.file
        if not source.exists:
            continue  # the manifest check already reported it
        frame, problems = read_source(path, spec, repo.display(path))
        findings += problems
        if frame is not None and not any(p.is_error for p in problems):
            research.frames[sid] = frame
    findings += _join_findings(research, repo)
    return research, findings


def read_source(path: Path, spec: Source, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    """One source (CSV, or Parquet file or folder) as a typed DataFrame, or the findings that say why not."""
    if spec.parquet:
        frame, findings = _read_parquet(path, spec, shown)
    else:
        frame, findings = _read_csv(path, spec, shown)
    if frame is not None and spec.key in frame and not keyed_rows_only(spec, spec.key):
        unkeyed = int(frame[spec.key].isna().sum())
        if unkeyed:
            findings.append(
                Finding(shown, 0, 0, spec.key, f"{unkeyed:,} of {len(frame):,} rows have no {spec.key}: they are left out",
                        f"export {spec.key} for every row if those rows should count", "research.no-key",
                        Severity.WARNING)
            )  # fmt: skip
    return frame, findings


def _read_parquet(path: Path, spec: Source, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    header = parquet_header(path)
    if header is None:
        return None, [Finding(shown, 0, 0, "", "not a Parquet file (or folder of Parquet files)",
                              "export the data as Parquet, or as CSV and name it .csv", "research.parquet")]  # fmt: skip
    findings = _header_findings(header, spec, shown)
    if any(f.is_error for f in findings):
        return None, findings
    frame, problems = read_parquet(path, spec, shown, header)
    return frame, findings + problems


def _read_csv(path: Path, spec: Source, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    fmt, findings = detect(
        path, shown, delimiter=spec.delimiter, encoding=spec.encoding, columns=spec.columns
    )
    if fmt is None:
        return None, findings
    header = [h.strip() for h in fmt.header]
    findings += _header_findings(header, spec, shown)
    if any(f.is_error for f in findings):
        return None, findings
    frame = fast_read(path, spec, fmt, list(fmt.header)) if fmt.ascii_compatible else None
    if frame is None:
        # Something is off (or the encoding is not ASCII-compatible): read row by row to say what and where.
        # When the Arrow reader refused an ASCII-compatible file there is almost surely a problem: find it
        # holding one chunk at a time, and keep the rows only if the file turns out clean after all.
        frame, problems = slow_read(path, fmt, spec, header, shown, keep=not fmt.ascii_compatible)
        if frame is None and fmt.ascii_compatible and not any(p.is_error for p in problems):
            frame, problems = slow_read(path, fmt, spec, header, shown)
        findings += problems
    return frame, findings


def _header_findings(header: list[str], spec: Source, shown: str) -> list[Finding]:
    """Undeclared, missing and repeated columns (linear in the header's length)."""
    unknown, repeated = [], []
    first: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if name not in spec.file_columns:
            # binary junk read as a header must not flood the terminal with control characters
            label = name
            if not name.isprintable() or len(name) > 60:
                label = repr(name[:60])[1:-1] + ("..." if len(name) > 60 else "")
            unknown.append(
                Finding(
                    shown,
                    1,
                    index,
                    label,
                    f"column '{label}' is not declared in research/manifest.yaml",
                    f"declare its role under sources[{spec.id}].columns (use `ignored` to skip it, "
                    "`personal` for names, e-mails and phone numbers)",
                    "research.unknown-column",
                )
            )
        if name in first:
            repeated.append(
                Finding(
                    shown,
                    1,
                    index,
                    name,
                    f"column '{name}' appears more than once in the header (first as column {first[name]})",
                    "give every column its own name",
                    "research.duplicate-column",
                )
            )
        else:
            first[name] = index
    missing = [
        Finding(
            shown,
            1,
            0,
            name,
            f"column '{name}' is declared in the manifest but missing from the file",
            "export the column, or remove it from the manifest",
            "research.missing-column",
        )
        for name in spec.file_columns
        if name not in first
    ]
    return unknown + missing + repeated


def _join_findings(research: Research, repo: Repository) -> list[Finding]:
    """Sources with a key must share respondents with the others; a key that joins nothing is an error."""
    findings = []
    keyed = {sid: research.specs[sid].key for sid in research.frames if research.specs[sid].key}
    if len(keyed) < 2:
        return []
    keys = {
        sid: set(research.frames[sid][key].dropna().unique())
        for sid, key in keyed.items()
        if key in research.frames[sid]
    }
    for sid, values in keys.items():
        others = set().union(*(v for other, v in keys.items() if other != sid))
        if values and not values & others:
            spec = research.specs[sid]
            findings.append(
                Finding(
                    repo.display(repo.research_dir / spec.file),
                    1,
                    0,
                    spec.key or "",
                    f"no {spec.key} in {sid} matches any other source",
                    "use the same respondent/account ids in every source (check the key column and its format)",
                    "research.key-joins-nothing",
                )
            )
    return findings
