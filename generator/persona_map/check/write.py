"""Writing persona files: the edits `personas suggest --apply` planned, each file atomically."""

from __future__ import annotations

from persona_map.atomic import write_atomic
from persona_map.errors import EditError
from persona_map.repository import Repository


def write_personas(repo: Repository, edits: dict[str, tuple[str, str]]) -> list[str]:
    """Write every edited persona file (file -> (old, new) text); returns the files written."""
    written = []
    for file, (_, new) in edits.items():
        path = repo.root / file
        try:
            write_atomic(path, new.encode("utf-8"))
        except OSError as e:
            raise EditError(f"{file}: cannot write file: {e.strerror or e}; it was left unchanged") from e
        written.append(file)
    return written
