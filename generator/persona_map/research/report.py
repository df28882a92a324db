"""The segmentation result as a Markdown report people can read (and paste into a pull request)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from persona_map.research.segmentation import SegmentResult


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def markdown(result: SegmentResult) -> str:
    """Why this k, how stable, and what sets every segment apart."""
    lines = [f"# Segmentation of the research ({result.created})", ""]
    for warning in result.warnings:
        lines += [f"> **Warning:** {warning}", ""]
    lines += [
        f"{result.respondents} respondents, {result.features} features, {result.options['method']} "
        f"with k from {result.options['k_min']} to {result.options['k_max']} (seed {result.options['seed']}).",
        "",
        "## Choosing the number of segments",
        "",
        "| k | silhouette (higher is better) |",
        "|---|---|",
        *[
            f"| {k}{' (chosen)' if int(k) == result.k else ''} | {score:.3f} |"
            for k, score in sorted(result.scores.items())
        ],
        "",
        f"The same clustering on data with its columns shuffled (no structure) scores {result.null_silhouette:.3f}. "
        f"Stability across {len(result.stability)} bootstrap refits: adjusted Rand index {result.stability_mean:.2f} "
        "(1 = identical segments every time).",
        "",
    ]
    for seg in result.segments:
        lines += [f"## {seg.id}: {seg.size} respondents ({_pct(seg.share)})", ""]
        if seg.categories:
            lines += ["Over-represented:", ""]
            lines += [
                f"- {c['column']} = {c['value']}: {_pct(c['share'])} here vs {_pct(c['overall'])} overall (×{c['lift']})"
                for c in seg.categories
            ]
            lines.append("")
        if seg.numbers:
            lines += _differences("Differs in:", seg.numbers[:6], lambda column: column)
        if seg.analytics:
            lines += _differences(
                "Product usage (per account and week):",
                seg.analytics[:5],
                lambda column: column.split(":", 1)[1].removeprefix("avg_"),
            )
        if seg.quotes:
            lines += ["In their words:", ""]
            lines += [f"> {q['text']}\n>\n> — {q['source']}, {q['respondent']}\n" for q in seg.quotes[:3]]
    return "\n".join(lines).rstrip() + "\n"


def _differences(title: str, items: list[dict[str, Any]], name: Callable[[str], str]) -> list[str]:
    """A titled list of columns whose segment mean differs from the overall one, in standard units."""
    lines = [
        f"- {name(n['column'])}: {n['mean']} vs {n['overall']} overall ({n['z']:+.1f} SD)" for n in items
    ]
    return [title, "", *lines, ""]
