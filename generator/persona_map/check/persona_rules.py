"""Repository rules beyond the schema: unique ids, the primary-persona budget, review dates and evidence.

Rules read documents defensively, so they also run on files that have schema errors: one broken field
never hides a stale review date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from persona_map.config import Config
from persona_map.data_paths import JsonPath, get
from persona_map.dates import Status, review_dates
from persona_map.findings import Finding, Severity
from persona_map.repository import SCHEMA_COMMENT, SCHEMA_COMMENT_PATTERN
from persona_map.research.manifest import Manifest
from persona_map.yaml_load import Document


@dataclass(frozen=True)
class Context:
    """What the rules need to know beyond one file."""

    config: Config
    today: date
    manifest: Manifest
    root: Path | None = None  # the repository, for files personas name (pictures)


def file_rules(doc: Document, path: Path, ctx: Context) -> list[Finding]:
    """Rules that concern one persona file on its own."""
    findings: list[Finding] = []
    first = doc.text.lstrip("\ufeff").splitlines()[0] if doc.text.strip() else ""
    if not SCHEMA_COMMENT_PATTERN.match(first):
        findings.append(
            Finding(
                doc.file,
                1,
                1,
                "",
                "first line is not the editor schema comment",
                f"make the first line: {SCHEMA_COMMENT}",
                "editor.schema-comment",
            )
        )
    persona_id = get(doc.data, "metadata", "id")
    if isinstance(persona_id, str) and persona_id != path.stem:
        findings.append(
            doc.finding(
                ("metadata", "id"),
                f"id '{persona_id}' does not match the file name",
                f"rename the file to {persona_id}.yaml or set metadata.id: {path.stem}",
                "repo.id-filename",
            )
        )
    findings += _review_rule(doc, ctx)
    findings += _evidence_rule(doc, ctx)
    return findings


def _review_rule(doc: Document, ctx: Context) -> list[Finding]:
    review = get(doc.data, "spec", "review")
    dates = review_dates(
        review, ctx.config.review_interval_months, get(doc.data, "spec", "evidence", "drift")
    )
    if dates is None:
        return []
    status = dates.status(ctx.today, ctx.config.due_soon_days)
    where: JsonPath = ("spec", "review", "review_by" if dates.explicit else "last_reviewed")
    basis = (
        "explicit review_by"
        if dates.explicit
        else f"last reviewed {dates.last_reviewed.isoformat()}, every {dates.interval_months} months"
    )
    if dates.drift is not None:
        where = ("spec", "evidence", "drift")
        basis = f"the research drifted away from this persona (drift score {dates.drift:.2f})"
    hint = "review it with its owner against current research, then set spec.review.last_reviewed to today"
    if status is Status.OVERDUE:
        days = (ctx.today - dates.review_by).days
        return [
            doc.finding(
                where,
                f"persona is stale: review was due {dates.review_by.isoformat()} "
                f"({days} day{'s' if days != 1 else ''} ago; {basis})",
                hint,
                "review.overdue",
            )
        ]
    if status is Status.DUE_SOON:
        days = (dates.review_by - ctx.today).days
        return [
            doc.finding(
                where,
                f"review due {dates.review_by.isoformat()} (in {days} days; {basis})",
                hint,
                "review.due-soon",
                Severity.WARNING,
            )
        ]
    return []


def _evidence_rule(doc: Document, ctx: Context) -> list[Finding]:
    if not ctx.manifest.loaded:
        return []  # the missing manifest is reported once, not per persona
    findings: list[Finding] = []
    sources = ctx.manifest.sources
    known = ", ".join(sorted(sources)) or "none declared"
    for index, source in enumerate(_list(get(doc.data, "spec", "evidence", "sources"))):
        if isinstance(source, str):
            findings += _source_finding(doc, ("spec", "evidence", "sources", index), source, sources, known)
    for index, quote in enumerate(_list(get(doc.data, "spec", "quotes"))):
        source = get(quote, "source")
        if isinstance(source, str):
            findings += _source_finding(doc, ("spec", "quotes", index, "source"), source, sources, known)
    return findings


def _source_finding(doc: Document, path: JsonPath, source: str, sources: dict, known: str) -> list[Finding]:
    if source not in sources:
        return [
            doc.finding(
                path,
                f"research source '{source}' is not in research/manifest.yaml",
                f"cite a declared source ({known}) or declare it in the manifest",
                "evidence.unknown-source",
            )
        ]
    if not sources[source].exists:
        return [
            doc.finding(
                path,
                f"research source '{source}' points at a file that does not exist "
                f"(research/{sources[source].file})",
                "add the research file, or stop citing the source",
                "evidence.missing-file",
            )
        ]
    return []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def repository_rules(docs: Iterable[Document], ctx: Context, personas_dir: str) -> list[Finding]:
    """Rules across all personas: unique ids and the primary-persona budget."""
    findings: list[Finding] = []
    docs = list(docs)
    seen: dict[str, Document] = {}
    for doc in docs:
        persona_id = get(doc.data, "metadata", "id")
        if not isinstance(persona_id, str):
            continue
        if persona_id in seen:
            findings.append(
                doc.finding(
                    ("metadata", "id"),
                    f"id '{persona_id}' is also used by {seen[persona_id].file}",
                    "give every persona its own id",
                    "repo.duplicate-id",
                )
            )
        else:
            seen[persona_id] = doc
    primaries = [doc for doc in docs if get(doc.data, "metadata", "tier") == "primary"]
    low, high = ctx.config.primary_min, ctx.config.primary_max
    if not low <= len(primaries) <= high:
        names = ", ".join(str(get(d.data, "metadata", "id")) for d in primaries) or "none"
        fix = (
            "merge or demote personas to secondary: too many primaries means no one decides for anyone"
            if len(primaries) > high
            else "promote a research-backed persona to primary or add one from research"
        )
        findings.append(
            Finding(
                personas_dir,
                0,
                0,
                "",
                f"{len(primaries)} primary personas ({names}); the limit is {low} to {high}",
                f"{fix} (limits: [tool.personas] in pyproject.toml)",
                "repo.primary-count",
            )
        )
    return findings
