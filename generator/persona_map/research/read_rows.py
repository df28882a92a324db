"""Research files read row by row with the csv module, every problem a finding with its line and column.

Files the Arrow reader (read_arrow) does not take come here: files with a problem, so that each problem is
reported exactly (rows of the wrong length, unclosed quotes, values their column's role forbids), and files
in encodings Arrow cannot scan safely (UTF-16). The file is streamed `CHUNK_ROWS` records at a time, so
memory is bounded by a chunk while problems are found; typed chunks are kept only while the file is clean,
and reading stops early once the input is hopeless. Personal and ignored cells are dropped as read.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from persona_map.csv_files import CsvFormat, bounded_lines, odd_quotes, open_text, records
from persona_map.findings import Finding
from persona_map.research.manifest import NUMERIC_ROLES, Source
from persona_map.research.read_arrow import keyed_rows_only
from persona_map.research.tables import finish_frame, wanted_columns

MAX_PER_COLUMN = 3  # findings listed per column and problem before a summary line
CHUNK_ROWS = 50_000
HOPELESS = 5  # chunks read after the first error in which every row was bad: stop there


def slow_read(
    path: Path,
    fmt: CsvFormat,
    spec: Source,
    header: list[str],
    shown: str,
    *,
    keep: bool = True,
    into: Callable[[pd.DataFrame], None] | None = None,
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """The typed table of one file and every problem in it (None when there is an error).

    `keep=False` only looks for problems, holding one chunk at a time (the table is then None); so does
    `into`, which is handed every typed chunk while the file is clean.
    """
    unclosed = _unclosed_quote(path, fmt)
    if unclosed:
        return None, [
            Finding(
                shown,
                unclosed,
                0,
                "",
                "a quoted cell that starts on this line is never closed: it runs to the end of the file",
                'close the quote, or double a quote inside a quoted cell ("")',
                "research.csv",
            )
        ]
    wanted = wanted_columns(spec, header)
    indices = [header.index(name) for name in wanted]
    found = _Found(shown, header)
    frames: list[pd.DataFrame] = []
    keys = _Keys() if spec.kind == "survey" and spec.key in wanted else None
    rows_read = hopeless = 0
    try:
        for lines, rows, bad in _chunks(path, fmt, len(header), indices):
            found.lengths(bad, fmt.delimiter)
            rows_read += len(rows)
            if rows:
                frame = pd.DataFrame(rows, columns=wanted, dtype="string").replace("", pd.NA)
                frame, bad_rows = _check_values(frame, spec, np.asarray(lines), found, header)
                if keys is not None:
                    keys.add(frame[spec.key], np.asarray(lines))
                if into is not None and not found.errors:
                    into(frame)
                elif keep and not found.errors:
                    frames.append(frame)
                else:
                    frames.clear()
                    hopeless = hopeless + 1 if bad_rows + len(bad) >= len(rows) + len(bad) else 0
            if hopeless >= HOPELESS:
                found.stopped_at = lines[-1] if lines else 0
                break
    except csv.Error as e:
        line = e.args[1] if len(e.args) > 1 else 0
        return None, [
            Finding(
                shown,
                line,
                0,
                "",
                f"cannot parse CSV: {e.args[0]}",
                "check quoting on this line",
                "research.csv",
            )
        ]
    except UnicodeDecodeError as e:
        return None, [
            Finding(shown, 0, 0, "", f"not valid {fmt.encoding} ({e.reason})",
                    "declare the file's `encoding:` in research/manifest.yaml", "research.encoding")
        ]  # fmt: skip
    if keys is not None and not found.stopped_at:
        repeated = keys.repeated()
        if len(repeated):
            index = header.index(spec.key)
            shown_cells = _cells_at(path, fmt, index, {int(x) for x in repeated[:MAX_PER_COLUMN]})
            values = pd.Series([shown_cells.get(int(line), "") for line in repeated], dtype="string")
            found.cells(repeated, values, index + 1, spec.key, "repeats the key of an earlier row",
                        "a survey has one row per respondent: remove duplicate responses", "research.duplicate-key")  # fmt: skip
    if not rows_read and not found.bad_lengths:
        found.add(Finding(shown, 1, 0, "", "research file has a header but no data rows",
                          "export the data again", "research.empty"))  # fmt: skip
    findings = found.report()
    if any(f.is_error for f in findings) or not frames:
        return None, findings
    return finish_frame(pd.concat(frames, ignore_index=True), spec), findings


def _chunks(
    path: Path, fmt: CsvFormat, width: int, indices: list[int]
) -> Iterator[tuple[list[int], list[list[str]], list[tuple[int, int]]]]:
    """(first line of each row, the wanted cells of each row, (line, length) of rows of the wrong length)."""
    lines: list[int] = []
    rows: list[list[str]] = []
    bad: list[tuple[int, int]] = []
    stream = records(path, fmt)
    next(stream, None)  # the header
    for line, record in stream:
        if len(record) != width:
            bad.append((line, len(record)))
        else:
            rows.append([record[i] for i in indices])
            lines.append(line)
        if len(rows) + len(bad) >= CHUNK_ROWS:
            yield lines, rows, bad
            lines, rows, bad = [], [], []
    if rows or bad:
        yield lines, rows, bad


def _unclosed_quote(path: Path, fmt: CsvFormat) -> int | None:
    """First line of the record whose quoted cell runs to the end of the file, if there is one."""
    if fmt.ascii_compatible and not odd_quotes(path):
        return None
    line = 1
    try:
        with open_text(path, fmt) as handle:
            reader = csv.reader(bounded_lines(handle), delimiter=fmt.delimiter, strict=True)
            for _ in reader:
                line = reader.line_num + 1
    except csv.Error as e:
        return line if "unexpected end of data" in str(e) else None
    except UnicodeDecodeError:
        return None
    return None


class _Keys:
    """Survey keys seen so far as 64-bit hashes with their lines: finds repeats across chunks in little memory."""

    def __init__(self) -> None:
        self.hashes: list[np.ndarray] = []
        self.lines: list[np.ndarray] = []

    def add(self, keys: pd.Series, lines: np.ndarray) -> None:
        present = keys.notna().to_numpy()
        self.hashes.append(pd.util.hash_array(keys[present].astype(str).to_numpy(dtype=object)))
        self.lines.append(lines[present])

    def repeated(self) -> np.ndarray:
        """Lines of the rows whose key an earlier row already had, in file order."""
        if not self.hashes:
            return np.zeros(0, dtype=np.int64)
        hashes, lines = np.concatenate(self.hashes), np.concatenate(self.lines)
        order = np.lexsort((lines, hashes))
        same = np.zeros(len(order), dtype=bool)
        same[1:] = hashes[order][1:] == hashes[order][:-1]
        return np.sort(lines[order][same])


def _cells_at(path: Path, fmt: CsvFormat, index: int, lines: set[int]) -> dict[int, str]:
    """The cell in column `index` of the records starting on `lines` (a second pass, for messages)."""
    out = {}
    for line, record in records(path, fmt):
        if line in lines and index < len(record):
            out[line] = record[index]
            if len(out) == len(lines):
                break
    return out


@dataclass
class _Found:
    """Findings of one file, at most MAX_PER_COLUMN per column and problem, then one summary each."""

    shown: str
    header: list[str]
    listed: list[Finding] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    more: dict[tuple[str, str], Finding] = field(default_factory=dict)
    bad_lengths: int = 0
    stopped_at: int = 0

    @property
    def errors(self) -> bool:
        return any(f.is_error for f in self.listed)

    def add(self, finding: Finding) -> None:
        self.listed.append(finding)

    def lengths(self, bad: list[tuple[int, int]], delimiter: str) -> None:
        width = len(self.header)
        for line, count in bad:
            extra = count > width
            self._count(
                ("", "research.row-length"),
                Finding(
                    self.shown,
                    line,
                    width + 1 if extra else count + 1,
                    "" if extra else self.header[count],
                    f"row has {count} fields; the header has {width}"
                    + ("" if extra else f": '{self.header[count]}' and later columns are missing"),
                    f"check the delimiter ({delimiter!r}) and quoting on this line",
                    "research.row-length",
                ),
                lambda n: f"... and {n} more rows with the wrong number of fields",
            )
        self.bad_lengths += len(bad)

    def cells(
        self,
        lines: np.ndarray,
        values: pd.Series,
        col_index: int,
        name: str,
        what: str,
        hint: str,
        code: str,
    ) -> None:
        for position, line in enumerate(lines):
            value = values.iloc[position]
            shown_value = "empty" if pd.isna(value) else repr(str(value)[:40])
            self._count(
                (name, code),
                Finding(self.shown, int(line), col_index, name, f"{shown_value} in column '{name}' {what}", hint, code),
                lambda n, name=name, what=what: f"... and {n} more rows in column '{name}' where the value {what}",
            )  # fmt: skip

    def _count(self, key: tuple[str, str], finding: Finding, summary) -> None:
        count = self.counts.get(key, 0) + 1
        self.counts[key] = count
        if count <= MAX_PER_COLUMN:
            self.listed.append(finding)
        elif count == MAX_PER_COLUMN + 1:
            self.more[key] = (finding, summary)

    def report(self) -> list[Finding]:
        out = list(self.listed)
        for key, (first, summary) in self.more.items():
            more = self.counts[key] - MAX_PER_COLUMN
            out.append(
                Finding(
                    first.file, first.line, first.column, first.path, summary(more), first.hint, first.code
                )
            )
        if self.stopped_at:
            out.append(
                Finding(
                    self.shown,
                    self.stopped_at,
                    0,
                    "",
                    f"stopped reading at line {self.stopped_at}: every row so far has a problem "
                    "(counts above are up to this line)",
                    "fix the problems above (often a wrong delimiter, encoding or column order), then check again",
                    "research.stopped",
                )
            )
        return out


def _check_values(
    frame: pd.DataFrame, spec: Source, lines: np.ndarray, found: _Found, header: list[str]
) -> tuple[pd.DataFrame, int]:
    """Values that break their column's role become findings; returns the typed chunk and its bad rows."""
    frame = frame.copy()
    bad_rows = np.zeros(len(frame), dtype=bool)
    for name in frame.columns:
        column = spec.columns[name]
        values = frame[name]
        col_index = header.index(name) + 1
        present = values.notna()

        def report(
            mask: pd.Series, what: str, hint: str, code: str, values=values, name=name, col_index=col_index
        ) -> None:
            positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
            bad_rows[positions] = True
            found.cells(lines[positions], values.iloc[positions], col_index, name, what, hint, code)

        if column.role in NUMERIC_ROLES:
            numbers = pd.to_numeric(values.str.strip(), errors="coerce")
            report(present & numbers.isna(), "is not a number",
                   "write plain numbers (no units or text) or leave the cell empty", f"research.{column.role}")  # fmt: skip
            frame[name] = numbers.astype("float64")
            if column.role == "likert" and column.scale:
                low, high = column.scale
                outside = numbers.notna() & ((numbers < low) | (numbers > high) | (numbers % 1 != 0))
                report(outside, f"is outside the Likert scale {low}-{high}",
                       f"answers must be whole numbers from {low} to {high}", "research.likert")  # fmt: skip
        elif column.role == "date":
            dates = pd.to_datetime(values.str.strip(), format="ISO8601", errors="coerce")
            report(present & dates.isna(), "is not a date", "write dates as YYYY-MM-DD", "research.date")
            frame[name] = dates
        elif column.role == "ordinal" and column.levels:
            report(present & ~values.isin(column.levels), "is not one of the declared levels",
                   f"use one of: {', '.join(column.levels)} (or add the level to the manifest)", "research.ordinal")  # fmt: skip
        elif column.role == "key" and keyed_rows_only(spec, name):
            report(~present, "has no key", "every row needs its respondent/account id", "research.key")
    return frame, int(bad_rows.sum())
