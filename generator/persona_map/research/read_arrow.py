"""The fast path for clean research files: pyarrow's multi-threaded CSV reader with the declared types.

It answers only "here is the typed table" or "something is off" (None). Every check runs on Arrow's
parsed columns before anything is converted, so a clean million-row file costs little more than
reading it; a file with any problem goes to the slow path, which says exactly what and where.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from persona_map.csv_files import MAX_RECORD, CsvFormat, odd_quotes
from persona_map.memory import release_memory
from persona_map.research.manifest import NUMERIC_ROLES, Column, Source
from persona_map.research.tables import finish_frame, wanted_columns

BLOCK_SIZE = 4 << 20  # measured: 4 MiB blocks parse twice as fast as 16 MiB ones on two cores
CHUNK_BYTES = 32 << 20  # bytes of whole lines parsed at a time by Arrow's multi-threaded reader
# The system allocator returns large freed buffers to the operating system; pyarrow's default pool keeps
# them (measured at 10M rows: 1.3 GB held after reading a 519 MB table, 0.6 GB with this pool).
POOL = pa.system_memory_pool()


def fast_read(path: Path, spec: Source, fmt: CsvFormat, header: list[str]) -> pd.DataFrame | None:
    """The typed table of a clean file, or None when anything is off.

    `header` holds the names as written in the file (pyarrow's column names), perhaps padded with spaces.
    The file is read as a stream of blocks, each checked and kept in compact form (numbers, category codes,
    Arrow strings): memory holds the result and one block.
    """
    columns = stream_into(path, spec, fmt, header, TypedColumns)
    if columns is None:
        return None
    frame = columns.frame()
    release_memory()
    return finish_frame(frame, spec)


def stream_into(
    path: Path, spec: Source, fmt: CsvFormat, header: list[str], sink: Callable[[Source, list[str]], Sink]
) -> Sink | None:
    """Every block of a clean file, typed and checked, handed to a new `sink(spec, wanted)`; None when anything
    is off. Cells spanning lines are allowed only when every quote is closed: an unclosed quote would
    otherwise swallow the rest of the file silently."""
    if odd_quotes(path):
        return None
    in_file = {name.strip(): name for name in header}
    wanted = wanted_columns(spec, list(in_file))
    for newlines in (False, True):
        done = _stream(path, spec, fmt, in_file, wanted, newlines_in_values=newlines, sink=sink)
        if done is not None:
            return done
    return None


class Sink(Protocol):
    """Where typed blocks go: gathered into a table (TypedColumns), or written out as partitions."""

    rows: int

    def add(self, batch: pa.RecordBatch) -> None: ...

    def repeats(self) -> bool: ...


class TypedColumns:
    """A file's typed columns gathered block by block: numbers and dates as numpy arrays, categories as codes
    into one dictionary per column, text as Arrow string chunks; survey keys hashed for repeats."""

    def __init__(self, spec: Source, wanted: list[str], *, check_keys: bool = True) -> None:
        self.spec, self.wanted, self.check_keys = spec, wanted, check_keys
        self.chunks: dict[str, list] = {name: [] for name in wanted}
        self.dictionaries: dict[str, dict[str, int]] = {name: {} for name in wanted}
        self.hashes: list[np.ndarray | None] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        for name, column in zip(self.wanted, batch.columns, strict=True):
            role = self.spec.columns[name].role
            if (
                role in NUMERIC_ROLES
            ):  # answers on a scale are small whole numbers: float32 holds them exactly
                kind = np.float32 if role == "likert" else np.float64
                self.chunks[name].append(column.to_numpy(zero_copy_only=False).astype(kind, copy=False))
            elif role == "date":
                self.chunks[name].append(pc.cast(column, pa.timestamp("ns")).to_numpy(zero_copy_only=False))
            elif _dictionary(role):
                known = self.dictionaries[name]
                local = np.array(
                    [known.setdefault(v, len(known)) for v in column.dictionary.to_pylist()] + [-1]
                )
                indices = column.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                self.chunks[name].append(local[indices].astype(np.int32 if len(known) > 32_000 else np.int16))
            else:
                self.chunks[name].append(column)
                if self.check_keys and self.spec.kind == "survey" and name == self.spec.key:
                    self.hashes.append(_key_hashes(column) if column.null_count == 0 else None)
        self.rows += batch.num_rows

    def repeats(self) -> bool:
        """Whether a survey key occurs twice (hashes first; equal hashes are settled exactly)."""
        if (
            not self.check_keys
            or self.spec.kind != "survey"
            or self.spec.key not in self.chunks
            or self.rows < 2
        ):
            return False
        if all(h is not None for h in self.hashes):
            hashes = np.concatenate(self.hashes)
            hashes.sort()
            if not (hashes[1:] == hashes[:-1]).any():
                return False
        keys = pa.chunked_array(self.chunks[self.spec.key], type=pa.string())
        return len(pc.unique(keys)) != self.rows

    def frame(self) -> pd.DataFrame:
        """The columns as one DataFrame; each column's chunks are freed as it is assembled."""
        out = {}
        for name in self.wanted:
            chunks, role = self.chunks.pop(name), self.spec.columns[name].role
            if role in NUMERIC_ROLES or role == "date":
                out[name] = pd.Series(np.concatenate(chunks), copy=False)
            elif _dictionary(self.spec.columns[name].role):
                categories = list(self.dictionaries[name])
                out[name] = pd.Series(
                    pd.Categorical.from_codes(np.concatenate(chunks), categories), copy=False
                )
            else:
                strings = pa.chunked_array(chunks, type=pa.string())
                out[name] = pd.Series(pd.arrays.ArrowStringArray(strings), copy=False)
            del chunks
            release_memory()  # the column's blocks, before the next column is assembled
        return pd.DataFrame(out, copy=False)


def _dictionary(role: str) -> bool:
    return role in ("categorical", "ordinal", "multi-select")


def _stream(
    path: Path,
    spec: Source,
    fmt: CsvFormat,
    in_file: dict[str, str],
    wanted: list[str],
    *,
    newlines_in_values: bool,
    sink: Callable[[Source, list[str]], Sink],
) -> Sink | None:
    """Parse with Arrow block by block; a cell larger than a block is retried with blocks of the longest record
    read (or the whole file, when smaller)."""
    options = {
        "parse_options": pacsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=newlines_in_values),
        "convert_options": pacsv.ConvertOptions(
            column_types={in_file[name]: _arrow_type(spec.columns[name]) for name in wanted},
            include_columns=[in_file[name] for name in wanted],
            null_values=[""],  # like the slow path: "NA", "N/A", "null" are values, not gaps
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    }
    size = path.stat().st_size
    for block in (BLOCK_SIZE, min(size + 1, MAX_RECORD)):
        columns = sink(spec, wanted)
        try:
            if newlines_in_values or block > BLOCK_SIZE:
                reader = pacsv.open_csv(
                    str(path),
                    read_options=pacsv.ReadOptions(block_size=block, encoding=_arrow_encoding(fmt)),
                    memory_pool=POOL,
                    **options,
                )
            else:
                reader = _line_chunks(path, _arrow_encoding(fmt), options)
            for batch in reader:
                batch = pa.RecordBatch.from_arrays(batch.columns, names=wanted)
                if typed_problems(batch, spec, whole=False):
                    return None
                columns.add(batch)
        except pa.ArrowInvalid as e:
            if "straddl" not in str(e) or block >= min(size + 1, MAX_RECORD):
                return None
            continue
        except pa.ArrowNotImplementedError:
            return None
        if columns.rows == 0 or columns.repeats():
            return None
        return columns
    return None


def _line_chunks(path: Path, encoding: str, options: dict) -> Iterator[pa.RecordBatch]:
    """The file's batches, parsed CHUNK_BYTES at a time by Arrow's multi-threaded reader.

    Arrow's streaming reader parses on one thread; its whole-file reader on all of them but holds the whole
    file. Cut at line ends, a file whose values hold no line break (what this first attempt assumes, as its
    parse options tell Arrow) reads in parallel with memory bounded by a chunk. The next chunk is read from
    disk while this one is parsed.
    """
    names: list[str] | None = None
    with ThreadPoolExecutor(1) as disk:
        ahead = disk.submit(_next_lines, path, 0)
        while True:
            data, at = ahead.result()
            if not data:
                return
            ahead = disk.submit(_next_lines, path, at)
            table = pacsv.read_csv(
                pa.py_buffer(data),
                read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, encoding=encoding, column_names=names),
                memory_pool=POOL,
                **options,
            )
            names = names or _file_names(data, encoding, options)
            yield from table.to_batches()


def _next_lines(path: Path, at: int) -> tuple[memoryview, int]:
    """Whole lines from byte `at` on, about CHUNK_BYTES of them (a longer line whole), and where they end."""
    with path.open("rb") as handle:
        handle.seek(at)
        data = handle.read(CHUNK_BYTES)
        if len(data) < CHUNK_BYTES:  # the rest of the file
            return memoryview(data), at + len(data)
        cut = data.rfind(b"\n") + 1
        while not cut:  # one line longer than a chunk: read on to its end
            if len(data) >= MAX_RECORD:  # the row reader then says where
                raise pa.ArrowInvalid(f"a line longer than {MAX_RECORD >> 20} MiB")
            more = handle.read(CHUNK_BYTES)
            found = more.find(b"\n")
            data += more if found < 0 else more[: found + 1]
            if not more or found >= 0:
                cut = len(data)
    return memoryview(data)[:cut], at + cut


def _file_names(data: memoryview, encoding: str, options: dict) -> list[str]:
    """Every column name of the header (what the next chunks, which have none, are read with)."""
    line = bytes(data[: 1 << 20])
    header = pacsv.read_csv(
        pa.py_buffer(line[: line.find(b"\n") + 1] or line),
        read_options=pacsv.ReadOptions(encoding=encoding),
        parse_options=options["parse_options"],
    )
    return header.column_names


def _arrow_type(column: Column) -> pa.DataType:
    if column.role in NUMERIC_ROLES:
        return pa.float64()
    if column.role == "date":
        return pa.timestamp("ns")  # dates with or without a time of day, as the row reader reads them
    if _dictionary(column.role):
        return pa.dictionary(pa.int32(), pa.string())
    return pa.string()


def _arrow_encoding(fmt: CsvFormat) -> str:
    """pyarrow reads UTF-8 natively (skipping a byte-order mark) and transcodes anything else."""
    return "utf8" if fmt.encoding in ("utf-8", "utf-8-sig") else fmt.encoding


def keyed_rows_only(spec: Source, name: str) -> bool:
    """Whether every row must have this key: a survey's rows are respondents; an export's rows without the
    join key are only counted and left out (sources.read_source reports how many)."""
    return spec.kind == "survey" or name != spec.key


def typed_problems(table: pa.Table | pa.RecordBatch, spec: Source, *, whole: bool = True) -> bool:
    """Whether typed columns hold values their role forbids (cheap checks on Arrow's parsed columns).

    `whole=False`: `table` is one block of the file; repeated survey keys are then checked across blocks.
    """
    for name in table.column_names:
        column = spec.columns[name]
        values = table[name]
        if column.role == "likert" and column.scale and values.null_count < len(values):
            low, high = column.scale
            extremes = pc.min_max(values).as_py()
            if extremes["min"] < low or extremes["max"] > high:
                return True
            if not pc.all(pc.equal(pc.trunc(values), values)).as_py():  # fractions (and NaN) are not answers
                return True
        elif column.role == "ordinal" and column.levels:
            chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
            found = {value for chunk in chunks for value in chunk.dictionary.to_pylist()}
            if found - set(column.levels):
                return True
        elif column.role == "key" and (
            (values.null_count and keyed_rows_only(spec, name))
            or (whole and spec.kind == "survey" and name == spec.key and repeats(values))
        ):
            return True
    return False


def repeats(values: pa.ChunkedArray) -> bool:
    """Whether any value occurs twice.

    Keys up to 64 bytes are hashed with numpy, eight bytes at a time (with their length), a million at a
    time, and the sorted hashes compared: several times faster than Arrow's hash table on ten million
    keys. Equal hashes, or longer keys, are settled exactly with Arrow's hash table.
    """
    array = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if pa.types.is_string(array.type) and array.null_count == 0 and len(array) > 1:
        hashes = _key_hashes(array)
        if hashes is not None:
            hashes.sort()
            if not (hashes[1:] == hashes[:-1]).any():
                return False
    return len(pc.unique(array)) != len(array)


def _key_hashes(array: pa.StringArray, chunk: int = 1 << 20, longest: int = 64) -> np.ndarray | None:
    """A 64-bit hash of every value (None for values longer than `longest` bytes)."""
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=len(array) + 1, offset=array.offset * 4)
    lengths = np.diff(offsets)
    width = int(lengths.max(initial=0))
    if width == 0 or width > longest:
        return None
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    words = -(-width // 8)
    columns = np.arange(words * 8)
    out = np.empty(len(array), dtype=np.uint64)
    for start in range(0, len(array), chunk):
        size = lengths[start : start + chunk]
        begin = offsets[start : start + len(size)]
        where = begin[:, None] + columns[None, :]
        inside = columns[None, :] < size[:, None]
        padded = np.where(inside, data[np.minimum(where, len(data) - 1)], 0).astype(np.uint8)
        hashes = np.full(len(size), 0xCBF29CE484222325, dtype=np.uint64) ^ size.astype(np.uint64)
        for word in np.ascontiguousarray(padded).view(np.uint64).T:  # FNV-1a over 8-byte words
            hashes ^= word
            hashes *= np.uint64(0x100000001B3)
            hashes ^= hashes >> np.uint64(29)
        out[start : start + len(size)] = hashes
    return out
