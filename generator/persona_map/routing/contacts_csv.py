"""Reading a contacts CSV as Arrow record batches of text columns (never inferred), a few blocks at a time.

pyarrow parses the file block by block (`SMALL_BLOCK`). A record longer than a block makes the reader start
over with larger blocks (`LARGE_BLOCK`) and skip the rows it already gave, so a 10 MB note is read, even when
the first rows have already gone to stdout. A pipe cannot be read twice: it is parsed in `PIPE_BLOCK` blocks
from the start, which bounds its longest record (parsing costs several times the block, and pyarrow works on
a few blocks at once: 64 MB blocks took 1.1 GB, 16 MB ones 0.4 GB).

A header of more than WIDE columns is parsed by the csv module instead: pyarrow's reader costs about 9 KB per
column however few the rows (900 MB for 100,000 columns), the csv module nothing.

A quote that never closes makes the rest of the file one cell: the end marker that contacts_feed.py appends
lands in that cell instead of forming a record of its own, and that is reported (never a silent short file).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from persona_map.errors import ClassifyError, RecordTooLong
from persona_map.routing.contacts_feed import END, Feed, end_marker
from persona_map.routing.contacts_head import MAX_RECORD, Head

SMALL_BLOCK = 1 << 20  # parses fastest; a record longer than this makes the reader start over with...
LARGE_BLOCK = MAX_RECORD  # ...the longest record (a 10 MB note is fine)
PIPE_BLOCK = 16 << 20  # what pipes get from the start, and so their longest record
WIDE = 10_000  # columns: wider headers are parsed by the csv module
WIDE_CELLS = 1 << 21  # cells per batch of the csv module (a row of 100,000 cells is 6 MB of Python strings)


class CsvContacts:
    """The rows of a CSV (file or stream) after its head, as batches; restarts on long records when it can.

    `start` is where the head began in `raw` when `raw` can seek (None for a pipe), `size` the bytes from there.
    """

    def __init__(
        self, raw: BinaryIO, head: Head, delimiter: str, shown: str, start: int | None, size: int | None
    ) -> None:
        self.raw, self.head, self.delimiter, self.shown = raw, head, delimiter, shown
        self.start, self.size, self.seekable = start, size, start is not None
        self.header = head.header
        self.feed: Feed | None = None

    @property
    def fraction(self) -> float | None:
        """How much of the input the parser has had (for a progress bar), when its size is known."""
        return min(1.0, self.feed.position / self.size) if self.feed and self.size else None

    def batches(self, rows: int = 0) -> Iterator[pa.RecordBatch]:
        """Every record after the header, in order, whatever block size it took to read them (`rows` is unused:
        a block decides)."""
        if not self.head.rows:
            return
        given = 0
        sizes = (SMALL_BLOCK, LARGE_BLOCK) if self.seekable else (PIPE_BLOCK,)
        for attempt, block in enumerate(sizes):
            if attempt:
                self.raw.seek((self.start or 0) + len(self.head.bytes))  # a long record: start over with room
            try:
                for batch in _skip(self._parsed(block), given):
                    given += batch.num_rows
                    yield batch
                return
            except RecordTooLong:
                continue
        longest = sizes[-1] >> 20
        hint = (
            ""
            if self.seekable
            else f" or, if a cell really is that long, pass the file instead of a pipe (up to {LARGE_BLOCK >> 20} MB)"
        )
        raise ClassifyError(
            f"{self.shown}: a record is longer than {longest} MB: probably a quote that is never closed "
            f"(check the quoting around the cell where the rows stop{hint})"
        )

    def close(self) -> None:
        """Stop reading (from any thread): the parser sees the end of the input at once."""
        if self.feed is not None:
            self.feed.stop()

    def _parsed(self, block: int) -> Iterator[pa.RecordBatch]:
        wide = len(self.header) > WIDE
        marker = end_marker(self.head.encoding, self.head.bytes)
        self.feed = feed = Feed(self.raw, self.head.bytes, marker, ahead=1 << 40 if wide else 3)
        parsed = (
            _python_batches(feed, self.head, self.delimiter, self.shown) if wide else self._arrow(feed, block)
        )
        try:
            yield from _without_marker(parsed, len(self.header), self.delimiter, self.shown)
        finally:
            feed.stop(join=self.seekable)
            parsed.close()  # pyarrow's reader goes now, even while an exception's traceback holds its frame
            feed.wait_returned()  # pyarrow's threads let go of our objects now, not as the interpreter exits

    def _arrow(self, feed: Feed, block: int) -> Iterator[pa.RecordBatch]:
        problems: list[Any] = []

        def invalid(row: Any) -> str:
            if row.text == END:
                return "skip"  # the end marker after a complete last record
            problems.append(row)
            return "error"

        feed.lend(invalid)
        encoding = "utf8" if self.head.encoding in ("utf-8", "utf-8-sig") else self.head.encoding
        reader = None
        try:
            feed.parsing(True)
            reader = pacsv.open_csv(
                feed.stream(),
                read_options=pacsv.ReadOptions(block_size=block, encoding=encoding, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=invalid
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(self.header, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            feed.parsing(False)
            if any(not pa.types.is_string(t) for t in reader.schema.types):  # pragma: no cover - a bug
                raise ClassifyError(
                    f"{self.shown}: the header could not be read as text columns (report this)"
                )
            while True:
                feed.parsing(True)
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                finally:
                    feed.parsing(False)
                feed.took()
                yield batch
        except pa.ArrowInvalid as e:
            raise _read_error(str(e), problems, self.head, self.shown) from None
        finally:
            feed.stop()  # first: dropping pyarrow's reader waits for its reads, which the end lets finish
            reader = invalid = None  # noqa: F841 - let go of them even while a traceback holds this frame


def _skip(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """The batches without their first `rows` rows (those a first attempt already gave)."""
    for batch in batches:
        if rows >= batch.num_rows:
            rows -= batch.num_rows
            continue
        yield batch.slice(rows) if rows else batch
        rows = 0


def _without_marker(
    batches: Iterator[pa.RecordBatch], width: int, delimiter: str, shown: str
) -> Iterator[pa.RecordBatch]:
    """The batches, one behind, with the end marker's own record taken off; a swallowed marker is an error."""
    last = None
    for batch in batches:
        if not batch.num_rows:
            continue
        if last is not None:
            yield last
        last = batch
    if last is None:
        return
    final = [last.column(i)[last.num_rows - 1].as_py() for i in range(width)]
    if width == 1 and final[0] == END:
        last = last.slice(0, last.num_rows - 1)
    elif END in final[-1]:
        raise unclosed(delimiter.join(final).replace(END, ""), shown)
    if last.num_rows:
        yield last


def unclosed(record: str, shown: str) -> ClassifyError:
    """The error for a quote that is never closed: the record where it opens."""
    record = record.rstrip("\r\n")
    start = record if len(record) <= 60 else record[:57] + "..."
    return ClassifyError(
        f"{shown}: a quote is never closed: the record {start!r} runs to the end of the file "
        "(close the quote or remove it, then export again)"
    )


def _python_batches(feed: Feed, head: Head, delimiter: str, shown: str) -> Iterator[pa.RecordBatch]:
    """Records of a very wide file, parsed by the csv module, as batches of at most WIDE_CELLS cells."""
    width = len(head.header)
    encoding = "utf-8-sig" if head.encoding == "utf-8" else head.encoding
    text = io.TextIOWrapper(feed.stream(), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        next(reader)  # the header, already read
        for record in reader:
            if not record or record == [END]:
                continue
            if len(record) != width:
                shown_record = delimiter.join(record)
                if END in shown_record:
                    raise unclosed(shown_record.replace(END, ""), shown)
                raise ClassifyError(_mismatch(shown, len(record), width, shown_record))
            rows.append(record)
            if len(rows) * width >= WIDE_CELLS:
                yield _table(rows, head.header)
                rows = []
    except csv.Error as e:
        raise ClassifyError(f"{shown}: cannot read the CSV: {e} (check the delimiter and quoting)") from None
    except UnicodeDecodeError:
        raise _read_error("UTF-8", [], head, shown) from None
    if rows:
        yield _table(rows, head.header)


def _table(rows: list[list[str]], header: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array(column, pa.string()) for column in zip(*rows, strict=True)], names=header
    )


def _mismatch(shown: str, actual: int, expected: int, text: str) -> str:
    text = text if len(text) <= 60 else text[:57] + "..."
    return (
        f"{shown}: a row has {actual} field{'s' * (actual != 1)} where the header has {expected}: "
        f"{text!r} (check the delimiter and the quoting of that row)"
    )


def _read_error(message: str, problems: list[Any], head: Head, shown: str) -> Exception:
    if "straddl" in message:
        return RecordTooLong()
    if problems:
        row = problems[0]
        if END in row.text:
            return unclosed(row.text.replace(END, "").rstrip("\n"), shown)
        return ClassifyError(_mismatch(shown, row.actual_columns, row.expected_columns, row.text))
    if "UTF8" in message or "UTF-8" in message:
        return ClassifyError(
            f"{shown}: not valid {head.encoding} beyond the first lines; pass --encoding latin-1 "
            "(or the file's encoding, e.g. cp1252 for Excel on Windows)"
        )
    return ClassifyError(
        f"{shown}: cannot read the CSV: {message.splitlines()[0]} (check the delimiter and quoting)"
    )
