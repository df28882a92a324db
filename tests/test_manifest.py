"""Manifest mistakes are caught with the fix in the message: a key naming no column, a Likert scale missing,
short-form roles that need parameters, a year for a date; and persona quotes citing respondents the research
does not hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona_map.check.check import check
from persona_map.repository import Repository
from persona_map.research.manifest import load_manifest
from tests.conftest import TODAY


def _manifest(repo_copy: Path, old: str, new: str) -> list[tuple[str, str, str]]:
    path = repo_copy / "research" / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    _, findings = load_manifest(Repository.open(repo_copy))
    return [(f.path, f.message, f.hint) for f in findings]


@pytest.mark.parametrize(
    ("old", "new", "path", "message", "hint"),
    [
        ("    key: respondent_id\n    columns:\n      respondent_id: key\n      job_title:",
         "    key: respondent\n    columns:\n      respondent_id: key\n      job_title:",
         "sources[0].key", "key 'respondent' names no declared column of survey-2026", "name one of its columns"),
        ("        role: likert\n        label: Satisfaction with reliability\n        scale: [1, 5]\n",
         "        role: likert\n        label: Satisfaction with reliability\n",
         "sources[0].columns.sat_reliability", "likert column 'sat_reliability' has no scale",
         "write {role: likert, scale: [1, 5]}"),
        ("      nps:\n        role: numeric\n", "      nps: likert\n      nps_unused:\n        role: numeric\n",
         "sources[0].columns.nps", "'likert' needs its parameters", "write {role: likert, scale: [1, 5]}"),
        ("      region:\n        role: categorical\n", "      region: catgorical\n      region_unused:\n        role: categorical\n",
         "sources[0].columns.region", "'catgorical' is not one of", "ordinal needs parameters: {role: ordinal, levels"),
        ("    collected: 2026-09-30\n    example: true\n    key: respondent_id\n    columns:\n      respondent_id: key\n      job_title:",
         "    collected: 2026\n    example: true\n    key: respondent_id\n    columns:\n      respondent_id: key\n      job_title:",
         "sources[0].collected", "2026 is a year, not a date", "collected: 2026-12-31"),
    ],
    ids=["key-names-no-column", "likert-without-scale", "short-form-likert", "unknown-role", "year-as-date"],
)  # fmt: skip
def test_manifest_mistakes_say_how_to_fix_them(repo_copy: Path, old, new, path, message, hint) -> None:
    found = _manifest(repo_copy, old, new)
    matching = [f for f in found if f[0] == path and message in f[1]]
    assert matching, found
    assert hint in matching[0][2]


def test_a_file_name_with_a_space_is_accepted(repo_copy: Path) -> None:
    (repo_copy / "research" / "survey-2026.csv").rename(repo_copy / "research" / "survey 2026.csv")
    found = _manifest(repo_copy, "    file: survey-2026.csv\n", "    file: survey 2026.csv\n")
    assert found == []


def test_a_quote_citing_a_respondent_the_source_does_not_hold_is_a_finding(repo_copy: Path) -> None:
    path = repo_copy / "personas" / "platform-lead-priya.yaml"
    text = path.read_text(encoding="utf-8")
    assert "respondent: S0587\n" in text
    path.write_text(text.replace("respondent: S0587\n", "respondent: S9999\n", 1), encoding="utf-8")
    result = check(Repository.open(repo_copy), (), TODAY)
    found = [f for f in result.findings if f.code == "evidence.unknown-respondent"]
    assert (
        len(found) == 1
        and "respondent 'S9999' is not in research source 'interviews-2026'" in found[0].message
    )
    assert found[0].file == "personas/platform-lead-priya.yaml" and found[0].line > 1


def test_quotes_citing_a_parquet_source_are_checked_too(repo_copy: Path) -> None:
    """A cited source exported as Parquet: its respondents are read (its quotes went unchecked, silently)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    research = repo_copy / "research"
    table = pacsv.read_csv(research / "interviews-2026.csv")
    pq.write_table(table, research / "interviews-2026.parquet")
    (research / "interviews-2026.csv").unlink()
    manifest = research / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("file: interviews-2026.csv", "file: interviews-2026.parquet"), "utf-8")
    assert _unknown_respondents(repo_copy) == [], "every quote cites a respondent the Parquet file holds"
    path = repo_copy / "personas" / "platform-lead-priya.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("respondent: S0587\n", "respondent: S9999\n", 1), encoding="utf-8")
    assert _unknown_respondents(repo_copy) == [
        "respondent 'S9999' is not in research source 'interviews-2026'"
    ]


def _unknown_respondents(root: Path) -> list[str]:
    result = check(Repository.open(root), (), TODAY)
    return [f.message for f in result.findings if f.code == "evidence.unknown-respondent"]
