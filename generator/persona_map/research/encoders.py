"""Encoders from research columns to numbers, following scikit-learn's transformer contract.

Categoricals and multi-selects are one-hot encoded, numbers (ordinals as their rank) filled and scaled. They
work from pandas category codes, so a million rows stay fast, and they measure squared distances to cluster
centres directly, without building the row-by-feature matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from persona_map.transforms import number_column, signed_log

CHUNK = 1 << 15  # rows per block when measuring distances to centres


class _CodedEncoder(TransformerMixin, BaseEstimator):
    """An encoder whose output for a cell depends only on the cell's category code.

    Each column is encoded by a small table (one row per distinct value, plus a zero row for missing
    values) indexed by category codes, so transforming and measuring distances to centres cost one
    gather per column, however many rows there are.
    """

    def _values(self) -> list[list[str]]:
        raise NotImplementedError

    def _coded(self, column: pd.Series, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(table with a final zero row, row of the table for every cell: -1 for a missing value) of one column."""
        raise NotImplementedError

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        X = pd.DataFrame(X)
        blocks = []
        for index, name in enumerate(X.columns):
            table, rows = self._coded(X[name], index)
            blocks.append(table[rows])
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0), dtype=np.float32)

    def squared_distances(self, X: pd.DataFrame, centres: np.ndarray) -> np.ndarray:
        """Squared distance of every row's encoding to every centre, computed once per distinct value."""
        check_is_fitted(self)
        X = pd.DataFrame(X)
        out = np.zeros((len(X), centres.shape[0]), dtype=np.float64)
        start = 0
        for index, name in enumerate(X.columns):
            width = len(self._values()[index])
            block = centres[:, start : start + width]
            start += width
            table, rows = self._coded(X[name], index)
            lookup = ((table[:, None, :] - block[None, :, :]) ** 2).sum(axis=2)
            for start_row in range(0, len(X), CHUNK):  # row blocks that stay in the CPU cache
                out[start_row : start_row + CHUNK] += np.take(
                    lookup, rows[start_row : start_row + CHUNK], axis=0
                )
        return out


def _with_missing_row(table: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Append a zero row to `table`: a missing value's code, -1, picks that last row."""
    zeros = np.zeros((1, table.shape[1]), dtype=np.float32)
    return np.vstack([table.astype(np.float32), zeros]), codes


class CategoryOneHot(_CodedEncoder):
    """One-hot encode categorical columns through pandas category codes; unseen values encode as zeros."""

    def __init__(self, min_share: float = 0.0) -> None:
        self.min_share = min_share

    def fit(self, X: pd.DataFrame, y: object = None) -> CategoryOneHot:
        X = pd.DataFrame(X)
        self.categories_ = []
        for name in X.columns:
            column = as_categorical(X[name])
            counts = np.bincount(
                column.cat.codes[column.cat.codes >= 0], minlength=len(column.cat.categories)
            )
            shares = counts / max(len(column), 1)
            self.categories_.append(
                [
                    str(c)
                    for c, share in zip(column.cat.categories, shares, strict=True)
                    if share > 0 and share >= self.min_share
                ]
            )
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        return self

    def _values(self) -> list[list[str]]:
        return self.categories_

    def _coded(self, column: pd.Series, index: int) -> tuple[np.ndarray, np.ndarray]:
        column = as_categorical(column)
        categories = self.categories_[index]
        # the one-hot row of each of the column's own categories (unseen ones: all zeros), so every
        # cell is looked up by its code as it is, without recoding a million cells
        position = pd.Index(categories).get_indexer([str(c) for c in column.cat.categories])
        one_hot = np.vstack(
            [np.eye(len(categories), dtype=np.float32), np.zeros((1, len(categories)), np.float32)]
        )
        return _with_missing_row(one_hot[position], column.cat.codes.to_numpy())

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(
            [
                f"{n}={c}"
                for n, cats in zip(self.feature_names_in_, self.categories_, strict=True)
                for c in cats
            ],
            dtype=object,
        )


def as_categorical(column: pd.Series) -> pd.Series:
    """The column as a categorical with string categories (cheap when it already is one)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        if all(isinstance(c, str) for c in column.cat.categories[:5]):
            return column
        return column.cat.rename_categories([str(c) for c in column.cat.categories])
    return column.astype("string").astype("category")


def split_choices(column: pd.Series, separator: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A multi-select column as (row index, choice code) pairs plus the choice names, computed in Arrow.

    Nothing becomes a Python string per cell, which keeps millions of rows fast.
    """
    if not isinstance(column.dtype, pd.StringDtype):
        column = column.astype("string")
    values = pa.array(column.array)  # zero-copy from pandas' Arrow-backed strings
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    lists = pc.split_pattern(values, separator)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    rows = pc.list_parent_indices(lists).to_numpy()
    encoded = (
        pc.dictionary_encode(flat).combine_chunks()
        if isinstance(flat, pa.ChunkedArray)
        else pc.dictionary_encode(flat)
    )
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    names = [str(name) for name in encoded.dictionary.to_pylist()]
    keep = (
        np.asarray([bool(name) for name in names], dtype=bool)[codes]
        if len(codes)
        else np.zeros(0, dtype=bool)
    )
    return rows[keep], codes[keep].astype(np.int64), names


def choice_indicators(column: pd.Series, separator: str, choices: list[str]) -> np.ndarray:
    """Rows x choices 0/1 matrix (a choice picked twice in one cell counts once).

    A categorical column is split once per distinct combination of choices, then looked up by code.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        combos = pd.Series([str(c) for c in column.cat.categories], dtype="string")
        table = np.vstack(
            [choice_indicators(combos, separator, choices), np.zeros((1, len(choices)), np.float32)]
        )
        codes = column.cat.codes.to_numpy()
        return table[np.where(codes >= 0, codes, len(combos))]
    rows, codes, names = split_choices(column, separator)
    lookup = pd.Index(choices).get_indexer(names)
    index = lookup[codes] if len(codes) else np.zeros(0, dtype=np.int64)
    hit = index >= 0
    block = np.zeros((len(column), len(choices)), dtype=np.float32)
    block[rows[hit], index[hit]] = 1.0
    return block


def choice_names(column: pd.Series, separator: str) -> list[str]:
    """Every choice that appears in a multi-select column."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = pd.Series([str(c) for c in column.cat.categories], dtype="string")
    return sorted(set(split_choices(column, separator)[2]) - {""})


def choice_shares(column: pd.Series, separator: str) -> pd.Series:
    """Share of rows that picked each choice."""
    names = choice_names(column, separator)
    if not names or not len(column):
        return pd.Series(dtype=float)
    return pd.Series(choice_indicators(column, separator, names).mean(axis=0), index=names)


class MultiSelectOneHot(_CodedEncoder):
    """One indicator per choice of a multi-select column (choices joined by a separator)."""

    def __init__(self, separator: str = ";", min_share: float = 0.0) -> None:
        self.separator = separator
        self.min_share = min_share

    def fit(self, X: pd.DataFrame, y: object = None) -> MultiSelectOneHot:
        X = pd.DataFrame(X)
        self.choices_ = []
        for name in X.columns:
            shares = choice_shares(X[name], self.separator)
            self.choices_.append(sorted(str(c) for c, share in shares.items() if share >= self.min_share))
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        return self

    def _values(self) -> list[list[str]]:
        return self.choices_

    def _coded(self, column: pd.Series, index: int) -> tuple[np.ndarray, np.ndarray]:
        column = as_categorical(column)  # one split per distinct combination of choices
        combos = pd.Series([str(c) for c in column.cat.categories], dtype="string")
        table = choice_indicators(combos, self.separator, self.choices_[index])
        return _with_missing_row(table, column.cat.codes.to_numpy())

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(
            [f"{n} has {c}" for n, cs in zip(self.feature_names_in_, self.choices_, strict=True) for c in cs],
            dtype=object,
        )


class ScaledNumbers(TransformerMixin, BaseEstimator):
    """Numbers (ordinal categories as their rank) with missing values set to the median, then standardised.

    `log[j]` True: column j is used as sign(x) * log(1 + |x|) first, for skewed amounts and counts (a
    refund stays negative).
    """

    def __init__(self, log: list[bool] | None = None) -> None:
        self.log = log

    def _values(self, X: pd.DataFrame) -> np.ndarray:
        values = _numbers(X)
        for j, flag in enumerate(self.log or []):
            if flag and j < values.shape[1]:
                values[:, j] = signed_log(values[:, j])
        return values

    def fit(self, X: pd.DataFrame, y: object = None) -> ScaledNumbers:
        values = self._values(pd.DataFrame(X))
        self.median_ = (
            np.nan_to_num(np.nanmedian(values, axis=0)) if len(values) else np.zeros(values.shape[1])
        )
        filled = np.where(np.isnan(values), self.median_, values)
        self.mean_ = filled.mean(axis=0) if len(filled) else np.zeros(values.shape[1])
        scale = filled.std(axis=0) if len(filled) else np.ones(values.shape[1])
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.feature_names_in_ = np.asarray([str(c) for c in pd.DataFrame(X).columns], dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        values = self._values(pd.DataFrame(X))
        filled = np.where(np.isnan(values), self.median_, values)
        return ((filled - self.mean_) / self.scale_).astype(np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self)
        return self.feature_names_in_.copy()

    def squared_distances(self, X: pd.DataFrame, centres: np.ndarray) -> np.ndarray:
        """Squared distances of the scaled numbers to the centres, block by block and column by column.

        Blocks of rows small enough to stay in the CPU cache make this about twice as fast as whole
        columns (the work is memory-bound), and no row-by-feature matrix is ever built.
        """
        check_is_fitted(self)
        X = pd.DataFrame(X)
        logged = list(self.log or []) + [False] * len(X.columns)
        columns = [
            signed_log(number_column(X[name])) if logged[j] else number_column(X[name])
            for j, name in enumerate(X.columns)
        ]
        k = centres.shape[0]
        out = np.empty((len(X), k), dtype=np.float64)
        z, term, total = np.empty(CHUNK), np.empty(CHUNK), np.empty((k, CHUNK))
        for start in range(0, len(X), CHUNK):
            size = min(CHUNK, len(X) - start)
            total[:, :size] = 0.0
            for j, values in enumerate(columns):
                part, scaled = values[start : start + size], z[:size]
                np.subtract(part, self.mean_[j], out=scaled)
                scaled /= self.scale_[j]
                np.copyto(scaled, (self.median_[j] - self.mean_[j]) / self.scale_[j], where=np.isnan(part))
                for c in range(k):
                    np.subtract(scaled, centres[c, j], out=term[:size])
                    term[:size] *= term[:size]
                    total[c, :size] += term[:size]
            out[start : start + size] = total[:, :size].T
        return out


def _numbers(X: pd.DataFrame) -> np.ndarray:
    columns = [number_column(X[name]) for name in X.columns]
    return np.column_stack(columns) if columns else np.zeros((len(X), 0))
