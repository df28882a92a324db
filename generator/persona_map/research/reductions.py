"""Reductions per key that merge: what an analytics source's rows leave behind for each key, for one chunk of
rows or one partition, combined with what the other chunks left.

Every state is a numpy array aligned with a dictionary of keys (a `pd.Index`, a key's position its code):
`Fold` (a sum, a lowest or highest number, a latest date), `Pick` (the first or last value in time, with
the time and row it was met at, so that picks from different chunks compare) and `Pairs` (the different
values of each key, or how many rows have each one). Merging maps the other state's keys into this one's
dictionary (`union`) and combines the arrays; pairs pending a merge are deduplicated as soon as they
outgrow the deduplicated ones, so memory stays bounded by keys x values rather than rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NOT_YET = np.iinfo(np.int64).min  # a latest date not met yet (NaT's own integer)
LATEST = np.iinfo(np.int64).max  # the time of a row without one: after every row that has one


def union(mine: pd.Index, theirs: pd.Index) -> tuple[pd.Index, np.ndarray]:
    """`mine` with the values of `theirs` it lacks appended, and where each value of `theirs` is in it."""
    at = mine.get_indexer(theirs) if len(mine) else np.full(len(theirs), -1, dtype=np.intp)
    new = at < 0
    if new.any():
        at[new] = len(mine) + np.arange(int(new.sum()))
        mine = theirs[new] if not len(mine) else mine.append(theirs[new])
    return mine, at


def grown(values: np.ndarray, n: int, fill: object) -> np.ndarray:
    """`values` lengthened to `n` with `fill`."""
    if len(values) >= n:
        return values
    out = np.empty(n, dtype=values.dtype)
    out[: len(values)] = values
    out[len(values) :] = fill
    return out


@dataclass
class Fold:
    """One number per key: `how` is sum (rows or values), min, max (numbers, NaN when none) or latest (a
    date as integer nanoseconds, NOT_YET when none)."""

    how: str
    values: np.ndarray

    @classmethod
    def of(cls, how: str, codes: np.ndarray, values: np.ndarray | None, n: int) -> Fold:
        """The fold of `values` (None: count the rows) by key code."""
        if how == "sum":
            if values is None:
                return cls(how, np.bincount(codes, minlength=n).astype(np.int64))
            present = ~np.isnan(values)  # an empty bincount is of integers, even with weights
            return cls(
                how, np.bincount(codes[present], weights=values[present], minlength=n).astype(np.float64)
            )
        out = np.full(
            n, NOT_YET if how == "latest" else np.nan, dtype=np.int64 if how == "latest" else np.float64
        )
        {"min": np.fmin, "max": np.fmax, "latest": np.maximum}[how].at(out, codes, values)
        return cls(how, out)

    def merge(self, other: Fold, at: np.ndarray, n: int) -> None:
        fill = 0 if self.how == "sum" else NOT_YET if self.how == "latest" else np.nan
        self.values = _fitting(grown(self.values, n, fill), other.values)
        combine = {"sum": np.add, "min": np.fmin, "max": np.fmax, "latest": np.maximum}[self.how]
        self.values[at] = combine(self.values[at], other.values)


@dataclass
class Pick:
    """Per key, the value met first (or last) in time, then in row order; `pos` is -1 where none was met.

    `time` orders rows (LATEST for rows without a time, as a sort puts them last); `pos` is a row's place in
    the whole source. `values` is None when only the time and place matter."""

    last: bool
    time: np.ndarray
    pos: np.ndarray
    values: np.ndarray | None

    @classmethod
    def of(
        cls,
        last: bool,
        codes: np.ndarray,
        time: np.ndarray,
        pos: np.ndarray,
        values: np.ndarray | None,
        n: int,
    ) -> Pick:
        """The pick of every key code among rows given in the order of `pos`."""
        big = np.iinfo(time.dtype).max if time.dtype.kind == "i" else np.inf
        best = np.full(n, -big if last else big, dtype=time.dtype)
        (np.maximum if last else np.minimum).at(best, codes, time)
        at_best = np.flatnonzero(time == best[codes])  # the key's rows at its earliest (latest) time
        row = np.full(n, -1 if last else len(codes), dtype=np.int64)
        (np.maximum if last else np.minimum).at(row, codes[at_best], at_best)
        where = np.flatnonzero((row >= 0) & (row < len(codes)))
        chosen = row[where]
        out = cls(last, np.zeros(n, dtype=time.dtype), np.full(n, -1, dtype=np.int64), None)
        out.time[where], out.pos[where] = time[chosen], pos[chosen]
        if values is not None:
            out.values = grown(values[:0], n, _fill(values))
            out.values[where] = values[chosen]
        return out

    def merge(self, other: Pick, at: np.ndarray, n: int) -> None:
        self.time, self.pos = _fitting(grown(self.time, n, 0), other.time), grown(self.pos, n, -1)
        mine_time, mine_pos = self.time[at], self.pos[at]
        if self.last:
            wins = (other.time > mine_time) | ((other.time == mine_time) & (other.pos > mine_pos))
        else:
            wins = (other.time < mine_time) | ((other.time == mine_time) & (other.pos < mine_pos))
        better = (other.pos >= 0) & ((mine_pos < 0) | wins)
        where = at[better]
        self.time[where], self.pos[where] = other.time[better], other.pos[better]
        if self.values is not None and other.values is not None:
            self.values = _fitting(grown(self.values, n, _fill(self.values)), other.values)
            self.values[where] = other.values[better]


def _fitting(values: np.ndarray, other: np.ndarray) -> np.ndarray:
    """`values` in a type that also holds `other`'s (a sum of nothing is of integers, dates may differ in unit)."""
    if values.dtype == other.dtype:
        return values
    return values.astype(np.result_type(values, other))


def _fill(values: np.ndarray) -> object:
    """What a key without a value holds: NaN, NaT, -1 (a category code) or None."""
    return {"M": np.datetime64("NaT"), "f": np.nan, "i": -1}.get(values.dtype.kind)


@dataclass
class Pairs:
    """The (key, value) pairs rows have, each with its number of rows when `counts` is kept.

    A pair is one integer, the key's code in the high 32 bits and the value's code in `values` (the
    dictionary of values met) in the low ones. `first` (when kept) says where each value was first met, in
    time then row order. Missing values are not pairs."""

    values: pd.Index
    pairs: np.ndarray
    counts: np.ndarray | None = None
    first: Pick | None = None
    unique: int = 0  # the first `unique` pairs are deduplicated; the rest are pending

    @classmethod
    def of(
        cls,
        keys: np.ndarray,
        values: pd.Series,
        counted: bool = False,
        time: np.ndarray | None = None,
        pos: np.ndarray | None = None,
    ) -> Pairs:
        """The pairs of key codes `keys` and `values` (row for row); with `counted`, rows per pair and where
        each value was first met (`time`, `pos`)."""
        if isinstance(values.dtype, pd.CategoricalDtype):  # coded already: categories are the dictionary
            codes, uniques = values.cat.codes.to_numpy(), pd.Index([str(c) for c in values.cat.categories])
        else:
            codes, uniques = pd.factorize(values)
        ok = codes >= 0
        out = cls(pd.Index(uniques), _pair(keys[ok], codes[ok]))
        if counted and time is not None and pos is not None:
            out.counts = np.ones(len(out.pairs), dtype=np.int64)
            out.first = Pick.of(False, codes[ok], time[ok], pos[ok], None, len(uniques))
        out.deduplicate()
        return out

    @property
    def keys(self) -> np.ndarray:
        return self.pairs >> 32

    @property
    def codes(self) -> np.ndarray:
        return self.pairs & LOW

    def merge(self, other: Pairs, at: np.ndarray) -> None:
        values, where = union(self.values, other.values)
        self.pairs = np.concatenate([self.pairs, _pair(at[other.keys], where[other.codes])])
        if self.counts is not None and other.counts is not None:
            self.counts = np.concatenate([self.counts, other.counts])
        if self.first is not None and other.first is not None:
            self.first.merge(other.first, where, len(values))
        self.values = values
        if len(self.pairs) - self.unique >= self.unique:
            self.deduplicate()

    def deduplicated(self) -> Pairs:
        """These pairs with no pending duplicates."""
        if len(self.pairs) > self.unique:
            self.deduplicate()
        return self

    def deduplicate(self) -> None:
        if self.counts is None:
            pairs = self.pairs  # merging made it: sorting it in place copies nothing
            pairs.sort()
        else:
            order = np.argsort(self.pairs)
            pairs, counts = self.pairs[order], self.counts[order]
        starts = np.ones(len(pairs), dtype=bool)
        starts[1:] = pairs[1:] != pairs[:-1]
        if self.counts is not None:
            self.counts = np.add.reduceat(counts, np.flatnonzero(starts)) if len(pairs) else counts
        self.pairs = pairs[starts]
        self.unique = len(self.pairs)


LOW = np.int64(0xFFFFFFFF)


def _pair(keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return (keys.astype(np.int64) << 32) | codes.astype(np.int64)
