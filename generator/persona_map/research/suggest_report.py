"""The proposal as a pull-request description: what the research says about each persona, and the edits.

Research text (segment values, quotes, themes) and persona text go through persona_map.markdown, so the
description shows what they say and nothing in them mentions, links or closes anything on GitHub.
"""

from __future__ import annotations

from typing import Any

from persona_map.markdown import github_cell, github_quote, github_text
from persona_map.research.matching import SIGNIFICANT_DRIFT, PersonaReport, Suggestions
from persona_map.research.suggest import Proposal
from persona_map.yaml_edit import diff

HELPS = (
    "What would help: more respondents (a few hundred at least), questions that tell customers apart "
    "(goals, pains, behaviours, tools, buying role rather than only demographics), and product analytics or "
    "interviews joined on the same respondent ids."
)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def markdown(proposal: Proposal, applied: bool) -> str:
    """The proposal as a pull-request description."""
    s = proposal.suggestions
    lines = ["## Persona updates from the latest research", "", *_how_sure(s.segmentation)]
    if not s.usable:
        return "\n".join([*lines, *_not_usable(s)])
    lines += [
        "| Persona | Segment | Share then → now | Sample then → now | Drift | |",
        "|---|---|---|---|---|---|",
        *(_row(r) for r in s.reports),
        "",
        f"**Coverage:** the primary personas stand for {s.coverage:.0%} of respondents.",
        "",
    ]
    for segment in s.uncovered:
        lines.append(
            f"- **{segment['id']}** ({segment['share']:.0%}, {segment['size']} respondents) is covered by "
            f"**no persona**: a new persona candidate (draft below).{_summary(segment)}"
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
            f"### Retire or merge: {github_text(r.persona.name)}",
            "",
            "No segment of the current research supports this persona. Retire it, or merge it into the "
            "persona closest to it, unless research that this segmentation does not cover backs it.",
            "",
        ]
    if proposal.notes:
        lines += ["### Left out", "", *(f"- {github_text(note)}" for note in proposal.notes), ""]
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
            lines += ["```diff", _fenced(diff(file, old, new)).rstrip(), "```", ""]
    else:
        lines += ["No persona file needs a data update.", ""]
    return "\n".join(lines)


def _how_sure(seg: dict[str, Any]) -> list[str]:
    stability = sum(seg["stability"]) / len(seg["stability"]) if seg.get("stability") else 0.0
    verdict = seg.get("verdict", "n/a")
    lines = [
        f"Segmentation of {seg['respondents']} respondents found **{seg['k']} segments**: structure "
        f"**{verdict}** (silhouette {seg['scores'][str(seg['k'])]:.2f}; stability {stability:.2f}, where 1 means "
        "refits on resampled data find the same segments every time).",
        "",
    ]
    for warning in seg.get("warnings", []):
        lines += [f"> **Warning:** {github_text(warning)}", ""]
    return lines


def _not_usable(s: Suggestions) -> list[str]:
    return [
        "### No persona changes from this research",
        "",
        "The research does not split into real, stable segments, so nothing here should change a persona: no "
        "data fields are updated, no drift is recorded, no new persona is drafted and no persona is proposed "
        "for retirement.",
        "",
        HELPS,
        "",
        *(f"- {github_text(r.persona.name)}: no segment matched" for r in s.reports),
        "",
    ]


def _row(r: PersonaReport) -> str:
    if r.match is None:
        return f"| {github_cell(r.persona.name)} | — | {_pct(r.share_then)} → — | {r.size_then or 'n/a'} → — | — | no segment matched |"
    flag = "**review**" if r.significant else "ok"
    return (
        f"| {github_cell(r.persona.name)} | {r.match.segment} | {_pct(r.share_then)} → {_pct(r.share_now)} "
        f"| {r.size_then or 'n/a'} → {r.size_now or 'n/a'} | {r.drift:.2f} | {flag} |"
    )


def _summary(segment: dict[str, Any]) -> str:
    return f" {github_text(segment['summary'])}" if segment.get("summary") else ""


def _persona_section(r: PersonaReport) -> list[str]:
    if r.match is None:
        return []
    out = [f"### {github_text(r.persona.name)} ({r.match.segment})", ""]
    out.append(
        f"Match score {r.match.score:.2f}; {r.match.overlap:.0%} of its quoted respondents are in this segment."
    )
    if r.significant:
        out.append(f"**Drift {r.drift:.2f} ≥ {SIGNIFICANT_DRIFT}: the persona is marked due for review.**")
    out.append("")
    out += [f"- {github_text(c)}" for c in r.changed]
    for q in r.new_quotes:
        out += [
            f"- New supporting quote ({github_text(q['source'])}, {github_text(q['respondent'])}):",
            "",
            *(f"  {line}" for line in github_quote(q["text"]).splitlines()),
            "",
        ]
    if r.changed and not r.new_quotes:
        out.append("")
    return out


def _fenced(text: str) -> str:
    """A diff inside a fenced block: a line of backticks in the data must not close the fence."""
    return text.replace("```", "`\u2060``")
