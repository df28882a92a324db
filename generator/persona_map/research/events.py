"""An analytics source aggregated per key as it is read: memory holds one chunk of events and the per-key state.

`Events` is a reader's sink (read_arrow.Sink): the CSV and Parquet readers hand it typed Arrow blocks, the
row-by-row reader typed pandas chunks. Every `chunk_rows` rows become a typed chunk, as reading the whole
source would type it, and are reduced into the source's partial aggregation (research.aggregate), then
dropped. It also counts the rows without a key, which the loader reports.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from persona_map.research.aggregate import Aggregated, Partial, partial
from persona_map.research.manifest import Source
from persona_map.research.read_arrow import TypedColumns
from persona_map.research.tables import finish_frame

CHUNK_ROWS = 1 << 20  # events typed and reduced at a time


class Events:
    """The events of one analytics source, reduced per key chunk by chunk."""

    def __init__(self, spec: Source, wanted: list[str], chunk_rows: int = CHUNK_ROWS, start: int = 0) -> None:
        """`start`: the place of the first row in the whole export (a partition's, on a Dask worker)."""
        self.spec, self.wanted, self.chunk_rows = spec, wanted, chunk_rows
        self.rows = 0  # rows handed in
        self.unkeyed = 0  # rows handed in without a key
        self.state = Partial(spec)
        self._block = TypedColumns(spec, wanted)
        self._reduced = start  # the place of the next chunk's first row

    def add(self, batch: pa.RecordBatch) -> None:
        """A typed Arrow block of the file."""
        self._block.add(batch)
        self.rows += batch.num_rows
        if self._block.rows >= self.chunk_rows:
            self._flush()

    def add_frame(self, frame: pd.DataFrame) -> None:
        """A typed chunk read row by row (categories still as text)."""
        self.rows += len(frame)
        self._reduce(frame)

    def repeats(self) -> bool:
        """Never: an export has many rows per key."""
        return False

    def finish(self) -> Aggregated:
        """The features per key of every row handed in."""
        return self.reduced().finish()

    def reduced(self) -> Partial:
        """The partial aggregation of every row handed in (to merge with other partitions')."""
        self._flush()
        return self.state

    def _flush(self) -> None:
        if self._block.rows:
            block, self._block = self._block, TypedColumns(self.spec, self.wanted)
            self._reduce(block.frame())

    def _reduce(self, frame: pd.DataFrame) -> None:
        """Type `frame` like a whole source and reduce it, `chunk_rows` at a time."""
        frame = finish_frame(frame, self.spec)
        if self.spec.key in frame:
            self.unkeyed += int(frame[self.spec.key].isna().sum())
        for start in range(0, len(frame), self.chunk_rows):
            chunk = frame.iloc[start : start + self.chunk_rows]
            self.state.merge(partial(chunk, self.spec, self._reduced))
            self._reduced += len(chunk)
