"""The typed table a research source makes: which columns are read and their final dtypes by role."""

from __future__ import annotations

import pandas as pd

from persona_map.research.manifest import Source


def wanted_columns(spec: Source, header: list[str]) -> list[str]:
    """The columns of `header` that are read: everything but personal and ignored columns."""
    return [h for h in header if h in spec.columns and spec.columns[h].role not in ("personal", "ignored")]


def finish_frame(frame: pd.DataFrame, spec: Source) -> pd.DataFrame:
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
