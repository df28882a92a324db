"""Analytics exports (one row per event, order or invoice line) as one row per key, as the manifest declares.

Rows the manifest excludes (cancellations, returns) are dropped first and derived amounts (quantity x unit
price) computed per row. Then every column becomes one or more features per key by its declared `aggregate`:
sum, mean, min, max, count (rows with a value), distinct (different values), first or last (by the source's
`time` column, else file order), recency (days from the key's latest date to the source's `collected` date),
and for categories share (the share of the key's rows with each value). Undeclared numbers are averaged and
every key also gets its number of rows, as before. Rows without a key are left out (the loader counts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from persona_map.research.manifest import Column, Filter, Source

MAX_SHARES = 12  # values of a categorical column that get a share feature; the rest count as "other"


@dataclass
class Aggregated:
    """Features per key, and what each feature is: its label and the column meta reports need."""

    frame: pd.DataFrame
    meta: dict[str, dict[str, object]] = field(default_factory=dict)


def aggregate(rows: pd.DataFrame, source: Source) -> Aggregated:
    """One row per key of an analytics source, with the features its manifest declares."""
    rows = _derived(_filtered(rows, source.exclude), source)
    key = source.key
    rows = rows[rows[key].notna()] if key in rows else rows.iloc[0:0]
    if source.time and source.time in rows:
        rows = rows.sort_values(source.time, kind="stable")
    grouped = rows.groupby(key, observed=True, sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(rows[key].unique()), name=key))
    meta: dict[str, dict[str, object]] = {}
    prefix = f"{source.id}:"
    for name, column in source.columns.items():
        if name == key or name not in rows or column.role in ("key", "text", "ignored", "personal"):
            continue
        how = column.aggregate or _default(name, column, source)
        if not how:
            continue
        for feature, values, kind in _features(grouped, rows, name, column, how, source):
            out[prefix + feature] = values
            meta[prefix + feature] = _meta(column, feature, how, kind, source)
    out[prefix + "rows"] = grouped.size()
    meta[prefix + "rows"] = {"label": "number of rows", "role": "numeric", "kind": "count",
                             "source": source.id, "source_title": source.title or source.id, "cluster": True}  # fmt: skip
    return Aggregated(out, meta)


def _default(name: str, column: Column, source: Source) -> str:
    """Undeclared: amounts derived per row are summed, numbers averaged, categories counted as shares."""
    if name in source.derive:
        return "sum"
    return {"numeric": "mean", "likert": "mean", "ordinal": "mean", "categorical": "share"}.get(
        column.role, ""
    )


def _features(
    grouped: pd.core.groupby.DataFrameGroupBy,
    rows: pd.DataFrame,
    name: str,
    column: Column,
    how: str,
    source: Source,
) -> list[tuple[str, pd.Series, str]]:
    """(feature name, values per key, kind) for one column and its aggregation."""
    series = grouped[name]
    if how in ("sum", "mean", "min", "max"):
        values = _numbers(rows[name])
        return [(f"{how}_{name}", getattr(values.groupby(rows[source.key], observed=True), how)(), how)]
    if how == "count":
        return [(f"count_{name}", series.count(), how)]
    if how == "distinct":
        return [(f"distinct_{name}", series.nunique(), how)]
    if how in ("first", "last"):
        values = _numbers(rows[name]) if column.role in ("numeric", "likert", "ordinal") else rows[name]
        picked = getattr(values.groupby(rows[source.key], observed=True), how)()
        return [(f"{how}_{name}", picked, how)]
    if how == "recency":
        latest = pd.to_datetime(rows[name]).groupby(rows[source.key], observed=True).max()
        collected = pd.Timestamp(_date(source.collected))
        return [(f"days_since_{name}", (collected - latest).dt.days.astype("float64"), how)]
    if how == "share":
        values = rows[name].astype("string")
        top = values.value_counts().index[:MAX_SHARES]
        shares = pd.crosstab(rows[source.key], values.where(values.isin(top), "other"), normalize="index")
        return [(f"{name}={value}", shares[value], how) for value in shares.columns]
    return []


def _meta(column: Column, feature: str, how: str, kind: str, source: Source) -> dict[str, object]:
    label = column.label or column.name.replace("_", " ")
    words = {"sum": "total", "mean": "average", "min": "lowest", "max": "highest", "count": "count of",
             "distinct": "number of different", "first": "first", "last": "last", "recency": "days since last"}  # fmt: skip
    if how == "share":
        value = feature.split("=", 1)[1]
        shown = f"share of {label} = {value}"
    else:
        shown = f"{words[how]} {label}" if not column.label else label
    return {"label": shown, "description": column.description, "role": "numeric", "kind": kind,
            "source": source.id, "source_title": source.title or source.id, "cluster": column.cluster,
            "transform": column.transform}  # fmt: skip


def _filtered(rows: pd.DataFrame, filters: tuple[Filter, ...]) -> pd.DataFrame:
    keep = np.ones(len(rows), dtype=bool)
    for item in filters:
        if item.column not in rows:
            continue
        values = rows[item.column]
        if item.test in ("below", "above"):
            numbers = _numbers(values)
            hit = numbers < item.value if item.test == "below" else numbers > item.value
        elif item.test == "starts_with":
            hit = values.astype("string").str.startswith(str(item.value))
        else:
            hit = values.astype("string") == str(item.value)
        keep &= ~hit.fillna(False).to_numpy(dtype=bool)
    return rows[keep]


def _derived(rows: pd.DataFrame, source: Source) -> pd.DataFrame:
    if not source.derive:
        return rows
    rows = rows.copy()
    for name, (a, b) in source.derive.items():
        if a in rows and b in rows:
            rows[name] = _numbers(rows[a]) * _numbers(rows[b])
    return rows


def _numbers(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.astype("float64").where(values.cat.codes >= 0)
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return date.today()
