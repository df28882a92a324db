"""What changed in each persona file, from git: the date, the author and which fields each commit changed.

Two git processes for the whole site, whatever the number of personas: one `git log` over personas/ and
one `git cat-file --batch` for the file versions it names. Outside a git checkout (or without git) there
is simply no history, and nothing is shown.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

KEEP = 20  # changes read per persona: enough for "since the last review" and a short history
_KEY = re.compile(r"^(\s*(?:-\s+)*)([A-Za-z_][\w-]*)\s*:(?:\s|$)")
_NO_BLOB = "0" * 40


@dataclass(frozen=True)
class Change:
    """One commit's change to one persona file."""

    commit: str
    day: date
    author: str
    fields: tuple[str, ...]  # 'goals', 'pain_points', 'review', ... in file order


@dataclass(frozen=True)
class History:
    """Changes per persona file (repository-relative path), newest first."""

    changes: dict[str, list[Change]] = field(default_factory=dict)

    def of(self, file: str) -> list[Change]:
        return self.changes.get(file, [])

    def since(self, file: str, day: date | None) -> list[Change]:
        """Changes committed after `day` (the day of the last review; every change when None)."""
        return [c for c in self.of(file) if day is None or c.day > day]


def changed_fields(changes: list[Change]) -> list[str]:
    """Every field the changes touched, each once, in the order first met."""
    return list(dict.fromkeys(f for change in changes for f in change.fields))


def read_history(root: Path, folder: str = "personas") -> History:
    """The history of every persona file under `root/folder`; empty outside a git checkout."""
    log = _git(
        root,
        ["log", "--no-renames", "--no-abbrev", "--raw", "--relative", "--format=%x1e%H%x1f%as%x1f%an"],
        ["--", f"{folder}/*.yaml"],
    ).decode("utf-8", "replace")
    if not log:
        return History()
    entries: dict[str, list[tuple[str, date, str, str, str]]] = {}
    for record in log.split("\x1e")[1:]:
        head, _, raw = record.partition("\n")
        commit, day, author = (head.split("\x1f") + ["", "", ""])[:3]
        try:
            when = date.fromisoformat(day)
        except ValueError:
            continue
        for line in raw.splitlines():
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) < 5 or not path.endswith(".yaml"):
                continue
            kept = entries.setdefault(path, [])
            if len(kept) < KEEP:
                kept.append((commit, when, author, parts[2], parts[3]))
    blobs = _read_blobs(
        root, {b for rows in entries.values() for row in rows for b in row[3:] if b != _NO_BLOB}
    )
    changes = {
        path: [
            Change(commit[:10], when, author, _fields(blobs.get(old, ""), blobs.get(new, "")))
            for commit, when, author, old, new in rows
        ]
        for path, rows in entries.items()
    }
    return History(changes)


def _git(
    root: Path, args: list[str], tail: tuple[str, ...] | list[str] = (), stdin: bytes | None = None
) -> bytes:
    """What `git ARGS TAIL` prints; nothing when git is missing or fails (no history, not an error)."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args, *tail],
            input=stdin,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return b""  # no git here: no history
    return proc.stdout if proc.returncode == 0 else b""


def _read_blobs(root: Path, ids: set[str]) -> dict[str, str]:
    """The text of each file version, all through one `git cat-file --batch`."""
    if not ids:
        return {}
    order = sorted(ids)
    data = _git(root, ["cat-file", "--batch"], stdin="".join(f"{blob}\n" for blob in order).encode())
    out, at = {}, 0
    while at < len(data):
        end = data.index(b"\n", at)
        header = data[at:end].split()
        at = end + 1
        if len(header) != 3:  # "<id> missing"
            continue
        size = int(header[2])
        out[header[0].decode()] = data[at : at + size].decode("utf-8", "replace")
        at += size + 1
    return out


def line_fields(text: str) -> list[str | None]:
    """The persona field each line of a YAML persona file belongs to ('goals', 'review', ...)."""
    stack: list[tuple[int, str]] = []
    out: list[str | None] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            out.append(None)
            continue
        match = _KEY.match(line)
        indent = len(match[1]) if match else len(line) - len(line.lstrip())
        while stack and (stack[-1][0] >= indent if match else stack[-1][0] > indent):
            stack.pop()
        if match:
            stack.append((indent, match[2]))
        keys = [key for _, key in stack]
        if len(keys) > 1 and keys[0] in ("metadata", "spec"):
            out.append(keys[1])
        else:
            out.append(keys[0] if keys else None)
    return out


def _fields(old: str, new: str) -> tuple[str, ...]:
    """The fields whose lines differ between two versions of a persona file ('whole file' when added)."""
    if not old.strip():
        return ("whole file",)
    before, after = old.splitlines(), new.splitlines()
    of_old, of_new = line_fields(old), line_fields(new)
    found: dict[str, None] = {}
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for name in [*of_old[i1:i2], *of_new[j1:j2]]:
            if name:
                found.setdefault(name, None)
    return tuple(found)
