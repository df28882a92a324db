"""A yes/no JSON Schema 2020-12 check compiled to closures, so jsonschema is imported only for invalid files.

It answers what `not list(Draft202012Validator(schema).iter_errors(x))` answers for the keywords it knows
(tests/test_schema_check.py holds it to that); a schema using any other keyword compiles to None, and then
callers use jsonschema for everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from persona_map.errors import UnsupportedSchema

Check = Callable[[Any], bool]

# Keywords that never change whether an instance is valid.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "definitions"}
    | {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
_STRING = frozenset({"pattern", "minLength", "maxLength"})
_NUMBER = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_ARRAY = frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems"})
_OBJECT = frozenset(
    {"properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties"}
)
_OTHER = frozenset({"type", "const", "enum", "format", "$ref", "allOf", "anyOf", "oneOf", "not"})
_KNOWN = _ANNOTATIONS | _STRING | _NUMBER | _ARRAY | _OBJECT | _OTHER


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_integer(x: object) -> bool:
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, dict),
}


def _equal(one: object, two: object) -> bool:
    """JSON equality as jsonschema has it: 1 == 1.0, but True != 1, also inside lists and mappings."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(i, j) for i, j in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(k in two and _equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return one == two


def _unique(items: list[Any]) -> bool:
    # Every pair, so [[1], [True], [1.0]] has a duplicate; jsonschema's sort-then-compare-neighbours misses
    # it and says unique. Stricter here only costs a jsonschema run that then finds nothing.
    if all(isinstance(item, str) for item in items):
        return len(set(items)) == len(items)
    return not any(_equal(a, b) for i, a in enumerate(items) for b in items[i + 1 :])


def compile_schema(schema: object, formats: Mapping[str, Callable[[object], bool]]) -> Check | None:
    """A fast `is_valid(instance)` for `schema`, or None when the schema uses a keyword this module lacks."""
    try:
        return _Compiler(schema, formats).compile(schema)
    except UnsupportedSchema:
        return None


class _Compiler:
    def __init__(self, root: object, formats: Mapping[str, Callable[[object], bool]]) -> None:
        self.root, self.formats = root, formats
        # id(subschema) -> one-element cell, filled once compiled; a $ref back into a schema still being
        # compiled reads the cell at call time, so cycles end.
        self.done: dict[int, list[Check]] = {}

    def compile(self, node: object) -> Check:
        cell = self.done.get(id(node))
        if cell is None:
            cell = self.done[id(node)] = []
            cell.append(self._build(node))
        if cell:
            return cell[0]
        return lambda x: cell[0](x)

    def _build(self, node: object) -> Check:
        if isinstance(node, bool):
            return (lambda x: True) if node else (lambda x: False)
        if not isinstance(node, dict) or not _KNOWN.issuperset(node):
            raise UnsupportedSchema
        if node is not self.root and "$id" in node:
            raise UnsupportedSchema  # a nested $id moves where "#/..." points
        checks = [*self._general(node)]
        for keys, build in (
            (_STRING, self._string),
            (_NUMBER, self._number),
            (_ARRAY, self._array),
            (_OBJECT, self._object),
        ):
            if not keys.isdisjoint(node):
                checks.append(build(node))
        return _all(checks)

    def _general(self, node: dict[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if "type" in node:
            names = [node["type"]] if isinstance(node["type"], str) else node["type"]
            if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
                raise UnsupportedSchema
            tests = [_TYPES[n] for n in names]
            checks.append(tests[0] if len(tests) == 1 else lambda x: any(t(x) for t in tests))
        if "const" in node:
            const = node["const"]
            checks.append(lambda x: _equal(x, const))
        if "enum" in node:
            choices = _list(node["enum"])
            checks.append(lambda x: any(_equal(c, x) for c in choices))
        if "format" in node:
            if not isinstance(node["format"], str):
                raise UnsupportedSchema
            test = self.formats.get(node["format"])
            if test is not None:
                checks.append(lambda x: bool(test(x)))
        if "$ref" in node:
            checks.append(self.compile(self._target(node["$ref"])))
        for key in ("allOf", "anyOf", "oneOf"):
            if key in node:
                subs = [self.compile(s) for s in _list(node[key])]
                if key == "allOf":
                    checks.append(_all(subs))
                elif key == "anyOf":
                    checks.append(lambda x, subs=subs: any(s(x) for s in subs))
                else:
                    checks.append(lambda x, subs=subs: sum(1 for s in subs if s(x)) == 1)
        if "not" in node:
            sub = self.compile(node["not"])
            checks.append(lambda x: not sub(x))
        return checks

    def _target(self, ref: object) -> object:
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise UnsupportedSchema
        node = self.root
        for token in unquote(ref[2:]).split("/") if ref != "#" else ():
            part = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise UnsupportedSchema
            if isinstance(node, dict) and "$id" in node:
                raise UnsupportedSchema  # a nested $id moves where "#/..." points
        return node

    def _string(self, node: dict[str, Any]) -> Check:
        low, high = _count(node, "minLength"), _count(node, "maxLength")
        try:
            search = re.compile(node["pattern"]).search if "pattern" in node else None
        except (re.error, TypeError) as e:
            raise UnsupportedSchema from e

        def check(x: Any) -> bool:
            if not isinstance(x, str):
                return True
            if (low is not None and len(x) < low) or (high is not None and len(x) > high):
                return False
            return search is None or search(x) is not None

        return check

    def _number(self, node: dict[str, Any]) -> Check:
        bounds = {key: node[key] for key in _NUMBER if key in node}
        if not all(_is_number(v) for v in bounds.values()):
            raise UnsupportedSchema
        low, high = bounds.get("minimum"), bounds.get("maximum")
        above, below = bounds.get("exclusiveMinimum"), bounds.get("exclusiveMaximum")

        def check(x: Any) -> bool:
            if not _is_number(x):
                return True
            return not (
                (low is not None and x < low)
                or (high is not None and x > high)
                or (above is not None and x <= above)
                or (below is not None and x >= below)
            )

        return check

    def _array(self, node: dict[str, Any]) -> Check:
        prefix = [self.compile(s) for s in _list(node.get("prefixItems", []))]
        rest = self.compile(node["items"]) if "items" in node else None
        low, high = _count(node, "minItems"), _count(node, "maxItems")
        unique = node.get("uniqueItems", False)
        if not isinstance(unique, bool):
            raise UnsupportedSchema

        def check(x: Any) -> bool:
            if not isinstance(x, list):
                return True
            if (low is not None and len(x) < low) or (high is not None and len(x) > high):
                return False
            if not all(test(item) for test, item in zip(prefix, x, strict=False)):
                return False
            if rest is not None and not all(rest(item) for item in x[len(prefix) :]):
                return False
            return not unique or _unique(x)

        return check

    def _object(self, node: dict[str, Any]) -> Check:
        properties = node.get("properties", {})
        patterns = node.get("patternProperties", {})
        if not isinstance(properties, dict) or not isinstance(patterns, dict):
            raise UnsupportedSchema
        known = {key: self.compile(s) for key, s in properties.items()}
        try:
            by_pattern = [(re.compile(p).search, self.compile(s)) for p, s in patterns.items()]
            # jsonschema tells extras by the patterns joined into one regex; do the same
            joined = "|".join(patterns)
            any_pattern = re.compile(joined).search if joined else None
        except re.error as e:
            raise UnsupportedSchema from e
        extra = self.compile(node["additionalProperties"]) if "additionalProperties" in node else None
        required = _list(node.get("required", []))
        if not all(isinstance(key, str) for key in required):
            raise UnsupportedSchema
        low, high = _count(node, "minProperties"), _count(node, "maxProperties")

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            if (low is not None and len(x) < low) or (high is not None and len(x) > high):
                return False
            if not all(key in x for key in required):
                return False
            for key, value in x.items():
                test = known.get(key)
                if test is not None:
                    if not test(value):
                        return False
                elif extra is not None and not (any_pattern and any_pattern(key)) and not extra(value):
                    return False
                if by_pattern and not all(sub(value) for search, sub in by_pattern if search(key)):
                    return False
            return True

        return check


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda x: True
    if len(checks) == 1:
        return checks[0]
    return lambda x: all(check(x) for check in checks)


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise UnsupportedSchema
    return value


def _count(node: dict[str, Any], key: str) -> int | None:
    if key not in node:
        return None
    value = node[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UnsupportedSchema
    return value
