"""Writing persona files: planned edits land only when every edited file still passes the check, all or nothing.

`personas suggest --apply` plans its edits first (research.suggest); here each new text is checked as the
file it would become (schema, persona rules, routing rules, personal data). An edit that would add an error
stops every write; then the files are written together (atomic.write_all): when one cannot be written, the
others are restored and nothing is half done. Read-only files are refused before anything is written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from persona_map.atomic import write_all
from persona_map.check.catalog import PUBLISHABLE_CODES
from persona_map.check.check import check_document
from persona_map.check.persona_rules import Context
from persona_map.errors import EditError
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest
from persona_map.yaml_load import parse


def edit_findings(
    repo: Repository, manifest: Manifest, edits: dict[str, tuple[str, str]], today: date
) -> list[Finding]:
    """Errors the edits would bring into their files (errors the files had before do not count)."""
    ctx = Context(repo.config, today, manifest, repo.root)
    schema = repo.schema_path()
    added: list[Finding] = []
    for file, (old, new) in edits.items():
        before = _errors(old, file, repo.root / file, schema, ctx)
        added += [
            f for f in _error_findings(new, file, repo.root / file, schema, ctx) if _key(f) not in before
        ]
    return added


def write_personas(
    repo: Repository, manifest: Manifest, edits: dict[str, tuple[str, str]], today: date
) -> list[str]:
    """Check every edited file, then write them all or none; returns the files written."""
    problems = edit_findings(repo, manifest, edits, today)
    if problems:
        shown = "; ".join(f"{f.location}: {f.path}: {f.message}" for f in problems[:5])
        raise EditError(f"the edits would make persona files invalid, so nothing was written: {shown}")
    try:
        write_all({repo.root / file: new.encode("utf-8") for file, (_, new) in edits.items()})
    except OSError as e:
        raise EditError(f"cannot write the persona files: {e.strerror or e}; nothing was changed") from e
    return list(edits)


def _error_findings(text: str, file: str, path: Path, schema: Path, ctx: Context) -> list[Finding]:
    doc, findings = parse(text.removeprefix("\ufeff"), file)
    if doc is not None:
        findings = check_document(doc, path, schema, ctx)
    return [f for f in findings if f.is_error and f.code not in PUBLISHABLE_CODES]


def _errors(text: str, file: str, path: Path, schema: Path, ctx: Context) -> set[tuple[str, str]]:
    return {_key(f) for f in _error_findings(text, file, path, schema, ctx)}


def _key(finding: Finding) -> tuple[str, str]:
    return finding.code, finding.path
