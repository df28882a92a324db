"""Reading a contacts CSV: its head (header, encoding, delimiter mistakes), then Arrow tables of bounded size.

Every column is read as text, never inferred. pyarrow parses the file block by block; a record longer than a
block makes the reader start over with larger blocks (`block_sizes`), so a 10 MB note is read while a quote
that is never closed is reported instead of swallowing the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from persona_map.errors import ClassifyError, RecordTooLong

SMALL_BLOCK = 1 << 20  # parses fastest; a record longer than this makes the reader start over with...
LARGE_BLOCK = 64 << 20  # ...the longest record (a 10 MB note is fine) and what pipes get from the start
HEAD = 1 << 16
CHUNK_BYTES = 64 << 20  # wide exports (hundreds of columns) get fewer rows per chunk: memory stays bounded


class Input:
    """The source as a binary stream: a file is opened (and closed) here, a stream is used as it is."""

    def __init__(self, source: Path | BinaryIO) -> None:
        self.source, self.handle = source, None

    def __enter__(self) -> BinaryIO:
        if isinstance(self.source, Path):
            try:
                self.handle = self.source.open("rb")
            except OSError as e:
                raise ClassifyError(f"{self.source}: cannot read: {e.strerror or e}") from e
            return self.handle
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.handle:
            self.handle.close()


@dataclass
class Head:
    """The start of the file: its header, encoding and whether any data follows."""

    bytes: bytes
    header: list[str]
    encoding: str
    rows: bool  # whether anything follows the header

    @classmethod
    def read(cls, raw: BinaryIO, shown: str, declared: str | None, delimiter: str) -> Head:
        """The head of `raw`, read until the header record is complete; clear errors for files that are not CSV."""
        data = _read_full(raw, HEAD)
        at_end = len(data) < HEAD
        while True:
            encoding = _encoding(data, declared, shown)
            records = _records(_decode(data, encoding, shown, final=at_end), delimiter)
            if at_end or len(records) > 1:  # the header is complete once a second record has begun
                break
            if len(data) > LARGE_BLOCK:
                raise ClassifyError(
                    f"{shown}: the header row is longer than {LARGE_BLOCK >> 20} MB (check the quoting)"
                )
            more = _read_full(raw, len(data))
            data, at_end = data + more, len(more) < len(data)
        if not records or not any(cell.strip() for cell in records[0]):
            raise ClassifyError(f"{shown}: the file is empty (export the contacts with a header row)")
        header = records[0]
        if len(header) == 1:
            for sep, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'"), (",", "','")):
                if sep != delimiter and sep in header[0]:
                    flag = "'\\t'" if sep == "\t" else f"'{sep}'"
                    raise ClassifyError(
                        f"{shown}: the header is one column containing {label}: the file is probably "
                        f"{label}-separated (pass --delimiter {flag})"
                    )
        rows = len(records) > 1 or not at_end
        return cls(data, header, encoding, rows)


def _encoding(data: bytes, declared: str | None, shown: str) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ClassifyError(
            f"{shown}: this is an Excel workbook, not a CSV file (save it as CSV UTF-8 first)"
        )
    if data.startswith(b"\x1f\x8b"):
        raise ClassifyError(f"{shown}: this file is gzip-compressed (decompress it first, e.g. with gunzip)")
    if declared:
        return codecs.lookup(declared).name
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # Excel's "Unicode text"
    if b"\x00" in data:
        raise ClassifyError(f"{shown}: this is binary data, not a CSV file (export the contacts as CSV)")
    return "utf-8"


def _decode(data: bytes, encoding: str, shown: str, final: bool) -> str:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final).removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ClassifyError(
            f"{shown}:{line}: not valid {encoding} (byte 0x{data[e.start]:02x}); pass --encoding latin-1 "
            "(or the file's encoding, e.g. cp1252 for Excel on Windows)"
        ) from e


def _read_full(raw: BinaryIO, size: int) -> bytes:
    parts, got = [], 0
    while got < size and (part := raw.read(size - got)):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The records of the text, skipping blank lines like the parser (the last one may be cut short)."""
    csv.field_size_limit(max(csv.field_size_limit(), LARGE_BLOCK))  # a long note is a cell, not an error
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]


class Counting(io.RawIOBase):
    """The raw input from its first byte, for pyarrow, counting what has been read (for the progress bar)."""

    def __init__(self, raw: BinaryIO, head: Head) -> None:
        self.raw, self.pending, self.position = raw, head.bytes, 0  # raw is just past the head

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.pending:
            data, self.pending = self.pending[:size] if size >= 0 else self.pending, b""
            if size >= 0 and len(data) < size:
                data += self.raw.read(size - len(data))
        else:
            data = self.raw.read(size)
        self.position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def batches(source: Counting, head: Head, delimiter: str, block: int, shown: str) -> Iterator[pa.RecordBatch]:
    """The records after the header as text columns, `block` bytes parsed at a time; read errors as ClassifyError."""
    problems: list[Any] = []

    def invalid(row: Any) -> str:
        problems.append(row)
        return "error"

    encoding = "utf8" if head.encoding in ("utf-8", "utf-8-sig") else head.encoding
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=block, encoding=encoding, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(head.header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        if any(not pa.types.is_string(t) for t in reader.schema.types):  # pragma: no cover - a bug, not input
            raise ClassifyError(f"{shown}: the header could not be read as text columns (report this)")
        yield from reader
    except pa.ArrowInvalid as e:
        raise _read_error(str(e), problems, head, shown) from None


def _read_error(message: str, problems: list[Any], head: Head, shown: str) -> Exception:
    if "straddl" in message:
        return RecordTooLong()
    if problems:
        row = problems[0]
        text = row.text if len(row.text) <= 60 else row.text[:57] + "..."
        return ClassifyError(
            f"{shown}: a row has {row.actual_columns} field{'s' * (row.actual_columns != 1)} where the header "
            f"has {row.expected_columns}: "
            f"{text!r} (check the delimiter and the quoting of that row)"
        )
    if "UTF8" in message or "UTF-8" in message:
        return ClassifyError(
            f"{shown}: not valid {head.encoding} beyond the first lines; pass --encoding latin-1 "
            "(or the file's encoding, e.g. cp1252 for Excel on Windows)"
        )
    return ClassifyError(
        f"{shown}: cannot read the CSV: {message.splitlines()[0]} (check the delimiter and quoting)"
    )


def chunks(parsed: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """Tables of `size` rows (fewer when rows are wide; the last one shorter), whatever the parser's blocks are."""
    pending: list[pa.RecordBatch] = []
    count = nbytes = 0
    for batch in parsed:
        pending.append(batch)
        count, nbytes = count + batch.num_rows, nbytes + batch.nbytes
        while count >= size or (count and nbytes >= CHUNK_BYTES):
            table = pa.Table.from_batches(pending)
            cut = min(size, max(1, count * CHUNK_BYTES // nbytes))
            yield table.slice(0, cut)
            rest = table.slice(cut)
            pending, count, nbytes = rest.to_batches(), rest.num_rows, rest.nbytes
    if count:
        yield pa.Table.from_batches(pending)


def block_sizes(seekable: bool) -> tuple[int, ...]:
    """Parser block sizes to try in turn: a stream cannot be read twice, so it gets the large one at once."""
    return (SMALL_BLOCK, LARGE_BLOCK) if seekable else (LARGE_BLOCK,)


def too_long(shown: str) -> ClassifyError:
    """The error for a record that does not fit even the largest block."""
    return ClassifyError(
        f"{shown}: a record is longer than {LARGE_BLOCK >> 20} MB: probably a quote that is "
        "never closed (check the quoting around the cell where the rows stop)"
    )
