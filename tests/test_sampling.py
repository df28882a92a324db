"""The fitting sample: the same rows whether every row is at hand or they come a partition at a time."""

from __future__ import annotations

import numpy as np
import pytest

from persona_map.research.sampling import BLOCK, Smallest, draws, sample_positions


def test_draws_of_a_range_do_not_depend_on_how_the_rows_are_cut() -> None:
    whole = draws(7, 0, 3 * BLOCK + 11)
    cuts = [0, 5, BLOCK - 1, BLOCK + 1, 2 * BLOCK, 3 * BLOCK + 11]
    pieces = np.concatenate([draws(7, a, b - a) for a, b in zip(cuts, cuts[1:], strict=False)])
    assert (pieces == whole).all()
    assert not (draws(8, 0, 100) == whole[:100]).all()  # another seed, other draws


@pytest.mark.parametrize("partition", [7, 999, 65_536, 250_000])
def test_streamed_sample_equals_the_sample_of_every_row(partition: int) -> None:
    n, size = 300_000 if partition > 7 else 20_000, 5_000
    smallest = Smallest(size)
    for start in range(0, n, partition):
        count = min(partition, n - start)
        smallest.offer(draws(3, start, count), np.arange(start, start + count))
    assert (smallest.chosen() == sample_positions(n, size, 3)).all()


def test_sample_is_uniform_without_replacement() -> None:
    chosen = sample_positions(1_000_000, 20_000, 0)
    assert len(chosen) == len(set(chosen.tolist())) == 20_000
    assert (np.diff(chosen) > 0).all()  # in the rows' order
    per_tenth = np.bincount(chosen // 100_000, minlength=10)
    assert per_tenth.min() > 1_800 and per_tenth.max() < 2_200  # about 2,000 from every tenth


def test_small_research_is_fitted_on_every_row() -> None:
    assert (sample_positions(300, 12_000, 0) == np.arange(300)).all()
