"""Draft personas for segments no persona speaks for: files to complete by hand, pre-filled from the data."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from persona_map.atomic import write_atomic
from persona_map.data_paths import get
from persona_map.errors import ConfigError, EditError
from persona_map.personal_data import found
from persona_map.repository import Repository, tool_schema_path
from persona_map.research.describe import Meta, category, difference
from persona_map.research.manifest import Manifest
from persona_map.research.matching import Suggestions
from persona_map.research.results import RESULTS_DIR
from persona_map.schema_validate import load_schema
from persona_map.yaml_emit import dump_document

DRAFTS_DIR = RESULTS_DIR / "candidates"


def plan_drafts(
    suggestions: Suggestions,
    manifest: Manifest,
    today: date,
    last_research: str,
    schema: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Draft file (relative to the repository) -> its YAML text, one per segment no persona matches."""
    drafts = {}
    for segment in suggestions.uncovered:
        title = segment.get("modes", {}).get("job_title", segment["id"])
        draft_id = f"candidate-{segment['id'].lower()}-{_slug(title)}"
        drafts[(DRAFTS_DIR / f"{draft_id}.yaml").as_posix()] = draft_yaml(
            draft_id, segment, manifest, today, last_research, schema, suggestions.segmentation.get("columns")
        )
    return drafts


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "segment"


PSEUDONYM = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # what the schema accepts as a respondent id
MAX_QUOTE = 1000  # the schema's limit for a quote
ROLE_COLUMNS = {
    "job_title": ("role", "title"),
    "seniority": ("role", "seniority"),
    "department": ("role", "department"),
    "company_size": ("company", "size"),
    "industry": ("company", "industry"),
}


def _tool_schema() -> dict[str, Any] | None:
    try:
        return load_schema(tool_schema_path())
    except ConfigError:
        return None


def _allowed(schema: dict[str, Any] | None, section: str, field: str) -> tuple[str, ...] | None:
    """The values the persona schema allows for spec.<section>.<field>, when it lists them."""
    enum = get(schema or {}, "properties", "spec", "properties", section, "properties", field, "enum")
    return tuple(str(v) for v in enum) if isinstance(enum, list) else None


def _share(segment: dict[str, Any], column: str, value: str) -> float | None:
    return segment.get("distributions", {}).get(column, {}).get(value)


def _distinct(segment: dict[str, Any], word: str) -> list[dict[str, Any]]:
    """Over-represented values of columns whose name mentions `word` (goal, pain, channel, tool)."""
    return [c for c in segment.get("categories", []) if word in c["column"] and _clean(str(c["value"]))][:4]


def _clean(text: str) -> bool:
    """Whether a draft may carry `text`: never a phone number or an e-mail address."""
    return not any(found(text))


def draft_yaml(
    draft_id: str,
    segment: dict[str, Any],
    manifest: Manifest,
    today: date,
    last_research: str,
    schema: dict[str, Any] | None = None,
    meta: Meta | None = None,
) -> str:
    """A persona file to complete by hand, emitted by the YAML library.

    Data-derived fields carry the figure behind them as a comment; every TODO marks what the data cannot
    say. Nothing is invented: a field the research does not describe stays TODO (no default seniority).
    """
    schema = schema if schema is not None else _tool_schema()
    meta = meta or {}  # the columns' labels and levels, as the report words them (describe.py)
    modes = {k: str(v) for k, v in segment.get("modes", {}).items() if _clean(str(v))}
    doc = CommentedMap()
    doc["apiVersion"] = "personamap/v1"
    doc["kind"] = "Persona"
    title = modes.get("job_title")
    doc["metadata"] = CommentedMap(
        id=draft_id, name=f"TODO: a first name, the {title or 'role'}", tier="secondary", owner="@TODO/team"
    )
    spec = doc["spec"] = CommentedMap()
    traits = [category(c, meta) for c in segment.get("categories", [])[:3] if _clean(str(c["value"]))]
    traits += [difference(n, meta) for n in segment.get("numbers", [])[:2]]
    spec["summary"] = "TODO: one line on who this is, from what sets the segment apart (see the comment)"
    if traits:
        spec.yaml_add_eol_comment(_comment("sets the segment apart: " + "; ".join(traits)), "summary")
    spec["narrative"] = "TODO: a short story of their working day."
    spec["role"], spec["company"] = CommentedMap(), CommentedMap()
    for column, (section, field) in ROLE_COLUMNS.items():
        value = modes.get(column)
        allowed = _allowed(schema, section, field)
        said = value
        if value is not None and allowed is not None and value not in allowed:
            value = None  # the research's answer is not one of the persona format's values
        if value is None and field not in ("title", "seniority") and said is None:
            continue
        spec[section][field] = value if value is not None else f"TODO: {field}"
        share = _share(segment, column, said) if said is not None else None
        if value is not None and share is not None:
            spec[section].yaml_add_eol_comment(_comment(f"{share:.0%} of the segment"), field)
        elif value is None and said is not None and allowed:
            spec[section].yaml_add_eol_comment(
                _comment(f"the research says '{said}' ({share or 0:.0%}), not one of {', '.join(allowed)}"),
                field,
            )
    if not spec["company"]:
        del spec["company"]
    for field, word, todo in (
        ("goals", "goal", "TODO: what is this persona trying to achieve?"),
        ("pain_points", "pain", "TODO: what gets in their way?"),
    ):
        picked = _distinct(segment, word)
        spec[field] = CommentedSeq([str(c["value"]) for c in picked] or [todo])
        for index, found_category in enumerate(picked):
            spec[field].yaml_add_eol_comment(_comment(category(found_category, meta)), index)
        if field == "goals":
            spec["motivations"] = CommentedSeq(["TODO: why do these goals matter to them?"])
    for field, word, prefix in (("behaviours", "tool", "Uses "), ("channels", "channel", "")):
        picked = _distinct(segment, word)
        if picked:
            spec[field] = CommentedSeq([prefix + str(c["value"]) for c in picked])
            for index, found_category in enumerate(picked):
                spec[field].yaml_add_eol_comment(_comment(category(found_category, meta)), index)
    quotes = [
        q
        for q in segment.get("quotes", [])
        if PSEUDONYM.match(str(q.get("respondent", "")))
        and len(str(q.get("text", ""))) <= MAX_QUOTE
        and _clean(str(q.get("text", "")))
        and q.get("source") in manifest.sources
    ][:3]
    if quotes:
        spec["quotes"] = CommentedSeq(
            [
                CommentedMap(text=str(q["text"]), source=str(q["source"]), respondent=str(q["respondent"]))
                for q in quotes
            ]
        )
    evidence = spec["evidence"] = CommentedMap(
        sources=sorted(manifest.sources),
        sample_size=int(segment["size"]),
        segment_share=round(float(segment["share"]), 2),
        last_research_date=last_research or today.isoformat(),
    )
    evidence.yaml_add_eol_comment(
        _comment(f"members of {segment['id']} in the latest segmentation"), "sample_size"
    )
    spec["review"] = CommentedMap(last_reviewed=today.isoformat())
    doc.yaml_set_start_comment(
        "yaml-language-server: $schema=../../../schema/persona.schema.json\n"
        f"DRAFT from segment {segment['id']} ({segment['size']} respondents, {segment['share']:.0%}) of the "
        "latest segmentation.\nComplete every TODO, move the file to personas/ as <id>.yaml and open a pull request."
    )
    return dump_document(doc)


def _comment(text: str) -> str:
    """Research text inside a YAML comment: on one line, so it can never become YAML."""
    return " ".join(text.split())


def write_drafts(repo: Repository, drafts: dict[str, str]) -> list[str]:
    """Write the planned drafts under build/segments/candidates/ (each atomically); returns their paths."""
    written = []
    for name, text in drafts.items():
        path = repo.root / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text.encode("utf-8"))
        except OSError as e:
            raise EditError(f"{name}: cannot write the draft persona: {e.strerror or e}") from e
        written.append(name)
    return written
