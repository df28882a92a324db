"""Research sources read as typed tables, validated against the manifest, every problem a finding.

Clean files take a fast path (pyarrow's multi-threaded CSV reader with the column types the manifest
declares). A file with any problem is read again row by row, so that every problem is reported with its
exact line and column. Columns declared as personal data are never read into memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from generator.findings import Finding, Severity
from generator.manifest import Manifest
from generator.repository import Repository
from generator.research_fast import fast_read
from generator.research_spec import NUMERIC_ROLES, SourceSpec, finish_frame, wanted_columns

MAX_PER_COLUMN = 3  # findings listed per column and problem before a summary line

# the csv module refuses cells over 128 KiB by default; long interview notes are no error
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


@dataclass
class Research:
    """Typed tables of every readable source (personal columns dropped), keyed by source id."""

    specs: dict[str, SourceSpec] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def by_kind(self, kind: str) -> list[str]:
        return [sid for sid, spec in self.specs.items() if spec.kind == kind and sid in self.frames]


def load_research(
    repo: Repository, manifest: Manifest, ids: Iterable[str] | None = None
) -> tuple[Research, list[Finding]]:
    """Read and validate every declared source (or only `ids`)."""
    research, findings = Research(), []
    for sid in ids if ids is not None else manifest.sources:
        source = manifest.sources[sid]
        spec = SourceSpec.from_source(source)
        research.specs[sid] = spec
        path = repo.research_dir / spec.file
        if not source.exists:
            continue  # the manifest check already reported it
        frame, problems = read_source(path, spec, repo.display(path))
        findings += problems
        if frame is not None and not any(p.is_error for p in problems):
            research.frames[sid] = frame
    findings += _join_findings(research, repo)
    return research, findings


def read_source(path: Path, spec: SourceSpec, shown: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    """One CSV as a typed DataFrame, or the findings that say why not."""
    with path.open("rb") as handle:
        start = handle.read(1 << 16)
    if _utf8_candidate(start, spec):
        head = start.decode("utf-8", errors="replace").removeprefix("\ufeff")
        if head.strip():
            delimiter = spec.delimiter or _sniff(head, spec)
            raw_header = _first_record(head, delimiter)
            if not _header_findings([h.strip() for h in raw_header], spec, shown):
                frame = fast_read(path, spec, delimiter, raw_header)
                if frame is not None:
                    return frame, []
    raw = path.read_bytes()
    # Something is off (or the file is not UTF-8): read it row by row to say exactly what and where.
    text, encoding, findings = _decode(raw, spec, shown)
    if text is None:
        return None, findings
    text = text.removeprefix("\ufeff")  # a BOM left by a declared encoding (Excel's "CSV UTF-8")
    if not text.strip():
        return None, findings + [
            Finding(
                shown,
                1,
                0,
                "",
                "research file is empty",
                "export the data again with a header row",
                "research.empty",
            )
        ]
    delimiter = spec.delimiter or _sniff(text, spec)
    raw_header = _first_record(text, delimiter)
    header = [h.strip() for h in raw_header]
    findings += _header_findings(header, spec, shown)
    if any(f.is_error for f in findings):
        return None, findings
    frame, problems = _slow_read(text, spec, delimiter, header, shown)
    return frame, findings + problems


def _utf8_candidate(start: bytes, spec: SourceSpec) -> bool:
    """Whether the file, judged by its first bytes, may be read by the fast path (UTF-8, declared or not)."""
    if spec.encoding not in (None, "utf-8", "utf-8-sig"):
        return False
    return not start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _decode(raw: bytes, spec: SourceSpec, shown: str) -> tuple[str | None, str, list[Finding]]:
    if spec.encoding:
        try:
            return raw.decode(spec.encoding), spec.encoding, []
        except UnicodeDecodeError as e:
            line = raw[: e.start].decode(spec.encoding, errors="replace").count("\n") + 1
            return (
                None,
                spec.encoding,
                [
                    Finding(
                        shown,
                        line,
                        0,
                        "",
                        f"not valid {spec.encoding} (byte 0x{raw[e.start]:02x})",
                        "fix `encoding:` for this source in research/manifest.yaml",
                        "research.encoding",
                    )
                ],
            )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read as below
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[3:] if bom else raw
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8", []
    except UnicodeDecodeError as e:
        warning = Finding(
            shown,
            body[: e.start].count(b"\n") + 1,
            0,
            "",
            f"file is not UTF-8 (byte 0x{body[e.start]:02x}); read as Latin-1 (Windows-1252)",
            "declare `encoding: latin-1` (or the right one) for this source in research/manifest.yaml",
            "research.encoding",
            Severity.WARNING,
        )
        return body.decode("cp1252", errors="replace"), "cp1252", [warning]


def _sniff(text: str, spec: SourceSpec) -> str:
    """The delimiter that splits the header into the declared columns; ',' when none does better."""
    best, score = ",", -1
    for candidate in (",", ";", "\t", "|"):
        names = [n.strip() for n in _first_record(text, candidate)]
        hits = len(set(names) & set(spec.columns))
        if hits > score:
            best, score = candidate, hits
    return best


def _first_record(text: str, delimiter: str) -> list[str]:
    """The header row, quoted newlines and any line ending (\\n, \\r\\n, \\r) allowed; [] when unreadable.

    Reads only as much of the text as the header needs (a second record has begun, or the text ends).
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


def _header_findings(header: list[str], spec: SourceSpec, shown: str) -> list[Finding]:
    findings = []
    names = [h.strip() for h in header]
    for index, name in enumerate(names, start=1):
        if name not in spec.columns:
            # binary junk read as a header must not flood the terminal with control characters
            label = name
            if not name.isprintable() or len(name) > 60:
                label = repr(name[:60])[1:-1] + ("..." if len(name) > 60 else "")
            findings.append(
                Finding(
                    shown,
                    1,
                    index,
                    label,
                    f"column '{label}' is not declared in research/manifest.yaml",
                    f"declare its role under sources[{spec.id}].columns (use `ignored` to skip it, "
                    "`personal` for names, e-mails and phone numbers)",
                    "research.unknown-column",
                )
            )
    for name in spec.columns:
        if name not in names:
            findings.append(
                Finding(
                    shown,
                    1,
                    0,
                    name,
                    f"column '{name}' is declared in the manifest but missing from the file",
                    "export the column, or remove it from the manifest",
                    "research.missing-column",
                )
            )
    for index, name in enumerate(names, start=1):
        if name in names[: index - 1]:
            findings.append(
                Finding(
                    shown,
                    1,
                    index,
                    name,
                    f"column '{name}' appears more than once in the header (first as column "
                    f"{names.index(name) + 1})",
                    "give every column its own name",
                    "research.duplicate-column",
                )
            )
    return findings


def _slow_read(
    text: str, spec: SourceSpec, delimiter: str, header: list[str], shown: str
) -> tuple[pd.DataFrame | None, list[Finding]]:
    findings: list[Finding] = []
    # newline="": \r\n and a lone \r end lines too, as in pyarrow; a record is reported at its first line
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        next(reader)
        rows, lines, bad_lengths = [], [], []
        line = reader.line_num + 1
        for record in reader:
            line, start = reader.line_num + 1, line
            if not record or record == [""]:
                continue
            if len(record) != len(header):
                bad_lengths.append((start, len(record)))
                continue
            rows.append(record)
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
    wanted = wanted_columns(spec, header)
    indices = [header.index(name) for name in wanted]
    frame = pd.DataFrame([[r[i] for i in indices] for r in rows], columns=wanted, dtype="string")
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


def _join_findings(research: Research, repo: Repository) -> list[Finding]:
    """Sources with a key must share respondents with the others; a key that joins nothing is an error."""
    findings = []
    keyed = {sid: research.specs[sid].key for sid in research.frames if research.specs[sid].key}
    if len(keyed) < 2:
        return []
    keys = {
        sid: set(research.frames[sid][key].dropna().unique())
        for sid, key in keyed.items()
        if key in research.frames[sid]
    }
    for sid, values in keys.items():
        others = set().union(*(v for other, v in keys.items() if other != sid))
        if values and not values & others:
            spec = research.specs[sid]
            findings.append(
                Finding(
                    repo.display(repo.research_dir / spec.file),
                    1,
                    0,
                    spec.key or "",
                    f"no {spec.key} in {sid} matches any other source",
                    "use the same respondent/account ids in every source (check the key column and its format)",
                    "research.key-joins-nothing",
                )
            )
    return findings
