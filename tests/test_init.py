"""From the example repository to your own research: `personas init`, your sources, then drafts from the data.

This is the path the README documents; nothing in it edits an example persona by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from persona_map.cli import main
from tests.conftest import TODAY
from tests.test_segment import GENERATED_COLUMNS, planted_survey


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, [*args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_from_the_example_to_your_own_research(repo_copy: Path) -> None:
    root = str(repo_copy)
    listing = cli("init", "--root", root)
    assert "Would remove (run with --apply)" in listing and "personas/platform-lead-priya.yaml" in listing
    assert (repo_copy / "personas" / "platform-lead-priya.yaml").exists(), "a dry run removes nothing"

    cli("init", "--root", root, "--apply")
    assert not list((repo_copy / "personas").glob("*.yaml"))
    assert not (repo_copy / "research" / "survey-2026.csv").exists()
    manifest = (repo_copy / "research" / "manifest.yaml").read_text(encoding="utf-8")
    assert "survey-2026" not in manifest and manifest.startswith("# yaml-language-server"), "comments stay"

    # Your own research: a survey declared in the manifest.
    frame, _ = planted_survey(n=900)
    frame.to_csv(repo_copy / "research" / "customers-2027.csv", index=False)
    source = {"id": "customers-2027", "kind": "survey", "title": "Customer survey 2027", "file": "customers-2027.csv",
              "collected": "2027-03-31", "key": "respondent_id", "columns": GENERATED_COLUMNS}  # fmt: skip
    data = yaml.safe_load(manifest)
    data["sources"] = [source]
    (repo_copy / "research" / "manifest.yaml").write_text(json.dumps(data, indent=2), encoding="utf-8")

    cli("segment", "--root", root, "--today", TODAY.isoformat())
    out = cli("suggest", "--root", root, "--today", TODAY.isoformat())
    drafts = sorted((repo_copy / "build" / "segments" / "candidates").glob("*.yaml"))
    assert len(drafts) >= 3, out
    for number, draft in enumerate(drafts):
        text = draft.read_text(encoding="utf-8")
        text = text.replace("'@TODO/team'", '"@acme/research"').replace("tier: secondary", "tier: primary")
        text = re.sub(
            r"'?TODO: ([^'\n]*)'?", lambda m: f"Filled in by the team: {m[1]}".replace(":", " -"), text
        )
        text = re.sub(r"seniority: [^\n]*", "seniority: senior", text)
        text = re.sub(r"    size: [^\n]*", "    size: 1001-5000", text)  # the research's '1001+' is no band
        text = re.sub(r"name: [^\n]*", f"name: Persona {number}, from the research", text)
        if number >= 5:
            text = text.replace("tier: primary", "tier: secondary")
        (repo_copy / "personas" / draft.name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--root", root, "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output


def test_a_folder_source_and_an_entry_that_is_not_a_mapping(repo_copy: Path) -> None:
    """An example Parquet folder goes like a file; a manifest entry that is no mapping stays, no crash."""
    research = repo_copy / "research"
    (research / "export").mkdir()
    (research / "export" / "part-0.parquet").write_bytes(b"PAR1")
    manifest = research / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8").replace(
        "file: analytics-2026.csv", "file: export/"
    )  # the example export, as a warehouse folder
    manifest.write_text(text + "  - just a string\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", "--root", str(repo_copy), "--apply"])
    assert "internal error" not in result.output, result.output
    assert result.exit_code == 0, result.output
    assert not (research / "export").exists() and not (research / "survey-2026.csv").exists()
    assert "just a string" in manifest.read_text(encoding="utf-8")


def test_a_file_that_cannot_be_removed_leaves_everything_in_place(repo_copy: Path, monkeypatch) -> None:
    research, personas = repo_copy / "research", repo_copy / "personas"
    before = {p: p.read_bytes() for p in [*personas.glob("*.yaml"), *research.iterdir()] if p.is_file()}
    rename = Path.rename

    def refuse_one(self: Path, target):
        if self.name == "platform-lead-priya.yaml":  # the last to go: the others were moved aside already
            raise PermissionError(13, "Permission denied", str(self))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse_one)
    result = CliRunner().invoke(main, ["init", "--root", str(repo_copy), "--apply"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert (
        "platform-lead-priya.yaml: cannot remove it: Permission denied (nothing was removed)" in result.output
    )
    assert "Removed:" not in result.output and "internal error" not in result.output
    assert {p: p.read_bytes() for p in before} == before
    assert not [p for p in repo_copy.iterdir() if p.name.startswith(".")], "no folder left aside"
