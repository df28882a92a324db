"""`personas classify` end to end: CRM exports in, classified and spreadsheet-safe contacts out."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from persona_map.cli import main
from persona_map.routing.classify import COLUMNS
from persona_map.routing.crm_columns import model_columns, size_band
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "contacts"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
HUBSPOT_COLUMNS = ["Record ID", "First Name", "Last Name", "Email", "Job Title", "Company Name",
                   "Number of Employees", "Industry", "Job function", "Seniority", "Lifecycle Stage", "Notes"]  # fmt: skip
# Titles in hubspot.csv whose persona is not in doubt.
CLEAR = {
    "Head of Platform Engineering": "platform-lead-priya",
    "Director of Platform Engineering": "platform-lead-priya",
    "Engineering Manager": "eng-manager-marco",
    "Software Engineering Manager": "eng-manager-marco",
    "Senior Software Engineer": "developer-dev",
    "Software Engineer": "developer-dev",
    "Compliance Lead": "compliance-officer-carla",
    "Head of Compliance": "compliance-officer-carla",
    "Marketing Manager": "unassigned",
    "Account Executive": "unassigned",
    "City Manager": "unassigned",
    "": "unassigned",
}


@pytest.fixture
def run(repo_copy: Path):
    """`personas classify` on a copy of the example repository: its checked personas and their rules, loaded
    as the command loads them (the copy has no build/, so no research model: the rules alone decide)."""

    def invoke(*args: object, input: bytes | None = None):
        return CliRunner().invoke(main, ["classify", "--root", str(repo_copy), *map(str, args)], input=input)

    return invoke


def rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # not read_text: it would turn a CR inside a cell into LF


def safe(cell: str) -> str:
    return "'" + cell if cell.startswith(DANGEROUS) else cell


def test_hubspot_export_passes_columns_through_safely_and_routes_clear_titles(run, tmp_path: Path):
    out = tmp_path / "routed.csv"
    result = run(DATA / "hubspot.csv", "--out", out)
    assert result.exit_code == 0, result.output
    source = rows(text(DATA / "hubspot.csv"))
    written = rows(text(out))
    assert source[0] == HUBSPOT_COLUMNS and len(source) == 41
    assert written[0] == [*HUBSPOT_COLUMNS, *COLUMNS]
    assert len(written) == len(source)
    width = len(HUBSPOT_COLUMNS)
    for before, after in zip(source[1:], written[1:], strict=True):
        assert after[:width] == [safe(cell) for cell in before]  # untouched but for the quote
        assert not any(cell.startswith(DANGEROUS) for cell in after)
    by_id = {row[0]: row for row in written[1:]}
    notes, company = HUBSPOT_COLUMNS.index("Notes"), HUBSPOT_COLUMNS.index("Company Name")
    assert by_id["5033"][notes] == '\'=HYPERLINK("http://x","y")'
    assert by_id["5033"][company] == "'@SUM(A1)"
    assert by_id["5034"][notes] == "'+1 555 0100"
    assert by_id["5035"][notes] == "'-2+3"
    assert by_id["5035"][HUBSPOT_COLUMNS.index("Number of Employees")] == "'-5"
    assert by_id["5036"][company] == "'\tTabbed Inc"
    assert by_id["5036"][notes] == "'\rCarriage return"
    assert by_id["5037"][HUBSPOT_COLUMNS.index("Job Title")] == "'=1+1"
    routed = {(row[4], row[width]) for row in written[1:] if row[4] in CLEAR}
    assert routed == set(CLEAR.items())
    for row in written[1:]:
        assert 0 <= float(row[width + 2]) <= 1
        assert row[width + 3], "every contact gets a reason"
        if row[width] == "unassigned":
            assert float(row[width + 2]) == 0 and row[width + 1] == ""
    assert "classified 40 contacts" in result.stderr
    assert "platform-lead-priya" in result.stderr and "unassigned:" in result.stderr
    assert result.stdout == ""


def test_stdin_to_stdout_matches_the_file_run(run, tmp_path: Path):
    out = tmp_path / "routed.csv"
    run(DATA / "hubspot.csv", "--out", out)
    piped = run("-", input=(DATA / "hubspot.csv").read_bytes())
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes == out.read_bytes()
    assert run(input=(DATA / "hubspot.csv").read_bytes()).stdout_bytes == out.read_bytes()  # INPUT left out


def test_json_lines_keep_values_as_they_are(run, tmp_path: Path):
    result = run(DATA / "hubspot.csv", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    source = rows(text(DATA / "hubspot.csv"))
    assert len(records) == 40
    for record, row in zip(records, source[1:], strict=True):
        assert list(record) == [*HUBSPOT_COLUMNS, *COLUMNS]
        assert list(record.values())[: len(row)] == row  # no quote added: JSON is not a spreadsheet
        assert isinstance(record["confidence"], float | int)
    assert records[32]["Notes"] == '=HYPERLINK("http://x","y")'
    out = tmp_path / "routed.jsonl"
    assert run(DATA / "hubspot.csv", "--out", out).exit_code == 0  # the suffix chooses JSON Lines
    assert text(out) == result.stdout


def test_salesforce_headers_are_recognised(run):
    result = run(DATA / "salesforce.csv")
    assert result.exit_code == 0, result.output
    written = rows(result.stdout)
    assert written[0][:9] == ["Id", "FirstName", "LastName", "Email", "Title", "Department", "Seniority__c",
                              "NumberOfEmployees", "Industry"]  # fmt: skip
    personas = [row[9] for row in written[1:]]
    assert personas[:5] == ["platform-lead-priya", "eng-manager-marco", "developer-dev", "compliance-officer-carla",
                            "unassigned"]  # fmt: skip
    assert written[6][4] == "'@Software Engineer" and written[6][7] == "'-1"


def test_map_chooses_the_title_column(run):
    # custom.csv has a `Title` column holding salutations (Dr., Ms.): recognised, and wrong, without --map
    wrong = rows(run(DATA / "custom.csv").stdout)
    assert {row[6] for row in wrong[1:]} == {"unassigned"}
    result = run(DATA / "custom.csv", "--map", "title=Role Name", "--map", "company_size=Headcount")
    assert result.exit_code == 0, result.output
    routed = rows(result.stdout)
    assert routed[0] == ["Contact", "Role Name", "Team", "Headcount", "Sector", "Title", *COLUMNS]
    assert [row[6] for row in routed[1:]] == ["platform-lead-priya", "eng-manager-marco", "developer-dev",
                                              "compliance-officer-carla", "unassigned"]  # fmt: skip


def test_mapping_file_maps_like_map_options_and_map_wins(run, tmp_path: Path):
    by_file = run(DATA / "custom.csv", "--mapping", DATA / "custom-mapping.yaml")
    assert by_file.exit_code == 0, by_file.output
    by_options = run(DATA / "custom.csv", "--map", "title=Role Name", "--map", "department=Team",
                     "--map", "company_size=Headcount", "--map", "industry=Sector")  # fmt: skip
    assert by_file.stdout == by_options.stdout
    as_json = tmp_path / "mapping.json"
    as_json.write_text(json.dumps({"title": "Role Name", "department": "Team"}))
    assert rows(run(DATA / "custom.csv", "--mapping", as_json).stdout)[1][6] == "platform-lead-priya"
    overridden = run(DATA / "custom.csv", "--mapping", DATA / "custom-mapping.yaml", "--map", "title=Title")
    assert {row[6] for row in rows(overridden.stdout)[1:]} == {"unassigned"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            "title: Role Name\njob: Team\n",
            "mapping.yaml:2:1: 'job' is not a contact field (use title, seniority",
        ),
        ("title: Role\n", "no column 'Role' for title (columns found: 'Contact', 'Role Name'"),
        ("- title\n", "write one `canonical name: column` per line"),
        ("title: [a\n", "mapping.yaml"),
    ],
)
def test_bad_mapping_files_are_named(run, tmp_path: Path, mapping: str, message: str):
    path = tmp_path / "mapping.yaml"
    path.write_text(mapping)
    result = run(DATA / "custom.csv", "--mapping", path)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_tiny_chunks_give_the_same_output(run, fmt: str):
    whole = run(DATA / "hubspot.csv", "--format", fmt)
    chunked = run(DATA / "hubspot.csv", "--format", fmt, "--chunk-size", "3")
    assert chunked.exit_code == 0, chunked.output
    assert chunked.stdout_bytes == whole.stdout_bytes
    assert chunked.stderr == whole.stderr


# Each bad file and the words its one-line error must contain.
INVALID = {
    "empty.csv": "the file is empty (export the contacts with a header row)",
    "no-title.csv": "no job title column (columns found: 'Name', 'Company', 'Email'); name it with --map title=COLUMN",
    "ragged.csv": "a row has 4 fields where the header has 2: 'Engineering Manager,Acme,extra,fields'",
    "ragged-late.csv": "a row has 1 field where the header has 2: 'Compliance Lead'",
    # issue 10: the rest of the file used to become one cell, silently ("classified 1 contact", exit 0)
    "unclosed-last.csv": "a quote is never closed: the record 'Software Engineer,Acme,never closed\\nCompliance Lead,",
    "latin1-later.csv": "not valid utf-8 beyond the first lines; pass --encoding latin-1",
    "junk.bin": "binary data, not a CSV file",
    "workbook.xlsx": "an Excel workbook, not a CSV file (save it as CSV UTF-8 first)",
}


@pytest.mark.parametrize("name", sorted(p.name for p in (DATA / "invalid").iterdir()))
def test_bad_input_is_one_clear_line(run, tmp_path: Path, name: str):
    folder = tmp_path / "out"
    folder.mkdir()
    result = run(DATA / "invalid" / name, "--out", folder / "routed.csv")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {DATA / 'invalid' / name}: ")
    assert INVALID[name] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert not list(folder.iterdir()), "no partial output is left behind"


def test_bad_input_on_stdin_is_named_stdin(run):
    result = run(input=b"Name,Company\nAna,Acme\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: stdin: no job title column")
    assert result.stdout == ""


def test_wrong_delimiter_is_explained_and_delimiter_fixes_it(run):
    result = run(DATA / "semicolon.csv")
    assert result.exit_code == 1
    assert "the header is one column containing ';'" in result.stderr
    assert "pass --delimiter ';'" in result.stderr
    fixed = run(DATA / "semicolon.csv", "--delimiter", ";")
    assert fixed.exit_code == 0, fixed.output
    written = rows(fixed.stdout, ";")
    assert written[0] == ["Job Title", "Company size", "Industry", *COLUMNS]
    assert [row[3] for row in written[1:]] == ["developer-dev", "compliance-officer-carla"]


def test_non_utf8_suggests_encoding_and_encoding_reads_it(run):
    result = run(DATA / "latin1.csv")
    assert result.exit_code == 1
    assert f"{DATA / 'latin1.csv'}:1: not valid utf-8 (byte 0xe9); pass --encoding latin-1" in result.stderr
    fixed = run(DATA / "latin1.csv", "--encoding", "latin-1")
    assert fixed.exit_code == 0, fixed.output
    written = rows(fixed.stdout_bytes.decode("utf-8"))  # output is always UTF-8
    assert written[0][:2] == ["Job Title", "Société"]
    assert written[1][:2] == ["Ingénieur logiciel", "Crédit Agricole"]


def test_utf16_with_byte_order_mark_is_read_without_options(run):
    result = run(DATA / "utf16.csv", "--delimiter", "tab")
    assert result.exit_code == 0, result.output
    assert rows(result.stdout, "\t")[1][:3] == ["Engineering Manager", "Acme", "eng-manager-marco"]


def test_header_only_writes_a_header_only(run):
    result = run(DATA / "header-only.csv")
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [["Job Title", "Company Name", "Number of Employees", *COLUMNS]]
    assert "classified 0 contacts" in result.stderr
    no_newline = run(input=b"Job Title,Company")
    assert rows(no_newline.stdout) == [["Job Title", "Company", *COLUMNS]]


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_a_10_mb_cell_is_read(run, tmp_path: Path, via: str):
    big = "x" * (10 << 20)
    path = tmp_path / "big.csv"
    path.write_text(f'Job Title,Notes\nSoftware Engineer,"{big}"\nCompliance Lead,=1\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run(path, "--out", out) if via == "file" else run("--out", out, input=path.read_bytes())
    assert result.exit_code == 0, result.output
    written = rows(text(out))
    assert written[1][1] == big and written[2][1] == "'=1"
    assert [row[2] for row in written[1:]] == ["developer-dev", "compliance-officer-carla"]


def test_an_unclosed_quote_in_a_big_file_is_explained(run, tmp_path: Path, monkeypatch):
    # a 64 MB record, scaled down
    monkeypatch.setattr("persona_map.routing.contacts_csv.SMALL_BLOCK", 1 << 16)
    monkeypatch.setattr("persona_map.routing.contacts_csv.LARGE_BLOCK", 1 << 20)
    folder = tmp_path / "contacts"
    folder.mkdir()
    path = folder / "unclosed.csv"
    path.write_text('Job Title,Notes\nSoftware Engineer,"oops\n' + "Compliance Lead,fine\n" * 100_000)
    result = run(path, "--out", folder / "out.csv")
    assert result.exit_code == 1
    assert "a record is longer than 1 MB: probably a quote that is never closed" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["unclosed.csv"]


def test_persona_columns_of_an_earlier_run_are_replaced_in_place(run, tmp_path: Path):
    first = tmp_path / "first.csv"
    run(DATA / "salesforce.csv", "--out", first)
    again = run(first)
    assert again.exit_code == 0, again.output
    before, after = rows(text(first)), rows(again.stdout)
    assert after[0] == before[0]  # same columns in the same order
    assert [row[:12] for row in after] == [row[:12] for row in before]  # quoted cells are not quoted twice
    assert "replaced the input's own persona_id, persona_name, confidence, reason" in again.stderr


def test_min_confidence_leaves_weak_matches_unassigned(run):
    strict = rows(run(DATA / "hubspot.csv", "--min-confidence", "0.9").stdout)
    lenient = rows(run(DATA / "hubspot.csv", "--min-confidence", "0.5").stdout)
    unassigned = [sum(row[12] == "unassigned" for row in table[1:]) for table in (strict, lenient)]
    assert unassigned[0] > unassigned[1]
    assigned = [row for row in strict[1:] if row[12] != "unassigned"]
    assert assigned, "contacts that fit the title and three attributes reach 0.9"
    assert all(float(row[14]) >= 0.9 for row in assigned)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "job=Job Title"], "write CANONICAL=COLUMN"),
        (["--delimiter", ";;"], "give one character"),
        (["--encoding", "klingon"], "is not an encoding Python knows"),
        (["--chunk-size", "0"], "0 is not in the range x>=1"),
        (["no-such-file.csv"], "does not exist"),
    ],
)
def test_wrong_usage_exits_2(run, args: list[str], message: str):
    result = run(DATA / "hubspot.csv", *args) if args[0].startswith("-") else run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("value", "band"),
    [("8", "1-10"), ("11", "11-50"), ("250", "201-1000"), ("1,200", "1001-5000"), ("1.200", "1001-5000"),
     ("250.0", "201-1000"), ("5000", "1001-5000"), ("5001", "5001+"), ("12 000", "5001+"), ("51-200", "51-200"),
     ("10,001+", "10,001+"), ("Enterprise", "Enterprise"), ("", ""), ("-5", "-5")],
)  # fmt: skip
def test_employee_counts_become_size_bands(value: str, band: str):
    assert size_band(value) == band


def test_the_installed_command_in_a_real_process(tmp_path: Path):
    command = Path(sys.executable).parent / "personas"
    out = tmp_path / "routed.csv"
    done = subprocess.run(
        [command, "classify", DATA / "hubspot.csv", "--root", ROOT, "--no-model", "--out", out],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "classified 40 contacts" in done.stderr
    written = rows(text(out))
    assert written[0] == [*HUBSPOT_COLUMNS, *COLUMNS]
    assert {(row[4], row[12]) for row in written[1:] if row[4] in CLEAR} == set(CLEAR.items())
    piped = subprocess.run(
        [command, "classify", "--root", ROOT, "--no-model", "--delimiter", ";"],
        input=(DATA / "semicolon.csv").read_bytes(), capture_output=True, timeout=120,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode().splitlines()[0].endswith('"persona_id";"persona_name";"confidence";"reason"')
    bad = subprocess.run([command, "classify", DATA / "invalid" / "junk.bin", "--root", ROOT], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_columns_named_like_the_research_model_are_handed_to_it():
    model = {
        "model": {
            "columns": {"job_title": "categorical", "region": "categorical", "years_experience": "numeric"}
        }
    }
    header = ["Job Title", "Region", "Years Experience", "Email"]
    assert model_columns(header, model, taken={0}) == {"region": 1, "years_experience": 2}
    assert model_columns(header, None, taken=set()) == {}
