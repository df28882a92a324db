"""What segment profiles are made of, counted so that parts add up: the tally of one chunk of rows (or one
partition on a Dask worker) merges with the tallies of the others into the tally of the whole research.

Per segment: its size; for every category (and every choice of a multi-select) how many members have it;
for every number the sum, the sum of squares and the count of its values; how many values every column
misses; and which interviewed respondents
it holds. Counting works on category codes and `np.bincount`, a chunk of rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from persona_map.research.encoders import as_categorical, choice_indicators, choice_names
from persona_map.transforms import number_column

CHUNK = 1 << 20  # rows counted at a time


@dataclass
class Columns:
    """Which columns a tally counts, and how: the roles and separators of the feature table."""

    categorical: list[str]  # categorical and ordinal: counted per value
    multi: dict[str, str]  # multi-select column -> its separator: counted per choice
    numeric: list[str]  # numbers, ordinal ranks and Likert answers: summed


@dataclass
class Tally:
    """Counts per segment that add up across chunks and partitions."""

    k: int
    sizes: np.ndarray = field(default=None)  # type: ignore[assignment]
    counts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # column -> value -> k counts
    moments: dict[str, np.ndarray] = field(
        default_factory=dict
    )  # column -> 3 x k: sum, sum of squares, count
    interviewed: dict[str, int] = field(default_factory=dict)  # respondent key -> segment
    missing: dict[str, int] = field(default_factory=dict)  # column -> rows without a value

    def __post_init__(self) -> None:
        if self.sizes is None:
            self.sizes = np.zeros(self.k, dtype=np.int64)

    def merge(self, other: Tally) -> Tally:
        """This tally with `other` added to it."""
        self.sizes = self.sizes + other.sizes
        for column, values in other.counts.items():
            mine = self.counts.setdefault(column, {})
            for value, counts in values.items():
                mine[value] = mine[value] + counts if value in mine else counts.copy()
        for column, moments in other.moments.items():
            self.moments[column] = (
                self.moments[column] + moments if column in self.moments else moments.copy()
            )
        self.interviewed.update(other.interviewed)
        for column, missing in other.missing.items():
            self.missing[column] = self.missing.get(column, 0) + missing
        return self


def tally(
    frame: pd.DataFrame, labels: np.ndarray, k: int, columns: Columns, interviewed: Iterable[str] = ()
) -> Tally:
    """The tally of `frame`'s rows, whose segments are `labels` (row for row)."""
    out = Tally(k, np.bincount(labels, minlength=k).astype(np.int64))
    for column in columns.categorical:
        values = as_categorical(frame[column])
        names = [str(c) for c in values.cat.categories]
        counts = _counts(labels, values.cat.codes.to_numpy(), len(names), k)
        out.counts[column] = {name: counts[:, j] for j, name in enumerate(names) if counts[:, j].any()}
    for column, separator in columns.multi.items():
        values = as_categorical(frame[column])  # counted per distinct combination of choices, then split
        combos = pd.Series([str(c) for c in values.cat.categories], dtype="string")
        names = choice_names(combos, separator)
        per_combo = _counts(labels, values.cat.codes.to_numpy(), len(combos), k)
        counts = per_combo @ choice_indicators(combos, separator, names)  # members who picked each choice
        out.counts[column] = {name: counts[:, j].astype(np.int64) for j, name in enumerate(names)}
    for column in columns.numeric:
        out.moments[column] = _moments(frame[column], labels, k)
    for column in dict.fromkeys([*columns.categorical, *columns.multi, *columns.numeric]):
        out.missing[column] = int(frame[column].isna().sum())
    keys = set(interviewed)
    if keys:
        index = pd.Index(frame.index.astype("string"))
        found = index.isin(list(keys))
        out.interviewed = dict(zip(index[found], labels[found].tolist(), strict=True))
    return out


def _counts(labels: np.ndarray, codes: np.ndarray, width: int, k: int) -> np.ndarray:
    """k x width: how many members of each segment have each code (code -1, a missing value, is not counted)."""
    out = np.zeros(k * (width + 1), dtype=np.int64)
    for start in range(0, len(labels), CHUNK):
        flat = labels[start : start + CHUNK].astype(np.int64) * (width + 1)
        flat += codes[start : start + CHUNK].astype(np.int64) + 1
        out += np.bincount(flat, minlength=k * (width + 1))
    return out.reshape(k, width + 1)[:, 1:]


def _moments(column: pd.Series, labels: np.ndarray, k: int) -> np.ndarray:
    """3 x k: per segment the sum, the sum of squares and the count of a column's numbers (missing ones left
    out); ordinal answers count as their rank."""
    out = np.zeros((3, k))
    for start in range(0, len(labels), CHUNK):
        values = number_column(column.iloc[start : start + CHUNK])
        members = labels[start : start + CHUNK]
        ok = ~np.isnan(values)
        if not ok.all():
            values, members = values[ok], members[ok]
        out[0] += np.bincount(members, weights=values, minlength=k)
        out[1] += np.bincount(members, weights=values * values, minlength=k)
        out[2] += np.bincount(members, minlength=k)
    return out
