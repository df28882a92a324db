"""`personas check`: load every persona, validate it against the schema and apply the repository rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from persona_map.check.citations import citation_findings
from persona_map.check.persona_rules import Context, file_rules, repository_rules
from persona_map.check.pictures import picture_findings
from persona_map.check.privacy import scan_manifest, scan_persona, scan_research
from persona_map.config import PLACEHOLDER_REPOSITORY_URL
from persona_map.findings import CheckResult, Finding, Severity
from persona_map.repository import Repository
from persona_map.research.manifest import load_manifest
from persona_map.routing.rule_checks import across_findings, persona_findings
from persona_map.schema_validate import validate
from persona_map.yaml_load import Document, load


def check(
    repo: Repository,
    paths: Sequence[Path] = (),
    today: date | None = None,
    *,
    scan_research_files: bool = True,
) -> CheckResult:
    """Check the repository's personas (or only `paths`) and return every finding at once.

    Repository-wide rules (unique ids, 3-5 primary personas) run only when the whole personas/ folder is
    checked, since a handful of files says nothing about the budget; the budget counts only schema-valid
    files (in `Primary`, the tier is the error, not the count).
    """
    result = CheckResult()
    manifest, manifest_findings = load_manifest(repo)
    result.extend(manifest_findings)
    ctx = Context(repo.config, today or date.today(), manifest, repo.root)
    whole_repository = not paths
    if whole_repository:
        files, findings = repo.persona_files()
        result.extend(findings)
    else:
        files = list(paths)
    docs: list[Document] = []
    uncounted: list[str] = []  # files whose tier cannot be trusted: the budget leaves them out
    schema = repo.schema_path()
    for path in files:
        shown = repo.display(path)
        result.checked.append(shown)
        doc, findings = load(path, shown)
        result.extend(findings)
        if doc is None:
            uncounted.append(shown)
            continue
        if not isinstance(doc.data, dict):
            kind = "a list" if isinstance(doc.data, list) else "a single value"
            result.extend(
                [
                    Finding(
                        shown,
                        *doc.position(()),
                        "",
                        f"the file holds {kind}, not a persona",
                        "a persona file is a mapping that starts with 'apiVersion: personamap/v1'",
                        "schema.type",
                    )
                ]
            )
            uncounted.append(shown)
            continue
        findings = check_document(doc, path, schema, ctx)
        result.extend(findings)
        docs.append(doc)
        if any(f.is_error and f.code.startswith("schema.") for f in findings):
            uncounted.append(shown)
    if manifest.loaded:
        result.extend(scan_manifest(manifest))
        if scan_research_files:
            result.extend(scan_research(repo, manifest))
            result.extend(citation_findings(repo, manifest, docs))
    result.documents = docs
    result.manifest = manifest
    result.extend(across_findings(docs))
    if whole_repository:
        result.extend(repository_rules(docs, ctx, repo.display(repo.personas_dir), uncounted))
        result.extend(config_findings(repo))
    return result


def config_findings(repo: Repository) -> list[Finding]:
    """A warning while [tool.personas] repository_url is still the example's placeholder."""
    if repo.config.repository_url.rstrip("/") != PLACEHOLDER_REPOSITORY_URL:
        return []
    path = repo.root / "pyproject.toml"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    line = next((n for n, text in enumerate(lines, 1) if text.lstrip().startswith("repository_url")), 0)
    return [
        Finding(
            "pyproject.toml",
            line,
            1 if line else 0,
            "tool.personas.repository_url",
            f"repository_url is still the placeholder {PLACEHOLDER_REPOSITORY_URL}",
            "set it to this repository's URL: the site's repository link and edit links point there",
            "config.placeholder-url",
            Severity.WARNING,
        )
    ]


def check_document(doc: Document, path: Path, schema: Path, ctx: Context) -> list[Finding]:
    """Everything one persona file is checked for on its own: schema, rules, routing rules, personal data."""
    return [
        *validate(doc, schema),
        *file_rules(doc, path, ctx),
        *picture_findings(doc, ctx.root),
        *persona_findings(doc),
        *scan_persona(doc),
    ]
