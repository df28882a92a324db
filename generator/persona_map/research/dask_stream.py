"""Sending a research source to a Dask cluster: streamed once on this machine by the project's own readers,
checked as the default engine checks it, and cut into partitions of `size` rows sent to the workers.

The readers never split a record at a line break inside a quoted cell (Dask's byte-range CSV reader would).
A partition is sent on a thread of its own while the next one is parsed; memory holds two at most. What
happens to a partition once it is on the cluster is each sink's business: a survey keeps the fitting sample
here and has the workers hash its ids (SurveyFeed); an analytics export has the workers reduce it per key
(ExportFeed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from persona_map.csv_files import CsvFormat
from persona_map.dask_cluster import results
from persona_map.research.aggregate import Partial
from persona_map.research.dask_parts import Part, events_part, indexed, key_hashes, keys_hashed
from persona_map.research.manifest import Source
from persona_map.research.read_arrow import TypedColumns, stream_into
from persona_map.research.read_parquet import stream_parquet
from persona_map.research.sampling import Smallest, draws
from persona_map.research.tables import finish_frame


class Partitions:
    """A reader's sink (read_arrow.Sink) that sends partitions of `size` rows to the cluster as they fill."""

    def __init__(self, client: Any, spec: Source, wanted: list[str], size: int) -> None:
        self.client, self.spec, self.wanted, self.size = client, spec, wanted, size
        self.parts: list[tuple[Any, Part]] = []  # each partition's rows on the cluster
        self.tasks: list[Any] = []  # what the workers do with them meanwhile
        self.pending: list[pa.RecordBatch] = []
        self.rows = self.sent = 0
        self.sender = ThreadPoolExecutor(1)
        self.sending: Future | None = None

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        while batch.num_rows:  # partitions of exactly `size` rows (the last one fewer)
            room = self.size - sum(b.num_rows for b in self.pending)
            self.pending.append(batch.slice(0, room))
            batch = batch.slice(room)
            if room <= self.pending[-1].num_rows:
                self._send()

    def repeats(self) -> bool:
        """Called by the reader once every block is in: the last partition goes, and no key repeats."""
        self._send()
        if self.sending is not None:
            self.sending.result()
        self.sender.shutdown()
        return False

    def discard(self) -> None:
        """Cancel everything sent (an attempt that stopped part-way, or a source that is not clean)."""
        self.sender.shutdown()
        self.client.cancel([future for future, _ in self.parts] + self.tasks)

    def sent_to_cluster(self, future: Any, part: Part) -> None:
        """What to do with a partition once it is on the cluster (on the sending thread)."""

    def _send(self) -> None:
        if self.pending:
            data = pa.Table.from_batches(self.pending)
            if self.sending is not None:
                self.sending.result()  # one partition in flight at a time
            self.sending = self.sender.submit(self._scatter, data, Part(len(self.parts), self.sent))
            self.pending, self.sent = [], self.sent + data.num_rows

    def _scatter(self, data: pa.Table, part: Part) -> None:
        future = self.client.scatter(data, hash=False)
        self.parts.append((future, part))
        self.sent_to_cluster(future, part)


class SurveyFeed(Partitions):
    """A survey's partitions, the rows the model is fitted on kept here, its ids hashed on the workers."""

    def __init__(
        self, client: Any, spec: Source, wanted: list[str], size: int, seed: int, sample: int
    ) -> None:
        super().__init__(client, spec, wanted, size)
        self.seed = seed
        self.smallest = Smallest(sample)
        self.candidates = TypedColumns(spec, wanted, check_keys=False)  # sees every block's categories
        self.positions: list[np.ndarray] = []
        self.keyed = bool(spec.key) and spec.key in wanted  # a survey's rows without an id never get here
        self.repeated = False

    def add(self, batch: pa.RecordBatch) -> None:
        positions = np.arange(self.rows, self.rows + batch.num_rows)
        keep = self.smallest.offer(draws(self.seed, self.rows, batch.num_rows), positions)
        self.candidates.add(batch.filter(pa.array(keep)))
        self.positions.append(positions[keep])
        super().add(batch)

    def sent_to_cluster(self, future: Any, part: Part) -> None:
        if self.keyed:
            self.tasks.append(self.client.submit(key_hashes, future, self.spec.key, pure=False))

    def repeats(self) -> bool:
        """Whether a respondent id occurs twice: equal hashes are settled on the exact ids."""
        super().repeats()
        if not self.keyed or self.rows < 2:
            return False
        together = np.concatenate(results(self.tasks, "checking ids"))
        self.tasks.clear()
        together.sort()
        equal = together[1:][together[1:] == together[:-1]]
        if len(equal):
            wanted = set(equal.tolist())
            found = results(
                [
                    self.client.submit(keys_hashed, d, self.spec.key, wanted, pure=False)
                    for d, _ in self.parts
                ],
                "checking ids",
            )
            self.repeated = any(n > 1 for n in Counter(k for keys in found for k in keys).values())
        return self.repeated

    def sample(self) -> pd.DataFrame:
        """The rows the model is fitted on (those the default engine fits on), in order."""
        frame = finish_frame(self.candidates.frame(), self.spec)
        positions = np.concatenate(self.positions)
        chosen = self.smallest.chosen()
        frame = frame.iloc[np.searchsorted(positions, chosen)].reset_index(drop=True)
        return indexed(frame, self.spec, 0, chosen)


class ExportFeed(Partitions):
    """An analytics export's partitions, each reduced per key on a worker as soon as it arrives."""

    def sent_to_cluster(self, future: Any, part: Part) -> None:
        self.tasks.append(self.client.submit(events_part, future, part, self.spec, self.wanted, pure=False))

    def reduced(self) -> tuple[Partial, int]:
        """The partial aggregation of every partition, merged in order, and the rows without a key."""
        state, unkeyed = Partial(self.spec), 0
        for partial, missing in results(self.tasks, "aggregating the export per key"):
            state.merge(partial)
            unkeyed += missing
        return state, unkeyed


def stream(
    path: Path,
    spec: Source,
    shown: str,
    fmt: CsvFormat | None,
    header: list[str],
    sink: Callable[[Source, list[str]], Partitions],
) -> Any:
    """The source (its header checked: research.sources.source_header) streamed into a new sink, or None when
    it is not clean, its findings being the default reader's to give. A reader's attempt that stopped
    part-way is discarded."""
    made: list[Partitions] = []

    def fresh(spec: Source, wanted: list[str]) -> Partitions:
        for earlier in made:
            earlier.discard()
        made.append(sink(spec, wanted))
        return made[-1]

    if fmt is None:  # Parquet
        found = stream_parquet(path, spec, shown, header, fresh)[0]
        found = (
            None if found is None or getattr(found, "repeated", False) else found
        )  # it stops only for tables
    else:
        found = stream_into(path, spec, fmt, list(fmt.header), fresh) if fmt.ascii_compatible else None
    if found is None:
        for earlier in made:
            earlier.discard()
    return found
