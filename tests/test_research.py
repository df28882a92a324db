"""The research loader: typed frames from clean files, and a finding with file, line and column for every
problem in a bad one, through `load_research` and through `personas segment`.

Cases live in tests/data/research/<case>/ (a manifest.yaml and survey.csv). Encodings, delimiters, binary
junk and very large cells are built from the `clean` case in a throwaway copy of the repository.
"""

from __future__ import annotations

import codecs
import json
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from persona_map.cli import main
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.manifest import load_manifest
from persona_map.research.sources import Research, aggregate_source, load_research, read_source
from tests.conftest import ROOT

CASES = Path(__file__).parent / "data" / "research"
SURVEY = "research/survey.csv"
PERSONAL_VALUES = ("@example.com", "Oakley Example")  # no finding may repeat personal data


@dataclass(frozen=True)
class Expect:
    """One finding a case must produce: where (file, CSV line, 1-based column, column name) and what."""

    code: str
    line: int
    column: int
    name: str
    message: str  # a fragment of the message
    file: str = SURVEY
    severity: str = "error"

    def matches(self, f: Finding) -> bool:
        return (f.code, f.file, f.line, f.column, f.path, f.severity.value) == (
            self.code,
            self.file,
            self.line,
            self.column,
            self.name,
            self.severity,
        ) and self.message in f.message

    def shown(self) -> str:
        """The line `personas segment` prints for this finding (up to the message fragment)."""
        where = ":".join(
            [self.file, str(self.line), str(self.column)] if self.column else [self.file, str(self.line)]
        )
        return f"{where}: {self.severity}: {self.name + ': ' if self.name else ''}"


LIKERT = "is outside the Likert scale 1-5"

# case folder -> every finding it must produce, and nothing else
BAD_CASES: dict[str, list[Expect]] = {
    "missing-column": [
        Expect(
            "research.missing-column",
            1,
            0,
            "team_size",
            "column 'team_size' is declared in the manifest but missing",
        )
    ],
    "unknown-column": [
        Expect(
            "research.unknown-column",
            1,
            9,
            "browser",
            "column 'browser' is not declared in research/manifest.yaml",
        )
    ],
    "duplicate-header": [
        Expect(
            "research.duplicate-column",
            1,
            9,
            "role",
            "column 'role' appears more than once in the header (first as column 3)",
        )
    ],
    "likert-out-of-scale": [
        Expect("research.likert", 3, 5, "sat_speed", f"'7' in column 'sat_speed' {LIKERT}")
    ],
    "likert-fraction": [
        Expect("research.likert", 4, 5, "sat_speed", f"'2.5' in column 'sat_speed' {LIKERT}")
    ],
    "numeric-text": [
        Expect("research.numeric", 3, 6, "team_size", "'four' in column 'team_size' is not a number")
    ],
    "date-invalid": [
        Expect("research.date", 2, 7, "responded_on", "'2026-13-45' in column 'responded_on' is not a date"),
        Expect("research.date", 4, 7, "responded_on", "'yesterday' in column 'responded_on' is not a date"),
    ],
    "ordinal-level": [
        Expect(
            "research.ordinal",
            3,
            4,
            "company_size",
            "'5000+' in column 'company_size' is not one of the declared levels",
        )
    ],
    "missing-key": [
        Expect("research.key", 3, 1, "respondent_id", "empty in column 'respondent_id' has no key")
    ],
    "empty-file": [Expect("research.empty", 1, 0, "", "research file is empty")],
    "header-only": [Expect("research.empty", 1, 0, "", "research file has a header but no data rows")],
    "whitespace-only": [Expect("research.empty", 1, 0, "", "research file is empty")],
    "row-length": [
        Expect("research.row-length", 3, 9, "", "row has 9 fields; the header has 8"),
        Expect(
            "research.row-length", 5, 7, "responded_on", "row has 6 fields; the header has 8: 'responded_on'"
        ),
    ],
    "multiline-cell": [  # a record is reported at its first line; the lines after it are not shifted
        Expect("research.likert", 2, 5, "sat_speed", f"'8' in column 'sat_speed' {LIKERT}"),
        Expect("research.likert", 6, 5, "sat_speed", f"'9' in column 'sat_speed' {LIKERT}"),
    ],
    "many-bad-values": [
        Expect("research.likert", 3, 5, "sat_speed", f"'6' in column 'sat_speed' {LIKERT}"),
        Expect("research.likert", 4, 5, "sat_speed", f"'7' in column 'sat_speed' {LIKERT}"),
        Expect("research.likert", 5, 5, "sat_speed", f"'8' in column 'sat_speed' {LIKERT}"),
        Expect(
            "research.likert",
            6,
            5,
            "sat_speed",
            f"... and 3 more rows in column 'sat_speed' where the value {LIKERT}",
        ),
    ],
    "duplicate-key": [
        Expect(
            "research.duplicate-key",
            4,
            1,
            "respondent_id",
            "'S01' in column 'respondent_id' repeats the key of an earlier row",
        )
    ],
    "unclosed-quote": [
        Expect("research.csv", 4, 0, "", "a quoted cell that starts on this line is never closed")
    ],
}


# ---------------------------------------------------------------------------------------------- helpers


def install(root: Path, case: str | Path) -> Path:
    """Replace the research of the repository copy at `root` with a case folder's files."""
    research = root / "research"
    shutil.rmtree(research)
    shutil.copytree(case if isinstance(case, Path) else CASES / case, research)
    return research


def load(root: Path) -> tuple[Research, list[Finding]]:
    repo = Repository.open(root)
    manifest, findings = load_manifest(repo)
    assert findings == [], f"the case's manifest must be valid: {findings}"
    return load_research(repo, manifest)


def set_manifest(research: Path, **settings: str) -> None:
    """Add source settings (delimiter, encoding) to the case's single source."""
    manifest = research / "manifest.yaml"
    lines = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in settings.items())
    manifest.write_text(
        manifest.read_text().replace("    key: respondent_id\n", f"    key: respondent_id\n{lines}")
    )


def clean_text() -> str:
    return (CASES / "clean" / "survey.csv").read_text(encoding="utf-8")


def accented_text() -> str:
    """The clean survey with accents on line 3 (role) and line 4 (comment)."""
    return clean_text().replace("Manager", "Ingénieure").replace("a lot", "à la française")


def assert_exactly(findings: list[Finding], expected: list[Expect]) -> None:
    unmatched = [e for e in expected if not any(e.matches(f) for f in findings)]
    extra = [f for f in findings if not any(e.matches(f) for e in expected)]
    assert not unmatched and not extra, f"missing: {unmatched}\nunexpected: {extra}"


def assert_private(findings: list[Finding]) -> None:
    for f in findings:
        assert not any(p in f.message or p in f.path for p in PERSONAL_VALUES), f


def segment(root: Path):
    return CliRunner().invoke(main, ["segment", "--root", str(root)])


def assert_cli_reports(root: Path, expected: list[Expect]) -> None:
    """`personas segment` exits 1 and prints every expected finding, no traceback, no internal error."""
    result = segment(root)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    printed = result.output.splitlines()
    for e in expected:
        assert any(line.startswith(e.shown()) and e.message in line for line in printed), (e, result.output)


# -------------------------------------------------------------------------------------- the real research


def test_the_repository_research_loads_typed_without_personal_data():
    repo = Repository.open(ROOT)
    manifest, problems = load_manifest(repo)
    research, findings = load_research(repo, manifest)
    assert problems == [] and findings == []
    assert set(research.frames) == {"survey-2026", "interviews-2026"}
    assert set(research.aggregated) == {"analytics-2026"}, "events are aggregated per key as they are read"
    assert "email" not in research.frames["survey-2026"]
    assert "interviewee_name" not in research.frames["interviews-2026"]
    analytics = manifest.sources["analytics-2026"]
    events, _ = read_source(repo.research_dir / analytics.file, analytics, analytics.file)
    for sid, frame in [*research.frames.items(), ("analytics-2026", events)]:
        spec = research.specs[sid]
        assert set(frame.columns) == set(spec.columns) - set(spec.roles("personal", "ignored")), sid
        assert len(frame) > 0
        for name in frame.columns:
            dtype, role = frame[name].dtype, spec.columns[name].role
            if role in (
                "categorical",
                "ordinal",
                "multi-select",
            ):  # a multi-select: one category per combination
                assert isinstance(dtype, pd.CategoricalDtype), (sid, name, dtype)
                assert dtype.ordered == (role == "ordinal"), (sid, name)
            elif role == "likert":  # small whole numbers: float32 holds them exactly in half the memory
                assert dtype in ("float32", "float64"), (sid, name, dtype)
            elif role == "numeric":
                assert dtype == "float64", (sid, name, dtype)
            elif role == "date":
                assert pd.api.types.is_datetime64_dtype(dtype), (sid, name, dtype)
            else:
                assert pd.api.types.is_string_dtype(dtype), (sid, name, dtype)
    survey = research.frames["survey-2026"]
    assert list(survey["seniority"].cat.categories)[:2] == ["entry", "individual-contributor"]
    assert survey["sat_speed"].between(1, 5).all()


def test_the_clean_case_loads(repo_copy: Path):
    install(repo_copy, "clean")
    research, findings = load(repo_copy)
    assert findings == []
    frame = research.frames["survey"]
    assert list(frame.columns) == [
        "respondent_id",
        "role",
        "company_size",
        "sat_speed",
        "team_size",
        "responded_on",
        "comment",
    ]
    assert frame["respondent_id"].tolist() == ["S01", "S02", "S03"]
    assert frame["sat_speed"].tolist() == [4.0, 2.0, 5.0]
    assert frame["company_size"].cat.ordered and frame["company_size"].tolist() == ["1-10", "11-50", "51-200"]
    assert frame["responded_on"].iloc[0] == pd.Timestamp("2026-08-01")
    assert frame["comment"].iloc[2] == 'Says "ship it", a lot'
    assert pd.isna(frame["comment"].iloc[1])


# ------------------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_case_gives_exactly_its_findings(repo_copy: Path, case: str):
    install(repo_copy, case)
    research, findings = load(repo_copy)
    assert_exactly(findings, BAD_CASES[case])
    assert "survey" not in research.frames, "a source with errors gives no frame"
    assert_private(findings)


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_case_through_the_cli(repo_copy: Path, case: str):
    install(repo_copy, case)
    assert_cli_reports(repo_copy, BAD_CASES[case])


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_an_export_with_problems_reports_them_as_when_read_whole(repo_copy: Path, case: str):
    """The case's file declared as an analytics export, aggregated as it is read two rows at a time: exactly
    the findings of reading it whole (what the loader reported before events were aggregated as read)."""
    research = install(repo_copy, case)
    manifest_file = research / "manifest.yaml"
    manifest_file.write_text(manifest_file.read_text().replace("kind: survey", "kind: analytics"))
    repo = Repository.open(repo_copy)
    manifest, _ = load_manifest(repo)
    spec = manifest.sources["survey"]
    assert spec.kind == "analytics"
    path = repo.research_dir / spec.file
    frame, expected = read_source(path, spec, SURVEY)
    found, findings = aggregate_source(path, spec, SURVEY, chunk_rows=2)
    assert findings == expected
    assert (found is None) == (frame is None or any(f.is_error for f in expected))
    loaded, reported = load_research(repo, manifest)
    assert reported == expected and set(loaded.aggregated) == ({"survey"} if found is not None else set())


def test_every_case_folder_is_tested():
    assert {p.name for p in CASES.iterdir() if p.is_dir()} == set(BAD_CASES) | {"clean"}


def test_padded_header_names_are_read(repo_copy: Path):
    """' role' in the header is the declared 'role' column, on the fast and on the slow path."""
    research = install(repo_copy, "clean")
    padded = clean_text().replace(",role,", ", role ,", 1)
    (research / "survey.csv").write_text(padded)
    frames, findings = load(repo_copy)
    assert findings == []
    assert frames.frames["survey"]["role"].tolist() == ["Engineer", "Manager", "Engineer"]
    (research / "survey.csv").write_text(padded.replace(",4,5,", ",7,5,"))
    _, findings = load(repo_copy)
    assert_exactly(findings, [Expect("research.likert", 2, 5, "sat_speed", "'7'")])


def test_na_like_text_is_a_value_not_a_gap(repo_copy: Path):
    """'NA' and 'N/A' are values on both paths: a category stays, a number is flagged."""
    research = install(repo_copy, "clean")
    (research / "survey.csv").write_text(clean_text().replace("Manager", "NA"))
    frames, findings = load(repo_copy)
    assert findings == []
    assert frames.frames["survey"]["role"].tolist() == ["Engineer", "NA", "Engineer"]
    (research / "survey.csv").write_text(clean_text().replace(",12,", ",N/A,"))
    _, findings = load(repo_copy)
    assert_exactly(
        findings,
        [Expect("research.numeric", 3, 6, "team_size", "'N/A' in column 'team_size' is not a number")],
    )


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_endings(repo_copy: Path, ending: str):
    research = install(repo_copy, "multiline-cell")
    text = (research / "survey.csv").read_text()
    (research / "survey.csv").write_bytes(text.replace("\n", ending).encode())
    _, findings = load(repo_copy)
    assert_exactly(findings, BAD_CASES["multiline-cell"])


# ------------------------------------------------------------------------------------ delimiters


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "sniffed"])
@pytest.mark.parametrize("delimiter", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_delimiters(repo_copy: Path, delimiter: str, declared: bool):
    research = install(repo_copy, "clean")
    if declared:
        set_manifest(research, delimiter=delimiter)
    text = clean_text().replace(",", delimiter).replace(f'"{delimiter} a lot', '", a lot')
    (research / "survey.csv").write_text(text)
    loaded, findings = load(repo_copy)
    assert findings == []
    frame = loaded.frames["survey"]
    assert frame["comment"].iloc[2] == 'Says "ship it", a lot'
    assert frame["sat_speed"].tolist() == [4.0, 2.0, 5.0]
    # a bad value is found in the right column with the right delimiter
    (research / "survey.csv").write_text(
        text.replace(f"{delimiter}2{delimiter}12{delimiter}", f"{delimiter}2{delimiter}x{delimiter}")
    )
    _, findings = load(repo_copy)
    assert_exactly(
        findings, [Expect("research.numeric", 3, 6, "team_size", "'x' in column 'team_size' is not a number")]
    )


# --------------------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encode", "declared"),
    [
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), None),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8"),  # Excel's "CSV UTF-8"
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("utf-16"), None),  # LE with BOM on this platform, as Excel writes it
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16"),
        (lambda t: t.encode("latin-1"), "latin-1"),
        (lambda t: t.encode("cp1252"), "cp1252"),
    ],
    ids=[
        "utf8-bom",
        "utf8-bom-declared",
        "utf8-sig-declared",
        "utf16",
        "utf16-le-declared",
        "latin1-declared",
        "cp1252-declared",
    ],
)
def test_encodings_read_accents(repo_copy: Path, encode, declared: str | None):
    research = install(repo_copy, "clean")
    if declared:
        set_manifest(research, encoding=declared)
    (research / "survey.csv").write_bytes(encode(accented_text()))
    loaded, findings = load(repo_copy)
    assert findings == []
    frame = loaded.frames["survey"]
    assert list(frame.columns)[0] == "respondent_id", "no BOM in the first column name"
    assert frame["role"].tolist() == ["Engineer", "Ingénieure", "Engineer"]
    assert frame["comment"].iloc[2] == 'Says "ship it", à la française'
    assert frame["sat_speed"].tolist() == [4.0, 2.0, 5.0]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["plain", "after-utf8-bom"])
def test_undeclared_latin1_is_read_with_a_warning(repo_copy: Path, bom: bytes):
    research = install(repo_copy, "clean")
    (research / "survey.csv").write_bytes(bom + accented_text().encode("latin-1"))
    loaded, findings = load(repo_copy)
    assert_exactly(
        findings,
        [
            Expect(
                "research.encoding",
                3,
                0,
                "",
                "file is not UTF-8 (byte 0xe9); read as Latin-1",
                severity="warning",
            )
        ],
    )
    assert loaded.frames["survey"]["role"].tolist() == ["Engineer", "Ingénieure", "Engineer"]


def test_undeclared_latin1_with_a_bad_value_gives_both(repo_copy: Path):
    research = install(repo_copy, "clean")
    text = accented_text().replace(",4,5,", ",7,5,")
    (research / "survey.csv").write_bytes(text.encode("latin-1"))
    _, findings = load(repo_copy)
    assert_exactly(
        findings,
        [
            Expect("research.encoding", 3, 0, "", "read as Latin-1", severity="warning"),
            Expect("research.likert", 2, 5, "sat_speed", "'7'"),
        ],
    )


def test_invalid_bytes_in_a_declared_utf8_file(repo_copy: Path):
    research = install(repo_copy, "clean")
    set_manifest(research, encoding="utf-8")
    (research / "survey.csv").write_bytes(accented_text().encode("latin-1"))
    expected = [Expect("research.encoding", 3, 0, "", "not valid utf-8 (byte 0xe9)")]
    _, findings = load(repo_copy)
    assert_exactly(findings, expected)
    assert_cli_reports(repo_copy, expected)


def test_invalid_bytes_in_a_declared_utf16_file_count_lines_as_text(repo_copy: Path):
    research = install(repo_copy, "clean")
    set_manifest(research, encoding="utf-16")
    # 'Ċ' is U+010A: its UTF-16 code unit holds a 0x0a byte that is no line break
    (research / "survey.csv").write_bytes(clean_text().replace("Manager", "Ċ").encode("utf-16") + b"\x00")
    _, findings = load(repo_copy)
    assert_exactly(findings, [Expect("research.encoding", 5, 0, "", "not valid utf-16")])


# -------------------------------------------------------------------------------------- across sources


def test_a_key_that_joins_nothing(repo_copy: Path):
    """Analytics whose respondent ids match no survey (or interview) id."""
    path = repo_copy / "research" / "analytics-2026.csv"
    path.write_text(path.read_text().replace("\nS", "\nACCT-"))
    expected = [
        Expect(
            "research.key-joins-nothing",
            1,
            0,
            "respondent_id",
            "no respondent_id in analytics-2026 matches any other source",
            file="research/analytics-2026.csv",
        )
    ]
    research, findings = load(repo_copy)
    assert_exactly(findings, expected)
    assert set(research.frames) | set(research.aggregated) == {
        "survey-2026",
        "interviews-2026",
        "analytics-2026",
    }
    assert_cli_reports(repo_copy, expected)


def test_duplicate_survey_keys_in_the_repository_research(repo_copy: Path):
    path = repo_copy / "research" / "survey-2026.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[5]]))
    expected = [
        Expect(
            "research.duplicate-key",
            len(lines) + 1,
            1,
            "respondent_id",
            "'S0005' in column 'respondent_id' repeats the key of an earlier row",
            file="research/survey-2026.csv",
        )
    ]
    _, findings = load(repo_copy)
    assert_exactly(findings, expected)
    assert_cli_reports(repo_copy, expected)


# ------------------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("bad_row", [False, True], ids=["fast-path", "slow-path"])
def test_a_10_mb_cell_loads(repo_copy: Path, bad_row: bool):
    research = install(repo_copy, "clean")
    big = "word " * 2_000_000
    text = (
        clean_text()
        + f'S04,d@example.com,Engineer,1-10,{7 if bad_row else 3},4,2026-08-04,"{big}"\nS05,e@example.com,Engineer,1-10,3,4,2026-08-05,\n'
    )
    (research / "survey.csv").write_text(text)
    loaded, findings = load(repo_copy)
    if bad_row:
        assert_exactly(findings, [Expect("research.likert", 5, 5, "sat_speed", "'7'")])
    else:
        assert findings == []
        assert len(loaded.frames["survey"]["comment"].iloc[3]) == len(big)


def _random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


GARBAGE = {
    "random": _random_bytes(4096, 1),
    "random-after-header": clean_text().splitlines(keepends=True)[0].encode() + _random_bytes(4096, 2),
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _random_bytes(512, 3),
    "utf16-bom-odd-length": codecs.BOM_UTF16_LE + b"r\x00i\x00d\x00,",
    "nul-bytes": b"\x00" * 1000,
    "control-characters": bytes(range(32)) * 20,
    "lone-quote": b'"',
}


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_binary_garbage_is_a_finding_not_a_traceback(repo_copy: Path, content: bytes):
    research = install(repo_copy, "clean")
    (research / "survey.csv").write_bytes(content)
    loaded, findings = load(repo_copy)
    errors = [f for f in findings if f.is_error]
    assert errors and all(f.file == SURVEY and f.line >= 1 for f in errors), findings
    assert "survey" not in loaded.frames
    for f in findings:
        assert f.message.isprintable() and f.path.isprintable(), f
    result = segment(repo_copy)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert f"{SURVEY}:" in result.output


def _whole_process(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `personas ARGS` in a fresh interpreter: its result and its own peak memory in MiB (VmHWM: getrusage's
    ru_maxrss would include this test runner's memory, which Linux carries over to the processes it starts)."""
    program = (
        "import atexit, sys; from persona_map.cli import main; "
        "atexit.register(lambda: print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0], "
        "file=sys.stderr)); main(sys.argv[1:])"
    )
    done = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, timeout=300)
    return done, int(done.stderr.strip().splitlines()[-1]) / 1024


def _zeros(path: Path) -> None:
    with path.open("ab") as handle:  # a sparse tail: 2 GiB of zero bytes on no disk
        handle.truncate(2 << 30)


def _endless_line(path: Path) -> None:
    with path.open("ab") as handle:
        block = b"a" * (16 << 20)
        for _ in range(10):  # 160 MiB with no line break
            handle.write(block)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (_zeros, "file holds binary data (NUL bytes), not CSV text"),
        (_endless_line, "a line longer than 64 MiB"),
    ],
    ids=["2-GiB-of-zeros", "160-MiB-line"],
)
def test_a_hopeless_tail_is_found_early_in_bounded_memory(repo_copy: Path, tail, message: str):
    """Zeros where a copy failed, or one endless line, after good rows: check and segment stop at the line
    where the text ends, holding a bounded part of the file (they held all of it: 10 GB for 2 GiB)."""
    research = install(repo_copy, "clean")
    tail(research / "survey.csv")
    line = clean_text().count("\n") + 1
    for command, limit in (("check", 400), ("segment", 1024)):
        done, peak = _whole_process(command, "--root", str(repo_copy))
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{SURVEY}:{line}:" in done.stdout + done.stderr and message in done.stdout + done.stderr, (
            done.stdout + done.stderr
        )
        assert "Traceback" not in done.stderr
        assert peak < limit, f"personas {command}: {peak:.0f} MiB"


def test_forty_thousand_undeclared_columns_are_ten_findings_and_a_count(repo_copy: Path):
    research = install(repo_copy, "clean")
    lines = clean_text().splitlines()
    extra = [f"x{i}" for i in range(40_000)]
    wide = [",".join([lines[0], *extra])] + [",".join([line, *["1"] * len(extra)]) for line in lines[1:]]
    (research / "survey.csv").write_text("\n".join(wide) + "\n", encoding="utf-8")
    _, findings = load(repo_copy)
    unknown = [f for f in findings if f.code == "research.unknown-column"]
    assert [f.path for f in unknown[:10]] == [f"x{i}" for i in range(10)]
    assert len(unknown) == 11, [f.message for f in unknown[10:13]]
    assert "... and 39,990 more columns not declared" in unknown[10].message
    assert "'x39999'" in unknown[10].message
