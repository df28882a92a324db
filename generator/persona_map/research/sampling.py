"""The rows a model is fitted on: a uniform sample without replacement that every engine draws alike.

Every row gets a draw from the run's seed and its position in the research (blocks of 65,536 positions,
each from its own generator, so any range of rows can be drawn without drawing the rows before it); the
sample is the rows with the smallest draws. The default engine, holding every row, and the Dask engine,
seeing the rows a partition at a time, therefore fit on the same rows, whatever the partitioning.
"""

from __future__ import annotations

import numpy as np

BLOCK = 1 << 16  # positions drawn by one generator
STEP = 1 << 20  # rows drawn at a time when every row is at hand


def draws(seed: int, start: int, count: int) -> np.ndarray:
    """The draws (uniform in [0, 1)) of the rows at positions start .. start + count - 1."""
    out = np.empty(count, dtype=np.float64)
    first, last = start // BLOCK, (start + count - 1) // BLOCK
    done = 0
    for block in range(first, last + 1):
        values = np.random.default_rng([seed, block]).random(BLOCK)
        lo = max(start - block * BLOCK, 0)
        piece = values[lo : lo + count - done]
        out[done : done + len(piece)] = piece
        done += len(piece)
    return out


class Smallest:
    """The positions of the `size` smallest draws offered so far (offered in any order, a batch at a time)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values = np.empty(0)
        self.positions = np.empty(0, dtype=np.int64)

    @property
    def threshold(self) -> float:
        """Draws at or above this cannot be in the sample any more."""
        return float(self.values.max()) if len(self.values) >= self.size else np.inf

    def offer(self, values: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Offer draws; returns which of them may still be in the sample (the caller keeps those rows)."""
        keep = values < self.threshold
        self.values = np.concatenate([self.values, values[keep]])
        self.positions = np.concatenate([self.positions, positions[keep]])
        if len(self.values) > self.size:
            best = np.argpartition(self.values, self.size - 1)[: self.size]
            self.values, self.positions = self.values[best], self.positions[best]
        return keep

    def chosen(self) -> np.ndarray:
        """The sample's positions, in order."""
        return np.sort(self.positions)


def sample_positions(n: int, size: int, seed: int) -> np.ndarray:
    """The positions (in order) of the `size` rows of `n` the model is fitted on; all of them when n <= size."""
    if n <= size:
        return np.arange(n)
    smallest = Smallest(size)
    for start in range(0, n, STEP):
        count = min(STEP, n - start)
        smallest.offer(draws(seed, start, count), np.arange(start, start + count))
    return smallest.chosen()
