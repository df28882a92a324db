"""The schema reference: every field of the persona schema as tables, generated from the schema itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    description: str
    allowed: str = ""


@dataclass(frozen=True)
class Section:
    path: str
    description: str
    fields: list[FieldDoc] = field(default_factory=list)


def schema_sections(schema: dict[str, Any]) -> list[Section]:
    """One section per object in the schema, outermost first."""
    sections: list[Section] = []
    _walk(schema, schema, "(top level)", schema.get("description", ""), sections)
    return sections


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type(schema: dict[str, Any], node: dict[str, Any]) -> str:
    node = _resolve(schema, node)
    if "const" in node:
        return "constant"
    if "enum" in node:
        return "one of"
    kind = node.get("type", "")
    if kind == "array":
        items = _resolve(schema, node.get("items", {}))
        return f"list of {_type(schema, items)}" if items else "list"
    if kind == "string" and node.get("format") == "date":
        return "date (YYYY-MM-DD)"
    return {
        "string": "text",
        "integer": "whole number",
        "number": "number",
        "object": "mapping",
        "boolean": "true/false",
    }.get(kind, kind or "any")


def _allowed(schema: dict[str, Any], node: dict[str, Any]) -> str:
    node = _resolve(schema, node)
    if "const" in node:
        return str(node["const"])
    if "enum" in node:
        return ", ".join(str(v) for v in node["enum"])
    limits = []
    for key, word in (
        ("minimum", "min"),
        ("maximum", "max"),
        ("minItems", "at least"),
        ("maxItems", "at most"),
        ("maxLength", "max length"),
    ):
        if key in node:
            limits.append(f"{word} {node[key]}")
    return ", ".join(limits)


def _walk(
    schema: dict[str, Any], node: dict[str, Any], path: str, description: str, out: list[Section]
) -> None:
    node = _resolve(schema, node)
    required = set(node.get("required", []))
    properties = node.get("properties", {})
    section = Section(
        path,
        description,
        [
            FieldDoc(
                name,
                _type(schema, sub),
                name in required,
                _resolve(schema, sub).get("description", ""),
                _allowed(schema, sub),
            )
            for name, sub in properties.items()
        ],
    )
    out.append(section)
    prefix = "" if path == "(top level)" else path + "."
    for name, sub in properties.items():
        sub = _resolve(schema, sub)
        if sub.get("type") == "object" and sub.get("properties"):
            _walk(schema, sub, prefix + name, sub.get("description", ""), out)
        elif sub.get("type") == "array":
            items = _resolve(schema, sub.get("items", {}))
            if items.get("type") == "object" and items.get("properties"):
                _walk(schema, items, f"{prefix}{name}[]", sub.get("description", ""), out)
