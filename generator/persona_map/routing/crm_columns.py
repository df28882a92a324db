"""CRM columns: which column of a contacts export holds the title, seniority, size and so on.

HubSpot- and Salesforce-style headers are recognised; anything else is named with `--map` or a mapping
file. Employee counts become the persona size bands.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from persona_map.errors import ClassifyError
from persona_map.routing.rules import SIZE_BANDS

CANONICAL = ("title", "seniority", "department", "company_size", "industry")
# Header names (lower case, letters and digits only) recognised without a mapping, best first:
# HubSpot (`Job Title`, `Number of Employees`, `Job function`), Salesforce (`Title`, `NumberOfEmployees`,
# `Seniority__c`) and the canonical names themselves.
ALIASES = {
    "title": ("jobtitle", "title", "position", "jobposition", "jobtitlec"),
    "seniority": ("seniority", "seniorityc", "senioritylevel", "jobseniority", "hsseniority", "level"),
    "department": ("department", "jobfunction", "function", "departmentc", "hsjobfunction", "team"),
    "company_size": (
        "companysize",
        "numberofemployees",
        "employees",
        "employeecount",
        "companysizec",
        "numberofemployeesc",
        "accountnumberofemployees",
        "companyemployees",
        "size",
    ),
    "industry": ("industry", "accountindustry", "industryc", "companyindustry"),
}
_THOUSANDS = re.compile(r"\d{1,3}(?:[,.'\u00a0\u202f ]\d{3})+")  # 1,200 / 1.200 / 1 200
_COUNT = re.compile(r"\d+(?:\.0+)?")  # Salesforce exports numbers as 250.0


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file: YAML or JSON, `canonical name: input column` per line."""
    from persona_map.yaml_load import load

    doc, findings = load(path, str(path))
    if doc is None:
        f = findings[0]
        raise ClassifyError(f"{f.location}: {f.message} ({f.hint})")
    data = doc.data
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ClassifyError(f"{path}: write one `canonical name: column` per line, e.g. `title: Job Title`")
    unknown = sorted(set(data) - set(CANONICAL))
    if unknown:
        line, column = doc.position((unknown[0],), key=True)
        raise ClassifyError(
            f"{path}:{line}:{column}: {unknown[0]!r} is not a contact field (use {', '.join(CANONICAL)})"
        )
    return data


def resolve_columns(header: list[str], explicit: dict[str, str], shown: str) -> dict[str, int]:
    """Which input column feeds each canonical field: the explicit mapping, else a known CRM header."""
    found: dict[str, int] = {}
    for name, column in explicit.items():
        matches = [i for i, h in enumerate(header) if h == column] or [
            i for i, h in enumerate(header) if h.strip().casefold() == column.strip().casefold()
        ]
        if not matches:
            raise ClassifyError(
                f"{shown}: no column {column!r} for {name} (columns found: {_listing(header)})"
            )
        found[name] = matches[0]
    keys = [_key(h) for h in header]
    for name in CANONICAL:
        if name not in found:
            hit = next((keys.index(alias) for alias in ALIASES[name] if alias in keys), None)
            if hit is not None:
                found[name] = hit
    if "title" not in found:
        raise ClassifyError(
            f"{shown}: no job title column (columns found: {_listing(header)}); "
            "name it with --map title=COLUMN"
        )
    return found


def model_columns(header: list[str], model: dict[str, Any] | None, taken: set[int]) -> dict[str, int]:
    """Input columns named like a column of the research model (e.g. `region`), which it can then use."""
    wanted = list((model or {}).get("model", {}).get("columns", {}))
    keys = {_key(h): i for i, h in reversed(list(enumerate(header)))}
    found = {name: keys[_key(name)] for name in wanted if name not in CANONICAL and _key(name) in keys}
    return {name: i for name, i in found.items() if i not in taken}


def _listing(header: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(h) for h in header[:limit])
    return shown + (f" and {len(header) - limit} more" if len(header) > limit else "")


def size_band(value: str) -> str:
    """An employee count ('250', '1,200', '250.0') as its size band; anything else (ranges, text) as is."""
    text = value.strip()
    if _THOUSANDS.fullmatch(text):
        count = int(re.sub(r"\D", "", text))
    elif _COUNT.fullmatch(text):
        count = int(text.split(".")[0])
    else:
        return value  # ranges such as '51-200' or '10,001+' are read by classify() itself
    return next(band for band, _, top in SIZE_BANDS if count <= top)  # the last band has no top


def canonical_frame(table: pa.Table, columns: dict[str, int], sizes: dict[str, str]) -> pd.DataFrame:
    """The canonical columns `classify()` reads, company sizes as bands."""
    frame = {}
    for name, index in columns.items():
        column = table.column(index).combine_chunks()
        if name == "company_size":
            encoded = column.dictionary_encode()
            values = encoded.dictionary.to_pylist()
            if len(sizes) > 100_000:  # free text in the size column: keep the cache small
                sizes.clear()
            bands = pa.array(
                [sizes[v] if v in sizes else sizes.setdefault(v, size_band(v)) for v in values], pa.string()
            )
            column = bands.take(encoded.indices)
        frame[name] = column.to_pandas()
    return pd.DataFrame(frame)
