"""YAML 1.2 text for values: scalars plain when that is safe and quoted when not, flow and block
collections laid out in a file's own style, and literal or folded block scalars.

Every string written here reads back as exactly the same string, in YAML 1.2 and in YAML 1.1 readers
(which would take a plain `no` or `on` for a boolean).
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from persona_map.yaml_load import _BOOL, _FLOAT, _HEX, _INF, _INT, _NAN, _NULL, _OCT, parse

BOM = "\ufeff"
WRAP = 88  # folded block scalars are re-wrapped to this line width

# Plain scalars that YAML 1.1 readers (PyYAML, many editors) would not read as text.
_YAML11 = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|=|<<"
    r"|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?"
    r"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?)$"
)
_FIRST = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW = set(",[]{}:")
_BREAKS = "\r\n\x85\u2028\u2029"


@dataclass(frozen=True)
class Style:
    """How a file lays out blocks: mapping indent step, sequence offset under a key, line ending."""

    step: int = 2
    offset: int = 2
    nl: str = "\n"

    def indent(self, value: Any) -> int:
        """Extra indentation of a block `value` under its key."""
        return self.offset if isinstance(value, list) else self.step


def is_block(value: Any) -> bool:
    """True for values written as block collections: non-empty lists and mappings."""
    return isinstance(value, list | dict) and bool(value)


def nested(value: list | dict) -> bool:
    """True if a collection holds collections."""
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(item, list | dict) for item in items)


def block_lines(value: Any, column: int, style: Style) -> list[str]:
    """Lines of a block collection starting at `column`, each with its full indentation."""
    pad, lines = " " * column, []
    for key, item in value.items() if isinstance(value, dict) else ((None, v) for v in value):
        head = f"{pad}- " if key is None else f"{pad}{scalar(key, flow=False)}:"
        if not is_block(item):
            lines.append(f"{head}{'' if key is None else ' '}{inline(item, flow=False)}")
        elif key is None:
            sub = block_lines(item, column + 2, style)
            lines += [head + sub[0][column + 2 :], *sub[1:]]
        else:
            lines += [head, *block_lines(item, column + style.indent(item), style)]
    return lines


def inline(value: Any, *, flow: bool, style: str | None = None) -> str:
    """A scalar, or a flow collection, on one line."""
    if isinstance(value, list):
        return "[" + ", ".join(inline(item, flow=True) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{scalar(k, flow=True)}: {inline(v, flow=True)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return scalar(value, flow=flow, style=style)


def scalar(value: Any, *, flow: bool, style: str | None = None) -> str:
    """YAML 1.2 text for a scalar; strings keep the author's quote style where they had one."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if style == "'" and _printable(value, breaks=False):
        return "'" + value.replace("'", "''") + "'"
    if style != '"' and _plain_ok(value, flow):
        return value
    return _double(value)


def _float(value: float) -> str:
    """Shortest text that reads back as the same float."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _plain_ok(s: str, flow: bool) -> bool:
    """True if `s` can be written unquoted and still reads back as this exact string everywhere."""
    if not s or s != s.strip(" ") or s[0] in _FIRST or s.startswith("..."):
        return False
    if ": " in s or " #" in s or s.endswith(":") or not _printable(s, breaks=False) or "\t" in s:
        return False
    if flow and any(c in _FLOW for c in s):
        return False
    return not _typed(s)


def _typed(s: str) -> bool:
    """True if a plain `s` would read as null, a boolean or a number (YAML 1.2 or 1.1)."""
    core = (_NULL, _INT, _OCT, _HEX, _FLOAT, _INF, _NAN, _YAML11)
    return s in _BOOL or any(pattern.match(s) for pattern in core)


def _printable(s: str, *, breaks: bool) -> bool:
    """True if every character may appear literally in YAML (line breaks only if `breaks`)."""
    return all(_printable_char(c) and (breaks or c not in _BREAKS) and c != BOM for c in s)


def _printable_char(c: str) -> bool:
    """The YAML 1.2 printable character set."""
    o = ord(c)
    return (
        c in "\t\n\r\x85"
        or 0x20 <= o <= 0x7E
        or 0xA0 <= o <= 0xD7FF
        or 0xE000 <= o <= 0xFFFD
        or 0x10000 <= o <= 0x10FFFF
    )


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _double(s: str) -> str:
    """A double-quoted YAML string; anything unprintable or line-breaking is escaped."""
    out = []
    for c in s:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif _printable_char(c) and c not in _BREAKS and c != BOM:
            out.append(c)
        else:
            o = ord(c)
            out.append(f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
    return '"' + "".join(out) + '"'


def block_scalar(s: str, folded: bool, indent: int) -> list[str] | None:
    """A literal (|) or folded (>) block scalar as lines, header first; None if `s` does not fit one."""
    lines = _block_body(s, folded, max(WRAP - indent, 40))
    if lines is None:
        return None
    header = (">" if folded else "|") + ("" if s.endswith("\n") else "-")
    probe = "k: " + "\n".join([header, *(f"  {line}" if line else "" for line in lines)]) + "\n"
    doc, _ = parse(probe, "<probe>")
    if doc is None or doc.data != {"k": s}:
        return None
    return [header, *(" " * indent + line if line else "" for line in lines)]


def _block_body(s: str, folded: bool, width: int) -> list[str] | None:
    """Content lines of a block scalar for `s` (without indentation), or None."""
    body = s[:-1] if s.endswith("\n") else s
    if (
        not body.strip()
        or body.endswith("\n")
        or body[0] in " \t\n"
        or not _printable(body.replace("\n", ""), breaks=False)
    ):
        return None
    if not folded:
        return body.split("\n")
    lines: list[str] = []
    for part in re.split(r"(\n+)", body):
        if part.startswith("\n"):
            lines += [""] * len(part)
        elif part[0] in " \t":
            return None
        elif "  " in part or "\t" in part or part.endswith(" "):
            lines.append(part)
        else:
            lines += textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False)
    return lines


def dump_document(doc: Any) -> str:
    """A document built or loaded with ruamel.yaml's round-trip types as text, with its comments."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: keeps the comments and quotes whatever needs quoting
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # long lines stay whole: a folded quote reads worse than a long line
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()
