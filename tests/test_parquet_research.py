"""Research in Parquet, as warehouses export it: a file or a folder of files, segmented like the same CSV,
checked for bad values and personal data, counted on the research page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from persona_map.check.privacy import scan_research
from persona_map.repository import Repository
from persona_map.research.manifest import load_manifest
from persona_map.research.sources import load_research
from tests.test_segment import GENERATED_COLUMNS, planted_survey, research_repo, run_ok, survey_source


def _typed(frame: pd.DataFrame) -> pa.Table:
    """What a warehouse writes: numbers as numbers, empty cells as nulls."""
    out = frame.astype(object).where(frame != "", None)
    for name in ("sat_speed", "sat_cost", "sat_audit", "years_experience", "deploys_per_week"):
        out[name] = pd.to_numeric(out[name])
    return pa.Table.from_pandas(out, preserve_index=False)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_survey(n=1200)[0]


def _repo(root: Path, file: str, write) -> Path:
    root = research_repo(root, [survey_source(GENERATED_COLUMNS, file=file)], {})
    write(root / "research" / file)
    return root


def test_a_parquet_file_segments_like_the_same_csv(tmp_path: Path, planted: pd.DataFrame) -> None:
    csv = research_repo(
        tmp_path / "csv",
        [survey_source(GENERATED_COLUMNS)],
        {"survey.csv": planted.to_csv(index=False).encode()},
    )
    parquet = _repo(tmp_path / "parquet", "survey.parquet", lambda p: pq.write_table(_typed(planted), p))
    from_csv, from_parquet = run_ok(csv), run_ok(parquet)
    assert from_parquet.k == from_csv.k
    assert [s.size for s in from_parquet.segments] == [s.size for s in from_csv.segments]
    assert from_parquet.scores == pytest.approx(from_csv.scores, abs=1e-6)


def test_a_folder_of_parquet_files_is_one_source(tmp_path: Path, planted: pd.DataFrame) -> None:
    def write(folder: Path) -> None:
        folder.mkdir(parents=True)
        table = _typed(planted)
        for part, start in enumerate(range(0, table.num_rows, 400)):
            pq.write_table(table.slice(start, 400), folder / f"part-{part}.parquet")

    root = _repo(tmp_path / "repo", "exports/survey/", write)
    repo = Repository.open(root)
    manifest, findings = load_manifest(repo)
    assert not [f for f in findings if f.is_error], findings
    research, problems = load_research(repo, manifest)
    assert problems == [] and len(research.frames["survey"]) == len(planted)
    assert run_ok(root).respondents == len(planted)


def test_bad_values_and_personal_data_in_parquet_are_findings(tmp_path: Path, planted: pd.DataFrame) -> None:
    frame = planted.copy()
    frame.loc[7, "sat_speed"] = 9
    frame.loc[11, "comment"] = "mail me: jane.doe@example.com"
    root = _repo(tmp_path / "repo", "survey.parquet", lambda p: pq.write_table(_typed(frame), p))
    repo = Repository.open(root)
    manifest, _ = load_manifest(repo)
    _, problems = load_research(repo, manifest)
    assert [(f.code, f.line, f.path) for f in problems if f.is_error] == [("research.likert", 8, "sat_speed")]
    leaks = scan_research(repo, manifest)
    assert [(f.code, f.line, f.path) for f in leaks] == [("privacy.email", 13, "comment")]


def test_a_column_of_the_wrong_type_names_the_column(tmp_path: Path, planted: pd.DataFrame) -> None:
    table = _typed(planted)
    column = table.schema.get_field_index("years_experience")
    table = table.set_column(column, "years_experience", pa.array(["many"] * table.num_rows))
    root = _repo(tmp_path / "repo", "survey.parquet", lambda p: pq.write_table(table, p))
    repo = Repository.open(root)
    manifest, _ = load_manifest(repo)
    _, problems = load_research(repo, manifest)
    assert [(f.code, f.path) for f in problems] == [("research.numeric", "years_experience")]
    assert "cannot be read as numeric" in problems[0].message
