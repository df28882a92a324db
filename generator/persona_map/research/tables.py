"""What the manifest says about one research source: its columns, their roles, and the typed table they make."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from persona_map.research.manifest import Source

NUMERIC_ROLES = ("numeric", "likert")


@dataclass(frozen=True)
class ColumnSpec:
    """How one research column is read and used."""

    name: str
    role: str
    separator: str = ";"
    scale: tuple[int, int] | None = None
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """One research source as the manifest declares it."""

    id: str
    kind: str
    file: str
    collected: str
    key: str | None
    delimiter: str | None
    encoding: str | None
    columns: dict[str, ColumnSpec]

    @classmethod
    def from_source(cls, source: Source) -> SourceSpec:
        spec = source.spec
        columns = {}
        for name, raw in (spec.get("columns") or {}).items():
            if isinstance(raw, str):
                columns[name] = ColumnSpec(name, raw)
            else:
                scale = tuple(raw["scale"]) if raw.get("scale") else None
                columns[name] = ColumnSpec(
                    name,
                    raw["role"],
                    raw.get("separator", ";"),
                    scale,
                    tuple(str(x) for x in raw.get("levels", ())),
                )
        return cls(
            source.id,
            source.kind,
            source.file,
            source.collected,
            spec.get("key"),
            spec.get("delimiter"),
            spec.get("encoding"),
            columns,
        )

    def roles(self, *roles: str) -> list[str]:
        return [c.name for c in self.columns.values() if c.role in roles]


def wanted_columns(spec: SourceSpec, header: list[str]) -> list[str]:
    """The columns of `header` that are read: everything but personal and ignored columns."""
    return [h for h in header if h in spec.columns and spec.columns[h].role not in ("personal", "ignored")]


def finish_frame(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Final dtypes by role: categories for categoricals and multi-selects, ordered categories for ordinals."""
    for name in frame.columns:
        column = spec.columns[name]
        values = frame[name]
        if column.role in ("categorical", "multi-select"):
            if not isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype("string").astype("category")
            frame[name] = values.cat.rename_categories([str(c) for c in values.cat.categories])
        elif column.role == "ordinal":
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.cat.rename_categories([str(c) for c in values.cat.categories])
            else:
                values = values.astype("string").astype("category")
            levels = list(column.levels) or sorted(str(c) for c in values.cat.categories)
            frame[name] = values.cat.set_categories(levels, ordered=True)
        elif column.role in ("key", "text"):
            if not isinstance(values.dtype, pd.StringDtype):
                frame[name] = values.astype("string")
        elif column.role == "date" and not pd.api.types.is_datetime64_any_dtype(values):
            frame[name] = pd.to_datetime(values)
    return frame
