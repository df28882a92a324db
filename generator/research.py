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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from generator.findings import Finding, Severity
from generator.manifest import Manifest, Source
from generator.repository import Repository

NUMERIC_ROLES = ("numeric", "likert")
MAX_PER_COLUMN = 3  # findings listed per column and problem before a summary line

# the csv module refuses cells over 128 KiB by default; long interview notes are no error
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


@dataclass(frozen=True)
class ColumnSpec:
    """How one research column is read and used."""

    name: str
    role: str
    separator: str = ";"
    scale: tuple[int, int] | None = None
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """One research source as the manifest declares it."""

    id: str
    kind: str
    file: str
    collected: str
    key: str | None
    delimiter: str | None
    encoding: str | None
    columns: dict[str, ColumnSpec]

    @classmethod
    def from_source(cls, source: Source) -> SourceSpec:
        spec = source.spec
        columns = {}
        for name, raw in (spec.get("columns") or {}).items():
            if isinstance(raw, str):
                columns[name] = ColumnSpec(name, raw)
            else:
                scale = tuple(raw["scale"]) if raw.get("scale") else None
                columns[name] = ColumnSpec(
                    name,
                    raw["role"],
                    raw.get("separator", ";"),
                    scale,
                    tuple(str(x) for x in raw.get("levels", ())),
                )
        return cls(
            source.id,
            source.kind,
            source.file,
            source.collected,
            spec.get("key"),
            spec.get("delimiter"),
            spec.get("encoding"),
            columns,
        )

    def roles(self, *roles: str) -> list[str]:
        return [c.name for c in self.columns.values() if c.role in roles]


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
    raw = path.read_bytes()
    if _utf8_candidate(raw, spec):
        head = raw[: 1 << 16].decode("utf-8", errors="replace").removeprefix("\ufeff")
        if head.strip():
            delimiter = spec.delimiter or _sniff(head, spec)
            raw_header = _first_record(head, delimiter)
            if not _header_findings([h.strip() for h in raw_header], spec, shown):
                frame = _fast_read(raw, spec, delimiter, raw_header)
                if frame is not None:
                    return frame, []
    # Something is off (or the file is not UTF-8): read it row by row to say exactly what and where.
    text, encoding, findings = _decode(raw, spec, shown)
    if text is None:
        return None, findings
    text = text.removeprefix("\ufeff")  # a BOM left by a declared encoding (Excel's "CSV UTF-8")
    if not text.strip():
        return None, findings + [
            Finding(shown, 1, 0, "", "research file is empty", "export the data again with a header row", "research.empty")
        ]
    delimiter = spec.delimiter or _sniff(text, spec)
    raw_header = _first_record(text, delimiter)
    header = [h.strip() for h in raw_header]
    findings += _header_findings(header, spec, shown)
    if any(f.is_error for f in findings):
        return None, findings
    frame, problems = _slow_read(text, spec, delimiter, header, shown)
    return frame, findings + problems


def _utf8_candidate(raw: bytes, spec: SourceSpec) -> bool:
    """Whether the file may be read by the fast path (UTF-8, declared or not)."""
    if spec.encoding not in (None, "utf-8", "utf-8-sig"):
        return False
    has_text = bool(raw[: 1 << 16].strip()) or bool(raw.strip())  # strip() copies: look at the start first
    return has_text and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


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


def _arrow_type(column: ColumnSpec) -> pa.DataType:
    if column.role in NUMERIC_ROLES:
        return pa.float64()
    if column.role == "date":
        return pa.date32()
    if column.role in ("categorical", "ordinal", "multi-select"):
        return pa.dictionary(pa.int32(), pa.string())
    return pa.string()


def _wanted(spec: SourceSpec, header: list[str]) -> list[str]:
    return [h for h in header if h in spec.columns and spec.columns[h].role not in ("personal", "ignored")]


def _fast_read(raw: bytes, spec: SourceSpec, delimiter: str, header: list[str]) -> pd.DataFrame | None:
    """Read with pyarrow; None when anything is off, so the slow path can say exactly what.

    `header` holds the names as written in the file (pyarrow's column names), perhaps padded with spaces.
    Cells spanning lines are allowed only when every quote is closed: an unclosed quote would otherwise
    swallow the rest of the file silently.
    """
    if raw.count(b'"') % 2:
        return None  # a quote is never closed: Arrow would accept it silently
    in_file = {name.strip(): name for name in header}
    wanted = _wanted(spec, list(in_file))
    table = _arrow_read(raw, spec, delimiter, in_file, wanted, newlines_in_values=False)
    if table is None:
        table = _arrow_read(raw, spec, delimiter, in_file, wanted, newlines_in_values=True)
    if table is None or table.num_rows == 0:
        return None
    table = table.rename_columns(wanted)
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}.get,
                            date_as_object=False)
    if _typed_problems(frame, spec):
        return None
    return _finish(frame, spec)


def _arrow_read(raw: bytes, spec: SourceSpec, delimiter: str, in_file: dict[str, str], wanted: list[str],
                *, newlines_in_values: bool) -> pa.Table | None:
    try:
        return pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(block_size=16 << 20),  # big cells fit in a block
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=newlines_in_values),
            convert_options=pacsv.ConvertOptions(
                column_types={in_file[name]: _arrow_type(spec.columns[name]) for name in wanted},
                include_columns=[in_file[name] for name in wanted],
                null_values=[""],  # like the slow path: "NA", "N/A", "null" are values, not gaps
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _repeats(values: pd.Series) -> bool:
    """Whether any value occurs twice (Arrow's hash count: several times faster than pandas on strings)."""
    try:
        array = pa.array(values.array)
    except (pa.ArrowInvalid, TypeError):
        return bool(values.duplicated().any())
    return len(pc.unique(array)) != len(values)


def _typed_problems(frame: pd.DataFrame, spec: SourceSpec) -> bool:
    """Whether typed columns hold values their role forbids (cheap checks on Arrow's parsed types)."""
    for name in frame.columns:
        column = spec.columns[name]
        values = frame[name]
        if column.role == "likert" and column.scale:
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            ok = ~np.isnan(numbers)
            low, high = column.scale
            if ((numbers[ok] < low) | (numbers[ok] > high) | (numbers[ok] % 1 != 0)).any():
                return True
        elif column.role == "ordinal" and column.levels and isinstance(values.dtype, pd.CategoricalDtype):
            if set(map(str, values.cat.categories)) - set(column.levels):
                return True
        elif column.role == "key" and (values.isna().any() or (spec.kind == "survey" and name == spec.key and _repeats(values))):
            return True
    return False


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
    wanted = _wanted(spec, header)
    indices = [header.index(name) for name in wanted]
    frame = pd.DataFrame([[r[i] for i in indices] for r in rows], columns=wanted, dtype="string")
    frame = frame.replace("", pd.NA)
    problems, frame = _value_problems(frame, spec, np.asarray(lines), shown, header)
    findings += problems
    if any(f.is_error for f in findings):
        return None, findings
    return _finish(frame, spec), findings


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


def _finish(frame: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Final dtypes by role: categories for categoricals and multi-selects, ordered categories for ordinals."""
    for name in frame.columns:
        column = spec.columns[name]
        values = frame[name]
        if column.role in ("categorical", "multi-select"):
            if not isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype("string").astype("category")
            frame[name] = values.cat.rename_categories([str(c) for c in values.cat.categories])
        elif column.role == "ordinal":
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.cat.rename_categories([str(c) for c in values.cat.categories])
            else:
                values = values.astype("string").astype("category")
            levels = list(column.levels) or sorted(str(c) for c in values.cat.categories)
            frame[name] = values.cat.set_categories(levels, ordered=True)
        elif column.role in ("key", "text"):
            if not isinstance(values.dtype, pd.StringDtype):
                frame[name] = values.astype("string")
        elif column.role == "date" and not pd.api.types.is_datetime64_any_dtype(values):
            frame[name] = pd.to_datetime(values)
    return frame


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
