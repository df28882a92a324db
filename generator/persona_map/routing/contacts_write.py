"""Writing classified contacts: the input columns untouched, the persona columns added, safe for spreadsheets.

In CSV every cell a spreadsheet would run as a formula (one beginning with =, +, -, @, a tab or a
carriage return) gets a leading apostrophe, as OWASP's CSV injection advice says. JSON Lines and Parquet are
read by programs, not spreadsheets: they keep values as they are. Every writer writes chunk by chunk and
holds nothing back, so memory stays bounded by the chunk.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from persona_map.atomic import atomic_output
from persona_map.errors import ClassifyError
from persona_map.routing.rules import COLUMNS
from persona_map.spreadsheet import DANGEROUS, neutralise

SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}  # what each output format is named
WIDE = 10_000  # columns: wider output is written by Python (pyarrow's CSV writer costs ~8 KB per column)


@contextlib.contextmanager
def output(sink: Path | BinaryIO) -> Iterator[BinaryIO]:
    """The sink as a binary stream: a file is written atomically (complete or not at all), a stream as it is."""
    if isinstance(sink, Path):
        with atomic_output(sink) as handle:
            yield handle
    else:
        yield sink
        sink.flush()


PART = re.compile(rf"part-\d{{5}}({'|'.join(map(re.escape, SUFFIX.values()))})")  # what part_name names


def part_name(index: int, fmt: str) -> str:
    """The file name of part `index` of a folder-of-parts output."""
    return f"part-{index:05d}{SUFFIX[fmt]}"


def check_target(sink: Path | BinaryIO, folder: bool = False) -> None:
    """Refuse, before any work, an output that cannot be written: a missing folder, a folder for a file."""
    if not isinstance(sink, Path):
        return
    parent = sink.absolute().parent
    if not parent.is_dir():
        raise ClassifyError(f"--out {sink}: the folder {parent} does not exist (create it first)")
    if folder and sink.exists() and not sink.is_dir():
        raise ClassifyError(
            f"--out {sink}/: {sink} is a file, not a folder (remove it or choose another name)"
        )
    # a folder of parts replaces the folder there: only when it holds nothing but an earlier run's parts
    if folder and sink.is_dir():
        other = next((p for p in sorted(sink.iterdir()) if not PART.fullmatch(p.name)), None)
        if other is not None:
            raise ClassifyError(
                f"--out {sink}/: the folder holds {other.name!r}, which is not a part of an earlier run, and "
                "the parts replace the whole folder (choose a new or empty folder)"
            )
    if not folder and sink.is_dir():
        raise ClassifyError(f"--out {sink}: that is a folder (give a file name)")


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


def output_names(header: list[str]) -> list[str]:
    """The output's columns: the input's, then the persona columns it does not already have."""
    return [*header, *(name for name in COLUMNS if name not in header)]


def unique_names(names: list[str]) -> list[str]:
    """Repeated names get .1, .2 like pandas: JSON keys and Parquet columns must be unique."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        out.append(f"{name}.{seen[name]}" if seen[name] else name)
        seen[name] += 1
    return out


def assemble(table: pa.Table, result: pd.DataFrame, header: list[str]) -> list[pa.Array]:
    """Input columns in order (added ones replacing same-named input columns), then the other added ones."""
    added = _added(result)
    arrays = [
        added[name] if name in added else table.column(i).combine_chunks() for i, name in enumerate(header)
    ]
    return arrays + [added[name] for name in COLUMNS if name not in header]


class CsvWriter:
    """CSV in the input's delimiter, every cell neutralised, written by pyarrow (by Python when very wide).

    `header=False` writes the rows only: a part of a file whose header is written once, before the parts.
    """

    def __init__(self, out: BinaryIO, names: list[str], delimiter: str, header: bool = True) -> None:
        self.out, self.delimiter, self.writer = out, delimiter, None
        # The header goes out with the first rows: a file that fails to parse writes nothing.
        self.header = csv_header(names, delimiter) if header else b""
        self.names = [f"c{i}" for i in range(len(names))]
        self.wide = len(names) > WIDE

    def write(self, arrays: list[pa.Array]) -> None:
        if self.header:
            self.out.write(self.header)
            self.header = b""
        if self.wide:  # neutralised cell by cell: per column, numpy's fixed cost is most of the time
            self.out.write(_python_csv(arrays, self.delimiter))
            return
        safe = [neutralise(a) for a in arrays]
        batch = pa.RecordBatch.from_arrays(safe, names=self.names)
        if self.writer is None:
            options = pacsv.WriteOptions(include_header=False, delimiter=self.delimiter)
            self.writer = pacsv.CSVWriter(self.out, batch.schema, write_options=options)
        self.writer.write_batch(batch)

    def close(self) -> None:
        if self.header:
            self.out.write(self.header)
        if self.writer is not None:
            self.writer.close()


def csv_header(names: list[str], delimiter: str) -> bytes:
    """The header line, quoted like the rows and neutralised like them."""
    safe = ["'" + n if n[:1] and n[:1].encode()[0] in DANGEROUS else n for n in names]
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(safe)
    return text.getvalue().encode("utf-8")


def _python_csv(arrays: list[pa.Array], delimiter: str) -> bytes:
    """Rows neutralised and written as pyarrow's CSV writer writes them (text quoted, numbers bare: 1.0 as 1),
    without its per-column cost."""
    dangerous = DANGEROUS.decode()

    def cell(value: object) -> str:
        if isinstance(value, str):
            if value[:1] and value[0] in dangerous:
                value = "'" + value
            return '"' + value.replace('"', '""') + '"'
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text

    columns = [a.to_pylist() for a in arrays]
    lines = (delimiter.join(map(cell, row)) + "\n" for row in zip(*columns, strict=True))
    return "".join(lines).encode("utf-8")


class JsonWriter:
    """JSON Lines: one object per contact, values as read (JSON is not opened by spreadsheets)."""

    def __init__(self, out: BinaryIO, names: list[str]) -> None:
        self.out = out
        self.keys = unique_names(names)

    def write(self, arrays: list[pa.Array]) -> None:
        columns = [a.to_pylist() for a in arrays]
        lines = (
            json.dumps(dict(zip(self.keys, row, strict=True)), ensure_ascii=False)
            for row in zip(*columns, strict=True)
        )
        self.out.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        pass


class ParquetWriter:
    """Parquet: input columns as text, confidence as a number, one row group per chunk; values as read."""

    def __init__(self, out: BinaryIO, names: list[str]) -> None:
        types = {"confidence": pa.float64()}
        self.schema = pa.schema(
            [
                (key, types.get(name, pa.string()))
                for key, name in zip(unique_names(names), names, strict=True)
            ]
        )
        self.writer = pq.ParquetWriter(out, self.schema, compression="zstd")

    def write(self, arrays: list[pa.Array]) -> None:
        self.writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


Writer = CsvWriter | JsonWriter | ParquetWriter


def make_writer(fmt: str, out: BinaryIO, names: list[str], delimiter: str, header: bool = True) -> Writer:
    """The writer of `fmt` (csv, jsonl or parquet) into `out`; `header=False` for CSV parts of one file."""
    if fmt == "csv":
        return CsvWriter(out, names, delimiter, header)
    if fmt == "jsonl":
        return JsonWriter(out, names)
    return ParquetWriter(out, names)
