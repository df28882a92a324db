"""The start of a contacts CSV: its header, its encoding, and clear errors for files that are not CSV at all."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import BinaryIO

from persona_map.csv_files import MAX_RECORD  # the longest record read (a header or a row), as for research
from persona_map.errors import ClassifyError

HEAD = 1 << 16
PARQUET_MAGIC = b"PAR1"


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
            if len(data) > MAX_RECORD:
                raise ClassifyError(
                    f"{shown}: the header row is longer than {MAX_RECORD >> 20} MB (check the quoting)"
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
    if data.startswith(PARQUET_MAGIC):
        raise ClassifyError(
            f"{shown}: this is a Parquet file, which cannot be read from a pipe (pass its path)"
        )
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
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
