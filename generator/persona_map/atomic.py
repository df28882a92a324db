"""Atomic file writes: a temporary file next to the target, then one rename, so that readers see the old
file or the new one, never half of one, and a failed write leaves the old file and no temporary behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` (through a symlink to its target), keeping an existing file's permissions.

    Raises OSError when the file cannot be written; the original is then unchanged.
    """
    target = path.resolve() if path.is_symlink() else path
    tmp, fd = _temp_file(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_bytes(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _temp_file(target: Path) -> tuple[Path, int]:
    """Create a new, empty temporary file next to `target`; return its path and descriptor."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits already taken
            continue


def _write_bytes(handle: Any, data: bytes) -> None:
    """Write all of `data` to an open binary file (a seam for failure tests)."""
    handle.write(data)
