"""Quotes cite respondents the research holds: a quote whose respondent id is not in its source is made up,
copied from elsewhere, or cites the wrong source.

Only sources that quotes cite are read, streamed (csv_files, or Parquet a batch at a time), and only their
key column is kept.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from persona_map.csv_files import detect, records
from persona_map.data_paths import JsonPath, get
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest
from persona_map.yaml_load import Document

CITING = (("spec", "quotes"), ("spec", "evidence", "quote_candidates"))


def citation_findings(repo: Repository, manifest: Manifest, docs: Iterable[Document]) -> list[Finding]:
    """A finding for every quote whose respondent its source does not contain."""
    cited: list[tuple[Document, JsonPath, str, str]] = []
    for doc in docs:
        for base in CITING:
            items = get(doc.data, *base)
            for index, quote in enumerate(items if isinstance(items, list) else []):
                if isinstance(quote, dict) and isinstance(quote.get("respondent"), str):
                    cited.append(
                        (doc, (*base, index, "respondent"), str(quote.get("source")), quote["respondent"])
                    )
    keys = {sid: _keys(repo, manifest, sid) for sid in {source for _, _, source, _ in cited}}
    findings = []
    for doc, path, source, respondent in cited:
        known = keys.get(source)
        if known is not None and respondent not in known:
            findings.append(
                doc.finding(
                    path,
                    f"respondent '{respondent}' is not in research source '{source}'",
                    f"cite the respondent id exactly as research/{manifest.sources[source].file} has it, or the "
                    "source the quote comes from",
                    "evidence.unknown-respondent",
                )
            )
    return findings


def _keys(repo: Repository, manifest: Manifest, source_id: str) -> set[str] | None:
    """The source's key values; None when it cannot be told (no such source, no key, unreadable file)."""
    source = manifest.sources.get(source_id)
    if source is None or not source.exists or not source.key:
        return None
    path = repo.research_dir / source.file
    if source.parquet:
        return _parquet_keys(path, source.key)
    fmt, _ = detect(
        path, source.file, delimiter=source.delimiter, encoding=source.encoding, columns=source.columns
    )
    header = [h.strip() for h in fmt.header] if fmt else []
    if fmt is None or source.key not in header:
        return None
    index = header.index(source.key)
    found: set[str] = set()
    try:
        for line, record in records(path, fmt):
            if line > 1 and index < len(record):
                found.add(record[index].strip())
    except (OSError, UnicodeError, csv.Error):
        return None
    return found


def _parquet_keys(path: Path, key: str) -> set[str] | None:
    """A Parquet source's key values, read column by column (pyarrow only when a quote cites Parquet)."""
    from persona_map.research.read_parquet import parquet_header, text_batches

    if key not in (parquet_header(path) or []):
        return None
    try:
        return {
            value.strip()
            for _, cells in text_batches(path, [key])
            for value in cells[key]
            if value is not None
        }
    except (OSError, ValueError):  # pyarrow's errors are ValueErrors (ArrowInvalid) or OSErrors
        return None
