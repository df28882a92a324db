"""Untrusted text made inert where other systems render it: GitHub Markdown (issues, pull requests) and terminals.

Persona and research text reaches GitHub through `personas review` (the reminder issue) and `personas suggest`
(a pull-request description) and report.md. There it must show exactly what was written and do nothing else:
no @-mention that notifies someone, no #123 reference or closing keyword ("Fixes #1"), no link, image, HTML,
table cell break or heading. Markdown syntax is escaped with backslashes; GitHub's autolinks (mentions,
references, URLs, GH-123) are broken with an invisible word joiner (U+2060), so the text reads the same.
"""

from __future__ import annotations

import re
import unicodedata

JOINER = "\u2060"  # WORD JOINER: invisible, and no autolink spans it
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~$&])")  # what makes markup anywhere in a line
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=>])")  # lists, headings by underline, quotes
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_AUTOLINKS = (
    (re.compile(r"@(?=[\w-])"), "@" + JOINER),  # @user, @org/team
    (re.compile(r"#(?=\w)"), "#" + JOINER),  # #12, GH#12 (a closing keyword needs one)
    (re.compile(r"(?<=[A-Za-z])(?=://)"), JOINER),  # https://...
    (re.compile(r"(?i)\bwww(?=\.)"), "www" + JOINER),  # www.example.com
    (re.compile(r"(?i)\bGH(?=-\d)"), "GH" + JOINER),  # GH-26
)
# C0 and C1 control characters except tab and line feed, and ANSI escape sequences.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def github_text(value: object) -> str:
    """Text for one line of GitHub Markdown (a sentence, a list item, a table cell): shows, never acts."""
    text = _NEWLINES.sub(" ", terminal_text(value)).strip()
    text = _SPECIAL.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)
    for pattern, replacement in _AUTOLINKS:
        text = pattern.sub(replacement, text)
    return text


def github_quote(value: object) -> str:
    """Multi-line text as one GitHub Markdown block quote: every line stays inside the quote."""
    lines = [github_text(line) for line in terminal_text(value).strip().splitlines()]
    return "\n".join(f"> {line}" if line else ">" for line in lines) or ">"


def github_cell(value: object) -> str:
    """Text for one cell of a GitHub Markdown table (a `|` cannot end the cell)."""
    return github_text(value)


def github_code(value: object) -> str:
    """Text for a code span in a GitHub Markdown table cell: `` `{github_code(x)}` ``."""
    text = _NEWLINES.sub(" ", terminal_text(value)).strip()
    return text.replace("`", "'").replace("|", "\\|") or " "


def terminal_text(value: object) -> str:
    """Text safe to print on a terminal: control characters and escape sequences removed."""
    text = str(value)
    if text.isprintable():
        return text
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cc" or c in "\t\n")
