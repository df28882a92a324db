"""The quick schema check says "valid" exactly when jsonschema finds no error, on files, on mutants and on edge cases."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from persona_map.schema_compile import compile_schema
from persona_map.schema_validate import _is_date
from persona_map.yaml_load import load
from tests.conftest import ROOT

DATA = Path(__file__).parent / "data"
PERSONA_SCHEMA = ROOT / "schema" / "persona.schema.json"
MANIFEST_SCHEMA = ROOT / "schema" / "research-manifest.schema.json"
FORMATS = {"date": _is_date}


def _oracle(schema: Any) -> Draft202012Validator:
    formats = FormatChecker(formats=())
    formats.checks("date")(_is_date)  # as generator/persona_map/schema_validate.py sets it up
    return Draft202012Validator(schema, format_checker=formats)


def _agree(schema: Any, instance: Any) -> tuple[bool, bool]:
    is_valid = compile_schema(schema, FORMATS)
    assert is_valid is not None
    return is_valid(instance), not list(_oracle(schema).iter_errors(instance))


def _files() -> list[tuple[Path, Path]]:
    personas = [
        *sorted((ROOT / "personas").glob("*.yaml")),
        *(
            path
            for folder in ("valid", "invalid", "xss", "update")
            for path in sorted((DATA / folder).glob("*.yaml"))
        ),
    ]
    manifests = [ROOT / "research" / "manifest.yaml", *sorted(DATA.glob("**/manifest.yaml"))]
    return [(p, PERSONA_SCHEMA) for p in personas] + [(m, MANIFEST_SCHEMA) for m in manifests]


def _data(path: Path) -> Any:
    doc, _ = load(path)
    return None if doc is None else doc.data


FILES = [(path, schema) for path, schema in _files() if _data(path) is not None]


def _schema(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_both_repository_schemas_compile():
    assert compile_schema(_schema(PERSONA_SCHEMA), FORMATS) is not None
    assert compile_schema(_schema(MANIFEST_SCHEMA), FORMATS) is not None


@pytest.mark.parametrize(("path", "schema"), FILES, ids=lambda v: str(v.relative_to(ROOT)))
def test_agrees_with_jsonschema_on_every_data_file(path: Path, schema: Path):
    quick, full = _agree(_schema(schema), _data(path))
    assert quick == full


def test_data_files_hold_both_verdicts():
    verdicts = {_agree(_schema(schema), _data(path))[1] for path, schema in FILES}
    assert verdicts == {True, False}


# Values that break a field, or that only look like they should (1.0 is an integer, True is not).
ODD_VALUES: list[Any] = [
    0,
    7,
    -1,
    1.0,
    0.5,
    True,
    False,
    None,
    "",
    "   ",
    "x",
    "x" * 2001,
    [],
    ["a"],
    {},
    {"a": 1},
    [1, 5],
    [1.0, 5],
    [True, 5],
    [1, 5, 7],
    {"role": "likert", "scale": [1, 5]},
    {"role": "ordinal", "levels": ["low", "high"]},
    "2026-02-30",
    "2026-2-3",
    "2026-02-28",
]


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _nodes(child, (*path, key))


def _field_names(schema: Any) -> list[str]:
    """Every property name the schema declares anywhere, to add fields the document lacks."""
    if isinstance(schema, list):
        return [name for item in schema for name in _field_names(item)]
    if not isinstance(schema, dict):
        return []
    names = list(schema.get("properties", {}))
    return names + [name for value in schema.values() for name in _field_names(value)]


def _mutate(data: Any, rng: random.Random, fields: list[str]) -> tuple[Any, str]:
    """A copy of `data` with one random change, and the change in words."""
    data = copy.deepcopy(data)
    path, node = rng.choice(list(_nodes(data)))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1] if path else None
    moves = ["replace", "replace", "replace"]
    if isinstance(node, dict):
        moves += ["add-key", "delete-key"] if node else ["add-key"]
    if isinstance(node, list) and node:
        moves += ["duplicate", "empty"]
    if isinstance(node, str) and path:
        moves += ["misspell"]
    if isinstance(node, (int, float)) and not isinstance(node, bool) and path:
        moves += ["retype-number"]
    move = rng.choice(moves)
    if move == "add-key":
        node[rng.choice([*fields, "unknown"])] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif move == "delete-key":
        del node[rng.choice(list(node))]
    elif move == "duplicate":
        node.append(copy.deepcopy(rng.choice(node)))
    elif move == "empty":
        node.clear()
    elif not path:
        data = copy.deepcopy(rng.choice(ODD_VALUES))
    elif move == "misspell":
        parent[last] = rng.choice([node + "x", node.upper(), node[:-1], f" {node}"])
    elif move == "retype-number":
        parent[last] = float(node) if isinstance(node, int) else int(node)
    else:
        parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    return data, f"{move} at {list(path)}"


MUTATED = [(p, PERSONA_SCHEMA) for p in sorted((ROOT / "personas").glob("*.yaml"))]
MUTATED.append((ROOT / "research" / "manifest.yaml", MANIFEST_SCHEMA))


@pytest.mark.parametrize(("path", "schema_path"), MUTATED, ids=lambda v: v.name)
def test_agrees_with_jsonschema_on_mutants(path: Path, schema_path: Path):
    schema = _schema(schema_path)
    is_valid, oracle = compile_schema(schema, FORMATS), _oracle(schema)
    assert is_valid is not None
    rng = random.Random(f"{path.name}-2026")
    data, fields = _data(path), sorted(set(_field_names(schema)))
    verdicts = []
    for _ in range(300):
        mutant, change = _mutate(data, rng, fields)
        if rng.random() < 0.3:  # a second change, so one fix can hide behind another break
            mutant, second = _mutate(mutant, rng, fields)
            change += f", then {second}"
        full = not list(oracle.iter_errors(mutant))
        assert is_valid(mutant) == full, change
        verdicts.append(full)
    assert 10 < sum(verdicts) < len(verdicts) - 100  # both verdicts, mostly broken


TREE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
}
COLUMN = {"$ref": "#/$defs/a~1b", "maxLength": 3, "$defs": {"a/b": {"type": "string"}}}
PATTERNED = {
    "properties": {"a": {}},
    "patternProperties": {"^x-": {"type": "string"}},
    "additionalProperties": False,
}
SCALE = {"prefixItems": [{"type": "integer"}, {"type": "integer"}], "items": {"type": "string"}}


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        ({"type": "integer"}, 1.0, True),
        ({"type": "integer"}, 1.5, False),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, True, False),
        ({"type": "number"}, 2, True),
        ({"type": ["string", "null"]}, None, True),
        ({"type": ["string", "null"]}, 0, False),
        ({"type": []}, "x", False),
        ({"enum": [1]}, 1.0, True),
        ({"enum": [1]}, True, False),
        ({"enum": [True]}, 1, False),
        ({"const": [1, {"a": 1}]}, [1.0, {"a": 1.0}], True),
        ({"const": [1, {"a": 1}]}, [True, {"a": 1}], False),
        ({"const": {"a": 1}}, {"a": 1, "b": 2}, False),
        ({"const": None}, False, False),
        ({"uniqueItems": True}, [1, 1.0], False),
        ({"uniqueItems": True}, [1, True], True),
        ({"uniqueItems": True}, [{"a": [1]}, {"a": [1.0]}], False),
        ({"uniqueItems": True}, ["a", "b"], True),
        ({"minimum": 0}, -1, False),
        ({"minimum": 0}, 0, True),
        ({"maximum": 1}, 1.0, True),
        ({"minimum": 0}, "x", True),
        ({"maximum": 0}, True, True),
        ({"exclusiveMinimum": 0}, 0, False),
        ({"exclusiveMaximum": 1}, 0.99, True),
        ({"maxLength": 2}, "éé", True),
        ({"maxLength": 2}, "abc", False),
        ({"maxLength": 2}, 12345, True),
        ({"pattern": "b"}, "abc", True),
        ({"pattern": "^b"}, "abc", False),
        ({"pattern": "^b"}, 3, True),
        (SCALE, [1, 5, "x"], True),
        (SCALE, [1, 5, 7], False),
        (SCALE, ["1", 5], False),
        (SCALE, [], True),
        ({"prefixItems": [{}], "items": False}, [1], True),
        ({"prefixItems": [{}], "items": False}, [1, 2], False),
        ({"minItems": 1, "maxItems": 1}, [], False),
        ({"minItems": 1}, "not a list", True),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 5, False),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, -1, True),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, "x", True),
        ({"oneOf": []}, 1, False),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, None, False),
        ({"allOf": [{"minimum": 0}, {"maximum": 1}]}, 2, False),
        ({"not": {"type": "string"}}, "x", False),
        ({"required": ["a"]}, {"b": 1}, False),
        ({"required": ["a"]}, ["a"], True),
        ({"minProperties": 1}, {}, False),
        ({"maxProperties": 1}, {"a": 1, "b": 2}, False),
        (PATTERNED, {"a": 1, "x-y": "s"}, True),
        (PATTERNED, {"x-y": 1}, False),
        (PATTERNED, {"b": 1}, False),
        ({"additionalProperties": {"type": "integer"}}, {"a": 1, "b": "2"}, False),
        ({"properties": {"a": False}}, {"a": 1}, False),
        ({"properties": {"a": False}}, {}, True),
        (True, {"anything": [1]}, True),
        (False, None, False),
        ({"format": "date"}, "2026-02-30", False),
        ({"format": "date"}, 20260228, True),
        ({"format": "email"}, "not an e-mail", True),
        (TREE, {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}, True),
        (TREE, {"name": "a", "children": [{"name": "b", "children": [{"age": 3}]}]}, False),
        (COLUMN, "abc", True),
        (COLUMN, "abcd", False),
        (COLUMN, 7, False),
    ],
)
def test_edge_cases_match_jsonschema(schema: Any, instance: Any, expected: bool):
    assert _agree(schema, instance) == (expected, expected)


def test_duplicates_that_jsonschema_misses_are_still_duplicates():
    # jsonschema sorts before comparing neighbours, so [1] and [1.0] end up apart here and it says "unique"
    is_valid = compile_schema({"uniqueItems": True}, FORMATS)
    assert is_valid is not None
    assert not is_valid([[1], [True], [1.0]])


@pytest.mark.parametrize(
    "schema",
    [
        {"if": {"type": "string"}, "then": {"minLength": 1}},
        {"contains": {"type": "string"}},
        {"properties": {"a": {"unevaluatedProperties": False}}},
        {"$ref": "other.schema.json"},
        {"$ref": "#named-anchor"},
        {"$ref": "#/$defs/missing"},
        {"$ref": "#/$defs/x", "$defs": {"x": {"$id": "x.json", "type": "string"}}},
        {"pattern": "("},
        {"minLength": "3"},
        {"type": "decimal"},
        {"items": [{"type": "string"}]},
    ],
)
def test_unsupported_schemas_leave_it_to_jsonschema(schema: Any):
    assert compile_schema(schema, FORMATS) is None


def test_unused_definitions_do_not_matter():
    schema = {"type": "string", "$defs": {"unused": {"if": {}}}}
    is_valid = compile_schema(schema, FORMATS)
    assert is_valid is not None
    assert is_valid("x") and not is_valid(1)


def test_a_schema_that_refers_to_itself_compiles_and_checks():
    is_valid = compile_schema(
        {"anyOf": [{"type": "null"}, {"type": "array", "items": {"$ref": "#"}}]}, FORMATS
    )
    assert is_valid is not None
    assert is_valid([[None, []], None]) and not is_valid([[1]])


def test_valid_repository_is_checked_without_jsonschema_invalid_file_loads_it(tmp_path: Path):
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import date
        from pathlib import Path

        from persona_map.check.check import check
        from persona_map.repository import Repository

        repo = Repository.open(Path({str(ROOT)!r}))
        result = check(repo, today=date(2026, 11, 28))
        assert not [f for f in result.findings if f.code.startswith("schema.")], result.findings
        assert "jsonschema" not in sys.modules, "jsonschema imported for a valid repository"
        bad = Path({str(DATA / "invalid" / "wrong-type.yaml")!r})
        assert any(f.code == "schema.type" for f in check(repo, [bad], date(2026, 11, 28)).findings)
        assert "jsonschema" in sys.modules
        """
    )
    env = {**os.environ, "PERSONA_MAP_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "valid").iterdir())) >= 2  # valid files are remembered


@pytest.mark.parametrize("schema_path", [PERSONA_SCHEMA, MANIFEST_SCHEMA], ids=lambda p: p.name)
def test_every_date_has_the_pattern_that_reports_text_of_the_wrong_shape(schema_path: Path):
    """The date format reports only impossible dates (2026-13-01); 14/10/2026 is the pattern's to report, once."""
    dates = [
        node
        for _, node in _nodes(_schema(schema_path))
        if isinstance(node, dict) and node.get("format") == "date"
    ]
    assert dates, "the schema declares dates"
    assert all(node.get("pattern") == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" for node in dates)
    assert not _is_date("2026-13-01") and _is_date("14/10/2026") and _is_date("2026-10-14")
