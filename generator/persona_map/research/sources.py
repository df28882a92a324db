"""Research sources read as typed tables, validated against the manifest, every problem a finding.

Clean files take a fast path (persona_map.research.read_arrow: pyarrow's multi-threaded CSV reader with the
column types the manifest declares). A file with any problem is read again row by row
(persona_map.research.read_rows), so that every problem is reported with its exact line and column. Columns
declared as personal data are never kept: Arrow skips them, the slow path drops them as it reads, and
so they never reach a table, a report or a page.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from persona_map.findings import Finding, Severity
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest
from persona_map.research.read_arrow import fast_read
from persona_map.research.read_rows import slow_read
from persona_map.research.tables import SourceSpec


@dataclass
class Research:
    """Typed tables of every readable source (personal columns dropped), keyed by source id."""

    specs: dict[str, SourceSpec] = field(default_factory=dict)
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
        spec = SourceSpec.from_source(source)
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


def read_source(path: Path, spec: SourceSpec, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    """One CSV as a typed DataFrame, or the findings that say why not."""
    with path.open("rb") as handle:
        start = handle.read(1 << 16)
    if _utf8_candidate(start, spec):
        head = start.decode("utf-8", errors="replace").removeprefix("\ufeff")
        if head.strip():
            delimiter = spec.delimiter or _sniff(head, spec)
            raw_header = _first_record(head, delimiter)
            if not _header_findings([h.strip() for h in raw_header], spec, shown):
                frame = fast_read(path, spec, delimiter, raw_header)
                if frame is not None:
                    return frame, []
    raw = path.read_bytes()
    # Something is off (or the file is not UTF-8): read it row by row to say exactly what and where.
    text, encoding, findings = _decode(raw, spec, shown)
    if text is None:
        return None, findings
    text = text.removeprefix("\ufeff")  # a BOM left by a declared encoding (Excel's "CSV UTF-8")
    if not text.strip():
        return None, findings + [
            Finding(
                shown,
                1,
                0,
                "",
                "research file is empty",
                "export the data again with a header row",
                "research.empty",
            )
        ]
    delimiter = spec.delimiter or _sniff(text, spec)
    raw_header = _first_record(text, delimiter)
    header = [h.strip() for h in raw_header]
    findings += _header_findings(header, spec, shown)
    if any(f.is_error for f in findings):
        return None, findings
    frame, problems = slow_read(text, spec, delimiter, header, shown)
    return frame, findings + problems


def _utf8_candidate(start: bytes, spec: SourceSpec) -> bool:
    """Whether the file, judged by its first bytes, may be read by the fast path (UTF-8, declared or not)."""
    if spec.encoding not in (None, "utf-8", "utf-8-sig"):
        return False
    return not start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _decode(raw: bytes, spec: SourceSpec, shown: str) -> tuple[str | None, str, list[Finding]]:
    if spec.encoding:
        try:
            return raw.decode(spec.encoding), spec.encoding, []
        except UnicodeDecodeError as e:
            line = raw[: e.start].decode(spec.encoding, errors="replace").count("\n") + 1
            return (
                None,
                spec.encoding,
                [
                    Finding(
                        shown,
                        line,
                        0,
                        "",
                        f"not valid {spec.encoding} (byte 0x{raw[e.start]:02x})",
                        "fix `encoding:` for this source in research/manifest.yaml",
                        "research.encoding",
                    )
                ],
            )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read as below
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[3:] if bom else raw
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8", []
    except UnicodeDecodeError as e:
        warning = Finding(
            shown,
            body[: e.start].count(b"\n") + 1,
            0,
            "",
            f"file is not UTF-8 (byte 0x{body[e.start]:02x}); read as Latin-1 (Windows-1252)",
            "declare `encoding: latin-1` (or the right one) for this source in research/manifest.yaml",
            "research.encoding",
            Severity.WARNING,
        )
        return body.decode("cp1252", errors="replace"), "cp1252", [warning]


def _sniff(text: str, spec: SourceSpec) -> str:
    """The delimiter that splits the header into the declared columns; ',' when none does better."""
    best, score = ",", -1
    for candidate in (",", ";", "\t", "|"):
        names = [n.strip() for n in _first_record(text, candidate)]
        hits = len(set(names) & set(spec.columns))
        if hits > score:
            best, score = candidate, hits
    return best


def _first_record(text: str, delimiter: str) -> list[str]:
    """The header row, quoted newlines and any line ending (\\n, \\r\\n, \\r) allowed; [] when unreadable.

    Reads only as much of the text as the header needs (a second record has begun, or the text ends).
    """
    size = 1 << 16
    while True:
        try:
            records = csv.reader(io.StringIO(text[:size], newline=""), delimiter=delimiter)
            first = next(records, [])
            if size >= len(text) or next(records, None) is not None:
                return first
        except csv.Error:
            if size >= len(text):
                return []
        size *= 4


def _header_findings(header: list[str], spec: SourceSpec, shown: str) -> list[Finding]:
    findings = []
    names = [h.strip() for h in header]
    for index, name in enumerate(names, start=1):
        if name not in spec.columns:
            # binary junk read as a header must not flood the terminal with control characters
            label = name
            if not name.isprintable() or len(name) > 60:
                label = repr(name[:60])[1:-1] + ("..." if len(name) > 60 else "")
            findings.append(
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
    for name in spec.columns:
        if name not in names:
            findings.append(
                Finding(
                    shown,
                    1,
                    0,
                    name,
                    f"column '{name}' is declared in the manifest but missing from the file",
                    "export the column, or remove it from the manifest",
                    "research.missing-column",
                )
            )
    for index, name in enumerate(names, start=1):
        if name in names[: index - 1]:
            findings.append(
                Finding(
                    shown,
                    1,
                    index,
                    name,
                    f"column '{name}' appears more than once in the header (first as column "
                    f"{names.index(name) + 1})",
                    "give every column its own name",
                    "research.duplicate-column",
                )
            )
    return findings


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
