"""Research sources read as typed tables, validated against the manifest, every problem a finding.

Clean files take a fast path (persona_map.research.read_arrow: pyarrow's multi-threaded CSV reader with the
column types the manifest declares). A file with any problem is read again row by row
(persona_map.research.read_rows), so that every problem is reported with its exact line and column. Columns
declared as personal data are never kept: Arrow skips them, the slow path drops them as it reads, and
so they never reach a table, a report or a page.

Analytics sources (one row per event) are not kept as tables: their rows are aggregated per key as they are
read (research.events), so memory holds one chunk of events and the features per key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from persona_map.csv_files import CsvFormat, detect
from persona_map.findings import Finding, Severity
from persona_map.repository import Repository
from persona_map.research.aggregate import Aggregated, aggregate
from persona_map.research.events import CHUNK_ROWS, Events
from persona_map.research.manifest import Manifest, Source
from persona_map.research.read_arrow import fast_read, keyed_rows_only, stream_into
from persona_map.research.read_parquet import parquet_header, read_parquet, stream_parquet
from persona_map.research.read_rows import slow_read
from persona_map.research.tables import wanted_columns


@dataclass
class Research:
    """Every readable source, keyed by source id: typed tables (personal columns dropped), and for analytics
    sources their features per key."""

    specs: dict[str, Source] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    aggregated: dict[str, Aggregated] = field(default_factory=dict)  # analytics, aggregated as read

    def by_kind(self, kind: str) -> list[str]:
        return [
            sid
            for sid, spec in self.specs.items()
            if spec.kind == kind and (sid in self.frames or sid in self.aggregated)
        ]

    def features(self, sid: str) -> Aggregated | None:
        """An analytics source's features per key (None when its rows have no key column); a caller that
        put the source's rows in `frames` has them aggregated here."""
        if sid in self.aggregated:
            found = self.aggregated[sid]
            return found if found.keys is not None else None
        frame, spec = self.frames[sid], self.specs[sid]
        return aggregate(frame, spec) if spec.key and spec.key in frame else None


def load_research(
    repo: Repository, manifest: Manifest, ids: Iterable[str] | None = None, *, check_joins: bool = True
) -> tuple[Research, list[Finding]]:
    """Read and validate every declared source (or only `ids`; whether their keys join is then the caller's
    to check when `check_joins` is False)."""
    research, findings = Research(), []
    for sid in ids if ids is not None else manifest.sources:
        source = manifest.sources[sid]
        spec = source
        research.specs[sid] = spec
        path = repo.research_dir / spec.file
        if not source.exists:
            continue  # the manifest check already reported it
        if spec.kind == "analytics":
            found, problems = aggregate_source(path, spec, repo.display(path))
            if found is not None and not any(p.is_error for p in problems):
                research.aggregated[sid] = found
        else:
            frame, problems = read_source(path, spec, repo.display(path))
            if frame is not None and not any(p.is_error for p in problems):
                research.frames[sid] = frame
        findings += problems
    if check_joins:
        findings += join_findings(research, repo)
    return research, findings


def read_source(path: Path, spec: Source, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    """One source (CSV, or Parquet file or folder) as a typed DataFrame, or the findings that say why not."""
    if spec.parquet:
        frame, findings = _read_parquet(path, spec, shown)
    else:
        frame, findings = _read_csv(path, spec, shown)
    if frame is not None and spec.key in frame:
        findings += unkeyed_findings(spec, shown, int(frame[spec.key].isna().sum()), len(frame))
    return frame, findings


def aggregate_source(
    path: Path, spec: Source, shown: str, chunk_rows: int | None = None
) -> tuple[Aggregated | None, list[Finding]]:
    """An analytics source's features per key, its rows aggregated `chunk_rows` (default CHUNK_ROWS) at a time
    as they are read, or the findings that say why not (the same findings as reading it whole)."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    events: Events | None = None
    if spec.parquet:
        header, findings = _parquet_header(path, spec, shown)
        if header is not None and not any(f.is_error for f in findings):
            events, problems = stream_parquet(
                path, spec, shown, header, lambda s, w: Events(s, w, chunk_rows)
            )
            findings += problems
    else:
        fmt, header, findings = _csv_header(path, spec, shown)
        if fmt is not None and not any(f.is_error for f in findings):
            if fmt.ascii_compatible:
                events = stream_into(path, spec, fmt, list(fmt.header), lambda s, w: Events(s, w, chunk_rows))
            if events is None:  # read row by row to say what is off and where; reduced as read if nothing is
                events = Events(spec, wanted_columns(spec, header), chunk_rows)
                _, problems = slow_read(path, fmt, spec, header, shown, into=events.add_frame)
                findings += problems
    if events is None or any(f.is_error for f in findings) or not events.rows:
        return None, findings
    aggregated = events.finish()
    if spec.key in events.wanted:
        findings += unkeyed_findings(spec, shown, events.unkeyed, events.rows)
    return aggregated, findings


def unkeyed_findings(spec: Source, shown: str, unkeyed: int, rows: int) -> list[Finding]:
    """An export's rows without the join key are left out: say how many."""
    if not unkeyed or keyed_rows_only(spec, spec.key or ""):
        return []
    return [Finding(shown, 0, 0, spec.key or "", f"{unkeyed:,} of {rows:,} rows have no {spec.key}: they are left out",
                    f"export {spec.key} for every row if those rows should count", "research.no-key",
                    Severity.WARNING)]  # fmt: skip


def _read_parquet(path: Path, spec: Source, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    header, findings = _parquet_header(path, spec, shown)
    if header is None or any(f.is_error for f in findings):
        return None, findings
    frame, problems = read_parquet(path, spec, shown, header)
    return frame, findings + problems


def source_header(
    path: Path, spec: Source, shown: str
) -> tuple[CsvFormat | None, list[str] | None, list[Finding]]:
    """A source's format (None for Parquet) and header, with the findings about them (an engine that reads
    the rows its own way checks the header first)."""
    if spec.parquet:
        header, findings = _parquet_header(path, spec, shown)
        return None, header, findings
    fmt, header, findings = _csv_header(path, spec, shown)
    return fmt, header if fmt is not None else None, findings


def _parquet_header(path: Path, spec: Source, shown: str) -> tuple[list[str] | None, list[Finding]]:
    header = parquet_header(path)
    if header is None:
        return None, [Finding(shown, 0, 0, "", "not a Parquet file (or folder of Parquet files)",
                              "export the data as Parquet, or as CSV and name it .csv", "research.parquet")]  # fmt: skip
    return header, _header_findings(header, spec, shown)


def _csv_header(path: Path, spec: Source, shown: str) -> tuple[CsvFormat | None, list[str], list[Finding]]:
    """The file's format and header (names stripped), with the findings about them."""
    fmt, findings = detect(
        path, shown, delimiter=spec.delimiter, encoding=spec.encoding, columns=spec.columns
    )
    if fmt is None:
        return None, [], findings
    header = [h.strip() for h in fmt.header]
    return fmt, header, findings + _header_findings(header, spec, shown)


def _read_csv(path: Path, spec: Source, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    fmt, header, findings = _csv_header(path, spec, shown)
    if fmt is None or any(f.is_error for f in findings):
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
    return (
        _at_most(unknown, "not declared in research/manifest.yaml") + missing + _at_most(repeated, "repeated")
    )


def _at_most(findings: list[Finding], what: str, listed: int = 10) -> list[Finding]:
    """The first `listed` findings about columns, then one that counts the rest (a header of 40,000 columns
    must not print 40,000 findings)."""
    if len(findings) <= listed + 1:
        return findings
    rest = findings[listed:]
    summary = replace(
        rest[0],
        message=f"... and {len(rest):,} more columns {what}, up to '{rest[-1].path}' (column {rest[-1].column})",
    )
    return [*findings[:listed], summary]


def key_sets(research: Research) -> dict[str, pd.Index]:
    """The distinct keys of every keyed source read (an export's every key, its excluded rows' included)."""
    keys = {}
    for sid, spec in research.specs.items():
        if not spec.key:
            continue
        if sid in research.aggregated:
            found = research.aggregated[sid].keys
            if found is not None:
                keys[sid] = pd.Index(found).unique()
        elif sid in research.frames and spec.key in research.frames[sid]:
            keys[sid] = pd.Index(research.frames[sid][spec.key].dropna().unique())
    return keys


def join_findings(
    research: Research, repo: Repository, elsewhere: tuple[Source, dict[str, int]] | None = None
) -> list[Finding]:
    """Sources with a key must share respondents with the others; a key that joins nothing is an error.

    `elsewhere`: a keyed source whose rows are not here (a survey on Dask workers) and how many of its keys
    each source here has too.
    """
    outside, shared = elsewhere if elsewhere is not None else (None, {})
    keyed = [
        sid for sid, spec in research.specs.items()
        if spec.key and (sid in research.frames or sid in research.aggregated)
    ]  # fmt: skip
    if len(keyed) + (outside is not None) < 2:
        return []  # nothing to join: no keys gathered (ten million of them would cost seconds and a gigabyte)
    keys = key_sets(research)
    unjoined = [
        research.specs[sid]
        for sid, values in keys.items()
        if len(values)
        and not shared.get(sid)
        and not any(values.isin(other).any() for o, other in keys.items() if o != sid)
    ]
    if outside is not None and not any(shared.values()):
        unjoined.append(outside)
    return [
        Finding(repo.display(repo.research_dir / spec.file), 1, 0, spec.key or "",
                f"no {spec.key} in {spec.id} matches any other source",
                "use the same respondent/account ids in every source (check the key column and its format)",
                "research.key-joins-nothing")
        for spec in unjoined
    ]  # fmt: skip
