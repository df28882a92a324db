"""JSON-shaped data (what a YAML file loads to) addressed by paths such as ('spec', 'goals', 1)."""

from __future__ import annotations

import math
from typing import Any

JsonPath = tuple[str | int, ...]


def format_path(path: JsonPath) -> str:
    """('spec', 'goals', 1) -> 'spec.goals[1]'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def get(data: Any, *path: str | int) -> Any:
    """The value at `path`, or None when any step is missing or of the wrong shape."""
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and -len(data) <= part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            return None
    return data


def lookup(data: Any, path: JsonPath) -> tuple[bool, Any]:
    """(True, value) if `path` exists in `data`, else (False, None)."""
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            return False, None
        data = data[part]
    return True, data


def set_value(data: Any, path: JsonPath, value: Any) -> Any:
    """`data` with `value` at `path` (changed in place where it can be), creating mappings on the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int) and head == len(data):
        data.append(set_value({}, rest, value) if rest else value)
    elif isinstance(data, list) and isinstance(head, int):
        data[head] = set_value(data[head], rest, value)
    else:
        data = data if isinstance(data, dict) else {}
        data[head] = set_value(data.get(head), rest, value)
    return data


def difference(a: Any, b: Any, path: JsonPath = ()) -> JsonPath | None:
    """The first path where `a` and `b` differ in value, type or key order; None if they are equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return path
        return next((p for k in a if (p := difference(a[k], b[k], (*path, k))) is not None), None)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path
        pairs = enumerate(zip(a, b, strict=True))
        return next((p for i, (x, y) in pairs if (p := difference(x, y, (*path, i))) is not None), None)
    same_nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    return None if same_nan or (type(a) is type(b) and a == b) else path
