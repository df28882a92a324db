"""`personas suggest`: compare the personas with the latest segmentation and plan data-backed updates.

`propose` plans everything and writes nothing: the edits to persona files (written by `--apply`, through
persona_map.check.write, only when every edited file still passes the check), the draft personas for
segments no persona speaks for (research.drafts) and what the pull-request description says
(research.suggest_report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from persona_map.findings import Finding
from persona_map.persona import Persona
from persona_map.repository import Repository
from persona_map.research.drafts import plan_drafts
from persona_map.research.manifest import Manifest
from persona_map.research.matching import Suggestions, changes, suggest
from persona_map.research.results import is_current, load_saved
from persona_map.research.segmentation import SegmentOptions
from persona_map.yaml_edit import apply_changes


@dataclass
class Proposal:
    """Everything `personas suggest` has to say: the comparison, planned file edits and draft personas."""

    suggestions: Suggestions
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)  # persona file -> (old text, new text)
    drafts: dict[str, str] = field(default_factory=dict)  # draft file (under build/) -> its text


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
        old = (repo.root / report.persona.file).read_text(encoding="utf-8")
        new = apply_changes(old, wanted, file=report.persona.file)
        if new != old:
            proposal.edits[report.persona.file] = (old, new)
    proposal.drafts = plan_drafts(proposal.suggestions, manifest, today, last_research)
    return proposal, findings


def last_research_date(manifest: Manifest) -> str:
    """The latest collection date of any declared source ('' when none says)."""
    dates = [s.collected for s in manifest.sources.values() if s.collected]
    return max(dates) if dates else ""
