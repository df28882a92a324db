"""The segmentation as a report people can read (and paste into a pull request): what we learned, how sure we
are, what sets every segment apart, then the researcher's details.

Research text (answers, labels, quotes, themes) goes through persona_map.markdown: the report shows it and
nothing in it mentions, links or closes anything on GitHub.
"""

from __future__ import annotations

from typing import Any

from persona_map.markdown import github_cell, github_quote, github_text
from persona_map.research.describe import category, difference, label
from persona_map.research.segmentation import STABLE, SegmentResult

SILHOUETTE = (
    "The silhouette says how clearly respondents belong to their own segment rather than the next one, from -1 "
    "to 1 (Kaufman and Rousseeuw read at most 0.25 as no substantial structure, 0.26-0.50 weak, 0.51-0.70 "
    "reasonable, above 0.70 strong). Survey answers coded as yes/no per option keep silhouettes low even for real "
    "segments, so it is compared with data made to have no segments at all."
)
STABILITY = (
    "Stability is the agreement (adjusted Rand index, 1 = identical) between these segments and segments found "
    "again on resampled respondents: below 0.6 the segments depend on who happened to answer."
)


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def markdown(result: SegmentResult) -> str:
    """What we learned and how sure we are first; each segment in plain words; then the details."""
    meta = result.columns
    lines = [f"# What the research says ({result.created})", "", *_how_sure(result)]
    lines += [
        "## The segments at a glance",
        "",
        "| Segment | Respondents | In one sentence |",
        "|---|---|---|",
    ]
    lines += [f"| {s.id} | {s.size} ({_pct(s.share)}) | {github_cell(s.summary)} |" for s in result.segments]
    lines.append("")
    for seg in result.segments:
        lines += [
            f"## {seg.id}: {seg.size} respondents ({_pct(seg.share)})",
            "",
            github_text(seg.summary),
            "",
        ]
        if seg.categories:
            lines += ["What sets them apart:", ""]
            lines += [f"- {github_text(category(c, meta))} (×{c['lift']})" for c in seg.categories]
            lines.append("")
        if seg.numbers:
            lines += ["Answers and numbers that differ:", ""]
            lines += [f"- {github_text(difference(n, meta))}" for n in seg.numbers[:6]]
            lines.append("")
        for source, items in _by_source(seg.analytics, meta).items():
            lines += [f"Product usage ({github_text(source)}):", ""]
            lines += [f"- {github_text(difference(n, meta))}" for n in items[:5]]
            lines.append("")
        if seg.themes:
            lines += [f"Themes in their interviews: {github_text(', '.join(seg.themes))}.", ""]
        if seg.quotes:
            lines += ["In their words:", ""]
            for q in seg.quotes[:3]:
                lines += [
                    github_quote(q["text"]),
                    ">",
                    f"> — {github_text(q['source'])}, {github_text(q['respondent'])}",
                    "",
                ]
    lines += _details(result)
    return "\n".join(lines).rstrip() + "\n"


def _how_sure(result: SegmentResult) -> list[str]:
    structure = result.structure
    mean = result.stability_mean
    lines = ["## How sure are we", ""]
    for warning in result.warnings:
        lines += [f"> **Warning:** {github_text(warning)}", ""]
    if not result.warnings:
        stable = "stable: resampled respondents give the same segments" if mean >= STABLE else "fairly stable"
        lines += [
            f"The {result.respondents} {result.unit} fall into **{result.k} segments**. The structure is "
            f"**{result.verdict}**: it is real (it clearly beats data made to have no segments: silhouette "
            f"{structure.get('silhouette', 0):.2f} against {_null_means(structure)}), and the segments are "
            f"{stable} (agreement {mean:.2f}).",
            "",
        ]
    lines += [*(f"> **Note:** {github_text(note)}" for note in result.notes)]
    if result.notes:
        lines.append("")
    lines += [SILHOUETTE, "", STABILITY, ""]
    return lines


def _null_means(structure: dict[str, Any]) -> str:
    return " and ".join(f"{n['mean']:.2f} ({n['null']})" for n in structure.get("nulls", [])) or "n/a"


def _by_source(
    items: list[dict[str, Any]], meta: dict[str, dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(
            str(meta.get(item["column"], {}).get("source_title") or item["column"].split(":", 1)[0]), []
        ).append(item)
    return out


def _details(result: SegmentResult) -> list[str]:
    options = result.options
    lines = [
        "## For researchers",
        "",
        f"{result.respondents} {result.unit}, {result.features} features, {options['method']} with k from "
        f"{options['k_min']} to {options['k_max']} (seed {options['seed']}).",
        "",
        "### Choosing the number of segments",
        "",
        "| k | silhouette (higher is better) | stability |",
        "|---|---|---|",
    ]
    for k, score in sorted(result.scores.items()):
        chosen = int(k) == result.k
        stability = f"{result.stability_mean:.2f}" if chosen else result.stability_by_k.get(str(k), "")
        stability = f"{stability:.2f}" if isinstance(stability, float) else stability
        lines.append(f"| {k}{' (chosen)' if chosen else ''} | {score:.3f} | {stability} |")
    lines += [
        "",
        "### Structure against data with no segments",
        "",
        "| null | best silhouettes of its draws | mean | margin | p-value | beaten |",
        "|---|---|---|---|---|---|",
    ]
    for n in result.structure.get("nulls", []):
        draws = ", ".join(f"{s:.3f}" for s in n["silhouettes"])
        lines.append(
            f"| {n['null']} | {draws} | {n['mean']:.3f} | {n['margin']:+.3f} | {n['p_value']:.3g} | {'yes' if n['beaten'] else 'no'} |"
        )
    missing = {name: info["missing"] for name, info in result.columns.items() if info.get("missing")}
    if missing:
        lines += ["", "### Missing values filled for segmentation", ""]
        lines += [
            f"- {github_text(label(name, result.columns))}: {count} "
            f"({'the median' if result.columns[name].get('role') not in ('categorical', 'multi-select') else 'no answer'})"
            for name, count in sorted(missing.items(), key=lambda item: -item[1])
        ]
    return [*lines, ""]
