"""Opening a contacts file: a CSV (file or stream) or Parquet (a file or a folder of files), read as Arrow tables
of text columns and of bounded size, whatever the input's size.

CSV is read by contacts_csv.py (its head by contacts_head.py), Parquet by contacts_parquet.py; both give record
batches of text columns, which `chunks` cuts into the tables `classify()` sees.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow as pa

from persona_map.errors import ClassifyError
from persona_map.routing.contacts_csv import CsvContacts
from persona_map.routing.contacts_head import PARQUET_MAGIC, Head
from persona_map.routing.contacts_parquet import ParquetContacts

CHUNK_BYTES = 64 << 20  # wide exports (hundreds of columns) get fewer rows per chunk: memory stays bounded


class Contacts(Protocol):
    """An open contacts file: its header, its rows as batches of text columns, and how far it has been read."""

    header: list[str]

    @property
    def fraction(self) -> float | None: ...

    def batches(self, rows: int) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...


class open_contacts:  # noqa: N801 - used as a function in a with statement, like open()
    """The contacts of `source`: a CSV file or stream, or a Parquet file or folder; closes what it opened."""

    def __init__(self, source: Path | BinaryIO, encoding: str | None, delimiter: str, shown: str) -> None:
        self.source, self.encoding, self.delimiter, self.shown = source, encoding, delimiter, shown
        self.handle: BinaryIO | None = None
        self.contacts: Contacts | None = None

    def __enter__(self) -> Contacts:
        if isinstance(self.source, Path):
            # only a regular file is peeked at: a named pipe (<(cat contacts.csv)) cannot be read twice
            if self.source.is_dir() or (self.source.is_file() and _starts_with(self.source, PARQUET_MAGIC)):
                self.contacts = ParquetContacts.open(self.source)
                return self.contacts
            try:
                self.handle = raw = self.source.open("rb")
            except OSError as e:
                raise ClassifyError(f"{self.source}: cannot read: {e.strerror or e}") from e
        else:
            raw = self.source
        start, size = _extent(raw)
        head = Head.read(raw, self.shown, self.encoding, self.delimiter)
        self.contacts = CsvContacts(raw, head, self.delimiter, self.shown, start, size)
        return self.contacts

    def __exit__(self, *exc: object) -> None:
        try:
            if self.contacts is not None:
                self.contacts.close()
        finally:
            if self.handle is not None:
                self.handle.close()


def _extent(raw: BinaryIO) -> tuple[int | None, int | None]:
    """Where reading starts and how many bytes follow, for an input that can seek (a file, or stdin from one)."""
    try:
        if not raw.seekable():
            return None, None
        start = raw.tell()
        return start, os.fstat(raw.fileno()).st_size - start
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        try:
            return (raw.tell(), None) if raw.seekable() else (None, None)
        except (OSError, ValueError):
            return None, None


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError as e:
        raise ClassifyError(f"{path}: cannot read: {e.strerror or e}") from e


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
