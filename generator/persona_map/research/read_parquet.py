"""Research sources in Parquet: a file, or a folder of files (as warehouses export), read with pyarrow datasets.

Columns are read batch by batch, cast to what their role declares and kept compactly like CSV sources
(read_arrow.TypedColumns), so memory holds the result and one batch; or handed to another sink, as an
analytics export is (research.events). A value its role forbids is a finding with its row (counted from 1
over the whole dataset) and column, as for CSV files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona_map.findings import Finding
from persona_map.memory import release_memory
from persona_map.research.manifest import Source
from persona_map.research.read_arrow import POOL, Sink, TypedColumns, _arrow_type, typed_problems
from persona_map.research.read_rows import _check_values, _Found
from persona_map.research.tables import finish_frame, wanted_columns

BATCH_ROWS = 1 << 18
S = TypeVar("S", bound=Sink)


def parquet_header(path: Path) -> list[str] | None:
    """The column names of a Parquet file or folder; None when it cannot be opened as Parquet."""
    try:
        return list(_dataset(path).schema.names)
    except (pa.ArrowInvalid, OSError, ValueError):
        return None


def parquet_rows(path: Path) -> int:
    """How many rows a Parquet file or folder holds (from its metadata)."""
    return _dataset(path).count_rows()


def read_parquet(
    path: Path, spec: Source, shown: str, header: list[str]
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """The typed table of a Parquet source, or the findings that say why not."""
    columns, findings = stream_parquet(path, spec, shown, header, TypedColumns)
    if columns is None:
        return None, findings
    frame = columns.frame()
    release_memory()
    return finish_frame(frame, spec), findings


def stream_parquet(
    path: Path, spec: Source, shown: str, header: list[str], sink: Callable[[Source, list[str]], S]
) -> tuple[S | None, list[Finding]]:
    """Every batch of a Parquet source, typed and checked, handed to a new `sink(spec, wanted)` while the data
    is clean; the sink, or None and the findings that say why not."""
    wanted = wanted_columns(spec, header)
    columns = sink(spec, wanted)
    found = _Found(shown, header)
    row = 0
    try:
        for batch in _dataset(path).to_batches(columns=wanted, batch_size=BATCH_ROWS, memory_pool=POOL):
            typed, problem = typed_batch(batch, spec, wanted, shown)
            if problem is not None:
                return None, [problem]
            if typed_problems(typed, spec, whole=False):
                strings = pd.DataFrame(
                    {n: typed[n].cast(pa.string()).to_pandas() for n in wanted}, dtype="string"
                )
                _check_values(strings, spec, np.arange(row + 1, row + 1 + typed.num_rows), found, header)
            if not found.errors:
                columns.add(typed)
            row += typed.num_rows
    except (pa.ArrowInvalid, OSError) as e:
        return None, [
            Finding(
                shown, 0, 0, "", f"cannot read the Parquet data: {e}", "export it again", "research.parquet"
            )
        ]
    findings = found.report()
    if any(f.is_error for f in findings):
        return None, findings
    if row == 0:
        return None, [
            Finding(shown, 0, 0, "", "research data has no rows", "export the data again", "research.empty")
        ]
    if columns.repeats() and isinstance(columns, TypedColumns):  # only a survey's keys must not repeat
        return None, [_repeated(columns, spec, shown, header)]
    return columns, findings


def _dataset(path: Path):  # noqa: ANN202 - pyarrow.dataset.Dataset
    import pyarrow.dataset as ds

    return ds.dataset(str(path), format="parquet")


def typed_batch(
    batch: pa.RecordBatch, spec: Source, wanted: list[str], shown: str
) -> tuple[pa.RecordBatch, Finding | None]:
    """The batch with every column cast to its role's type, or a finding naming a column that cannot be."""
    arrays = []
    for name in wanted:
        column, target = batch.column(name), _arrow_type(spec.columns[name])
        try:
            if pa.types.is_dictionary(target):
                text = column if pa.types.is_dictionary(column.type) else pc.cast(column, pa.string())
                arrays.append(text if pa.types.is_dictionary(text.type) else pc.dictionary_encode(text))
            else:
                arrays.append(pc.cast(column, target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            role = spec.columns[name].role
            return batch, Finding(shown, 0, 0, name, f"column '{name}' ({column.type}) cannot be read as {role}: {e}",
                                  f"declare the role its values have, or export '{name}' as {role}", f"research.{role}")  # fmt: skip
    return pa.RecordBatch.from_arrays(arrays, names=wanted), None


def _repeated(columns: TypedColumns, spec: Source, shown: str, header: list[str]) -> Finding:
    keys = pa.chunked_array(columns.chunks[spec.key], type=pa.string())
    counts = pc.value_counts(keys)
    repeated = pc.filter(counts, pc.greater(counts.field("counts"), 1))
    first = repeated[0]["values"].as_py() if len(repeated) else ""
    return Finding(shown, 0, header.index(spec.key) + 1, spec.key,
                   f"{len(repeated)} keys repeat in column '{spec.key}' (e.g. {first!r})",
                   "a survey has one row per respondent: remove duplicate responses", "research.duplicate-key")  # fmt: skip


def text_batches(path: Path, columns: list[str]) -> Iterator[tuple[int, dict[str, list[str | None]]]]:
    """(first row, column -> its cells as text) for every batch of `columns`: what the guard and the research
    page read (rows are counted from 2, as a spreadsheet shows them below the header)."""
    row = 2
    for batch in _dataset(path).to_batches(columns=columns, batch_size=BATCH_ROWS, memory_pool=POOL):
        yield row, {name: _text(batch.column(name)).to_pylist() for name in columns}
        row += batch.num_rows


def _text(column: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
