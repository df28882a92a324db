"""Repository rules beyond the schema: unique ids, the primary-persona budget, review dates and evidence.

Rules read documents defensively, so they also run on files that have schema errors: one broken field
never hides a stale review date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from persona_map.config import Config
from persona_map.data_paths import JsonPath, get
from persona_map.dates import DRIFT_GRACE_DAYS, LAST_DAY, ReviewDates, Status, days_text, review_dates
from persona_map.findings import Finding, Severity
from persona_map.ids import reserved_on_windows
from persona_map.markdown import terminal_text
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
    findings += _windows_rule(doc, path, persona_id)
    findings += _review_rule(doc, ctx)
    findings += _evidence_rule(doc, ctx)
    return findings


def _windows_rule(doc: Document, path: Path, persona_id: object) -> list[Finding]:
    """An id or file name Windows cannot hold (CON, NUL, COM1, ...): the repository would not check out there."""
    findings = []
    if isinstance(persona_id, str) and reserved_on_windows(persona_id):
        findings.append(
            doc.finding(
                ("metadata", "id"),
                f"id '{persona_id}' is a device name on Windows, where no file can be called {persona_id}.yaml",
                f"choose another id, such as '{persona_id.casefold()}-' plus the role, and rename the file to match",
                "repo.windows-name",
            )
        )
    if reserved_on_windows(path.stem) and path.stem != persona_id:
        findings.append(
            Finding(
                doc.file,
                1,
                1,
                "",
                f"file name {path.name} is a device name on Windows: a checkout there fails",
                "rename the file to <id>.yaml with an id that is not CON, PRN, AUX, NUL, COM0-9 or LPT0-9",
                "repo.windows-name",
            )
        )
    return findings


def _review_rule(doc: Document, ctx: Context) -> list[Finding]:
    review = get(doc.data, "spec", "review")
    dates = review_dates(
        review, ctx.config.review_interval_months, get(doc.data, "spec", "evidence", "drift")
    )
    if dates is None:
        return []
    if dates.past_last_day:
        return [f for field in dates.past_last_day for f in _past_last_day(doc, field, dates, ctx.today)]
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
    name, owner = _name_and_owner(doc)
    hint = (
        f"its owner ({owner}) reviews it against current research and updates what changed, then sets "
        "spec.review.last_reviewed to the day of the review (`personas review` lists every persona due)"
    )
    if status is Status.OVERDUE:
        days = (ctx.today - dates.review_by).days
        return [
            doc.finding(
                where,
                f"persona '{name}' is stale: review was due {dates.review_by.isoformat()} "
                f"({days_text(days)} ago; {basis})",
                hint,
                "review.overdue",
            )
        ]
    if status is Status.DUE_SOON:
        days = (dates.review_by - ctx.today).days
        return [
            doc.finding(
                where,
                f"review due {dates.review_by.isoformat()} (in {days_text(days)}; {basis})",
                hint,
                "review.due-soon",
                Severity.WARNING,
            )
        ]
    return []


def _name_and_owner(doc: Document) -> tuple[str, str]:
    """The persona's name (its id, or its file, when it has none) and its owner, for review messages."""
    name = next(
        (
            v
            for v in (get(doc.data, "metadata", k) for k in ("name", "id"))
            if isinstance(v, str) and v.strip()
        ),
        Path(doc.file).stem,
    )
    owner = get(doc.data, "metadata", "owner")
    owner = owner if isinstance(owner, str) and owner.strip() else "none set yet: add metadata.owner"
    return " ".join(terminal_text(name).split()), " ".join(terminal_text(owner).split())


def _past_last_day(doc: Document, field: str, dates: ReviewDates, today: date) -> list[Finding]:
    """A date typed far in the future (9999) whose review date would fall after the last day there is."""
    if field == "drift":
        detected = get(doc.data, "spec", "evidence", "drift", "detected")
        return [
            doc.finding(
                ("spec", "evidence", "drift", "detected"),
                f"drift detected {detected} sets a review date {DRIFT_GRACE_DAYS} days later, "
                f"which is after {LAST_DAY.isoformat()}, the last date there is",
                "write the day the drift was found as YYYY-MM-DD (personas suggest --apply writes it)",
                "review.date-range",
            )
        ]
    last = dates.last_reviewed or LAST_DAY
    if last <= today:
        return []  # only an interval of millennia reaches that far: the schema's maximum reports it
    return [
        doc.finding(
            ("spec", "review", "last_reviewed"),
            f"last reviewed {last.isoformat()} plus {dates.interval_months} months is after "
            f"{LAST_DAY.isoformat()}, the last date there is",
            "write the day of the last review as YYYY-MM-DD",
            "review.date-range",
        )
    ]


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


def repository_rules(
    docs: Iterable[Document], ctx: Context, personas_dir: str, uncounted: Sequence[str] = ()
) -> list[Finding]:
    """Rules across all personas: unique ids and the primary-persona budget.

    The budget counts only the documents whose files are not in `uncounted` (files with schema errors,
    whose tier cannot be trusted); its finding names them, and comes after their own findings.
    """
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
    primaries = [
        doc for doc in docs if doc.file not in uncounted and get(doc.data, "metadata", "tier") == "primary"
    ]
    low, high = ctx.config.primary_min, ctx.config.primary_max
    if not low <= len(primaries) <= high:
        names = ", ".join(str(get(d.data, "metadata", "id")) for d in primaries) or "none"
        fix = (
            "merge or demote personas to secondary: too many primaries means no one decides for anyone"
            if len(primaries) > high
            else "promote a research-backed persona to primary or add one from research"
        )
        left_out = ""
        if uncounted:
            fix = "fix the files with errors first, then " + fix
            left_out = f" (files with errors not counted: {', '.join(uncounted)})"
        findings.append(
            Finding(
                personas_dir,
                0,
                0,
                "",
                f"{len(primaries)} primary personas ({names}); the limit is {low} to {high}{left_out}",
                f"{fix} (limits: [tool.personas] in pyproject.toml)",
                "repo.primary-count",
            )
        )
    return findings
