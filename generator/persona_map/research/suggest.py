"""`personas suggest`: compare the personas with the latest segmentation and plan data-backed updates.

`propose` plans everything and writes nothing: the edits to persona files (written by `--apply`, through
persona_map.check.write, only when every edited file still passes the check), the draft personas for
segments no persona speaks for (research.drafts) and what the pull-request description says
(research.suggest_report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from persona_map.data_paths import JsonPath, format_path
from persona_map.errors import ConfigError
from persona_map.findings import Finding
from persona_map.persona import Persona
from persona_map.repository import Repository
from persona_map.research.drafts import plan_drafts
from persona_map.research.manifest import Manifest
from persona_map.research.matching import Suggestions, changes, suggest
from persona_map.research.results import is_current, load_saved
from persona_map.research.segmentation import SegmentOptions
from persona_map.schema_validate import load_schema, validate
from persona_map.yaml_edit import apply_changes
from persona_map.yaml_load import parse

MAX_FIT_ROUNDS = 16  # each round leaves out one refused value (at most 10 quote candidates, a few fields)


@dataclass
class Proposal:
    """Everything `personas suggest` has to say: the comparison, planned file edits and draft personas."""

    suggestions: Suggestions
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)  # persona file -> (old text, new text)
    drafts: dict[str, str] = field(default_factory=dict)  # draft file (under build/) -> its text
    notes: list[str] = field(default_factory=list)  # values left out because the schema would refuse them


def current_segmentation(
    repo: Repository, manifest: Manifest, today: date, options: SegmentOptions, progress: Any = None
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The saved segmentation when it was made from today's research with these options, else a new one."""
    saved = load_saved(repo.root)
    wanted = {"k_min": options.k_min, "k_max": options.k_max, "method": options.method, "seed": options.seed}
    if is_current(repo, manifest, saved, wanted):
        return saved, []
    from persona_map.research.segment import run

    result, _, findings = run(
        repo, today, options.k_min, options.k_max, options.method, options.seed, progress
    )
    return (result.to_dict() if result else None), findings


def propose(
    repo: Repository,
    personas: list[Persona],
    manifest: Manifest,
    today: date,
    options: SegmentOptions,
    progress: Any = None,
) -> tuple[Proposal | None, list[Finding]]:
    """Compare checked personas with the research and plan the updates; None when it cannot be segmented."""
    segmentation, findings = current_segmentation(repo, manifest, today, options, progress)
    if segmentation is None:
        return None, findings
    proposal = Proposal(suggest(personas, segmentation))
    last_research = last_research_date(manifest)
    for report in proposal.suggestions.reports:
        wanted = changes(report, segmentation, today, last_research)
        if not wanted:
            continue
        file = report.persona.file
        old = (repo.root / file).read_bytes().decode("utf-8")  # as is: line endings stay what they are
        new, notes = _fitting_edit(old, wanted, file, repo.schema_path())
        proposal.notes += notes
        if new != old:
            proposal.edits[file] = (old, new)
    proposal.drafts = plan_drafts(proposal.suggestions, manifest, today, last_research, _schema(repo))
    return proposal, findings


def last_research_date(manifest: Manifest) -> str:
    """The latest collection date of any declared source ('' when none says)."""
    dates = [s.collected for s in manifest.sources.values() if s.collected]
    return max(dates) if dates else ""


def _fitting_edit(old: str, wanted: dict[JsonPath, Any], file: str, schema: Path) -> tuple[str, list[str]]:
    """The file with the changes the schema accepts; every value left out gets a note saying why.

    A quote candidate the schema refuses (too long, a respondent id that is no pseudonym) is dropped from the
    list; any other refused value is not written at all. Nothing that would break the file is ever written.
    """
    notes: list[str] = []
    for _ in range(MAX_FIT_ROUNDS):
        new = apply_changes(old, wanted, file=file)
        doc, findings = parse(new.removeprefix("\ufeff"), file)
        refused = [f for f in (validate(doc, schema) if doc else findings) if _changed(f.path, wanted)]
        if not refused:
            return new, notes
        wanted, note = _without(wanted, refused[0])  # one at a time: list positions move
        notes.append(f"{file}: left out {note}: {refused[0].message}")
    return old, [*notes, f"{file}: no data update: the research values do not fit the schema"]


def _changed(path: str, wanted: dict[JsonPath, Any]) -> bool:
    return any(path == (p := format_path(key)) or path.startswith((f"{p}.", f"{p}[")) for key in wanted)


def _without(wanted: dict[JsonPath, Any], finding: Finding) -> tuple[dict[JsonPath, Any], str]:
    """`wanted` without the value the finding is about: one quote candidate, or the whole change."""
    candidates = ("spec", "evidence", "quote_candidates")
    prefix = format_path(candidates)
    if finding.path.startswith(f"{prefix}[") and candidates in wanted:
        index = int(finding.path[len(prefix) + 1 :].split("]", 1)[0])
        items = list(wanted[candidates])
        if index < len(items):
            dropped = items.pop(index)
            rest = {k: v for k, v in wanted.items() if k != candidates}
            who = dropped.get("respondent") or dropped.get("source", "")
            return ({**rest, candidates: items} if items else rest), f"a quote candidate from {who}"
    for key in wanted:
        if _changed(finding.path, {key: None}):
            return {k: v for k, v in wanted.items() if k != key}, format_path(key)
    return wanted, finding.path  # pragma: no cover - refused paths are always under a change


def _schema(repo: Repository) -> dict[str, Any] | None:
    try:
        return load_schema(repo.schema_path())
    except ConfigError:  # `personas check` reports it; drafts then use the tool's own schema
        return None
