"""The personal-data guard: e-mail addresses and phone numbers in research and quotes, outside personal columns."""

from __future__ import annotations

import codecs
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from persona_map.check.check import check
from persona_map.check.privacy import MAX_PER_COLUMN, scan_persona, scan_research
from persona_map.cli import main
from persona_map.findings import Finding
from persona_map.personal_data import find_emails, find_phones
from persona_map.repository import Repository
from persona_map.research.manifest import load_manifest
from persona_map.yaml_load import load
from tests.conftest import ROOT, TODAY

DATA = Path(__file__).parent / "data" / "privacy"

PHONES = [
    "+44 20 7946 0958",
    "(555) 123-4567",
    "555-123-4567",
    "+1-202-555-0143",
    "030 1234567",
    "0049 30 1234 5678",
    "+44 (0)20 7946 0958",
    "+1 (555) 123-4567",
    "+4930123456",
    "555.123.4567",
    "06 12 34 56 78",
    "07700 900123",
    "1-800-555-0199",
    "030/1234567",
    "+49-30-12-34-5678",
    "+44\u00a020\u00a07946\u00a00958",
    # international numbers in their countries' own layouts (judged by libphonenumber)
    "+33 6 12 34 56 78",
    "+61 2 9876 5432",
    "+353 1 234 5678",
    "+31 6 12345678",
    "+46 8 123 456 78",
    "+33\u202f6\u202f12\u202f34\u202f56\u202f78",  # narrow no-break spaces (French typography)
    "+41\u200944\u2009668\u200918\u200900",  # thin spaces
    "0033 6 12 34 56 78",
]
EMAILS = [
    "jane.doe@example.com",
    "jane+survey@mail.example.co.uk",
    "x_y-z@sub-domain.example.org",
    "jürgen@example.de",
    "S0001@example.com",
]
POSITIVES = [
    *[(text, "phone", text) for text in PHONES],
    *[(text, "email", text) for text in EMAILS],
    ("Call me on +44 20 7946 0958 tomorrow.", "phone", "+44 20 7946 0958"),
    ("tel:+1-202-555-0143", "phone", "+1-202-555-0143"),
    ("(reach me: 555-123-4567)", "phone", "555-123-4567"),
    ("call 555-123-4567 2 times", "phone", "555-123-4567"),
    ("Write to <jane.doe@example.com>.", "email", "jane.doe@example.com"),
    ("mailto:ops@northwind.example", "email", "ops@northwind.example"),
    ("write to jane.doe [at] example.com", "email", "jane.doe@example.com"),
    ("jane (at) example (dot) com", "email", "jane@example.com"),
    ("jane.doe%40example.com", "email", "jane.doe@example.com"),
    ("jane\uff20example.com", "email", "jane@example.com"),
    ("Ruf an: +33 6 12 34 56 78, danke", "phone", "+33 6 12 34 56 78"),
]
NEGATIVES = [
    "2026-09-30",
    "2026-09-30T10:00",
    "2026-09-30 10:00:00",
    "30.09.2026 10:00",
    "2026-09-01/2026-09-30",
    "S0001",
    "I01",
    "1001-5000",
    "5001+ employees",
    "10001-50000",
    "1.2.3",
    "version 10.0.19041.1234",
    "v10.20.30.40",
    "192.168.100.200",
    "$1,299.00",
    "EUR 12 500 000.00",
    "1 234 567 890",
    "1,234,567,890",
    "12.5%",
    "99.5% of 1000000 runs",
    "0.123456789",
    "3.14159265358",
    "1234567890",
    "00493012345678",
    "978-3-16-148410-0",
    "4111 1111 1111 1111",
    "2019-2020-2021",
    "123e4567-e89b-12d3-a456-426614174000",
    "NPS 10, 9 deploys a week, team of 29",
    "S0001,2026-05-25,701,4,67,10,0,91",
    "@northwind/devex-pm",
    "icon@2x.png",
    "git@github.com:acme/repo.git",
    "user@localhost",
    "pkg@1.2.3",
    "meet @ example.com",
    "+12 345 678",  # too short for any country
    "release 2.14.1 on 2026-10-14",
    "priced at €1 299,00 per seat",
    "order 2026-000123-45",
    "ticket INC0012345678",
    "v1.22.333.4444",
    "we meet at (the) office at 10",
]


def _repo(root: Path, sources: str, files: dict[str, str | bytes]) -> Repository:
    """A minimal repository: the schemas, research/manifest.yaml with `sources` and the given research files."""
    shutil.copytree(ROOT / "schema", root / "schema")
    research = root / "research"
    research.mkdir(parents=True)
    (research / "manifest.yaml").write_text(
        f"apiVersion: personamap/v1\nkind: ResearchManifest\nsources:\n{sources}", encoding="utf-8"
    )
    for name, content in files.items():
        if isinstance(content, bytes):
            (research / name).write_bytes(content)
        else:
            (research / name).write_text(content, encoding="utf-8", newline="")
    return Repository.open(root)


def _scan(repo: Repository) -> list[Finding]:
    manifest, findings = load_manifest(repo)
    assert manifest.loaded and findings == []
    return scan_research(repo, manifest)


def _source(file: str, columns: str, extra: str = "") -> str:
    return (
        f"  - id: {Path(file).stem}\n    kind: survey\n    file: {file}\n    collected: 2026-09-30\n"
        f"{extra}    columns:\n{columns}"
    )


CONTACT_COLUMNS = (
    "      id: key\n      contact: personal\n      phone:\n        role: personal\n      comment: text\n"
)


# --- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind", "found"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_detects_phone_numbers_and_email_addresses(text: str, kind: str, found: str):
    assert (find_phones(text) if kind == "phone" else find_emails(text)) == [found]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_false_positives(text: str):
    assert find_phones(text) == []
    assert find_emails(text) == []


def test_tables_are_big_enough():
    assert len(POSITIVES) >= 12 and len(NEGATIVES) >= 12


def test_an_email_address_is_not_also_a_phone_number():
    assert find_phones("+4930123456@example.com, 5551234567@example.org") == []


# --- the repository itself ---------------------------------------------------------------------------


def test_repository_research_and_quotes_hold_no_personal_data():
    repo = Repository.open(ROOT)
    assert _scan(repo) == []
    paths = sorted(repo.personas_dir.glob("*.yaml"))
    assert len(paths) == 4
    for path in paths:
        doc, _ = load(path, repo.display(path))
        assert doc is not None
        assert scan_persona(doc) == []
    assert not [f for f in check(repo, (), TODAY).findings if f.code.startswith("privacy.")]


# --- research ----------------------------------------------------------------------------------------


def _edit_survey(root: Path, comments: dict[int, str]) -> None:
    """Set free_text_comment of the given data rows (1 = first answer) in the copy's survey."""
    path = root / "research" / "survey-2026.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("free_text_comment")
    for row, comment in comments.items():
        rows[row][column] = comment
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def test_cli_fails_on_emails_and_a_phone_number_in_survey_comments(repo_copy: Path):
    _edit_survey(
        repo_copy,
        {
            5: "Mail me at jane.doe@example.org about the beta.",
            9: "ops-team@northwind-customer.example is our shared inbox",
            12: "Call me on +44 20 7946 0958, any time.",
        },
    )
    result = CliRunner().invoke(main, ["check", "--root", str(repo_copy), "--today", "2026-11-28"])
    assert result.exit_code == 1, result.output
    assert "jane.doe@example.org" not in result.output
    assert "7946 0958" not in result.output
    assert "j***@example.org" in result.output
    assert "research/survey-2026.csv:6:23: error: free_text_comment: e-mail address" in result.output

    findings = [
        f for f in check(Repository.open(repo_copy), (), TODAY).findings if f.code.startswith("privacy.")
    ]
    got = [(f.file, f.line, f.column, f.path, f.code) for f in findings]
    assert got == [
        ("research/survey-2026.csv", 6, 23, "free_text_comment", "privacy.email"),
        ("research/survey-2026.csv", 10, 23, "free_text_comment", "privacy.email"),
        ("research/survey-2026.csv", 13, 23, "free_text_comment", "privacy.phone"),
    ]
    assert findings[0].message == (
        "e-mail address (j***@example.org) in column 'free_text_comment' (row 6), "
        "which is not declared as personal data"
    )
    assert "o***@northwind-customer.example" in findings[1].message
    assert findings[2].message.startswith("phone number (+** ** **** **58) in column 'free_text_comment'")
    assert all("declare the column as personal in research/manifest.yaml" in f.hint for f in findings)


def test_personal_columns_are_not_scanned_in_either_form(tmp_path: Path):
    repo = _repo(tmp_path, _source("contacts.csv", CONTACT_COLUMNS), {})
    shutil.copy(DATA / "contacts.csv", repo.research_dir / "contacts.csv")
    assert _scan(repo) == []


def test_a_column_that_is_not_personal_is_scanned(tmp_path: Path):
    columns = CONTACT_COLUMNS.replace("contact: personal", "contact: text").replace(
        "role: personal", "role: text"
    )
    repo = _repo(tmp_path, _source("contacts.csv", columns), {})
    shutil.copy(DATA / "contacts.csv", repo.research_dir / "contacts.csv")
    got = [(f.line, f.column, f.path, f.code) for f in _scan(repo)]
    assert got == [
        (2, 2, "contact", "privacy.email"),
        (2, 3, "phone", "privacy.phone"),
        (3, 2, "contact", "privacy.email"),
        (3, 3, "phone", "privacy.phone"),
        (4, 2, "contact", "privacy.email"),
        (4, 3, "phone", "privacy.phone"),
    ]


def test_undeclared_columns_are_scanned(tmp_path: Path):
    repo = _repo(tmp_path, _source("contacts.csv", "      id: key\n      contact: personal\n"), {})
    shutil.copy(DATA / "contacts.csv", repo.research_dir / "contacts.csv")
    assert {(f.path, f.code) for f in _scan(repo)} == {("phone", "privacy.phone")}


def test_line_numbers_count_quoted_multi_line_cells(tmp_path: Path):
    columns = "      id: key\n      comment: text\n      email: personal\n"
    repo = _repo(tmp_path, _source("multiline.csv", columns), {})
    shutil.copy(DATA / "multiline.csv", repo.research_dir / "multiline.csv")
    (finding,) = _scan(repo)
    assert (finding.file, finding.line, finding.column, finding.path) == (
        "research/multiline.csv",
        5,
        2,
        "comment",
    )
    assert "(row 3)" in finding.message
    assert "j***@example.net" in finding.message and "jo.bloggs" not in finding.message


def test_flood_control_three_findings_and_a_summary(tmp_path: Path):
    rows = "".join(f"R{i:03},person{i}@example.com\n" for i in range(1, 101))
    repo = _repo(
        tmp_path, _source("flood.csv", "      id: key\n      note: text\n"), {"flood.csv": "id,note\n" + rows}
    )
    findings = _scan(repo)
    assert len(findings) == MAX_PER_COLUMN + 1
    assert [f.line for f in findings] == [2, 3, 4, 5]
    assert findings[-1].message == "... and 97 more rows with an e-mail address in this column"
    assert {f.code for f in findings} == {"privacy.email"}
    assert "(p***@example.com)" in findings[0].message
    assert not any(f"person{i}@" in f.message for f in findings for i in range(1, 4))


def test_delimiter_and_byte_order_mark(tmp_path: Path):
    content = "\ufeffid;note\nR1;call +1-202-555-0143\n".encode()
    repo = _repo(
        tmp_path,
        _source("semi.csv", "      id: key\n      note: text\n", '    delimiter: ";"\n'),
        {"semi.csv": content},
    )
    (finding,) = _scan(repo)
    assert (finding.line, finding.column, finding.path, finding.code) == (2, 2, "note", "privacy.phone")


def test_declared_encoding_is_used(tmp_path: Path):
    content = "id,note\nR1,Grüße an jürgen@example.de\n".encode("latin-1")
    sources = _source("latin.csv", "      id: key\n      note: text\n", "    encoding: latin-1\n")
    repo = _repo(tmp_path, sources, {"latin.csv": content})
    assert [f.code for f in _scan(repo)] == ["privacy.email"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "latin-1", "cp1252", "utf-8-sig"])
def test_every_encoding_the_loader_reads_is_scanned(tmp_path: Path, encoding: str):
    text = "id,note\nR1,Grüße an jürgen@example.de oder +49 30 12345678\n"
    content = (
        (codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
        if encoding == "utf-16-le-bom"
        else text.encode(encoding)
    )
    repo = _repo(tmp_path, _source("notes.csv", "      id: key\n      note: text\n"), {"notes.csv": content})
    assert sorted(f.code for f in _scan(repo) if f.is_error) == ["privacy.email", "privacy.phone"]


def test_a_file_the_guard_cannot_decode_is_a_finding(tmp_path: Path):
    content = "id,note\nR1,caf\xe9\n".encode("latin-1")
    sources = _source("notes.csv", "      id: key\n      note: text\n", "    encoding: utf-16\n")
    repo = _repo(tmp_path, sources, {"notes.csv": content})
    assert [f.code for f in _scan(repo)] == ["privacy.unreadable"]


def test_semicolon_source_with_a_personal_column_raises_no_false_alarm(tmp_path: Path):
    """The guard reads the delimiter the loader reads (sniffed from the declared columns)."""
    content = b"rid;email;team\nR1;ana@example.com;Platform\nR2;bo@example.org;Data\n"
    columns = "      rid: key\n      email: personal\n      team: categorical\n"
    repo = _repo(tmp_path, _source("people.csv", columns), {"people.csv": content})
    assert _scan(repo) == []
    content = b"rid;email;team\nR1;ana@example.com;ana@example.com\n"
    repo = _repo(tmp_path / "leak", _source("people.csv", columns), {"people.csv": content})
    assert [(f.code, f.path) for f in _scan(repo)] == [("privacy.email", "team")]


def test_missing_research_file_is_skipped(tmp_path: Path):
    repo = _repo(tmp_path, _source("absent.csv", "      id: key\n"), {})
    manifest, _ = load_manifest(repo)
    assert scan_research(repo, manifest) == []


# --- quotes ------------------------------------------------------------------------------------------


def test_quotes_with_a_phone_number_or_an_email_address(tmp_path: Path):
    path = DATA / "quotes.yaml"
    doc, findings = load(path, "personas/quotes.yaml")
    assert doc is not None and findings == []
    lines = path.read_text(encoding="utf-8").splitlines()
    phone_line = next(i for i, line in enumerate(lines, 1) if "7946" in line)
    email_line = next(i for i, line in enumerate(lines, 1) if "pat@" in line)
    got = [(f.line, f.path, f.code) for f in scan_persona(doc)]
    assert got == [
        (phone_line - 1, "spec.quotes[1].text", "privacy.quote-phone"),  # the block scalar starts at '>-'
        (email_line, "spec.quotes[2].respondent", "privacy.quote-email"),
    ]
    messages = " ".join(f.message for f in scan_persona(doc))
    assert "7946" not in messages and "pat@" not in messages
    assert "quotes must never identify a participant: remove the phone number" in scan_persona(doc)[0].hint


def test_cli_fails_on_a_phone_number_in_a_persona_quote(repo_copy: Path):
    path = repo_copy / "personas" / "platform-lead-priya.yaml"
    text = path.read_text(encoding="utf-8")
    old = "I need one paved road that teams actually want to use."
    assert old in text
    path.write_text(text.replace(old, old + " Call me: (555) 123-4567."), encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if old in ln)
    result = CliRunner().invoke(main, ["check", "--root", str(repo_copy), "--today", "2026-11-28"])
    assert result.exit_code == 1, result.output
    assert (
        f"personas/platform-lead-priya.yaml:{line}:13: error: spec.quotes[0].text: phone number"
        in result.output
    )
    assert "123-4567" not in result.output


# --- staying light -----------------------------------------------------------------------------------


def test_the_guard_does_not_import_pandas():
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from persona_map.check.check import check\nfrom persona_map.repository import Repository\n"
        "check(Repository.open(Path(sys.argv[1])))\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr


# --- every place that is published -----------------------------------------------------------------


def _check_codes(root: Path) -> list[tuple[str, str, str]]:
    result = check(Repository.open(root), (), TODAY)
    return sorted(
        (f.file, f.path, f.code)
        for f in result.findings
        if f.code.startswith(("privacy.", "research.personal"))
    )


def test_quote_candidates_and_every_persona_text_are_scanned(repo_copy: Path):
    path = repo_copy / "personas" / "platform-lead-priya.yaml"
    text = path.read_text(encoding="utf-8")
    candidate = '      - text: "When I pitch a platform investment'
    summary = "  summary: Head of Platform Engineering who needs"
    assert candidate in text and summary in text
    text = text.replace(
        candidate, '      - text: "Mail me at pat [at] example.com. When I pitch a platform investment', 1
    )
    text = text.replace(summary, "  summary: Head of Platform (desk +33 6 12 34 56 78) who needs", 1)
    path.write_text(text, encoding="utf-8")
    got = _check_codes(repo_copy)
    priya = "personas/platform-lead-priya.yaml"
    assert (priya, "spec.evidence.quote_candidates[0].text", "privacy.quote-email") in got, got
    assert (priya, "spec.summary", "privacy.persona-phone") in got, got


def test_manifest_titles_descriptions_and_column_names_are_scanned(repo_copy: Path):
    manifest = repo_copy / "research" / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "title: Northwind Pipelines customer and prospect survey 2026 (example data)",
        "title: Survey run by ana@example.com",
        1,
    )
    text = text.replace("description: Employee count band.", "description: Ask Bo on +44 20 7946 0958.", 1)
    manifest.write_text(text, encoding="utf-8")
    got = _check_codes(repo_copy)
    assert ("research/manifest.yaml", "sources[0].title", "privacy.manifest-email") in got
    assert (
        "research/manifest.yaml",
        "sources[0].columns.company_size.description",
        "privacy.manifest-phone",
    ) in got


def test_a_column_name_holding_an_email_address_is_a_finding(tmp_path: Path):
    content = "id,ana@example.com\nR1,yes\n"
    repo = _repo(
        tmp_path, _source("s.csv", "      id: key\n      ana@example.com: categorical\n"), {"s.csv": content}
    )
    assert [(f.line, f.column, f.code) for f in _scan(repo)] == [(1, 2, "privacy.email")]


def test_a_personal_join_key_is_a_finding(repo_copy: Path):
    manifest = repo_copy / "research" / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "      respondent_id: key\n" in text
    manifest.write_text(
        text.replace("      respondent_id: key\n", "      respondent_id: personal\n", 1), encoding="utf-8"
    )
    got = _check_codes(repo_copy)
    assert ("research/manifest.yaml", "sources[0].key", "research.personal-key") in got


@pytest.mark.parametrize("value", ["5", "true"])
def test_a_manifest_whose_sources_are_not_a_list_is_one_finding(repo_copy: Path, value: str):
    manifest = repo_copy / "research" / "manifest.yaml"
    head = manifest.read_text(encoding="utf-8").split("\nsources:", 1)[0]
    manifest.write_text(f"{head}\nsources: {value}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--root", str(repo_copy), "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    assert "internal error" not in result.output, result.output
    assert "research/manifest.yaml" in result.output and "sources" in result.output
