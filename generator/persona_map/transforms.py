"""Feature values as numbers, and the transforms segmentation fits with and the routing model applies again
(research/encoders.py, tally.py, aggregate.py and routing/model.py must compute them the same way, so they
live here, below all of them)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def signed_log(values: np.ndarray) -> np.ndarray:
    """sign(x) * log(1 + |x|): compresses long tails, keeps zero at zero and the sign of refunds."""
    return np.sign(values) * np.log1p(np.abs(values))


def number_column(column: pd.Series) -> np.ndarray:
    """A column as float64 numbers: ordinal categories as their rank, anything unreadable as NaN."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy(dtype=np.float64)
        codes[codes < 0] = np.nan
        return codes
    if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
