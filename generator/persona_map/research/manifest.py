"""The research manifest (research/manifest.yaml): which research sources exist and which file holds each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from persona_map.data_paths import get
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
    label: str = ""  # shown in reports instead of the name
    cluster: bool = True  # False: described in profiles, not segmented by
    transform: str = ""  # "log": segmented by log(1 + value)
    aggregate: str = ""  # analytics: how rows become one value per key

    @property
    def title(self) -> str:
        """What people read: the label, else the column name."""
        return self.label or self.name

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
            _text(raw, "description"),
            _text(raw, "label"),
            raw.get("cluster") is not False,
            _text(raw, "transform"),
            _text(raw, "aggregate"),
        )


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Filter:
    """A row left out before aggregating: `column` equals, starts with, or is below or above `value`."""

    column: str
    test: str
    value: Any


@dataclass(frozen=True)
class Speaker:
    """Interviews with one row per turn: who speaks, and which values of that column are the participant."""

    column: str
    participant: tuple[str, ...]


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _filters(raw: Any) -> list[Filter]:
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("column"), str):
            tests = [k for k in ("equals", "starts_with", "below", "above") if k in item]
            if len(tests) == 1:
                out.append(Filter(item["column"], tests[0], item[tests[0]]))
    return out


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
    time: str | None = None  # analytics: the date column that orders events
    speaker: Speaker | None = None  # interviews with one row per turn
    exclude: tuple[Filter, ...] = ()  # analytics: rows left out before aggregating
    derive: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)  # name -> (a, b): a x b

    @classmethod
    def from_entry(cls, entry: dict[str, Any], exists: bool) -> Source:
        """A source from its manifest entry; fields of the wrong type count as absent (the schema reports them)."""

        def text(name: str) -> str | None:
            value = entry.get(name)
            return value if isinstance(value, str) else None

        columns = (
            {str(n): Column.from_entry(str(n), raw) for n, raw in (entry.get("columns") or {}).items()}
            if isinstance(entry.get("columns"), dict)
            else {}
        )
        derived = {}
        for item in entry.get("derive") or [] if isinstance(entry.get("derive"), list) else []:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and _pair(item.get("product")):
                derived[item["name"]] = (str(item["product"][0]), str(item["product"][1]))
                columns.setdefault(item["name"], Column.from_entry(item["name"], {**item, "role": "numeric"}))
        speaker = entry.get("speaker")
        return cls(
            str(entry["id"]),
            text("kind") or "",
            text("file") or "",
            text("collected") or "",
            exists,
            text("key"),
            text("delimiter"),
            text("encoding"),
            columns,
            text("title") or "",
            entry.get("example") is True,
            text("time"),
            Speaker(str(speaker["column"]), tuple(str(v) for v in speaker["participant"]))
            if isinstance(speaker, dict)
            and isinstance(speaker.get("participant"), list)
            and "column" in speaker
            else None,
            tuple(_filters(entry.get("exclude"))),
            derived,
        )

    def roles(self, *roles: str) -> list[str]:
        """Names of the columns with one of `roles`, in manifest order."""
        return [c.name for c in self.columns.values() if c.role in roles]

    @property
    def parquet(self) -> bool:
        """A Parquet file, or a folder of them (a warehouse export)."""
        return self.file.endswith((".parquet", "/"))

    @property
    def file_columns(self) -> dict[str, Column]:
        """The columns the file itself holds (derived ones are computed from them)."""
        return {name: c for name, c in self.columns.items() if name not in self.derive}

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
    findings = [_explained(f, doc) for f in validate(doc, repo.schema_path("research-manifest.schema.json"))]
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
            exists = (path.is_dir() if file.endswith("/") else path.is_file()) and repo.inside(path)
            if not exists:
                fline, fcol = doc.position(("sources", index, "file"))
                findings.append(
                    Finding(
                        shown,
                        fline,
                        fcol,
                        f"sources[{index}].file",
                        f"research file '{file}' does not exist in research/",
                        "add the file (or folder of Parquet files) or correct the name",
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
        findings += _declaration_findings(source, index, doc)
        manifest.sources[source_id] = source
    return manifest, findings


SHORT_ROLES = ("key", "categorical", "multi-select", "numeric", "date", "text", "ignored", "personal")
ROLE_FORMS = {
    "ordinal": "{role: ordinal, levels: [lowest, ..., highest]}",
    "likert": "{role: likert, scale: [1, 5]}",
}


def _explained(finding: Finding, doc: Document) -> Finding:
    """Schema findings about the manifest, said the way a researcher fixes them."""
    path = finding.path.split(".")
    value = get(doc.data, *_json_path(finding.path))
    if len(path) == 3 and path[1] == "columns" and finding.code == "schema.enum":
        if value in ROLE_FORMS:
            return replace(
                finding, message=f"'{value}' needs its parameters", hint=f"write {ROLE_FORMS[value]}"
            )
        needs = "; ".join(f"{role} needs parameters: {form}" for role, form in ROLE_FORMS.items())
        joined = " " if finding.hint.endswith("?") else ". "
        return replace(finding, hint=f"{finding.hint}{joined}Roles: {', '.join(SHORT_ROLES)}; {needs}")
    if path[-1] == "collected" and re.fullmatch(r"\d{4}", str(value)):
        return replace(
            finding,
            message=f"{value} is a year, not a date",
            hint=f"write the full date, e.g. collected: {value}-12-31",
        )
    return finding


def _json_path(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", path)]


def _declaration_findings(source: Source, index: int, doc: Document) -> list[Finding]:
    """Declarations that name columns: each must name a declared column of the right role."""
    at = ("sources", index)
    out = []

    def missing(field: str, name: str, what: str) -> None:
        known = ", ".join(sorted(source.columns)) or "none"
        out.append(
            doc.finding(
                (*at, field),
                f"{what} '{name}' names no declared column of {source.id}",
                f"name one of its columns ({known}), or declare the column under columns",
                "research.undeclared-column",
            )
        )

    if source.key and source.key not in source.columns:
        missing("key", source.key, "key")
    if source.time and source.time not in source.columns:
        missing("time", source.time, "time column")
    if source.speaker and source.speaker.column not in source.columns:
        missing("speaker", source.speaker.column, "speaker column")
    for name, pair in source.derive.items():
        for operand in pair:
            if operand not in source.file_columns:
                missing("derive", operand, f"'{name}' multiplies")
    for item in source.exclude:
        if item.column not in source.columns:
            missing("exclude", item.column, "a filter")
    for column in source.columns.values():
        written = get(doc.data, *at, "columns", column.name)
        if column.role == "likert" and column.scale is None and isinstance(written, dict):
            out.append(
                doc.finding(
                    (*at, "columns", column.name),
                    f"likert column '{column.name}' has no scale",
                    "write {role: likert, scale: [1, 5]} with the lowest and highest answer",
                    "research.likert-scale",
                )
            )
    return out
