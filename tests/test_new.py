"""`personas new`: a skeleton or a copy of another persona's narrative that passes the check once filled in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from persona_map.check.check import check
from persona_map.check.new import NARRATIVE
from persona_map.cli import main
from persona_map.repository import SCHEMA_COMMENT, Repository
from persona_map.yaml_load import load
from tests.conftest import TODAY

# What a person writes in each field marked TODO, by the key on its line ("-" for list items).
FILLED = {
    "name": "Sam, the Sales Lead",
    "owner": '"@northwind/sales-pm"',
    "summary": "Sales lead at a mid-size company who needs forecasts she can trust.",
    "narrative": "Sam runs a team of twelve account executives and lives in the CRM.",
    "title": "Head of Sales",
    "seniority": "director",
    "-": "Something real, from the research.",
    "sample_size": "12",
    "last_research_date": "2026-09-30",
    "last_reviewed": TODAY.isoformat(),
}


def _new(root: Path, *args: str):
    return CliRunner().invoke(main, ["new", "--root", str(root), "--today", TODAY.isoformat(), *args])


def _fill(path: Path) -> int:
    """Fill in every blank as a person would, line by line; return how many there were."""
    lines, count = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(\s*)(-|[a-z_]+:) ''$", line)
        if match:
            key = match[2].rstrip(":")
            line = f"{match[1]}{match[2]} {FILLED[key]}"
            count += 1
        lines.append(line.replace("sources: []", "sources: [survey-2026]"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count


def _errors(root: Path, file: str) -> list:
    return [f for f in check(Repository.open(root), today=TODAY).findings if f.file == file]


def test_a_skeleton_reports_each_blank_once_and_passes_when_filled(repo_copy: Path):
    result = _new(repo_copy, "sales-sam")
    assert result.exit_code == 0, result.output
    assert "wrote personas/sales-sam.yaml" in result.output
    path = repo_copy / "personas/sales-sam.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == SCHEMA_COMMENT
    assert "# TODO: Seniority band. One of: entry, individual-contributor" in text, (
        "comments explain the fields"
    )
    assert "analytics-2026, interviews-2026, survey-2026" in text, "the declared sources are named"
    blanks = text.count(": ''") + text.count("- ''") + text.count("sources: []")
    assert text.count("# TODO: ") == blanks, "every blank is marked TODO"
    errors = _errors(repo_copy, "personas/sales-sam.yaml")
    assert len(errors) == blanks == 13, [f"{f.path}: {f.message}" for f in errors]
    assert len({f.path for f in errors}) == len(errors), "each placeholder is reported once"

    assert _fill(path) == 12
    assert check(Repository.open(repo_copy), today=TODAY).findings == []
    assert "# Stable slug" in path.read_text(encoding="utf-8")


def test_from_copies_the_narrative_and_nothing_that_belongs_to_the_original(repo_copy: Path):
    result = _new(repo_copy, "dev-two", "--from", "developer-dev")
    assert result.exit_code == 0, result.output
    original, _ = load(repo_copy / "personas/developer-dev.yaml")
    copy, _ = load(repo_copy / "personas/dev-two.yaml")
    copied = [key for key in NARRATIVE if key in original.data["spec"]]
    assert len(copied) == len(NARRATIVE), "the example persona has every narrative part"
    for key in copied:
        assert copy.data["spec"][key] == original.data["spec"][key], key
    assert set(copy.data["spec"]) == {*copied, "evidence", "review"}, "no classification, quotes or others"
    assert copy.data["metadata"] == {"id": "dev-two", "name": "", "tier": "secondary", "owner": ""}
    text = (repo_copy / "personas/dev-two.yaml").read_text(encoding="utf-8")
    assert "narrative: >-" in text, "the narrative keeps its folded style"
    for belongs_to_dev in ("classification:", "quotes:", "respondent:", "quote_candidates:", "drift:"):
        assert not re.search(rf"^\s*(- )?{belongs_to_dev}", text, re.M), belongs_to_dev

    assert len(_errors(repo_copy, "personas/dev-two.yaml")) == 6
    assert _fill(repo_copy / "personas/dev-two.yaml") == 5
    assert check(Repository.open(repo_copy), today=TODAY).findings == [], "no clash with the original's rules"


def test_comments_of_the_original_do_not_come_along(repo_copy: Path):
    # In the example, a comment about the evidence sits after the empathy map: it describes the original's evidence.
    assert "# sample_size and segment_share come from" in (
        repo_copy / "personas/compliance-officer-carla.yaml"
    ).read_text(encoding="utf-8")
    assert _new(repo_copy, "carla-two", "--from", "compliance-officer-carla").exit_code == 0
    assert "segment_share come from" not in (repo_copy / "personas/carla-two.yaml").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("persona_id", "message"),
    [
        ("con", "device name on Windows"),
        ("lpt9", "device name on Windows"),
        ("Sales-Sam", "not a lowercase slug"),
        ("../outside", "not a lowercase slug"),
        ("s", "2 to 64 characters"),
    ],
)
def test_ids_that_cannot_be_a_persona_file_are_usage_errors(repo_copy: Path, persona_id: str, message: str):
    result = _new(repo_copy, persona_id)
    assert result.exit_code == 2 and message in result.output
    assert len(list((repo_copy / "personas").iterdir())) == 4, "nothing written"


def test_an_existing_file_is_never_replaced(repo_copy: Path):
    path = repo_copy / "personas/developer-dev.yaml"
    before = path.read_bytes()
    result = _new(repo_copy, "developer-dev")
    assert result.exit_code == 1
    assert "personas/developer-dev.yaml already exists" in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("source", ["nobody", "../personas/developer-dev", "broken"])
def test_from_a_persona_that_is_not_there_or_unreadable_is_one_line(repo_copy: Path, source: str):
    (repo_copy / "personas/broken.yaml").write_text("spec: [\n", encoding="utf-8")
    result = _new(repo_copy, "dev-two", "--from", source)
    assert result.exit_code == 1 and "internal error" not in result.output
    assert f"--from {source}:" in result.output
    assert not (repo_copy / "personas/dev-two.yaml").exists()


def test_outside_a_repository_it_names_the_folder_and_root(tmp_path: Path):
    result = _new(tmp_path, "sales-sam")
    assert result.exit_code == 1
    assert f"no personas/ folder in {tmp_path}" in result.output and "--root" in result.output


def test_a_schema_that_is_not_json_is_one_line(repo_copy: Path):
    (repo_copy / "schema" / "persona.schema.json").write_text("{not json", encoding="utf-8")
    result = _new(repo_copy, "sales-sam")
    assert result.exit_code == 1 and "internal error" not in result.output, result.output
    assert "persona.schema.json: the JSON Schema is not valid JSON" in result.output
    assert not (repo_copy / "personas" / "sales-sam.yaml").exists()
