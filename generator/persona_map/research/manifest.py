"""The research manifest (research/manifest.yaml): which research sources exist and which file holds each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.schema_validate import validate
from persona_map.yaml_load import load


@dataclass(frozen=True)
class Source:
    """One research source declared in the manifest."""

    id: str
    kind: str
    file: str
    collected: str
    exists: bool
    spec: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Manifest:
    """Research sources by id; `loaded` is False when the manifest is missing or unreadable."""

    sources: dict[str, Source] = field(default_factory=dict)
    loaded: bool = False
    file: str = "research/manifest.yaml"


def load_manifest(repo: Repository) -> tuple[Manifest, list[Finding]]:
    """Read and check research/manifest.yaml; every problem is a finding."""
    shown = repo.display(repo.manifest_path)
    manifest = Manifest(file=shown)
    if not repo.manifest_path.is_file():
        return manifest, [
            Finding(
                shown,
                0,
                0,
                "",
                "research manifest is missing",
                "declare your research sources in research/manifest.yaml (see research/README.md)",
                "research.no-manifest",
            )
        ]
    if not repo.inside(repo.manifest_path):
        return manifest, [
            Finding(
                shown,
                0,
                0,
                "",
                "symlink points outside the repository",
                "replace the link with the manifest itself",
                "repo.symlink",
            )
        ]
    doc, findings = load(repo.manifest_path, shown)
    if doc is None:
        return manifest, findings
    if not isinstance(doc.data, dict):
        return manifest, [
            Finding(
                shown,
                1,
                1,
                "",
                "the manifest must be a mapping with 'sources:'",
                "start from the example in research/README.md",
                "research.shape",
            )
        ]
    findings = validate(doc, repo.schema_path("research-manifest.schema.json"))
    manifest.loaded = True
    entries = doc.data.get("sources")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        source_id, file = entry["id"], entry.get("file")
        line, column = doc.position(("sources", index, "id"))
        if source_id in manifest.sources:
            findings.append(
                Finding(
                    shown,
                    line,
                    column,
                    f"sources[{index}].id",
                    f"research source '{source_id}' is declared twice",
                    "give each source its own id",
                    "research.duplicate-id",
                )
            )
            continue
        exists = False
        if isinstance(file, str) and ".." not in file and not file.startswith("/"):
            path = repo.research_dir / file
            exists = path.is_file() and repo.inside(path)
            if not exists:
                fline, fcol = doc.position(("sources", index, "file"))
                findings.append(
                    Finding(
                        shown,
                        fline,
                        fcol,
                        f"sources[{index}].file",
                        f"research file '{file}' does not exist in research/",
                        "add the CSV file or correct the file name",
                        "research.missing-file",
                    )
                )
        manifest.sources[source_id] = Source(
            source_id,
            str(entry.get("kind", "")),
            str(file or ""),
            str(entry.get("collected", "")),
            exists,
            entry,
        )
    return manifest, findings
