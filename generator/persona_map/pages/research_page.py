"""What research backs the personas: one row per declared source, for the research page.

Reads only what the manifest declares; columns declared as personal data are counted, never shown.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from persona_map.check.catalog import Catalog
from persona_map.csv_files import detect, records
from persona_map.pages.research_summary import Summary, summarise
from persona_map.research.manifest import Source
from persona_map.research.matching import suggest
from persona_map.research.results import is_current, load_saved


@dataclass(frozen=True)
class ResearchRow:
    id: str
    kind: str
    title: str
    file: str
    collected: str
    example: bool
    rows: int | None
    keys: int | None
    personal_columns: int
    cited_by: list[str] = field(default_factory=list)


def research_rows(catalog: Catalog) -> list[ResearchRow]:
    """One row per research source, with its size and the personas that cite it."""
    out = []
    for source in catalog.manifest.sources.values():
        rows, keys = _count(catalog, source) if source.exists else (None, None)
        cited = [p.id for p in catalog.personas if source.id in p.evidence.get("sources", [])]
        out.append(
            ResearchRow(
                source.id,
                source.kind,
                source.title or source.id,
                source.file,
                source.collected,
                source.example,
                rows,
                keys,
                len(source.personal),
                cited,
            )
        )
    return out


def _count(catalog: Catalog, source: Source) -> tuple[int | None, int | None]:
    """Data rows and distinct join keys of a research file (read as the loader reads it); None when unreadable."""
    path = catalog.repo.research_dir / source.file
    if source.parquet:
        return _count_parquet(path, source)
    fmt, _ = detect(
        path, source.file, delimiter=source.delimiter, encoding=source.encoding, columns=source.columns
    )
    if fmt is None:
        return None, None
    header = [h.strip() for h in fmt.header]
    index = header.index(source.key) if source.key in header else None
    rows, keys = 0, set()
    try:
        for line, record in records(path, fmt):
            if line == 1:
                continue
            rows += 1
            if index is not None and index < len(record):
                keys.add(record[index])
    except (OSError, UnicodeError, csv.Error):
        return None, None
    return rows, (len(keys) if index is not None else None)


def _count_parquet(path: Path, source: Source) -> tuple[int | None, int | None]:
    # Only for Parquet sources: the reader brings pandas and numpy, which a site of CSV research never needs.
    from persona_map.research.read_parquet import parquet_header, parquet_rows, text_batches

    names = parquet_header(path)
    if names is None:
        return None, None
    if source.key not in names:
        return parquet_rows(path), None
    rows, keys = 0, set()
    for _, cells in text_batches(path, [source.key]):
        keys.update(cells[source.key])
        rows += len(cells[source.key])
    return rows, len(keys)


@dataclass(frozen=True)
class SegmentationView:
    """The latest saved segmentation as the research page shows it."""

    data: dict[str, Any]
    current: bool  # made from the research as it is now
    backs: dict[str, str]  # segment id -> persona id
    coverage: float | None


def segmentation_view(catalog: Catalog) -> SegmentationView | None:
    """The saved segmentation with the persona each segment backs; None when there is none."""
    saved = load_saved(catalog.repo.root)
    if saved is None:
        return None
    current = is_current(catalog.repo, catalog.manifest, saved)
    try:
        suggestions = suggest(catalog.personas, saved)
    except (KeyError, TypeError, ValueError, AttributeError):
        # results of another version: show what they hold, without the persona each segment backs
        return SegmentationView(saved, current, {}, None)
    backs = {r.match.segment: r.persona.id for r in suggestions.reports if r.match}
    return SegmentationView(saved, current, backs, suggestions.coverage)


@dataclass(frozen=True)
class ResearchView:
    """Everything the research page shows: the sources and, when there is one, the latest segmentation."""

    rows: list[ResearchRow]
    summary: Summary | None  # None without a segmentation


def research_view(catalog: Catalog) -> ResearchView:
    view = segmentation_view(catalog)
    names = {p.id: p.name for p in catalog.personas}
    summary = summarise(view.data, view.current, view.backs, view.coverage, names) if view else None
    return ResearchView(research_rows(catalog), summary)
