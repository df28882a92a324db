"""YAML mistakes in plain words: parser errors with their likely fix, and list items that became text.

An extra space of indentation is the commonest mistake in a hand-edited persona and YAML's own words for it
("mapping values are not allowed here") point elsewhere: these say what happened and where to indent.
"""

from __future__ import annotations

import re

from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import ScalarNode

from persona_map.data_paths import JsonPath, format_path
from persona_map.findings import Finding, Severity


def syntax_finding(e: MarkedYAMLError, display: str, text: str) -> Finding:
    """A parser error as a finding: its line and column, the problem in words and the likely fix."""
    mark = e.problem_mark or e.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (e.problem or e.context or "invalid YAML").strip()
    hint = "check indentation and quoting on this line"
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1][: max(column, 1) + 1]:
        problem, hint = "tab character used for indentation", "indent with spaces, not tabs"
    elif "\t" in problem:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "put text that contains ': ' in quotes"
        indented = _over_indented_key(lines, line, column)
        if indented:
            problem, hint, column = indented
    elif 0 < line <= len(lines) and lines[line - 1][column - 1 : column] in ("@", "`"):
        hint = f'put values that start with {lines[line - 1][column - 1]} in quotes, e.g. owner: "@acme/team"'
    return Finding(display, line, column, "", f"invalid YAML: {problem}", hint, "yaml.syntax")


# `key: value` at the start of a line, or of a list item: the key and the colon that ends it.
_KEY_LINE = re.compile(
    r"^(?P<indent> *)(?:- +)?(?P<key>[^\s#'\"\-?:,\[\]{}|>&*!%@`][^:#]*?) *(?P<colon>:)(?: |$)"
)


def _over_indented_key(lines: list[str], line: int, column: int) -> tuple[str, str, int] | None:
    """Explain "mapping values are not allowed" when a key is indented deeper than the `key: value` above it.

    YAML then reads the deeper key as more text of that value and fails at its colon. Returns the problem,
    the hint and the key's column, or None when the colon is inside a value (text that needs quotes).
    """
    here = _KEY_LINE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if here is None or here.start("colon") != column - 1:
        return None
    key, key_column = here["key"], here.start("key")
    above = _line_above(lines, line, key_column)
    if above is None:
        return None
    number, match = above
    value = lines[number - 1][match.end() :].strip()
    if not value or value.startswith(("#", "|", ">")):
        return None  # a key with a nested block under it: deeper keys are its fields, not this mistake
    owner, owner_column = match["key"], match.start("key")
    if owner_column > len(match["indent"]):
        under = f" (fields of the list item on line {number})"
    else:
        parent = _line_above(lines, number, owner_column)
        under = f" (fields of '{parent[1]['key']}', line {parent[0]})" if parent else ""
    return (
        f"'{key}' is indented deeper than '{owner}' (line {number}) above it, so YAML reads it as more of "
        f"{owner}'s text",
        f"an indentation problem: start '{key}' in column {owner_column + 1} like '{owner}'{under}; "
        f"if it is text, put {owner}'s value in quotes",
        key_column + 1,
    )


def _line_above(lines: list[str], before: int, column: int) -> tuple[int, re.Match[str]] | None:
    """The nearest `key:` line above line `before` (1-based) whose key starts left of `column`."""
    for index in range(before - 2, -1, -1):
        text = lines[index]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(text)
        if match and match.start("key") < column:
            return index + 1, match
        if text.lstrip(" ").startswith("-") and len(text) - len(text.lstrip(" ")) < column:
            return None  # the text above belongs to a list item, not to a key
    return None


def list_items_in_text(lines: list[str], node: ScalarNode, path: JsonPath, file: str) -> list[Finding]:
    """Warnings for `- item` lines that an extra space of indentation made part of the plain text above them."""
    warnings = []
    first = node.start_mark.line
    for index in range(first + 1, min(node.end_mark.line + 1, len(lines))):
        text = lines[index].lstrip(" ")
        if text == "-" or text.startswith("- "):
            warnings.append(
                Finding(
                    file,
                    index + 1,
                    len(lines[index]) - len(text) + 1,
                    format_path(path),
                    f"'{text[:40]}' is read as more text of the item on line {first + 1}, not as an item of its own",
                    f"indent its '-' like the '-' on line {first + 1} (or quote the text if the dash belongs to it)",
                    "yaml.list-item-indent",
                    Severity.WARNING,
                )
            )
    return warnings
