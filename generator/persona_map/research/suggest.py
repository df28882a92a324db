"""Turn suggestions into proposals people review: a pull-request description, file diffs, draft personas."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from persona_map.check.catalog import Catalog, build_catalog
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.matching import SIGNIFICANT_DRIFT, PersonaReport, Suggestions, changes, suggest
from persona_map.research.results import RESULTS_DIR, is_current, load_saved
from persona_map.research.segmentation import SegmentOptions
from persona_map.yaml_edit import apply_changes, diff, write_atomic


@dataclass
class Proposal:
    """Everything `personas suggest` has to say, and what it changed with --apply."""

    suggestions: Suggestions
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)  # file -> (old, new)
    written: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def current_segmentation(
    catalog: Catalog, today: date, options: SegmentOptions, progress: Any = None
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The saved segmentation when it was made from today's research with these options, else a new one."""
    repo, manifest = catalog.repo, catalog.manifest
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
    repo: Repository, today: date, options: SegmentOptions, *, apply: bool = False, progress: Any = None
) -> tuple[Proposal | None, list[Finding]]:
    """Compare personas with the research; with `apply`, write the data-derived fields atomically.

    None, with the findings that say why, when the research cannot be segmented.
    """
    catalog = build_catalog(repo, today)
    segmentation, findings = current_segmentation(catalog, today, options, progress)
    if segmentation is None:
        return None, findings
    proposal = Proposal(suggest(catalog.personas, segmentation), findings=findings)
    last_research = _last_research(catalog)
    for report in proposal.suggestions.reports:
        wanted = changes(report, segmentation, today, last_research)
        if not wanted:
            continue
        path = repo.root / report.persona.file
        old = path.read_text(encoding="utf-8")
        new = apply_changes(old, wanted, file=report.persona.file)
        if new != old:
            proposal.edits[report.persona.file] = (old, new)
            if apply:
                write_atomic(path, new)
                proposal.written.append(report.persona.file)
    proposal.drafts = _write_drafts(repo, catalog, proposal.suggestions, today, last_research)
    return proposal, proposal.findings


def _last_research(catalog: Catalog) -> str:
    dates = [s.collected for s in catalog.manifest.sources.values() if s.collected]
    return max(dates) if dates else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "segment"


def _write_drafts(
    repo: Repository, catalog: Catalog, suggestions: Suggestions, today: date, last_research: str
) -> list[str]:
    """A draft persona file per segment no persona speaks for, pre-filled from the data."""
    folder = repo.root / RESULTS_DIR / "candidates"
    written = []
    for segment in suggestions.uncovered:
        title = segment.get("modes", {}).get("job_title", segment["id"])
        draft_id = f"candidate-{segment['id'].lower()}-{_slug(title)}"
        path = folder / f"{draft_id}.yaml"
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, draft_yaml(draft_id, segment, catalog, today, last_research))
        written.append(repo.display(path))
    return written


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
    draft_id: str, segment: dict[str, Any], catalog: Catalog, today: date, last_research: str
) -> str:
    """A persona file to complete by hand; every TODO marks what the data cannot say."""
    modes = segment.get("modes", {})
    sources = sorted(catalog.manifest.sources)
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


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def markdown(proposal: Proposal, applied: bool) -> str:
    """The proposal as a pull-request description."""
    s = proposal.suggestions
    seg = s.segmentation
    lines = ["## Persona updates from the latest research", ""]
    for warning in seg.get("warnings", []):
        lines += [f"> **Warning:** {warning}", ""]
    stability = sum(seg["stability"]) / len(seg["stability"]) if seg.get("stability") else 0.0
    lines += [
        f"Segmentation of {seg['respondents']} respondents found **{seg['k']} segments** "
        f"(silhouette {seg['scores'][str(seg['k'])]:.2f}, stability {stability:.2f}).",
        "",
        "| Persona | Segment | Share then → now | Sample then → now | Drift | |",
        "|---|---|---|---|---|---|",
    ]
    for r in s.reports:
        flag = "**review**" if r.significant else ("no segment" if r.match is None else "ok")
        lines.append(
            f"| {r.persona.name} | {r.match.segment if r.match else '—'} | {_pct(r.share_then)} → {_pct(r.share_now)} "
            f"| {r.size_then or 'n/a'} → {r.size_now or 'n/a'} | {r.drift:.2f} | {flag} |"
        )
    lines.append("")
    lines += [f"**Coverage:** the primary personas stand for {s.coverage:.0%} of respondents.", ""]
    for segment in s.uncovered:
        lines.append(
            f"- **{segment['id']}** ({segment['share']:.0%}, {segment['size']} respondents) is covered by **no persona**: "
            "a new persona candidate (draft below)."
        )
    for segment in s.secondary_only:
        lines.append(
            f"- **{segment['id']}** ({segment['share']:.0%}) is covered only by a secondary persona."
        )
    if s.uncovered or s.secondary_only:
        lines.append("")
    for r in s.reports:
        lines += _persona_section(r)
    for r in s.retire:
        lines += [
            f"### Retire or merge: {r.persona.name}",
            "",
            "No segment of the current research supports this persona. Retire it, or merge it into the "
            "persona closest to it, unless research that this segmentation does not cover backs it.",
            "",
        ]
    if proposal.drafts:
        lines += [
            "### New persona candidates",
            "",
            *(f"- `{d}`: a draft to complete" for d in proposal.drafts),
            "",
        ]
    if proposal.edits:
        verb = "Applied" if applied else "Would apply (run with --apply)"
        lines += [f"### {verb}: data-derived fields only", ""]
        for file, (old, new) in proposal.edits.items():
            lines += ["```diff", diff(file, old, new).rstrip(), "```", ""]
    else:
        lines += ["No persona file needs a data update.", ""]
    return "\n".join(lines)


def _persona_section(r: PersonaReport) -> list[str]:
    if r.match is None:
        return []
    out = [f"### {r.persona.name} ({r.match.segment})", ""]
    out.append(
        f"Match score {r.match.score:.2f}; {r.match.overlap:.0%} of its quoted respondents are in this segment."
    )
    if r.significant:
        out.append(f"**Drift {r.drift:.2f} ≥ {SIGNIFICANT_DRIFT}: the persona is marked due for review.**")
    out.append("")
    out += [f"- {c}" for c in r.changed]
    out += [f"- New supporting quote: “{q['text']}” ({q['source']}, {q['respondent']})" for q in r.new_quotes]
    if r.changed or r.new_quotes:
        out.append("")
    return out
