"""The research manifest (research/manifest.yaml): which research sources exist and which file holds each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.schema_validate import validate
from persona_map.yaml_load import Document, load

NUMERIC_ROLES = ("numeric", "likert")
ROLES = (
    "key",
    "categorical",
    "multi-select",
    "ordinal",
    "likert",
    "numeric",
    "date",
    "text",
    "ignored",
    "personal",
)


@dataclass(frozen=True)
class Column:
    """How one research column is read and used, as the manifest declares it."""

    name: str
    role: str
    separator: str = ";"
    scale: tuple[int, int] | None = None
    levels: tuple[str, ...] = ()
    description: str = ""

    @classmethod
    def from_entry(cls, name: str, raw: Any) -> Column:
        """A column from its manifest entry (a role, or a mapping with `role:`); defensive on invalid entries."""
        if not isinstance(raw, dict):
            return cls(name, raw if isinstance(raw, str) else "")
        scale = raw.get("scale")
        levels = raw.get("levels")
        return cls(
            name,
            raw.get("role") if isinstance(raw.get("role"), str) else "",
            raw.get("separator") if isinstance(raw.get("separator"), str) else ";",
            (scale[0], scale[1]) if _scale_ok(scale) else None,
            tuple(str(x) for x in levels) if isinstance(levels, list) else (),
            raw.get("description") if isinstance(raw.get("description"), str) else "",
        )


def _scale_ok(scale: Any) -> bool:
    return isinstance(scale, list) and len(scale) == 2 and all(type(x) is int for x in scale)


@dataclass(frozen=True)
class Source:
    """One research source declared in the manifest: its file, how to read it and every column's role."""

    id: str
    kind: str
    file: str
    collected: str
    exists: bool
    key: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    columns: dict[str, Column] = field(default_factory=dict, compare=False)
    title: str = ""
    example: bool = False

    @classmethod
    def from_entry(cls, entry: dict[str, Any], exists: bool) -> Source:
        """A source from its manifest entry; fields of the wrong type count as absent (the schema reports them)."""

        def text(name: str) -> str | None:
            value = entry.get(name)
            return value if isinstance(value, str) else None

        columns = entry.get("columns")
        return cls(
            str(entry["id"]),
            text("kind") or "",
            text("file") or "",
            text("collected") or "",
            exists,
            text("key"),
            text("delimiter"),
            text("encoding"),
            {str(n): Column.from_entry(str(n), raw) for n, raw in columns.items()}
            if isinstance(columns, dict)
            else {},
            text("title") or "",
            entry.get("example") is True,
        )

    def roles(self, *roles: str) -> list[str]:
        """Names of the columns with one of `roles`, in manifest order."""
        return [c.name for c in self.columns.values() if c.role in roles]

    @property
    def personal(self) -> set[str]:
        """Names of the columns declared as personal data."""
        return set(self.roles("personal"))


@dataclass
class Manifest:
    """Research sources by id; `loaded` is False when the manifest is missing or unreadable."""

    sources: dict[str, Source] = field(default_factory=dict)
    loaded: bool = False
    file: str = "research/manifest.yaml"
    document: Document | None = field(default=None, repr=False)  # where each declaration sits in the file


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
    manifest.document = doc
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
        source = Source.from_entry(entry, exists)
        if source.key and source.columns.get(source.key, Column(source.key, "")).role == "personal":
            findings.append(
                doc.finding(
                    ("sources", index, "key"),
                    f"the join key '{source.key}' of {source_id} is declared personal, so it is never read "
                    "and this source would join nothing",
                    f"join on a pseudonymous id (declare '{source.key}' as `key`, with ids that identify no one), "
                    "or export the source with such an id column",
                    "research.personal-key",
                )
            )
        manifest.sources[source_id] = source
    return manifest, findings
