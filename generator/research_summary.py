"""What research backs the personas: one row per declared source, for the research page.

Reads only what the manifest declares; columns declared as personal data are counted, never shown.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from generator.catalog import Catalog


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
        spec = source.spec
        columns = spec.get("columns", {}) or {}
        personal = sum(
            1
            for role in columns.values()
            if (role if isinstance(role, str) else role.get("role")) == "personal"
        )
        rows = keys = None
        if source.exists:
            rows, keys = _count(catalog, source.file, spec)
        cited = [p.id for p in catalog.personas if source.id in p.evidence.get("sources", [])]
        out.append(
            ResearchRow(
                source.id,
                source.kind,
                str(spec.get("title", source.id)),
                source.file,
                source.collected,
                bool(spec.get("example", False)),
                rows,
                keys,
                personal,
                cited,
            )
        )
    return out


def _count(catalog: Catalog, file: str, spec: dict) -> tuple[int | None, int | None]:
    """Data rows and distinct join keys of a CSV; (None, None) when it cannot be read."""
    path = catalog.repo.research_dir / file
    key = spec.get("key")
    try:
        with path.open(encoding=spec.get("encoding", "utf-8-sig"), newline="") as handle:
            reader = csv.reader(handle, delimiter=spec.get("delimiter", ","))
            header = next(reader, [])
            index = header.index(key) if key in header else None
            rows, keys = 0, set()
            for record in reader:
                if not record:
                    continue
                rows += 1
                if index is not None and index < len(record):
                    keys.add(record[index])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None, None
    return rows, (len(keys) if index is not None else None)
