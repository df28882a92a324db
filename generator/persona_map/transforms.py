"""Transforms of feature values that segmentation fits with and the routing model applies again (research/
encoders.py and routing/model.py must compute them the same way, so they live here, below both)."""

from __future__ import annotations

import numpy as np


def signed_log(values: np.ndarray) -> np.ndarray:
    """sign(x) * log(1 + |x|): compresses long tails, keeps zero at zero and the sign of refunds."""
    return np.sign(values) * np.log1p(np.abs(values))
