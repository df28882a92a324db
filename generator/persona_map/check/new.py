"""`personas new`: a new persona file to fill in, as a skeleton or from the narrative parts of another persona.

Every required field is there with the schema's description as a comment above it. What only people can
say is left blank, a value the schema refuses, under a `TODO:` comment: `personas check` reports each one
left until it is filled in. Nothing that belongs to another persona is copied: its routing rules would
clash with the original's, and its quotes and evidence are research about other people.
"""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import Comment, CommentedMap, CommentedSeq

from persona_map.atomic import create_atomic
from persona_map.data_paths import JsonPath
from persona_map.errors import EditError
from persona_map.ids import SLUG, id_problem
from persona_map.repository import SCHEMA_COMMENT, Repository
from persona_map.research.manifest import load_manifest
from persona_map.schema_validate import field_description, load_schema
from persona_map.yaml_emit import dump_document
from persona_map.yaml_load import load

BLANK = ""  # what the schema refuses in every field left to fill in: reported once each, never published
# What --from copies: who the persona is. Never metadata, quotes, evidence, review or classification.
NARRATIVE = (
    "summary",
    "narrative",
    "role",
    "company",
    "demographics",
    "goals",
    "motivations",
    "pain_points",
    "behaviours",
    "channels",
    "messaging",
    "empathy_map",
)
REQUIRED_LISTS = ("goals", "motivations", "pain_points")
WIDTH = 100  # comment lines wrap here


def new_persona(repo: Repository, persona_id: str, today: date, source_id: str | None = None) -> str:
    """Write `personas/<persona_id>.yaml` (never over an existing file); return it as people see it."""
    problem = id_problem(persona_id)
    if problem:
        raise EditError(f"cannot use {problem}")
    if not repo.personas_dir.is_dir():
        raise EditError(f"no personas/ folder in {repo.root}: run this in the repository, or pass --root")
    target = repo.personas_dir / f"{persona_id}.yaml"
    shown = repo.display(target)
    if target.exists() or target.is_symlink():
        raise EditError(f"{shown} already exists: edit it, or choose another id")
    source = _narrative_of(repo, source_id) if source_id else None
    text = persona_yaml(persona_id, today, repo, source, source_id)
    try:
        create_atomic(target, text.encode("utf-8"))
    except FileExistsError as e:
        raise EditError(f"{shown} already exists: edit it, or choose another id") from e
    except OSError as e:
        raise EditError(f"cannot write {shown}: {e.strerror or e}") from e
    return shown


def persona_yaml(
    persona_id: str,
    today: date,
    repo: Repository,
    source: CommentedMap | None = None,
    source_id: str | None = None,
) -> str:
    """The new persona's text: a skeleton, or the narrative parts of `source` (a persona's spec)."""
    schema = load_schema(repo.schema_path())
    declared = ", ".join(sorted(load_manifest(repo)[0].sources)) or "none yet: see research/README.md"
    doc = CommentedMap(apiVersion="personamap/v1", kind="Persona")
    doc["metadata"] = CommentedMap(id=persona_id, name=BLANK, tier="secondary", owner=BLANK)
    spec = doc["spec"] = CommentedMap()
    for key in NARRATIVE:
        if source is not None and key in source:
            spec[key] = _without_comments(source[key])
        elif key in ("summary", "narrative"):
            spec[key] = BLANK
        elif key == "role":
            spec[key] = CommentedMap(title=BLANK, seniority=BLANK)
        elif key in REQUIRED_LISTS:
            spec[key] = CommentedSeq([BLANK])
    spec["evidence"] = CommentedMap(sources=CommentedSeq(), sample_size=BLANK, last_research_date=BLANK)
    spec["review"] = CommentedMap(last_reviewed=BLANK)
    notes = {
        ("metadata", "tier"): "New personas start secondary; promoting one to primary is a team decision.",
        ("metadata", "owner"): 'Write it in quotes: "@acme/team".',
        ("spec", "evidence", "sources"): f"Declared in research/manifest.yaml: {declared}.",
        ("spec", "review", "last_reviewed"): f"Today is {today.isoformat()}.",
    }
    _describe(doc["metadata"], ("metadata",), schema, notes)
    _describe(spec, ("spec",), schema, notes)
    for key in ("role", "evidence", "review"):
        if key != "role" or source is None or key not in source:  # copied parts keep their own shape
            _describe(spec[key], ("spec", key), schema, notes)
    origin = (
        f"Started from personas/{source_id}.yaml: its narrative parts are copied (edit them to describe "
        "this persona); its routing rules, quotes and evidence are not, as they belong to that persona. "
        if source_id
        else ""
    )
    guide = (
        f"{origin}Fill in every field marked TODO, then run `personas check`. Optional fields (company, "
        "demographics, behaviours, channels, messaging, quotes, empathy_map, classification) are described "
        "in schema/persona.schema.json; the personas in personas/ show them in use."
    )
    doc.yaml_set_start_comment("\n".join([SCHEMA_COMMENT.removeprefix("# "), *textwrap.wrap(guide, WIDTH)]))
    return dump_document(doc)


def _describe(
    mapping: CommentedMap, path: JsonPath, schema: dict[str, Any], notes: dict[JsonPath, str]
) -> None:
    """Put the schema's description of each field (and its choices) on the line above it; TODO when blank."""
    for key in mapping:
        words = [
            "TODO:" if mapping[key] in (BLANK, [], [BLANK]) else "",
            field_description(schema, (*path, key)),
        ]
        choices = _choices(schema, (*path, key))
        if choices:
            words.append(f"One of: {', '.join(choices)}.")
        words.append(notes.get((*path, key), ""))
        text = "\n".join(textwrap.wrap(" ".join(w for w in words if w), WIDTH - 2 * len(path)))
        if text:
            mapping.yaml_set_comment_before_after_key(key, before=text, indent=2 * len(path))


def _choices(schema: dict[str, Any], path: JsonPath) -> list[str]:
    node: Any = schema
    for part in path:
        node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
    return [str(c) for c in node.get("enum", [])] if isinstance(node, dict) else []


def _narrative_of(repo: Repository, source_id: str) -> CommentedMap:
    """The spec of the persona `source_id`, loaded with its text styles (folded narrative stays folded)."""
    path = repo.personas_dir / f"{source_id}.yaml"
    if not SLUG.match(source_id) or not path.is_file() or not repo.inside(path):
        have = ", ".join(sorted(p.stem for p in repo.persona_files()[0])) or "none"
        raise EditError(
            f"--from {source_id}: no such persona in {repo.display(repo.personas_dir)} (have: {have})"
        )
    doc, findings = load(path, repo.display(path))  # the safe loader first: size, aliases, tags, encoding
    if doc is None:
        first = findings[0]
        raise EditError(f"--from {source_id}: {first.location}: {first.message}; fix it first ({first.hint})")
    spec = YAML().load(doc.text).get("spec") if isinstance(doc.data, dict) else None
    if not isinstance(spec, CommentedMap):
        raise EditError(f"--from {source_id}: {repo.display(path)} has no spec to copy")
    return spec


def _without_comments(node: Any) -> Any:
    """A copied part without the source's comments: a comment there may describe what comes after it."""
    if isinstance(node, CommentedMap | CommentedSeq):
        setattr(node, Comment.attrib, Comment())
        for child in node.values() if isinstance(node, CommentedMap) else node:
            _without_comments(child)
    return node
