"""The proposal as a pull-request description: what the research says about each persona, and the edits."""

from __future__ import annotations

from persona_map.research.matching import SIGNIFICANT_DRIFT, PersonaReport
from persona_map.research.suggest import Proposal
from persona_map.yaml_edit import diff


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
    if proposal.notes:
        lines += ["### Left out", "", *(f"- {note}" for note in proposal.notes), ""]
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
