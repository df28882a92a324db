"""Read YAML files safely as YAML 1.2, shaped like JSON, keeping every node's line and column.

Hostile or broken files (empty, binary, wrong encoding, tabs, duplicate keys, alias bombs, huge files)
become findings, never exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from persona_map.data_paths import JsonPath, format_path
from persona_map.errors import YamlLimit
from persona_map.findings import Finding, Severity
from persona_map.yaml_syntax import list_items_in_text, syntax_finding

MAX_BYTES = 256 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 64


# YAML 1.2 core schema: only these plain scalars are not strings. Dates stay strings; yes/no/on/off too.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_STANDARD_TAG = re.compile(r"^tag:yaml\.org,2002:(?:str|int|float|bool|null|timestamp|map|seq)$")


@dataclass
class Document:
    """A loaded YAML file: its JSON-shaped data and where each value and key sits in the text."""

    file: str
    data: Any
    values: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    text: str = ""

    def position(self, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path`, or of its key; the nearest known parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def finding(
        self,
        path: JsonPath,
        message: str,
        hint: str,
        code: str,
        severity: Severity = Severity.ERROR,
        *,
        key: bool = False,
    ) -> Finding:
        """A finding at the value (or key) at `path` in this document."""
        line, column = self.position(path, key=key)
        return Finding(self.file, line, column, format_path(path), message, hint, code, severity)


def read_text(path: Path, display: str, *, max_bytes: int = MAX_BYTES) -> tuple[str | None, list[Finding]]:
    """Read a file as UTF-8 text, or explain why it cannot be read."""

    def fail(message: str, hint: str, code: str, line: int = 0, column: int = 0):
        return None, [Finding(display, line, column, "", message, hint, code)]

    try:
        size = path.stat().st_size
    except OSError as e:
        return fail(
            f"cannot read file: {e.strerror or e}",
            "check the path and its permissions",
            "file.unreadable",
        )
    if size > max_bytes:
        return fail(
            f"file is {size / 1024 / 1024:.1f} MiB; the limit is {max_bytes // 1024} KiB",
            "a persona is a page of text: split it or remove pasted data",
            "file.too-large",
        )
    try:
        raw = path.read_bytes()
    except OSError as e:
        return fail(
            f"cannot read file: {e.strerror or e}",
            "check the path and its permissions",
            "file.unreadable",
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return fail("file is UTF-16 encoded", "save it as UTF-8", "file.encoding")
    if b"\x00" in raw:
        return fail("file is binary, not text", "persona files are UTF-8 YAML text", "file.binary")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark is harmless; editors on Windows add it
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return fail(
            f"not valid UTF-8 (byte 0x{raw[e.start]:02x})",
            "save the file as UTF-8",
            "file.encoding",
            line,
            column,
        )
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return fail("file is empty", "start from an example persona in personas/", "file.empty")
    return text, []


def load(
    path: Path, display: str | None = None, *, max_bytes: int = MAX_BYTES
) -> tuple[Document | None, list[Finding]]:
    """Load one YAML file; return the document, or None and the findings that explain why not."""
    display = display or str(path)
    text, findings = read_text(path, display, max_bytes=max_bytes)
    if text is None:
        return None, findings
    return parse(text, display)


def parse(text: str, display: str) -> tuple[Document | None, list[Finding]]:
    """Parse YAML text into a Document, or findings."""
    deep = _too_deep(text)
    if deep:
        return None, [
            Finding(
                display,
                deep,
                1,
                "",
                "YAML is nested too deeply",
                "flatten the structure",
                "yaml.depth",
            )
        ]
    yaml = YAML(typ="safe", pure=False)  # libyaml via ruamel.yaml.clib when present: 10x faster
    yaml.version = (1, 2)
    try:
        nodes = list(yaml.compose_all(text))
    except MarkedYAMLError as e:
        return None, [syntax_finding(e, display, text)]
    except YAMLError as e:
        return None, [Finding(display, 1, 1, "", f"invalid YAML: {e}", "", "yaml.syntax")]
    except RecursionError:
        return None, [
            Finding(
                display,
                1,
                1,
                "",
                "YAML is nested too deeply",
                "flatten the structure",
                "yaml.depth",
            )
        ]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None, [
            Finding(
                display,
                1,
                1,
                "",
                "file is empty",
                "start from an example persona in personas/",
                "file.empty",
            )
        ]
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        return None, [
            Finding(
                display,
                line,
                1,
                "",
                "file holds more than one YAML document",
                "keep one persona per file; remove the '---' separator",
                "yaml.multiple-documents",
            )
        ]
    doc = Document(display, None, text=text)
    converter = _Converter(doc)
    try:
        doc.data = converter.convert(nodes[0], (), 0)
    except YamlLimit as e:
        mark = e.node.start_mark
        return None, [Finding(display, mark.line + 1, mark.column + 1, "", e.message, e.hint, "yaml.limits")]
    if converter.findings:
        return None, converter.findings
    return doc, converter.warnings


def _too_deep(text: str) -> int:
    """The line where flow brackets nest past the limit, or 0; the parser is slow on such input."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    depth, line = 0, 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "\n":
            line += 1
    return 0


class _Converter:
    """Turn a composed node graph into JSON-shaped data, recording positions and limits."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0
        self.findings: list[Finding] = []
        self.warnings: list[Finding] = []
        self._lines: list[str] | None = None

    def convert(self, node: Node, path: JsonPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlLimit(
                f"document expands to more than {MAX_NODES:,} values (aliases that repeat themselves?)",
                "remove anchors (&) and aliases (*); write the values out",
                node,
            )
        if depth > MAX_DEPTH:
            raise YamlLimit("YAML is nested too deeply", "flatten the structure", node)
        mark = node.start_mark
        self.doc.values.setdefault(path, (mark.line + 1, mark.column + 1))
        tag = str(node.tag)
        if tag.startswith("!") or (tag.startswith("tag:") and not _STANDARD_TAG.match(tag)):
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self._error(
                node,
                f"unsupported YAML tag {shown}",
                "remove the tag; write plain values",
                "yaml.tag",
            )
        if isinstance(node, ScalarNode):
            if not node.style and node.end_mark.line > mark.line:
                if self._lines is None:
                    self._lines = self.doc.text.splitlines()
                self.warnings += list_items_in_text(self._lines, node, path, self.doc.file)
            return _scalar(node)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        self._error(node, "unsupported YAML node", "", "yaml.node")  # pragma: no cover
        return None

    def _mapping(self, node: MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._error(key_node, "a key must be plain text", "write the key as a word", "yaml.key")
                continue
            if key_node.value == "<<" and not key_node.style:
                self._error(
                    key_node,
                    "merge keys (<<) are not supported",
                    "write the fields out",
                    "yaml.merge",
                )
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in out:
                self._error(
                    key_node,
                    f"duplicate key '{key}' (first defined on line {first_line[key]})",
                    "keep one of them; YAML keeps only the last, silently",
                    "yaml.duplicate-key",
                    path=(*path, key),
                )
                continue
            first_line[key] = line
            self.doc.keys[(*path, key)] = (line, key_node.start_mark.column + 1)
            out[key] = self.convert(value_node, (*path, key), depth + 1)
        return out

    def _error(self, node: Node, message: str, hint: str, code: str, path: JsonPath = ()) -> None:
        mark = node.start_mark
        self.findings.append(
            Finding(
                self.doc.file,
                mark.line + 1,
                mark.column + 1,
                format_path(path),
                message,
                hint,
                code,
            )
        )


def _scalar(node: ScalarNode) -> Any:
    value = node.value
    if node.style:  # quoted or block scalars are always text (plain is None, or "" from libyaml)
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value
