"""Opening a research CSV: the one decision about its encoding and delimiter, and its records as text.

Every reader of a research file (the loader, the personal-data guard, the research page) asks `detect`, so
they never disagree about what a file holds. The encoding is the declared one; else the byte-order mark's
(UTF-16, UTF-8); else UTF-8 when every byte of the file decodes as UTF-8; else Windows-1252 (Excel's Latin-1),
with a warning. The delimiter is the declared one; else the one of `, ; tab |` that splits the header into
the most declared column names (',' when none does better).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from persona_map.findings import Finding, Severity

DELIMITERS = (",", ";", "\t", "|")
HEAD = 1 << 16  # bytes read to find the header
MAX_HEADER = 1 << 20  # a header row longer than this is not a header (binary data, or a quote never closed)
ASCII_COMPATIBLE = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso8859-1", "ascii")
BLOCK = 1 << 23  # bytes per block when scanning a whole file

# The longest line, and the longest cell, read (in characters): long interview notes are no error (the csv
# module refuses cells over 128 KiB by default), but a file that is one endless line (zeros where a copy
# failed, a quote never closed) is not research, and memory stays bounded by this whatever the file's size.
MAX_RECORD = 1 << 26
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD))


@dataclass(frozen=True)
class CsvFormat:
    """How to read one CSV file: Python codec name, delimiter, and the header's cells as written."""

    encoding: str
    delimiter: str
    header: tuple[str, ...]
    skip_bom: bool = False  # a UTF-8 byte-order mark before text in another encoding (Excel does that)

    @property
    def ascii_compatible(self) -> bool:
        """Whether every ASCII character is its own single byte (so a byte 0x22 is always a quote)."""
        return self.encoding in ASCII_COMPATIBLE and not self.skip_bom


def open_text(path: Path, fmt: CsvFormat, errors: str = "strict") -> io.TextIOWrapper:
    """The file as text in its encoding, past any byte-order mark, with newlines as written (for csv)."""
    handle = path.open("rb")
    if fmt.skip_bom:
        handle.read(len(codecs.BOM_UTF8))
    return io.TextIOWrapper(handle, encoding=fmt.encoding, errors=errors, newline="")


def detect(
    path: Path,
    shown: str,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    columns: Iterable[str] = (),
) -> tuple[CsvFormat | None, list[Finding]]:
    """The file's format, or None and findings that say why it cannot be read (warnings may come with a format)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(HEAD)
    except OSError as e:
        return None, [
            _finding(shown, 0, f"cannot read file: {e.strerror or e}", "check its permissions", "file")
        ]
    codec, findings = _encoding(path, start, encoding, shown)
    if codec is None:
        return None, findings
    body = start[len(codecs.BOM_UTF8) :] if start.startswith(codecs.BOM_UTF8) else start
    text = codecs.getincrementaldecoder(codec)(errors="replace").decode(body, final=False)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return None, [
            *findings,
            _finding(shown, 1, "research file is empty", "export the data again with a header row", "empty"),
        ]
    skip_bom = start.startswith(codecs.BOM_UTF8) and codec not in ("utf-8-sig", "utf-8")
    chosen = delimiter or sniff(text, set(columns))
    header = (
        first_record(text, chosen)
        if len(start) < HEAD
        else _header(path, CsvFormat(codec, chosen, (), skip_bom))
    )
    if header is None:
        return None, [
            *findings,
            _finding(
                shown,
                1,
                f"the header row is longer than {MAX_HEADER >> 20} MiB",
                "check that this is a CSV file and that every quote in the header is closed",
                "header",
            ),
        ]
    return CsvFormat(codec, chosen, tuple(header), skip_bom), findings


def sniff(text: str, columns: set[str]) -> str:
    """The delimiter that splits the header into the most `columns`; ',' when none does better."""
    best, score = ",", -1
    for candidate in DELIMITERS:
        names = {n.strip() for n in first_record(text, candidate)}
        hits = len(names & columns)
        if hits > score:
            best, score = candidate, hits
    return best


def first_record(text: str, delimiter: str) -> list[str]:
    """The first record of `text`, quoted newlines and any line ending allowed; [] when unreadable.

    Reads only as much of the text as the record needs (a second record has begun, or the text ends).
    """
    size = 1 << 16
    while True:
        try:
            records = csv.reader(io.StringIO(text[:size], newline=""), delimiter=delimiter)
            first = next(records, [])
            if size >= len(text) or next(records, None) is not None:
                return first
        except csv.Error:
            if size >= len(text):
                return []
        size *= 4


def records(path: Path, fmt: CsvFormat) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of every non-blank record, header included, streamed from disk.

    Raises csv.Error(message, line) for a malformed record, and UnicodeDecodeError for bytes the encoding
    cannot read (`detect` has already checked that the whole file decodes).
    """
    with open_text(path, fmt) as handle:
        reader = csv.reader(bounded_lines(handle), delimiter=fmt.delimiter)
        end = 0
        try:
            for record in reader:
                line, end = end + 1, reader.line_num  # a quoted cell may span lines
                if record and record != [""]:
                    if line == 1 and record[0].startswith("\ufeff"):
                        record[0] = record[0][1:]
                    yield line, record
        except csv.Error as e:
            message = str(e)
            if message.startswith("field larger than field limit"):
                message = f"a cell longer than {MAX_RECORD >> 20} MiB (probably a quote that is never closed)"
            raise csv.Error(message, end + 1) from e


def bounded_lines(handle: io.TextIOWrapper) -> Iterator[str]:
    """The handle's lines for the csv module, each at most MAX_RECORD characters read (a longer one is an error,
    found without holding it)."""
    while line := handle.readline(MAX_RECORD):
        if len(line) == MAX_RECORD and not line.endswith(("\n", "\r")):
            raise csv.Error(
                f"a line longer than {MAX_RECORD >> 20} MiB: not CSV text (a file cut short, or binary data)"
            )
        yield line


def _header(path: Path, fmt: CsvFormat) -> list[str] | None:
    """The header of a file whose header is longer than HEAD bytes; None past MAX_HEADER characters."""
    with open_text(path, fmt, errors="replace") as handle:
        text = handle.read(MAX_HEADER)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter)
    try:
        first = next(records, [])
        if len(text) == MAX_HEADER and next(records, None) is None:
            return None  # the first record did not end within MAX_HEADER characters
    except csv.Error:
        return None
    if first and first[0].startswith("\ufeff"):
        first[0] = first[0][1:]
    return first


def odd_quotes(path: Path) -> bool:
    """Whether the file holds an odd number of double quotes (so one is never closed).

    For ASCII-compatible encodings only. Read 8 MiB at a time into one buffer per thread (no file-sized
    copy in memory), the two halves of a large file on two threads, and counted with numpy.
    """
    size = path.stat().st_size
    if size < 1 << 22:
        return _count_quotes(path, 0, size) % 2 == 1
    half = size // 2
    with ThreadPoolExecutor(2) as pool:
        counts = pool.map(_count_quotes, (path, path), (0, half), (half, size))
        return sum(counts) % 2 == 1


def _count_quotes(path: Path, start: int, end: int, step: int = BLOCK) -> int:
    import numpy as np  # not at the top: `personas check` reads CSVs without numpy

    buffer = bytearray(min(step, max(end - start, 1)))
    count = 0
    with path.open("rb") as handle:
        handle.seek(start)
        while start < end:
            got = handle.readinto(memoryview(buffer)[: min(len(buffer), end - start)])
            if not got:
                break
            count += int(np.count_nonzero(np.frombuffer(buffer, dtype=np.uint8, count=got) == 0x22))
            start += got
    return count


def _encoding(path: Path, start: bytes, declared: str | None, shown: str) -> tuple[str | None, list[Finding]]:
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            return None, [
                _finding(
                    shown,
                    0,
                    f"unknown encoding {declared!r}",
                    "fix `encoding:` for this source in research/manifest.yaml (e.g. utf-8, latin-1, cp1252)",
                    "encoding",
                )
            ]
        name = "utf-8-sig" if name == "utf-8" else name  # a UTF-8 byte-order mark is harmless
        bad = _first_problem(path, name)
        if bad is not None and bad.byte is not None:
            return None, [
                _finding(
                    shown,
                    bad.line,
                    f"not valid {declared} (byte 0x{bad.byte:02x})",
                    "fix `encoding:` for this source in research/manifest.yaml",
                    "encoding",
                )
            ]
        return (None, [_binary(shown, bad.line)]) if bad else (name, [])
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bad = _first_problem(path, "utf-16")
        if bad is None:
            return "utf-16", []
        if bad.byte is None:
            return None, [_binary(shown, bad.line)]
    bad = _first_problem(path, "utf-8-sig")  # a byte-order mark is not an error
    if bad is None:
        return ("utf-8-sig" if start.startswith(codecs.BOM_UTF8) else "utf-8"), []
    if bad.byte is None:
        return None, [_binary(shown, bad.line)]
    nul = _first_problem(path, "latin-1")  # decodes every byte: only a NUL stops it
    if nul is not None:
        return None, [_binary(shown, nul.line)]
    warning = _finding(
        shown,
        bad.line,
        f"file is not UTF-8 (byte 0x{bad.byte:02x}); read as Latin-1 (Windows-1252)",
        "declare `encoding: latin-1` (or the right one) for this source in research/manifest.yaml",
        "encoding",
        Severity.WARNING,
    )
    return "cp1252", [warning]


class Problem(NamedTuple):
    """Where a file stops being text: the line, and the byte `codec` cannot decode (None for a NUL character,
    which decodes but is never CSV text: binary data, or zeros where a copy or a disk failed)."""

    line: int
    byte: int | None


def _first_problem(path: Path, codec: str) -> Problem | None:
    """The first byte `codec` cannot decode or the first NUL character, or None when the whole file is text.

    Streams the file in blocks (a file of zeros is found at its first block, whatever its size); pure-ASCII
    blocks of an ASCII-compatible codec are only searched and counted. Lines are counted in decoded text (a
    UTF-16 code unit may hold a 0x0a byte that is no line break).
    """
    decoder = codecs.getincrementaldecoder(codec)()
    ascii_safe = codec in ASCII_COMPATIBLE
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            if ascii_safe and block.isascii() and decoder.getstate()[0] == b"":
                nul = block.find(b"\x00")
                if nul >= 0:
                    return Problem(lines + block.count(b"\n", 0, nul) + 1, None)
                lines += block.count(b"\n")
                continue
            state = decoder.getstate()
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as e:  # e.object: what the decoder was given (past a byte-order mark)
                before = codecs.getincrementaldecoder(codec)(errors="replace")
                before.setstate(state)
                text = before.decode(e.object[: e.start])
                if "\x00" not in text:
                    return Problem(lines + text.count("\n") + 1, e.object[e.start])
            except UnicodeError:  # UTF-16 without a byte-order mark
                return Problem(lines + 1, block[0])
            nul = text.find("\x00")
            if nul >= 0:
                return Problem(lines + text.count("\n", 0, nul) + 1, None)
            lines += text.count("\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:
            return Problem(lines + 1, e.object[e.start] if e.object else 0)
    return None


def _binary(shown: str, line: int) -> Finding:
    return _finding(
        shown,
        line,
        "file holds binary data (NUL bytes), not CSV text",
        "export the research as CSV (UTF-8), or declare its `encoding:` if it is UTF-16",
        "binary",
    )


def _finding(
    shown: str, line: int, message: str, hint: str, code: str, severity: Severity = Severity.ERROR
) -> Finding:
    return Finding(shown, line, 0, "", message, hint, f"research.{code}", severity)
