"""JSON-shaped data (what a YAML file loads to) addressed by paths such as ('spec', 'goals', 1)."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping
from decimal import Decimal
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


def normalize(value: Any, path: JsonPath = ()) -> Any:
    """`value` as the JSON-shaped data the YAML loader would return for it (dates become ISO text).

    Raises ValueError, naming the path, for what a persona file cannot hold.
    """
    if value is None or type(value) in (bool, int, float):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(f"{format_path(path)}: text is not valid Unicode ({e.reason})") from e
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real | Decimal):
        return _real(value)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"{format_path(path)}: mapping keys must be text")
        return {k: normalize(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v, (*path, i)) for i, v in enumerate(value)]
    raise ValueError(f"{format_path(path)}: cannot write a {type(value).__name__} value")


def _real(value: numbers.Real | Decimal) -> float:
    """A float from any real number, without binary noise from narrower types (float32, Decimal)."""
    try:
        return float(str(value))
    except ValueError:
        return float(value)
