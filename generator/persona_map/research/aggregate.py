"""Analytics exports (one row per event, order or invoice line) as one row per key, as the manifest declares.

Rows the manifest excludes (cancellations, returns) are dropped first and derived amounts (quantity x unit
price) computed per row. Then every column becomes one or more features per key by its declared `aggregate`:
sum, mean, min, max, count (rows with a value), distinct (different values), first or last (by the source's
`time` column, else file order), recency (days from the key's latest date to the source's `collected` date),
and for categories share (the share of the key's rows with each value). Undeclared numbers are averaged and
every key also gets its number of rows, as before. Rows without a key are left out (the loader counts them).

Rows never need to be held together: `partial(chunk, source, start)` reduces one chunk of rows (or one
partition) to a small state per key (research.reductions), `Partial.merge` adds another chunk's state and
`Partial.finish` gives the features, the same as `aggregate` of all the rows at once. A share's values are
ranked over the whole source when finishing, so the MAX_SHARES kept are the same.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from persona_map.research.manifest import Column, Filter, Source
from persona_map.research.reductions import LATEST, Fold, Pairs, Pick, union
from persona_map.transforms import number_column

MAX_SHARES = 12  # values of a categorical column that get a share feature; the rest count as "other"
NUMBER_ROLES = ("numeric", "likert", "ordinal")  # first and last values of these are numbers
WORDS = {"sum": "total", "mean": "average", "min": "lowest", "max": "highest", "count": "count of",
         "distinct": "number of different", "first": "first", "last": "last", "recency": "days since last"}  # fmt: skip


@dataclass
class Aggregated:
    """Features per key, and what each feature is: its label and the column meta reports need."""

    frame: pd.DataFrame
    meta: dict[str, dict[str, object]] = field(default_factory=dict)
    keys: pd.Index | None = None  # every key of the rows, excluded ones too (what joins); None: no key column


def aggregate(rows: pd.DataFrame, source: Source) -> Aggregated:
    """One row per key of an analytics source, with the features its manifest declares."""
    return partial(rows, source).finish()


@dataclass
class Partial:
    """The per-key state of some rows of an analytics source: merges with other chunks' and partitions'
    states and finishes into the source's features. Picklable; merging and finishing change nothing else."""

    source: Source
    columns: tuple[str, ...] = ()  # the rows' columns, derived ones included: which features there are
    keys: pd.Index | None = None  # key dictionary every state is aligned with; None: the rows had no key
    folds: dict[str, Fold] = field(default_factory=dict)  # "rows", "sum:<column>", "n:<column>", ...
    picks: dict[str, Pick] = field(default_factory=dict)  # first and last values
    pairs: dict[str, Pairs] = field(default_factory=dict)  # distinct values, and rows per value for shares
    categories: dict[str, list[str]] = field(default_factory=dict)  # of categorical picks, in the order met

    def merge(self, other: Partial) -> Partial:
        """This partial with `other` (other rows of the same source) merged into it."""
        if other.keys is None:
            self.columns = self.columns or other.columns
            return self
        if self.keys is None:  # a copy: merging more into this partial must not change `other`
            mine = copy.deepcopy(other)
            self.columns = other.columns
            self.keys, self.folds, self.picks, self.pairs = mine.keys, mine.folds, mine.picks, mine.pairs
            self.categories = mine.categories
            return self
        if set(other.columns) != set(self.columns):
            raise ValueError(
                f"partials of {self.source.id} with other columns: {other.columns} and {self.columns}"
            )
        self.keys, at = union(self.keys, other.keys)
        for name, fold in self.folds.items():
            fold.merge(other.folds[name], at, len(self.keys))
        for name, pick in self.picks.items():
            pick.merge(other.picks[name], at, len(self.keys))
        for name, pairs in self.pairs.items():
            pairs.merge(other.pairs[name], at)
        for name, values in other.categories.items():
            self.categories[name] = list(dict.fromkeys([*self.categories.get(name, []), *values]))
        return self

    def finish(self) -> Aggregated:
        """The features per key (sorted by key) and their meta, as `aggregate` of all the rows gives them."""
        source, prefix = self.source, f"{self.source.id}:"
        keys = self.keys if self.keys is not None else pd.Index([])
        rows = self.folds["rows"].values if self.keys is not None else np.zeros(0, dtype=np.int64)
        index = pd.Index(sorted(keys[rows > 0]), name=source.key)
        at = keys.get_indexer(index)
        out = pd.DataFrame(index=index)
        meta: dict[str, dict[str, object]] = {}
        for name, column, how in _declared(source, self.columns):
            for feature, values, kind in self._features(name, column, how, at):
                out[prefix + feature] = pd.Series(values, index=index)
                meta[prefix + feature] = _meta(column, feature, how, kind, source)
        out[prefix + "rows"] = rows[at]
        meta[prefix + "rows"] = {"label": "number of rows", "role": "numeric", "kind": "count",
                                 "source": source.id, "source_title": source.title or source.id, "cluster": True}  # fmt: skip
        return Aggregated(out, meta, self.keys)

    def _features(self, name: str, column: Column, how: str, at: np.ndarray) -> list[tuple[str, object, str]]:
        """(feature name, values of the keys at `at`, kind) for one column and its aggregation."""
        if how in ("sum", "min", "max", "count"):
            return [(f"{how}_{name}", self.folds[f"{how}:{name}"].values[at], how)]
        if how == "mean":
            total, counted = self.folds[f"sum:{name}"].values[at], self.folds[f"n:{name}"].values[at]
            with np.errstate(invalid="ignore", divide="ignore"):
                return [(f"mean_{name}", np.where(counted > 0, total / counted, np.nan), how)]
        if how == "distinct":
            pairs = self.pairs[name].deduplicated()
            return [(f"distinct_{name}", np.bincount(pairs.keys, minlength=len(self.keys))[at], how)]
        if how in ("first", "last"):
            values = self.picks[name].values[at]
            if name in self.categories:
                values = pd.Categorical(values, categories=self.categories[name])
            return [(f"{how}_{name}", values, how)]
        if how == "recency":
            latest = pd.Series(self.folds[f"latest:{name}"].values[at].view("datetime64[ns]"))
            days = (pd.Timestamp(_date(self.source.collected)) - latest).dt.days.astype("float64")
            return [(f"days_since_{name}", days.to_numpy(), how)]
        if how == "share":
            return self._shares(name, at)
        return []

    def _shares(self, name: str, at: np.ndarray) -> list[tuple[str, object, str]]:
        """The share of each key's rows with each of the MAX_SHARES most common values (ties: the value met
        first in time, then file order, as counting values in that order ranks them), the rest as "other"."""
        pairs = self.pairs[name].deduplicated()
        width = len(pairs.values)
        totals = np.bincount(pairs.codes, weights=pairs.counts, minlength=width)
        first = pairs.first
        ranked = np.lexsort((first.pos, first.time, -totals)) if first is not None else np.argsort(-totals)
        top = ranked[totals[ranked] > 0][:MAX_SHARES]
        rows, codes, keys = self.folds["rows"].values, pairs.codes, pairs.keys
        per_key = {}
        for code in top:
            mine = codes == code
            per_key[str(pairs.values[code])] = np.bincount(
                keys[mine], weights=pairs.counts[mine], minlength=len(rows)
            )
        other = rows - sum(per_key.values(), np.zeros(len(rows)))
        if (other[at] > 0).any():
            per_key["other"] = per_key.get("other", 0) + other
        with np.errstate(invalid="ignore", divide="ignore"):
            return [(f"{name}={value}", per_key[value][at] / rows[at], "share") for value in sorted(per_key)]


def partial(chunk: pd.DataFrame, source: Source, start: int = 0) -> Partial:
    """The per-key state of `chunk`, typed rows of `source` (as its readers give them) whose first row is
    row `start` of the whole source: first and last values with the same time, and values that tie for a
    share, are settled by that place, so chunks and partitions may be merged in any order. Places need only
    grow with file order: partition i of a source may start at i * 2**40."""
    rows = _derived(chunk, source)
    found = Partial(source, tuple(rows.columns))
    key = source.key
    if not key or key not in rows:
        return found
    codes, uniques = pd.factorize(rows[key])
    n = len(uniques)
    found.keys = pd.Index(uniques)
    kept = (codes >= 0) & _kept(rows, source.exclude)  # the key dictionary has every key, excluded rows' too
    found.folds["rows"] = Fold.of("sum", codes[kept], None, n)
    mine, pos = codes[kept], np.flatnonzero(kept).astype(np.int64) + start
    time = _time(rows, source)[kept]
    for name, column, how in _declared(source, found.columns):
        values = rows[name][kept]
        if how in ("sum", "mean", "min", "max"):
            numbers = number_column(values)
            found.folds[f"{'sum' if how == 'mean' else how}:{name}"] = Fold.of(
                "sum" if how == "mean" else how, mine, numbers, n
            )
            if how == "mean":
                found.folds[f"n:{name}"] = Fold.of("sum", mine[~np.isnan(numbers)], None, n)
        elif how == "count":
            found.folds[f"count:{name}"] = Fold.of("sum", mine[values.notna().to_numpy()], None, n)
        elif how == "distinct":
            found.pairs[name] = Pairs.of(mine, values)
        elif how in ("first", "last"):
            found.picks[name] = _pick(found, name, column, how == "last", values, mine, time, pos, n)
        elif how == "recency":
            latest = values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)
            nanoseconds = latest.to_numpy(dtype="datetime64[ns]").view(np.int64)
            found.folds[f"latest:{name}"] = Fold.of("latest", mine, nanoseconds, n)
        elif how == "share":
            text = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("string")
            found.pairs[name] = Pairs.of(mine, text, counted=True, time=time, pos=pos)
    return found


def _pick(
    found: Partial, name: str, column: Column, last: bool, values: pd.Series,
    codes: np.ndarray, time: np.ndarray, pos: np.ndarray, n: int,
) -> Pick:  # fmt: skip
    """The first or last value of every key; categories are kept as text and their order noted."""
    categorical = isinstance(values.dtype, pd.CategoricalDtype) and column.role not in NUMBER_ROLES
    if column.role in NUMBER_ROLES:
        array = number_column(values)
    elif categorical:  # picked by code, then named
        array = values.cat.codes.to_numpy().astype(np.int64)
    else:
        array = values.to_numpy()
    present = array >= 0 if categorical else pd.notna(array)
    picked = Pick.of(last, codes[present], time[present], pos[present], array[present], n)
    if categorical:
        found.categories[name] = [str(c) for c in values.cat.categories]
        picked.values = np.array([*found.categories[name], None], dtype=object)[picked.values]
    return picked


def _declared(source: Source, columns: tuple[str, ...]) -> list[tuple[str, Column, str]]:
    """(column, its declaration, how it is aggregated) for every column of the rows that becomes features."""
    out = []
    for name, column in source.columns.items():
        if name == source.key or name not in columns or column.role in ("key", "text", "ignored", "personal"):
            continue
        how = column.aggregate or _default(name, column, source)
        if how:
            out.append((name, column, how))
    return out


def _default(name: str, column: Column, source: Source) -> str:
    """Undeclared: amounts derived per row are summed, numbers averaged, categories counted as shares."""
    if name in source.derive:
        return "sum"
    return {"numeric": "mean", "likert": "mean", "ordinal": "mean", "categorical": "share"}.get(
        column.role, ""
    )


def _time(rows: pd.DataFrame, source: Source) -> np.ndarray:
    """Each row's place in time as numbers that sort like its time column (rows without one last); zeros
    when the source has no time column, so that file order decides."""
    if not source.time or source.time not in rows:
        return np.zeros(len(rows), dtype=np.int64)
    values = rows[source.time]
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return np.where(values.isna().to_numpy(), LATEST, stamps)
    numbers = number_column(values)
    return np.where(np.isnan(numbers), np.inf, numbers)


def _meta(column: Column, feature: str, how: str, kind: str, source: Source) -> dict[str, object]:
    label = column.label or column.name.replace("_", " ")
    if how == "share":
        value = feature.split("=", 1)[1]
        shown = f"share of {label} = {value}"
    else:
        shown = f"{WORDS[how]} {label}" if not column.label else label
    return {"label": shown, "description": column.description, "role": "numeric", "kind": kind,
            "source": source.id, "source_title": source.title or source.id, "cluster": column.cluster,
            "transform": column.transform}  # fmt: skip


def _kept(rows: pd.DataFrame, filters: tuple[Filter, ...]) -> np.ndarray:
    """Which rows no filter excludes."""
    keep = np.ones(len(rows), dtype=bool)
    for item in filters:
        if item.column not in rows:
            continue
        values = rows[item.column]
        if item.test in ("below", "above"):
            numbers = number_column(values)  # NaN compares false: a missing value is kept
            keep &= ~(numbers < item.value if item.test == "below" else numbers > item.value)
        else:
            keep &= ~_matches(values, item)
    return keep


def _matches(values: pd.Series, item: Filter) -> np.ndarray:
    """Which values, as text, equal or start with the filter's value (missing ones do not)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # each category is tested once
        names = pd.Series(values.cat.categories, dtype="string")
        return np.append(_matches(names, item), False)[values.cat.codes.to_numpy()]
    text = values.astype("string")
    hit = text.str.startswith(str(item.value)) if item.test == "starts_with" else text == str(item.value)
    return hit.fillna(False).to_numpy(dtype=bool)


def _derived(rows: pd.DataFrame, source: Source) -> pd.DataFrame:
    derived = {name: number_column(rows[a]) * number_column(rows[b]) for name, (a, b) in source.derive.items() if a in rows and b in rows}  # fmt: skip
    return rows.assign(**derived) if derived else rows


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return date.today()
