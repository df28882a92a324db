"""Repository rules on a real copy of the repository: budget, ids, review dates, evidence, odd files."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from persona_map.check.catalog import build_catalog
from persona_map.check.check import check
from persona_map.check.review import due_for_review
from persona_map.config import Config
from persona_map.dates import add_months, review_dates
from persona_map.errors import ConfigError, InvalidPersonas
from persona_map.ids import MAX_LENGTH, MIN_LENGTH, SLUG, id_problem, reserved_on_windows
from persona_map.repository import Repository
from tests.conftest import ROOT, TODAY


def _codes(root: Path, today: date = TODAY) -> list[tuple[str, str]]:
    result = check(Repository.open(root), today=today)
    return [(f.file, f.code) for f in result.sorted()]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_copy_of_the_repository_is_clean(repo_copy: Path):
    assert _codes(repo_copy) == []


def test_too_few_primary_personas_fail(repo_copy: Path):
    _edit(repo_copy / "personas/developer-dev.yaml", "tier: primary", "tier: secondary")
    result = check(Repository.open(repo_copy), today=TODAY)
    [finding] = result.errors
    assert finding.code == "repo.primary-count"
    assert finding.file == "personas"
    assert "2 primary personas" in finding.message and "3 to 5" in finding.message


def test_too_many_primary_personas_fail(repo_copy: Path):
    source = (repo_copy / "personas/developer-dev.yaml").read_text()
    source = source.split("  # Routes CRM contacts")[
        0
    ]  # copies' classification rules would overlap the original's
    for n in range(3):
        (repo_copy / f"personas/dev-{n}.yaml").write_text(source.replace("id: developer-dev", f"id: dev-{n}"))
    result = check(Repository.open(repo_copy), today=TODAY)
    assert [f.code for f in result.errors] == ["repo.primary-count"]
    assert "6 primary personas" in result.errors[0].message
    assert "demote" in result.errors[0].hint


def test_limits_come_from_the_config(repo_copy: Path):
    _edit(repo_copy / "pyproject.toml", "primary_min = 3", "primary_min = 1")
    _edit(repo_copy / "pyproject.toml", "primary_max = 5", "primary_max = 2")
    assert ("personas", "repo.primary-count") in _codes(repo_copy)


def test_duplicate_ids_fail(repo_copy: Path):
    (repo_copy / "personas/copy.yaml").write_text((repo_copy / "personas/developer-dev.yaml").read_text())
    codes = _codes(repo_copy)
    assert ("personas/copy.yaml", "repo.id-filename") in codes
    assert ("personas/developer-dev.yaml", "repo.duplicate-id") in codes or (
        "personas/copy.yaml",
        "repo.duplicate-id",
    ) in codes


def test_due_soon_warns_and_overdue_fails(repo_copy: Path):
    _edit(
        repo_copy / "personas/platform-lead-priya.yaml",
        "last_reviewed: 2026-10-14",
        "last_reviewed: 2026-08-01",
    )
    result = check(Repository.open(repo_copy), today=date(2027, 7, 20))
    warnings = [f for f in result.warnings if f.code == "review.due-soon"]
    assert [w.file for w in warnings] == ["personas/platform-lead-priya.yaml"]
    assert "review due 2027-08-01 (in 12 days" in warnings[0].message
    assert result.ok, "a persona due soon is a warning, not a failure"
    result = check(Repository.open(repo_copy), today=date(2027, 8, 2))
    overdue = [f for f in result.errors if f.code == "review.overdue"]
    assert "personas/platform-lead-priya.yaml" in [f.file for f in overdue]
    assert "1 day ago" in overdue[0].message


def test_evidence_file_missing_on_disk(repo_copy: Path):
    (repo_copy / "research/analytics-2026.csv").unlink()
    codes = _codes(repo_copy)
    assert ("research/manifest.yaml", "research.missing-file") in codes
    assert codes.count(("personas/platform-lead-priya.yaml", "evidence.missing-file")) == 1


def test_missing_manifest_is_reported_once(repo_copy: Path):
    (repo_copy / "research/manifest.yaml").unlink()
    assert _codes(repo_copy) == [("research/manifest.yaml", "research.no-manifest")]


def test_symlink_out_of_the_repository_is_not_read(repo_copy: Path, tmp_path: Path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    os.symlink(secret, repo_copy / "personas/evil.yaml")
    result = check(Repository.open(repo_copy), today=TODAY)
    [finding] = result.errors
    assert (finding.file, finding.code) == ("personas/evil.yaml", "repo.symlink")
    assert "hunter2" not in str(result.findings)


def test_yml_extension_is_flagged(repo_copy: Path):
    (repo_copy / "personas/other.yml").write_text("a: 1\n")
    assert ("personas/other.yml", "repo.extension") in _codes(repo_copy)


def test_one_broken_file_does_not_hide_the_others(repo_copy: Path):
    (repo_copy / "personas/broken.yaml").write_bytes(b"\x00\x01binary")
    _edit(repo_copy / "personas/developer-dev.yaml", "last_reviewed: 20", "last_reviewed: 19")
    codes = _codes(repo_copy)
    assert ("personas/broken.yaml", "file.binary") in codes
    assert ("personas/developer-dev.yaml", "review.overdue") in codes


def test_bad_config_is_a_clear_error(repo_copy: Path):
    _edit(repo_copy / "pyproject.toml", "primary_min = 3", "primary_min = 'three'")
    with pytest.raises(ConfigError, match="primary_min must be int"):
        Config.load(repo_copy)
    _edit(repo_copy / "pyproject.toml", "primary_min = 'three'", "primary_minimum = 3")
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.load(repo_copy)


def test_review_by_adds_months_and_clamps():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    dates = review_dates({"last_reviewed": "2026-03-15"}, 12)
    assert dates.review_by == date(2027, 3, 15) and not dates.explicit
    dates = review_dates({"last_reviewed": "2026-03-15", "interval_months": 6}, 12)
    assert dates.review_by == date(2026, 9, 15)
    dates = review_dates({"last_reviewed": "2026-03-15", "review_by": "2026-04-01"}, 12)
    assert dates.review_by == date(2026, 4, 1) and dates.explicit
    assert review_dates({"last_reviewed": "2026-02-30"}, 12) is None


def test_review_dates_stop_at_the_last_day_there_is():
    assert add_months(date(9999, 1, 15), 11) == date(9999, 12, 15)
    assert add_months(date(9999, 1, 15), 12) is None
    assert add_months(date(2026, 1, 15), 10**20) is None
    dates = review_dates({"last_reviewed": "9999-01-15"}, 12)
    assert dates.review_by == date.max and dates.past_last_day == ("last_reviewed",)
    drift = {"score": 0.5, "detected": "9999-12-31"}
    dates = review_dates({"last_reviewed": "2026-10-01"}, 12, drift)
    assert dates.review_by == date(2027, 10, 1) and dates.past_last_day == ("drift",)
    assert review_dates({"last_reviewed": "2026-10-01", "review_by": "9999-12-31"}, 12).past_last_day == ()


CARLA = "personas/compliance-officer-carla.yaml"
EDGE_DATES = {
    "last-reviewed": (
        [("last_reviewed: 2026-11-04", "last_reviewed: 9999-01-15")],
        "spec.review.last_reviewed",
        "last reviewed 9999-01-15 plus 12 months is after 9999-12-31",
    ),
    "interval": (
        [
            ("last_reviewed: 2026-11-04", "last_reviewed: 9998-06-01"),
            ("interval_months: 12", "interval_months: 24"),
        ],
        "spec.review.last_reviewed",
        "last reviewed 9998-06-01 plus 24 months is after 9999-12-31",
    ),
    "drift": (
        [("    quote_candidates:", "    drift: {score: 0.5, detected: 9999-12-31}\n    quote_candidates:")],
        "spec.evidence.drift.detected",
        "drift detected 9999-12-31 sets a review date 30 days later, which is after 9999-12-31",
    ),
}


@pytest.mark.parametrize("case", sorted(EDGE_DATES))
def test_dates_near_the_last_day_are_findings_everywhere(repo_copy: Path, case: str):
    edits, path, message = EDGE_DATES[case]
    for old, new in edits:
        _edit(repo_copy / CARLA, old, new)
    repo = Repository.open(repo_copy)
    [finding] = check(repo, today=TODAY).errors
    assert (finding.file, finding.code, finding.path) == (CARLA, "review.date-range", path)
    assert message in finding.message and finding.hint
    with pytest.raises(InvalidPersonas) as raised:  # the site build (mkdocs) checks through the catalog
        build_catalog(repo, today=TODAY)
    assert [f.code for f in raised.value.result.findings] == ["review.date-range"]
    assert due_for_review(repo, date.max, 30), "the other personas are overdue on the last day"


def test_a_review_by_date_on_the_last_day_is_valid(repo_copy: Path):
    _edit(repo_copy / CARLA, "interval_months: 12", "review_by: 9999-12-31")
    repo = Repository.open(repo_copy)
    assert check(repo, today=TODAY).findings == []
    due = {i.id: i.status for i in due_for_review(repo, date(9999, 12, 30), 30)}
    assert due["compliance-officer-carla"] == "due-soon" and len(due) == 4


@pytest.mark.parametrize("name", ["con", "NUL", "Aux", "prn", "com1", "COM9", "lpt1", "Lpt9"])
def test_ids_and_file_names_windows_cannot_hold_are_refused(repo_copy: Path, name: str):
    source = (repo_copy / "personas/developer-dev.yaml").read_text(encoding="utf-8")
    source = source.split("  # Routes CRM contacts")[0].replace("tier: primary", "tier: secondary")
    (repo_copy / f"personas/{name}.yaml").write_text(source.replace("id: developer-dev", f"id: {name}"))
    findings = [
        f for f in check(Repository.open(repo_copy), today=TODAY).errors if f.code == "repo.windows-name"
    ]
    assert len(findings) == 1, findings
    assert findings[0].file == f"personas/{name}.yaml" and "device name on Windows" in findings[0].message


def test_windows_names_in_any_case_and_with_an_extension():
    names = [f"{stem}{n}" for stem in ("com", "LPT", "Com") for n in range(10)] + [
        "con",
        "PRN",
        "aux.yaml",
        "nul ",
    ]
    assert all(reserved_on_windows(name) for name in names)
    assert not any(
        reserved_on_windows(name) for name in ("console", "com10", "nully", "auxiliary", "lpt", "a-con")
    )
    assert (
        id_problem("com1") and id_problem("Platform") and id_problem("x") and not id_problem("platform-lead")
    )


def test_the_id_rules_are_the_schemas():
    schema = json.loads((ROOT / "schema/persona.schema.json").read_text(encoding="utf-8"))
    field = schema["properties"]["metadata"]["properties"]["id"]
    assert (SLUG.pattern, MIN_LENGTH, MAX_LENGTH) == (
        field["pattern"],
        field["minLength"],
        field["maxLength"],
    )


def test_an_invalid_tier_comes_first_and_the_budget_counts_only_valid_files(repo_copy: Path):
    _edit(repo_copy / "personas/platform-lead-priya.yaml", "tier: primary", "tier: Primary")
    (repo_copy / "personas/broken.yaml").write_text("metadata: [\n")
    result = check(Repository.open(repo_copy), today=TODAY)
    assert [(f.file, f.code) for f in result.sorted()] == [
        ("personas/broken.yaml", "yaml.syntax"),
        ("personas/platform-lead-priya.yaml", "schema.enum"),
        ("personas", "repo.primary-count"),
    ]
    budget = result.sorted()[-1]
    assert budget.message.startswith("2 primary personas (developer-dev, eng-manager-marco)")
    assert "not counted: personas/broken.yaml, personas/platform-lead-priya.yaml" in budget.message
    assert budget.hint.startswith("fix the files with errors first")


def test_a_file_with_schema_errors_does_not_count_towards_the_budget(repo_copy: Path):
    _edit(repo_copy / "pyproject.toml", "primary_min = 3", "primary_min = 1")
    _edit(repo_copy / "pyproject.toml", "primary_max = 5", "primary_max = 2")
    assert "3 primary personas" in check(Repository.open(repo_copy), today=TODAY).errors[0].message
    _edit(repo_copy / "personas/platform-lead-priya.yaml", "seniority: director", "seniority: boss")
    result = check(Repository.open(repo_copy), today=TODAY)
    assert [f.code for f in result.errors] == ["schema.enum"], "two valid primaries are within 1 to 2"


def test_a_stale_persona_is_named_with_its_owner_in_one_clean_line(repo_copy: Path):
    _edit(
        repo_copy / "personas/developer-dev.yaml",
        "name: Dev, the Startup Developer",
        'name: "Dev\\n\\u001b[31mred"',
    )
    _edit(repo_copy / "personas/developer-dev.yaml", "last_reviewed: 2026-10-21", "last_reviewed: 2024-10-21")
    [stale] = [f for f in check(Repository.open(repo_copy), today=TODAY).errors if f.code == "review.overdue"]
    assert stale.message.startswith("persona 'Dev red' is stale: review was due 2025-10-21 (403 days ago;")
    assert stale.hint.startswith("its owner (@northwind/devex-pm) reviews it against current research")
