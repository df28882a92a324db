"""Draft personas for segments no persona speaks for: files to complete by hand, pre-filled from the data."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from persona_map.atomic import write_atomic
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest
from persona_map.research.matching import Suggestions
from persona_map.research.results import RESULTS_DIR

DRAFTS_DIR = RESULTS_DIR / "candidates"


def plan_drafts(
    suggestions: Suggestions, manifest: Manifest, today: date, last_research: str
) -> dict[str, str]:
    """Draft file (relative to the repository) -> its YAML text, one per segment no persona matches."""
    drafts = {}
    for segment in suggestions.uncovered:
        title = segment.get("modes", {}).get("job_title", segment["id"])
        draft_id = f"candidate-{segment['id'].lower()}-{_slug(title)}"
        drafts[(DRAFTS_DIR / f"{draft_id}.yaml").as_posix()] = draft_yaml(
            draft_id, segment, manifest, today, last_research
        )
    return drafts


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "segment"


def _pick(segment: dict[str, Any], word: str) -> list[str]:
    """Over-represented values of columns whose name mentions `word` (goal, pain, channel, tool)."""
    values = [c["value"] for c in segment.get("categories", []) if word in c["column"]]
    for column, mode in segment.get("modes", {}).items():
        if word in column and mode not in values:
            values.append(mode)
    return values[:4]


def _q(value: Any) -> str:
    import json

    return json.dumps(str(value), ensure_ascii=False)


def draft_yaml(
    draft_id: str, segment: dict[str, Any], manifest: Manifest, today: date, last_research: str
) -> str:
    """A persona file to complete by hand; every TODO marks what the data cannot say."""
    modes = segment.get("modes", {})
    sources = sorted(manifest.sources)
    goals = _pick(segment, "goal") or ["TODO: what is this persona trying to achieve?"]
    pains = _pick(segment, "pain") or ["TODO: what gets in their way?"]
    channels = _pick(segment, "channel")
    tools = _pick(segment, "tool")
    lines = [
        "# yaml-language-server: $schema=../../../schema/persona.schema.json",
        f"# DRAFT from segment {segment['id']} ({segment['size']} respondents, {segment['share']:.0%}) of the latest segmentation.",
        "# Complete every TODO, move the file to personas/ as <id>.yaml and open a pull request.",
        "apiVersion: personamap/v1",
        "kind: Persona",
        "metadata:",
        f"  id: {draft_id}",
        f"  name: {_q('TODO: name, the ' + str(modes.get('job_title', 'role')))}",
        "  tier: secondary",
        '  owner: "@TODO/team"',
        "spec:",
        f"  summary: {_q('TODO: one line on who this is; the data says ' + ', '.join(f'{k} {v}' for k, v in list(modes.items())[:3]))}",
        "  narrative: TODO write a short story of their working day.",
        "  role:",
        f"    title: {_q(modes.get('job_title', 'TODO'))}",
        f"    seniority: {_q(modes.get('seniority', 'senior'))}",
    ]
    if modes.get("department"):
        lines.append(f"    department: {_q(modes['department'])}")
    if modes.get("company_size") or modes.get("industry"):
        lines.append("  company:")
        if modes.get("company_size"):
            lines.append(f"    size: {_q(modes['company_size'])}")
        if modes.get("industry"):
            lines.append(f"    industry: {_q(modes['industry'])}")
    lines += ["  goals:", *(f"    - {_q(g)}" for g in goals)]
    lines += ["  motivations:", "    - TODO why do these goals matter to them?"]
    lines += ["  pain_points:", *(f"    - {_q(p)}" for p in pains)]
    if tools:
        lines += ["  behaviours:", f"    - {_q('Uses ' + ', '.join(tools))}"]
    if channels:
        lines += ["  channels:", *(f"    - {_q(c)}" for c in channels)]
    if segment.get("quotes"):
        lines.append("  quotes:")
        for quote in segment["quotes"][:3]:
            lines += [
                f"    - text: {_q(quote['text'])}",
                f"      source: {quote['source']}",
                f"      respondent: {quote['respondent']}",
            ]
    lines += [
        "  evidence:",
        "    sources:",
        *(f"      - {s}" for s in sources),
        f"    sample_size: {segment['size']}",
        f"    segment_share: {round(segment['share'], 2)}",
        f"    last_research_date: {last_research or today.isoformat()}",
        "  review:",
        f"    last_reviewed: {today.isoformat()}",
        "",
    ]
    return "\n".join(lines)


def write_drafts(repo: Repository, drafts: dict[str, str]) -> list[str]:
    """Write the planned drafts under build/segments/candidates/ (each atomically); returns their paths."""
    written = []
    for name, text in drafts.items():
        path = repo.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
        written.append(name)
    return written
