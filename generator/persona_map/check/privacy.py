"""The personal-data guard: e-mail addresses and phone numbers outside columns declared as personal data.

Research CSVs are streamed with the `csv` module (no pandas: `personas check` stays light). Each row's
scanned cells are searched once, joined; only a hit looks at the cells one by one.
Findings show masked values only, since they end up in CI logs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from persona_map.csv_files import CsvFormat, detect, records
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest, Source
from persona_map.yaml_load import Document

MAX_PER_COLUMN = 3  # findings per (file, column, kind) before one summary finding

EMAIL, PHONE = "email", "phone"
_NOUN = {EMAIL: "e-mail address", PHONE: "phone number"}
_A = {EMAIL: "an e-mail address", PHONE: "a phone number"}

# local@domain.tld, also inside longer text; not icon@2x.png, not git@host:path.
_EMAIL_PATTERN = (
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*"
    r"@(?!\d+x\.)(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[\w-]{1,59})"
    r"(?![\w-]|:\w)"
)
# 9-15 digits, apart or joined by up to 3 of space / - . ( ) and no-break space; validated by _phone().
_PHONE_PATTERN = (
    r"(?<![\w+.,/-])(?<!\d[ \u00a0\-./])(?:\+|\()?\d(?:[ \u00a0\-./()]{0,3}\d){8,14}"
    r"(?![\w%:]|[ \u00a0\-./]?\d)"
)
_EMAIL = re.compile(_EMAIL_PATTERN)
_PHONE = re.compile(_PHONE_PATTERN)
_DIGITS = re.compile(r"\d+")
_DATE = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)\d\d)(?!\d)"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_JOIN = "\x00"  # matches no pattern character, so no match spans two cells

RESEARCH_HINT = (
    "declare the column as personal in research/manifest.yaml (it is then never copied into personas, "
    "reports or the website), or remove the personal data"
)


def find_emails(text: str) -> list[str]:
    """Every e-mail address in `text`."""
    return _EMAIL.findall(text) if "@" in text else []


def find_phones(text: str) -> list[str]:
    """Every phone number in `text`; dates, times, versions, amounts and bare integers are not."""
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    found = []
    for match in _PHONE.finditer(text):
        phone = _phone(match.group())
        if phone:
            found.append(phone)
    return found


def _phone(candidate: str) -> str:
    """The candidate, or its longest valid prefix of digit groups, when it reads as a phone number."""
    groups = list(_DIGITS.finditer(candidate))
    while groups and sum(len(g.group()) for g in groups) >= 9:
        text = candidate[: groups[-1].end()]
        if _valid_phone(text, [g.group() for g in groups]):
            return text
        groups.pop()
    return ""


def _valid_phone(text: str, groups: list[str]) -> bool:
    """True when `text`, made of the digit `groups`, is laid out like a phone number."""
    digits = sum(len(g) for g in groups)
    plus = text.startswith("+")
    if not 9 <= digits <= 15 or (len(groups) == 1 and not plus):
        return False  # a bare integer is a count or an id, unless it is +4930123456
    opening, closing = text.find("("), text.find(")")
    if text.count("(") != text.count(")") or text.count("(") > 1 or closing < opening:
        return False
    if opening >= 0 and not text[opening + 1 : closing].isdigit():
        return False
    between = [sep.replace("(", "").replace(")", "") for sep in _DIGITS.split(text)[1:-1]]
    if any(len(sep) > 1 for sep in between):
        return False  # at most one separator between two groups
    kinds = set(between) - {""}
    if "." in kinds and (len(kinds) > 1 or opening >= 0):
        return False  # 12 500.00: an amount
    if _DATE.search(text):
        return False
    inside = text[opening + 1 : closing] if opening >= 0 else None
    if any(len(g) < 2 and g != inside for g in groups[1:]):
        return False  # 10.0.19041.1234, 978-3-16-148410-0: versions and ISBNs
    if kinds == {"."} and len(groups) == 4 and all(len(g) <= 3 for g in groups):
        return False  # an IP address
    if plus or opening >= 0:
        return True
    if all(_YEAR.fullmatch(g) for g in groups):
        return False  # 2019-2020-2021
    if len(groups) == 2:  # national: 030 1234567, 07700 900123; not 10001-50000 or 0.123456789
        return groups[0].startswith("0") and 2 <= len(groups[0]) <= 5 and kinds != {"."}
    thousands = (
        not groups[0].startswith("0")
        and len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
        and len(kinds) == 1
        and kinds <= {" ", "\u00a0", "."}
    )
    return not thousands  # 1 234 567 890 is an amount


def mask_email(address: str) -> str:
    """j***@example.com: enough to find the cell, not enough to identify anyone."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str) -> str:
    """+** ** **** **58: the format and the last two digits only."""
    count = sum(ch.isdigit() for ch in number)
    out, seen = [], 0
    for ch in number:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > count - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _suspect(text: str) -> bool:
    """Cheap pre-filter: could `text` hold an e-mail address or a phone number? ('@' is a C-speed test.)"""
    return ("@" in text and _EMAIL.search(text) is not None) or _PHONE.search(text) is not None


def _found(text: str) -> Iterator[tuple[str, str]]:
    """(kind, masked value) of the first e-mail address and the first phone number in `text`."""
    emails = find_emails(text)
    if emails:
        yield EMAIL, mask_email(emails[0])
    phones = find_phones(text)
    if phones:
        yield PHONE, mask_phone(phones[0])


def scan_research(repo: Repository, manifest: Manifest) -> list[Finding]:
    """E-mail addresses and phone numbers in research columns not declared as personal data."""
    findings: list[Finding] = []
    for source in manifest.sources.values():
        if source.exists:
            findings += _scan_source(repo, source)
    return findings


def _records(path: Path, fmt: CsvFormat) -> Iterator[tuple[int, list[str]]]:
    """The file's records; stops quietly where a record is malformed (the research loader reports it)."""
    try:
        yield from records(path, fmt)
    except (OSError, UnicodeError, csv.Error):
        return


def _unreadable(finding: Finding) -> Finding:
    """A file the guard cannot read may hold anything: say so as a privacy finding too."""
    return replace(
        finding, message=f"cannot scan for personal data: {finding.message}", code="privacy.unreadable"
    )


def _scan_source(repo: Repository, source: Source) -> list[Finding]:
    """Findings for one research file; `row` in messages counts records as a spreadsheet does (header = 1).

    The file is read exactly as the research loader reads it (csv_files.detect): a file it cannot decode is
    a finding here too, never skipped.
    """
    path = repo.research_dir / source.file
    shown = repo.display(path)
    fmt, problems = detect(
        path, shown, delimiter=source.delimiter, encoding=source.encoding, columns=source.columns
    )
    if fmt is None:
        return [_unreadable(f) for f in problems if f.is_error]
    personal_names = source.personal
    findings: list[Finding] = []
    counts: dict[tuple[int, str], int] = {}
    first_omitted: dict[tuple[int, str], int] = {}
    names: list[str] = []
    personal: list[int] = []

    def name_of(index: int) -> str:
        return names[index] if index < len(names) else f"column {index + 1}"

    def finding(line: int, index: int, kind: str, message: str) -> Finding:
        return Finding(shown, line, index + 1, name_of(index), message, RESEARCH_HINT, f"privacy.{kind}")

    for row, (line, record) in enumerate(_records(path, fmt), start=1):
        if row == 1:
            names = [name.strip() for name in record]
            personal = [i for i, name in enumerate(names) if name in personal_names]
            continue
        for i in personal:
            if i < len(record):
                record[i] = ""
        if not _suspect(_JOIN.join(record)):
            continue
        for index, cell in enumerate(record):
            if not cell or not _suspect(cell):
                continue
            for kind, masked in _found(cell):
                key = (index, kind)
                counts[key] = counts.get(key, 0) + 1
                if counts[key] > MAX_PER_COLUMN:
                    first_omitted.setdefault(key, line)
                    continue
                message = (
                    f"{_NOUN[kind]} ({masked}) in column '{name_of(index)}' (row {row}), "
                    "which is not declared as personal data"
                )
                findings.append(finding(line, index, kind, message))
    for (index, kind), line in first_omitted.items():
        more = counts[(index, kind)] - MAX_PER_COLUMN
        findings.append(
            finding(
                line,
                index,
                kind,
                f"... and {more} more row{'s' if more != 1 else ''} with {_A[kind]} in this column",
            )
        )
    return findings


def scan_quotes(doc: Document) -> list[Finding]:
    """E-mail addresses and phone numbers in a persona's quotes and their respondent ids."""
    findings: list[Finding] = []
    spec = doc.data.get("spec") if isinstance(doc.data, dict) else None
    quotes = spec.get("quotes") if isinstance(spec, dict) else None
    for index, quote in enumerate(quotes if isinstance(quotes, list) else []):
        if not isinstance(quote, dict):
            continue
        for field in ("text", "respondent"):
            value = quote.get(field)
            if not isinstance(value, str):
                continue
            path = ("spec", "quotes", index, field)
            where = "a quote" if field == "text" else "a quote's respondent"
            for kind, masked in _found(value):
                findings.append(
                    doc.finding(
                        path,
                        f"{_NOUN[kind]} ({masked}) in {where}",
                        f"quotes must never identify a participant: remove the {_NOUN[kind]}",
                        f"privacy.quote-{kind}",
                    )
                )
    return findings
