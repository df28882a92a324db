"""Writing classified contacts: the input columns untouched, the persona columns added, safe for spreadsheets.

In CSV every cell a spreadsheet would run as a formula (one beginning with =, +, -, @, a tab or a
carriage return) gets a leading apostrophe, as OWASP's CSV injection advice says.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from persona_map.atomic import atomic_output
from persona_map.routing.rules import COLUMNS
from persona_map.spreadsheet import DANGEROUS, neutralise


@contextlib.contextmanager
def output(sink: Path | BinaryIO) -> Iterator[BinaryIO]:
    """The sink as a binary stream: a file is written atomically (complete or not at all), a stream as it is."""
    if isinstance(sink, Path):
        with atomic_output(sink) as handle:
            yield handle
    else:
        yield sink
        sink.flush()


def _added(result: pd.DataFrame) -> dict[str, pa.Array]:
    def text(name: str) -> pa.Array:
        return pa.array(result[name], from_pandas=True).cast(pa.string())

    confidence = pa.array(result["confidence"].to_numpy(dtype=np.float64))
    return {
        "persona_id": text("persona_id"),
        "persona_name": text("persona_name"),
        "confidence": pc.round(confidence, 3),
        "reason": text("reason"),
    }


def assemble(table: pa.Table, result: pd.DataFrame, header: list[str]) -> list[pa.Array]:
    """Input columns in order (added ones replacing same-named input columns), then the other added ones."""
    added = _added(result)
    arrays = [
        added[name] if name in added else table.column(i).combine_chunks() for i, name in enumerate(header)
    ]
    return arrays + [added[name] for name in COLUMNS if name not in header]


class CsvWriter:
    """CSV in the input's delimiter, every cell neutralised, written by pyarrow."""

    def __init__(self, out: BinaryIO, names: list[str], delimiter: str) -> None:
        self.out, self.delimiter, self.writer = out, delimiter, None
        text = io.StringIO()
        safe = ["'" + n if n[:1] and n[:1].encode()[0] in DANGEROUS else n for n in names]
        csv.writer(text, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(safe)
        # The header goes out with the first rows: a file that fails to parse writes nothing.
        self.header = text.getvalue().encode("utf-8")
        self.names = [f"c{i}" for i in range(len(names))]

    def write(self, arrays: list[pa.Array]) -> None:
        batch = pa.RecordBatch.from_arrays([neutralise(a) for a in arrays], names=self.names)
        if self.writer is None:
            self.out.write(self.header)
            options = pacsv.WriteOptions(include_header=False, delimiter=self.delimiter)
            self.writer = pacsv.CSVWriter(self.out, batch.schema, write_options=options)
        self.writer.write_batch(batch)

    def close(self) -> None:
        if self.writer is None:
            self.out.write(self.header)
        else:
            self.writer.close()


class JsonWriter:
    """JSON Lines: one object per contact, values as read (JSON is not opened by spreadsheets)."""

    def __init__(self, out: BinaryIO, names: list[str]) -> None:
        self.out = out
        seen: Counter[str] = Counter()
        self.keys = []
        for name in names:  # repeated headers get .1, .2 like pandas: JSON keys must be unique
            self.keys.append(f"{name}.{seen[name]}" if seen[name] else name)
            seen[name] += 1

    def write(self, arrays: list[pa.Array]) -> None:
        columns = [a.to_pylist() for a in arrays]
        lines = (
            json.dumps(dict(zip(self.keys, row, strict=True)), ensure_ascii=False)
            for row in zip(*columns, strict=True)
        )
        self.out.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        pass
