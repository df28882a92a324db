"""Edit persona YAML files surgically: change data-derived values and keep every other byte.

`apply_changes` never re-dumps a file. It composes the YAML to learn where each node sits, replaces or
inserts text at those positions only, then re-parses the result and refuses to return anything that
does not load to exactly the old data with the requested changes. The text of each new value comes
from persona_map.yaml_emit.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from persona_map.data_paths import JsonPath, difference, format_path, lookup, normalize, set_value
from persona_map.errors import EditError
from persona_map.yaml_emit import BOM, Style, block_lines, block_scalar, inline, is_block, nested
from persona_map.yaml_load import _NULL, parse


@dataclass(frozen=True)
class _Edit:
    """Replace text[start:end] with `text`."""

    start: int
    end: int
    text: str

    def apply(self, text: str) -> str:
        """The text with this edit made."""
        return text[: self.start] + self.text + text[self.end :]


@dataclass(frozen=True)
class _Target:
    """Where a change lands: the file, its text, the full path, the new value and the file's style."""

    file: str
    text: str
    path: JsonPath
    value: Any
    style: Style

    def fail(self, message: str) -> EditError:
        """An EditError naming the file and the path."""
        return EditError(f"{self.file}: cannot set {format_path(self.path)}: {message}")


# --- public API ----------------------------------------------------------------------------------


def apply_changes(text: str, changes: Mapping[JsonPath, Any], *, file: str = "<persona>") -> str:
    """Return `text` with each path set to its value, every other byte unchanged."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    before = _data(body, file, "it does not load")
    wanted = [(tuple(path), _json_value(value, file, tuple(path))) for path, value in changes.items()]
    current = body
    for path, value in wanted:
        current = _apply_one(current, path, value, file)
    _verify(before, current, wanted, file)
    return bom + current


def diff(path_label: str, old: str, new: str) -> str:
    """A unified diff of `old` and `new` labelled a/<path> and b/<path>."""
    out = difflib.unified_diff(_lines(old), _lines(new), f"a/{path_label}", f"b/{path_label}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


# --- one change ----------------------------------------------------------------------------------


def _apply_one(text: str, path: JsonPath, value: Any, file: str) -> str:
    """Apply one change to `text`, or return it unchanged if the value is already there."""
    if not path:
        raise EditError(f"{file}: cannot replace the whole document; name a path")
    found, current = lookup(_data(text, file, "an earlier change broke it"), path)
    if found and difference(current, value) is None:
        return text
    root = _compose(text, file)
    target = _Target(file, text, path, value, _style(text, root))
    return _plan(target, root).apply(text)


def _plan(t: _Target, root: Node) -> _Edit:
    """Find the node at the target's path and decide how to replace it or insert it."""
    node, parent, in_flow, shared = root, None, False, _shared(root)
    for i, part in enumerate(t.path):
        if id(node) in shared:
            raise t.fail(f"{_label(t.path[:i])} is reused elsewhere through an alias (*); write it out first")
        if isinstance(node, ScalarNode) and _is_null(node) and isinstance(part, str):
            return _replace(t, node, parent, in_flow, _nest(t, t.path[i:], t.value))
        child = _child(t, node, part, t.path[:i])
        if child is None:
            return _insert(t, node, t.path[i], _nest(t, t.path[i + 1 :], t.value))
        in_flow = in_flow or bool(getattr(node, "flow_style", False))
        node, parent = child, node
    if id(node) in shared:
        raise t.fail("the value is reused elsewhere through an alias (*); write it out first")
    return _replace(t, node, parent, in_flow, t.value)


def _child(t: _Target, node: Node, part: str | int, where: JsonPath) -> Node | None:
    """The child of `node` named by `part`; None if it is missing but could be added."""
    if isinstance(node, MappingNode):
        if not isinstance(part, str):
            raise t.fail(f"{_label(where)} is a mapping; use a key, not [{part}]")
        return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
    if isinstance(node, SequenceNode):
        if not isinstance(part, int) or isinstance(part, bool):
            raise t.fail(f"{_label(where)} is a list; use an index, not '{part}'")
        if 0 <= part < len(node.value):
            return node.value[part]
        if part == len(node.value):
            return None
        raise t.fail(f"{_label(where)} has {len(node.value)} items; index {part} is out of range")
    raise t.fail(f"{_label(where)} holds a single value, not a mapping or list")


def _nest(t: _Target, rest: JsonPath, value: Any) -> Any:
    """`value` wrapped in new mappings for the missing keys in `rest`."""
    for part in reversed(rest):
        if not isinstance(part, str):
            raise t.fail(f"cannot create list item [{part}] in a list that does not exist")
        value = {part: value}
    return value


# --- replacing an existing node ------------------------------------------------------------------


def _replace(t: _Target, node: Node, parent: Node | None, in_flow: bool, value: Any) -> _Edit:
    """Replace the text of an existing node with `value`, in the node's style family."""
    start, end = node.start_mark.index, _end(t.text, node)
    if in_flow:
        return _Edit(start, end, inline(value, flow=True))
    if isinstance(node, ScalarNode) and node.style in ("|", ">") and isinstance(value, str):
        lines = block_scalar(value, node.style == ">", _content_indent(t, node, parent))
        if lines is not None:
            return _Edit(start, end, t.style.nl.join(lines))
    if getattr(node, "flow_style", False) and isinstance(value, list | dict) and not nested(value):
        return _Edit(start, end, inline(value, flow=True))
    if not is_block(value):
        return _replace_inline(t, node, start, end, value)
    return _replace_block(t, node, parent, start, end, value)


def _replace_inline(t: _Target, node: Node, start: int, end: int, value: Any) -> _Edit:
    """Put a scalar or flow value where the node was; after the key's colon if the node began below it."""
    style = node.style if isinstance(node, ScalarNode) else None
    text = inline(value, flow=False, style=style)
    if start == end or not isinstance(node, ScalarNode):
        colon = _after_colon(t.text, start)
        if colon is not None:
            return _Edit(colon, end, " " + text)
    return _Edit(start, end, text)


def _replace_block(t: _Target, node: Node, parent: Node | None, start: int, end: int, value: Any) -> _Edit:
    """Put a block collection where the node was, at the node's indentation when it already had one."""
    nl, own_line = t.style.nl, _own_line(t.text, start)
    same_kind = isinstance(node, SequenceNode if isinstance(value, list) else MappingNode)
    if isinstance(parent, SequenceNode) or (own_line and same_kind):
        column = start - _line_start(t.text, start)
        lines = block_lines(value, column, t.style)
        return _Edit(start, end, nl.join([lines[0][column:], *lines[1:]]))
    if not isinstance(parent, MappingNode):
        raise t.fail("the document root cannot be replaced")
    lines = block_lines(value, parent.start_mark.column + t.style.indent(value), t.style)
    colon = _after_colon(t.text, start)
    if colon is not None:
        return _Edit(colon, end, nl + nl.join(lines))
    if own_line:
        return _Edit(_line_start(t.text, start), end, nl.join(lines))
    raise t.fail("cannot find the ':' before the value to turn it into a block")


def _content_indent(t: _Target, node: ScalarNode, parent: Node | None) -> int:
    """Indentation of a block scalar's content lines, as the author wrote them."""
    header_end = _line_end(t.text, node.start_mark.index)
    for line in t.text[header_end : node.end_mark.index].splitlines():
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    base = parent.start_mark.column if parent is not None else 0
    return base + t.style.step


# --- inserting a missing key or list item --------------------------------------------------------


def _insert(t: _Target, parent: Node, part: str | int, value: Any) -> _Edit:
    """Add `part: value` (or a list item) as the last entry of an existing mapping or list."""
    entry: Any = {part: value} if isinstance(parent, MappingNode) else [value]
    items = parent.value
    last = (items[-1][1] if isinstance(parent, MappingNode) else items[-1]) if items else None
    if parent.flow_style:
        text = inline(entry, flow=True)[1:-1]
        if last is None:
            return _Edit(parent.start_mark.index + 1, parent.start_mark.index + 1, text)
        at = _end(t.text, last)
        return _Edit(at, at, ", " + text)
    at = _line_end(t.text, _end(t.text, last))
    lines = block_lines(entry, parent.start_mark.column, t.style)
    return _Edit(at, at, t.style.nl + t.style.nl.join(lines))


# --- positions -----------------------------------------------------------------------------------


def _end(text: str, node: Node) -> int:
    """Index just past the node's own text: its last character, never the comments after it."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style:
        last = node.value[-1]
        return _end(text, last[1] if isinstance(node, MappingNode) else last)
    start, end = node.start_mark.index, node.end_mark.index
    if not (isinstance(node, ScalarNode) and node.style in ("|", ">")):
        return end
    chunk = text[start:end]
    last = len(chunk.rstrip())
    return min(_line_end(text, start + last), end)


def _line_start(text: str, index: int) -> int:
    """Index of the first character of the line holding `index`."""
    return max(text.rfind(c, 0, index) for c in "\r\n") + 1


def _line_end(text: str, index: int) -> int:
    """Index of the line break ending the line that holds `index` (or the end of the text)."""
    breaks = [i for i in (text.find(c, index) for c in "\r\n") if i >= 0]
    return min(breaks, default=len(text))


def _own_line(text: str, index: int) -> bool:
    """True if only spaces precede `index` on its line."""
    return not text[_line_start(text, index) : index].strip(" ")


def _after_colon(text: str, index: int) -> int | None:
    """Index just after the ':' that precedes `index` across whitespace only, or None."""
    i = index
    while i > 0 and text[i - 1] in " \t\r\n":
        i -= 1
    return i if i > 0 and text[i - 1] == ":" else None


# --- emitting values -----------------------------------------------------------------------------


# --- reading and checking ------------------------------------------------------------------------


def _compose(text: str, file: str) -> Node:
    """The node graph of `text`, with positions (character indices)."""
    yaml = YAML(typ="safe", pure=False)
    yaml.version = (1, 2)
    try:
        return yaml.compose(text)
    except YAMLError as e:  # pragma: no cover - parse() already accepted this text
        raise EditError(f"{file}: cannot read YAML: {e}") from e


def _data(text: str, file: str, why: str) -> Any:
    """The JSON-shaped data of `text`, or an EditError explaining why it does not load."""
    doc, findings = parse(text, file)
    if doc is None:
        first = findings[0]
        raise EditError(f"{file}: cannot update: {why}: line {first.line}: {first.message}")
    return doc.data


def _verify(before: Any, text: str, changes: list[tuple[JsonPath, Any]], file: str) -> None:
    """Raise unless `text` loads to `before` with exactly `changes` applied."""
    after = _data(text, file, "the edit would break the YAML, so nothing was changed")
    expected = copy.deepcopy(before)
    for path, value in changes:
        expected = set_value(expected, path, copy.deepcopy(value))
    where = difference(after, expected)
    if where is not None:
        raise EditError(
            f"{file}: the edit would change {format_path(where) or 'the document'} unexpectedly "
            f"(changing {', '.join(format_path(p) for p, _ in changes)}); nothing was changed"
        )


# --- file helpers --------------------------------------------------------------------------------


def _style(text: str, root: Node) -> Style:
    """The file's indentation step, sequence offset and line ending."""
    first = text.find("\n")
    nl = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    step = offset = None
    for key, value in _block_pairs(root):
        gap = value.start_mark.column - key.start_mark.column
        if isinstance(value, MappingNode) and step is None and gap > 0:
            step = gap
        elif isinstance(value, SequenceNode) and offset is None and gap >= 0:
            offset = gap
    return Style(step or 2, 2 if offset is None else offset, nl)


def _block_pairs(node: Node) -> list[tuple[Node, Node]]:
    """(key, value) pairs of block mappings whose value is a block collection on its own line."""
    pairs: list[tuple[Node, Node]] = []
    if isinstance(node, MappingNode) and not node.flow_style:
        for key, value in node.value:
            if isinstance(value, MappingNode | SequenceNode) and not value.flow_style:
                if value.start_mark.line > key.start_mark.line:
                    pairs.append((key, value))
                pairs += _block_pairs(value)
    elif isinstance(node, SequenceNode) and not node.flow_style:
        for item in node.value:
            pairs += _block_pairs(item)
    return pairs


def _shared(root: Node) -> set[int]:
    """Ids of nodes reached more than once: anchored values that aliases (*name) repeat."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack += [v for _, v in node.value]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return shared


def _is_null(node: ScalarNode) -> bool:
    """True for a plain null scalar (empty, ~ or null)."""
    return not node.style and bool(_NULL.match(node.value))


def _label(path: JsonPath) -> str:
    """A path for messages; the root is 'the document'."""
    return format_path(path) or "the document"


def _lines(text: str) -> list[str]:
    """Lines split at '\\n' only, each keeping its line ending."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _json_value(value: Any, file: str, path: JsonPath) -> Any:
    try:
        return normalize(value, path)
    except ValueError as e:
        raise EditError(f"{file}: {e}") from e
