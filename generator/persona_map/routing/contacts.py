"""Contacts from a CRM export: read a CSV in chunks, map its columns, classify them, write them back safely.

Every input column is read as text (never inferred) and written back untouched and in order, with
`persona_id`, `persona_name`, `confidence` and `reason` added; in CSV every cell a spreadsheet would run
as a formula is neutralised. Memory stays bounded: pyarrow parses the file block by block and
`classify()` (generator/persona_map/routing/classify.py) sees `chunk_size` rows at a time, while one thread reads ahead and
another writes behind.
"""

from __future__ import annotations

import codecs
import csv
import io
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from persona_map.errors import ClassifyError, RecordTooLong
from persona_map.routing.contacts_write import ADDED, CsvWriter, Input, JsonWriter, assemble, output
from persona_map.routing.crm_columns import (
    CANONICAL,
    canonical_frame,
    load_mapping,
    model_columns,
    resolve_columns,
    size_band,
)
from persona_map.routing.rules import UNASSIGNED

__all__ = [
    "ADDED",
    "CANONICAL",
    "ClassifyOptions",
    "Classifier",
    "ClassifyError",
    "Summary",
    "classify_file",
    "load_classifier",
    "model_columns",
    "size_band",
    "summary_text",
]

SMALL_BLOCK = 1 << 20  # parses fastest; a record longer than this makes the reader start over with...
LARGE_BLOCK = 64 << 20  # ...the longest record (a 10 MB note is fine) and what pipes get from the start
HEAD = 1 << 16
CHUNK_BYTES = 64 << 20  # wide exports (hundreds of columns) get fewer rows per chunk: memory stays bounded

Progress = Callable[[int, int], None]  # rows written, bytes read


@dataclass(frozen=True)
class ClassifyOptions:
    """How to read, map and write a contacts file (`personas classify` options)."""

    fmt: str = "csv"
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> input column (--map)
    mapping_file: Path | None = None
    delimiter: str = ","
    encoding: str | None = None
    chunk_size: int = 100_000
    min_confidence: float = 0.5


@dataclass(frozen=True)
class Classifier:
    """What `classify()` needs, loaded once: rules built from the personas, and the segment model if any."""

    rules: Any
    personas: list[Any]
    model: Any = None


@dataclass
class Summary:
    """What a run did: rows, contacts per persona id, and which input column fed each canonical field."""

    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)

    @property
    def unassigned_share(self) -> float:
        return self.counts.get(UNASSIGNED, 0) / self.rows if self.rows else 0.0


def load_classifier(root: Path | None, use_model: bool = True) -> Classifier:
    """Check and load the repository's personas, build their rules and load the last segmentation, once."""
    from persona_map.check.catalog import build_catalog
    from persona_map.repository import Repository
    from persona_map.routing.classify import load_model, rules_from_personas

    repo = Repository.open(root)
    personas = build_catalog(repo).personas
    model = load_model(repo, personas) if use_model else None
    return Classifier(rules_from_personas(personas), personas, model)


def classify_file(
    source: Path | BinaryIO,
    sink: Path | BinaryIO,
    options: ClassifyOptions,
    classifier: Classifier,
    progress: Progress | None = None,
    shown: str | None = None,
) -> Summary:
    """Classify every contact of `source` (a CSV file or stream) and write the result to `sink`."""
    shown = shown or (str(source) if isinstance(source, Path) else "stdin")
    seekable = isinstance(source, Path) and isinstance(sink, Path)
    block = SMALL_BLOCK if seekable else LARGE_BLOCK
    with Input(source) as raw:
        head = _Head.read(raw, shown, options)
        columns = resolve_columns(head.header, _explicit(options), shown)
        columns |= model_columns(head.header, classifier.model, set(columns.values()))
        while True:
            try:
                with output(sink) as out:
                    return _run(head, raw, out, columns, options, classifier, progress, shown, block)
            except RecordTooLong:
                if block >= LARGE_BLOCK or not seekable:
                    raise ClassifyError(
                        f"{shown}: a record is longer than {LARGE_BLOCK >> 20} MB: probably a quote that is "
                        "never closed (check the quoting around the cell where the rows stop)"
                    ) from None
                block = LARGE_BLOCK  # a long cell: start over with room for it
                raw.seek(len(head.bytes))


def _run(
    head: _Head,
    raw: BinaryIO,
    out: Any,
    columns: dict[str, int],
    options: ClassifyOptions,
    classifier: Classifier,
    progress: Progress | None,
    shown: str,
    block: int,
) -> Summary:
    header = head.header
    summary = Summary(columns={name: header[i] for name, i in columns.items()},
                      names={p.id: p.name for p in classifier.personas},
                      replaced=[name for name in ADDED if name in header])  # fmt: skip
    names = [*header, *(n for n in ADDED if n not in header)]
    sink = CsvWriter(out, names, options.delimiter) if options.fmt == "csv" else JsonWriter(out, names)
    counts: Counter[str] = Counter()

    def write(item: tuple[pa.Table, pd.DataFrame]) -> None:
        table, result = item
        sink.write(assemble(table, result, header))
        for entry in pc.value_counts(pa.array(result["persona_id"], from_pandas=True)).to_pylist():
            counts[entry["values"]] += entry["counts"]

    # Three threads: one parses and prepares chunks, this one classifies, one assembles and writes.
    # pyarrow and numpy release the GIL, so on two cores the classification is most of the time.
    source = _Counting(raw, head) if head.rows else None
    chunks = _background(_prepared(source, head, options, block, shown, columns)) if source else ()
    with _Background(write) as writer:
        for table, frame in chunks:
            writer.put((table, _classify(frame, classifier, options.min_confidence)))
            summary.rows += table.num_rows
            if progress and source:
                progress(summary.rows, source.position)
    sink.close()
    summary.counts = dict(counts.most_common())
    return summary


def _prepared(
    source: _Counting, head: _Head, options: ClassifyOptions, block: int, shown: str, columns: dict[str, int]
) -> Iterator[tuple[pa.Table, pd.DataFrame]]:
    """Each chunk and the contact fields `classify()` reads from it."""
    sizes: dict[str, str] = {}
    for table in _chunks(_batches(source, head, options, block, shown), options.chunk_size):
        yield table, canonical_frame(table, columns, sizes)


def _classify(frame: pd.DataFrame, classifier: Classifier, min_confidence: float) -> pd.DataFrame:
    from persona_map.routing.classify import classify

    return classify(
        frame,
        classifier.rules,
        personas=classifier.personas,
        model=classifier.model,
        min_confidence=min_confidence,
    )


T = TypeVar("T")


def _background(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items, produced `depth` ahead by a background thread; its exceptions are raised here."""
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                return slots.put(entry, timeout=0.1)
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for item in items:
                put(("item", item))
                if stop.is_set():
                    return
            put(("end", None))
        except BaseException as e:  # handed to the consumer, which raises it
            put(("error", e))

    thread = threading.Thread(target=produce, name="read-contacts", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=10)


class _Background:
    """Hands items to `handle` in a background thread, one behind; its exceptions are raised here."""

    def __init__(self, handle: Callable[[Any], None]) -> None:
        self.handle = handle
        self.slots: queue.Queue[tuple[Any] | None] = queue.Queue(1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="write-contacts", daemon=True)

    def __enter__(self) -> _Background:
        self.thread.start()
        return self

    def _drain(self) -> None:
        while (item := self.slots.get()) is not None:
            if self.error is None:
                try:
                    self.handle(item[0])
                except BaseException as e:  # raised in the classifying thread
                    self.error = e

    def put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.slots.put((item,))

    def __exit__(self, kind: type | None, *exc: object) -> None:
        self.slots.put(None)
        self.thread.join()
        if kind is None and self.error is not None:
            raise self.error


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class _Head:
    """The start of the file: its header, encoding and whether any data follows."""

    bytes: bytes
    header: list[str]
    encoding: str
    rows: bool  # whether anything follows the header

    @classmethod
    def read(cls, raw: BinaryIO, shown: str, options: ClassifyOptions) -> _Head:
        data = _read_full(raw, HEAD)
        at_end = len(data) < HEAD
        while True:
            encoding = _encoding(data, options.encoding, shown)
            records = _records(_decode(data, encoding, shown, final=at_end), options.delimiter)
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
                if sep != options.delimiter and sep in header[0]:
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
    chunks, got = [], 0
    while got < size and (chunk := raw.read(size - got)):
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The records of the text, skipping blank lines like the parser (the last one may be cut short)."""
    csv.field_size_limit(max(csv.field_size_limit(), LARGE_BLOCK))  # a long note is a cell, not an error
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]


class _Counting(io.RawIOBase):
    """The raw input from its first byte, for pyarrow, counting what has been read (for the progress bar)."""

    def __init__(self, raw: BinaryIO, head: _Head) -> None:
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


def _batches(
    source: _Counting, head: _Head, options: ClassifyOptions, block: int, shown: str
) -> Iterator[pa.RecordBatch]:
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
                delimiter=options.delimiter, newlines_in_values=True, invalid_row_handler=invalid
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


def _read_error(message: str, problems: list[Any], head: _Head, shown: str) -> Exception:
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


def _chunks(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """Tables of `size` rows (fewer when rows are wide; the last one shorter), whatever the parser's blocks are."""
    pending: list[pa.RecordBatch] = []
    count = nbytes = 0
    for batch in batches:
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


def summary_text(summary: Summary) -> str:
    """The end-of-run summary for people: contacts per persona and the unassigned share."""
    lines = [f"classified {summary.rows:,} contact{'s' * (summary.rows != 1)}"]
    if summary.columns:
        read = ", ".join(f"{name} from {column!r}" for name, column in summary.columns.items())
        lines.append(f"  read {read}")
    for persona_id, count in summary.counts.items():
        if persona_id != UNASSIGNED:
            name = summary.names.get(persona_id, "")
            label = f"{persona_id} ({name})" if name and name != persona_id else persona_id
            lines.append(f"  {label}: {count:,} ({count / summary.rows:.1%})")
    lines.append(f"  {UNASSIGNED}: {summary.counts.get(UNASSIGNED, 0):,} ({summary.unassigned_share:.1%})")
    if summary.replaced:
        lines.append(f"replaced the input's own {', '.join(summary.replaced)} column(s)")
    return "\n".join(lines)


def _explicit(options: ClassifyOptions) -> dict[str, str]:
    mapping = load_mapping(options.mapping_file) if options.mapping_file else {}
    return {**mapping, **options.columns}
