"""JSON Schema validation that reports every error with its line, field path, a plain message and a hint."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from persona_map import __version__
from persona_map.config import cache_dir
from persona_map.data_paths import JsonPath, format_path
from persona_map.dates import parse_date
from persona_map.errors import ConfigError
from persona_map.findings import Finding
from persona_map.schema_compile import compile_schema
from persona_map.yaml_load import Document

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


def _is_date(value: object) -> bool:
    """The `date` format: a real calendar date. Text not shaped YYYY-MM-DD is the pattern's to report, once."""
    return not isinstance(value, str) or not _DATE_SHAPE.match(value) or parse_date(value) is not None


_DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "empty",
}

# Patterns in the schemas, said in words.
_PATTERNS = {
    "\\S": ("must not be blank", "write some text"),
    "^[a-z0-9]+(-[a-z0-9]+)*$": (
        "must be a lowercase slug",
        "use lowercase letters, digits and single hyphens, e.g. platform-lead",
    ),
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": ("is not a date", "write dates as YYYY-MM-DD, e.g. 2026-09-30"),
}


@lru_cache(maxsize=8)
def _schema_text(schema_path: str) -> str:
    try:
        return Path(schema_path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{schema_path}: cannot read the JSON Schema: {e}") from e


def load_schema(path: Path) -> Any:
    """The JSON Schema at `path`, read once per process; ConfigError (one line) when it cannot be read."""
    return _schema(str(path))


@lru_cache(maxsize=8)
def _schema(schema_path: str) -> Any:
    try:
        return json.loads(_schema_text(schema_path))
    except ValueError as e:
        raise ConfigError(f"{schema_path}: the JSON Schema is not valid JSON: {e}") from e


@lru_cache(maxsize=8)
def _is_valid(schema_path: str) -> Callable[[object], bool] | None:
    return compile_schema(_schema(schema_path), {"date": _is_date})


@lru_cache(maxsize=8)
def _validator(schema_path: str) -> Draft202012Validator:
    # importing jsonschema costs 100-180 ms, so it happens only for a document that is not valid
    from jsonschema import Draft202012Validator, FormatChecker

    schema = _schema(schema_path)
    formats = FormatChecker(formats=())
    formats.checks("date")(_is_date)
    return Draft202012Validator(schema, format_checker=formats)


def validate(doc: Document, schema_path: Path) -> list[Finding]:
    """All schema errors in `doc`, as findings sorted by line.

    A document that was valid against the very same schema text before is not validated again: the
    result is remembered in the user's cache folder by a hash of both and of the package version (an
    upgrade that changes how documents are checked never trusts an old "valid"), like Python's .pyc files.
    A quick yes/no check comes first; jsonschema, slow to import, runs only to explain a document it rejects.
    """
    key = hashlib.sha256(f"{__version__}\0{_schema_text(str(schema_path))}\0{doc.text}".encode()).hexdigest()[
        :32
    ]
    marker = cache_dir("valid") / key
    if marker.exists():
        return []
    is_valid = _is_valid(str(schema_path))
    findings: list[Finding] = []
    if is_valid is None or not is_valid(doc.data):
        validator = _validator(str(schema_path))
        for error in validator.iter_errors(doc.data):
            findings.extend(_findings(doc, error, validator.schema))
    if not findings:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only home only costs speed
    return sorted(findings)


def _findings(doc: Document, error: ValidationError, root: dict[str, Any]) -> Iterator[Finding]:
    from jsonschema.exceptions import best_match

    if error.context:  # oneOf/anyOf: the branch that came closest says the most
        error = best_match(error.context)
    path: JsonPath = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        for extra in _extras(error):
            near = difflib.get_close_matches(extra, allowed, n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"allowed fields here: {', '.join(allowed)}"
            yield doc.finding(
                (*path, extra),
                f"unknown field '{extra}'",
                hint,
                "schema.unknown-field",
                key=True,
            )
        return
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
        description = error.schema.get("properties", {}).get(missing, {}).get("description", "")
        hint = f"add {format_path((*path, missing))}: {description}" if description else f"add '{missing}'"
        line, column = doc.position(path, key=True) if path else (1, 1)
        if not path:
            line, column = _first_content_line(doc), 1
        message = f"'{missing}' is missing"
        if missing in ("goals", "motivations", "pain_points"):
            message += " (a persona with only demographics is not a persona)"
            hint = f"add {format_path((*path, missing))} from research: {description.lower()}"
        elif missing == "evidence":
            message += " (a persona without research evidence is an assumption)"
        yield Finding(doc.file, line, column, format_path(path), message, hint, "schema.required")
        return
    message, hint = _describe(error)
    if not hint:
        hint = field_description(root, path) or "see the schema reference for this field"
    yield doc.finding(path, message, hint, f"schema.{kind}")


def _extras(error: ValidationError) -> list[str]:
    known = set(error.schema.get("properties", {}))
    patterns = error.schema.get("patternProperties", {})
    return [
        key for key in error.instance if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ValidationError) -> tuple[str, str]:
    kind, value, instance = error.validator, error.validator_value, error.instance
    field = error.absolute_path[-1] if error.absolute_path else ""
    description = error.schema.get("description", "")
    if kind == "type":
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in ([value] if isinstance(value, str) else value))
        hint = "put it in quotes if it is meant as text" if "text" in wanted else description
        if wanted == "a list":
            hint = f"write {field} as a list, one '- item' per line"
        return f"{_short(instance)} is not {wanted}", hint
    if kind == "enum":
        choices = [str(c) for c in value]
        near = difflib.get_close_matches(str(instance), choices, n=1)
        hint = f"did you mean '{near[0]}'?" if near else f"choose one of: {', '.join(choices)}"
        return f"{_short(instance)} is not one of {', '.join(choices)}", hint
    if kind == "const":
        return f"{_short(instance)} must be {value!r}", f"write {field}: {value}"
    if kind == "pattern":
        said = _PATTERNS.get(value)
        if said:
            return f"{_short(instance)} {said[0]}", said[1]
        if field == "owner":
            return (
                f"{_short(instance)} is not a GitHub team or user",
                "write it like '@acme/product-marketing' (in quotes)",
            )
        if list(error.absolute_path)[-2:] == ["picture", "file"]:
            return (
                f"{_short(instance)} is not a PNG, JPEG or WebP file in the repository",
                "use a path from the repository root like personas/pictures/priya.webp (never SVG: it can carry script)",
            )
        if field == "respondent":
            return (
                f"{_short(instance)} is not a pseudonymous respondent id",
                "use the id from the research file, never a name or e-mail",
            )
        return f"{_short(instance)} does not match the expected form", description
    if kind == "format":
        return (
            f"{_short(instance)} is not a real {value}",
            "write dates as YYYY-MM-DD, e.g. 2026-09-30",
        )
    if kind in ("minItems", "maxItems"):
        what = "at least" if kind == "minItems" else "at most"
        count = len(instance) if isinstance(instance, list) else 0
        hint = description or f"add {field} from research, one '- item' per line"
        if kind == "minItems" and count == 0:
            return (
                f"{field or 'list'} is empty; it needs {what} {value} item{'s' if value != 1 else ''}",
                hint,
            )
        return (
            f"has {count} items; it needs {what} {value}",
            "keep the list short and specific" if kind == "maxItems" else hint,
        )
    if kind in ("minLength", "maxLength"):
        length = len(instance) if isinstance(instance, str) else 0
        if kind == "maxLength":
            return (
                f"is {length:,} characters; the limit is {value:,}",
                "shorten it; long text belongs in the narrative",
            )
        return f"is {length} characters; it needs at least {value}", description
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }[kind]
        return f"{_short(instance)} must be {word} {value}", description
    if kind == "uniqueItems":
        return "has the same item more than once", "remove the duplicate"
    return str(error.message), description


def field_description(schema: dict[str, Any], path: JsonPath) -> str:
    """The schema's description of the field at `path` (following local $refs), or ''."""
    node: Any = schema
    description = ""
    for part in path:
        node = _resolve(schema, node)
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node, dict) else {}
        else:
            properties = node.get("properties", {}) if isinstance(node, dict) else {}
            node = properties.get(
                part, node.get("additionalProperties", {}) if isinstance(node, dict) else {}
            )
        own = node.get("description", "") if isinstance(node, dict) else ""
        if not own:
            own = _resolve(schema, node).get("description", "") if isinstance(node, dict) else ""
        description = own or description  # list items inherit the list's description
    return description


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node


def _first_content_line(doc: Document) -> int:
    for number, line in enumerate(doc.text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number
    return 1
