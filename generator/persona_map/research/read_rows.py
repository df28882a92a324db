"""The slow path for research files: row by row with the csv module, every problem a finding.

Files the fast path (persona_map.research.read_arrow) does not take come here, so that each problem is
reported with its exact line and column: rows of the wrong length, unclosed quotes, values their
column's role forbids. Only the columns that are used are kept; personal ones are dropped as read.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from persona_map.findings import Finding
from persona_map.research.tables import NUMERIC_ROLES, SourceSpec, finish_frame, wanted_columns

MAX_PER_COLUMN = 3  # findings listed per column and problem before a summary line

# the csv module refuses cells over 128 KiB by default; long interview notes are no error
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def slow_read(
    text: str, spec: SourceSpec, delimiter: str, header: list[str], shown: str
) -> tuple[pd.DataFrame | None, list[Finding]]:
    findings: list[Finding] = []
    # newline="": \r\n and a lone \r end lines too, as in pyarrow; a record is reported at its first line
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        next(reader)
        rows, lines, bad_lengths = [], [], []
        wanted = wanted_columns(spec, header)
        indices = [header.index(name) for name in wanted]  # personal and ignored cells are dropped as read
        line = reader.line_num + 1
        for record in reader:
            line, start = reader.line_num + 1, line
            if not record or record == [""]:
                continue
            if len(record) != len(header):
                bad_lengths.append((start, len(record)))
                continue
            rows.append([record[i] for i in indices])
            lines.append(start)
    except csv.Error as e:
        return None, [
            Finding(
                shown,
                line,
                0,
                "",
                f"cannot parse CSV: {e}",
                "check quoting on this line",
                "research.csv",
            )
        ]
    unclosed = _unclosed_quote(text, delimiter) if text.count('"') % 2 else None
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
    for line, count in bad_lengths[:MAX_PER_COLUMN]:
        extra = count > len(header)
        findings.append(
            Finding(
                shown,
                line,
                len(header) + 1 if extra else count + 1,
                "" if extra else header[count],
                f"row has {count} fields; the header has {len(header)}"
                + ("" if extra else f": '{header[count]}' and later columns are missing"),
                f"check the delimiter ({delimiter!r}) and quoting on this line",
                "research.row-length",
            )
        )
    if len(bad_lengths) > MAX_PER_COLUMN:
        findings.append(
            Finding(
                shown,
                bad_lengths[MAX_PER_COLUMN][0],
                0,
                "",
                f"... and {len(bad_lengths) - MAX_PER_COLUMN} more rows with the wrong number of fields",
                "check the delimiter and quoting",
                "research.row-length",
            )
        )
    if not rows:
        if not bad_lengths:
            findings.append(
                Finding(
                    shown,
                    1,
                    0,
                    "",
                    "research file has a header but no data rows",
                    "export the data again",
                    "research.empty",
                )
            )
        return None, findings
    frame = pd.DataFrame(rows, columns=wanted, dtype="string")
    frame = frame.replace("", pd.NA)
    problems, frame = _value_problems(frame, spec, np.asarray(lines), shown, header)
    findings += problems
    if any(f.is_error for f in findings):
        return None, findings
    return finish_frame(frame, spec), findings


def _unclosed_quote(text: str, delimiter: str) -> int | None:
    """First line of the record whose quoted cell runs to the end of the text, if there is one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for _ in reader:
            line = reader.line_num + 1
    except csv.Error as e:
        return line if "unexpected end of data" in str(e) else None
    return None


def _value_problems(
    frame: pd.DataFrame, spec: SourceSpec, lines: np.ndarray, shown: str, header: list[str] | None = None
) -> tuple[list[Finding], pd.DataFrame]:
    """Values that break their column's role, as findings; converts string columns on the way."""
    findings: list[Finding] = []
    frame = frame.copy()
    for name in frame.columns:
        column = spec.columns[name]
        values = frame[name]
        col_index = (header.index(name) + 1) if header else 0
        present = values.notna()
        bad, what, hint = None, "", ""
        if column.role in NUMERIC_ROLES:
            numbers = (
                values
                if pd.api.types.is_float_dtype(values)
                else pd.to_numeric(values.str.strip(), errors="coerce")
            )
            bad = present & numbers.isna()
            what, hint = "is not a number", "write plain numbers (no units or text) or leave the cell empty"
            frame[name] = numbers.astype("float64")
            if column.role == "likert" and column.scale:
                low, high = column.scale
                outside = numbers.notna() & ((numbers < low) | (numbers > high) | (numbers % 1 != 0))
                findings += _cell_findings(
                    shown,
                    lines,
                    outside,
                    values,
                    col_index,
                    name,
                    f"is outside the Likert scale {low}-{high}",
                    f"answers must be whole numbers from {low} to {high}",
                    "research.likert",
                )
        elif column.role == "date":
            if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
                dates = pd.to_datetime(values.str.strip(), format="ISO8601", errors="coerce")
                bad = present & dates.isna()
                frame[name] = dates
            what, hint = "is not a date", "write dates as YYYY-MM-DD"
        elif column.role == "ordinal" and column.levels:
            text = values.astype("string")
            bad = present & ~text.isin(column.levels)
            what, hint = (
                "is not one of the declared levels",
                f"use one of: {', '.join(column.levels)} (or add the level to the manifest)",
            )
        elif column.role == "key":
            bad = ~present
            what, hint = "has no key", "every row needs its respondent/account id"
            if spec.kind == "survey" and name == spec.key:
                findings += _cell_findings(
                    shown,
                    lines,
                    present & values.duplicated(),
                    values,
                    col_index,
                    name,
                    "repeats the key of an earlier row",
                    "a survey has one row per respondent: remove duplicate responses",
                    "research.duplicate-key",
                )
        if bad is not None:
            findings += _cell_findings(
                shown, lines, bad, values, col_index, name, what, hint, f"research.{column.role}"
            )
    return findings, frame


def _cell_findings(
    shown: str,
    lines: np.ndarray,
    mask: pd.Series,
    values: pd.Series,
    col_index: int,
    name: str,
    what: str,
    hint: str,
    code: str,
) -> list[Finding]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
    out = []
    for pos in positions[:MAX_PER_COLUMN]:
        value = values.iloc[pos]
        shown_value = "empty" if pd.isna(value) else repr(str(value)[:40])
        out.append(
            Finding(
                shown,
                int(lines[pos]),
                col_index,
                name,
                f"{shown_value} in column '{name}' {what}",
                hint,
                code,
            )
        )
    if len(positions) > MAX_PER_COLUMN:
        out.append(
            Finding(
                shown,
                int(lines[positions[MAX_PER_COLUMN]]),
                col_index,
                name,
                f"... and {len(positions) - MAX_PER_COLUMN} more rows in column '{name}' where the value {what}",
                hint,
                code,
            )
        )
    return out
