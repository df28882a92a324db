"""Atomic file writes: a temporary file next to the target, flushed to disk, then one rename.

Readers see the old file or the new one, never half of one; a failed write leaves the old file and no
temporary behind. Temporary files are named `.<name>.<pid>-<random>.tmp`, so one left by a process that was
killed (SIGKILL gives no chance to clean up) is recognised and removed by the next write to the same target.
Folders work the same way (`atomic_folder`: filled under a temporary name, renamed when complete), and so do
scratch folders for work files (`scratch_folder`: always removed).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` (through a symlink to its target), keeping an existing file's permissions.

    Raises OSError when the file cannot be written; the original is then unchanged.
    """
    with atomic_output(path) as handle:
        _write_bytes(handle, data)


@contextlib.contextmanager
def atomic_output(path: Path, buffering: int = 1 << 20) -> Iterator[BinaryIO]:
    """A binary file to write `path` through: renamed over `path` when the block ends without an error.

    The data is flushed and fsynced before the rename, so a crash never leaves a renamed but empty file.
    On an error (or KeyboardInterrupt) the temporary file is removed and `path` is untouched.
    """
    target = path.resolve() if path.is_symlink() else path
    remove_stale_temporaries(target)
    tmp, fd = _temp_file(target)
    try:
        with os.fdopen(fd, "wb", buffering=buffering) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _copy_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def create_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a new file `path` atomically; FileExistsError when it exists, even if it appears meanwhile."""
    tmp = _stage(path, data)
    try:
        try:
            os.link(tmp, path)  # unlike a rename, a hard link never replaces a file
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: check, then rename
            if path.exists() or path.is_symlink():
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def temporaries(target: Path) -> list[Path]:
    """Temporary files of writes to `target` (this process's and other processes')."""
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return []
    return [p for p in siblings if (m := _TEMP.match(p.name)) and m["name"] == target.name]


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove temporary files of earlier writes to `target` whose process no longer runs; return them."""
    removed = []
    for tmp in temporaries(target):
        match = _TEMP.match(tmp.name)
        if match and not _alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                if tmp.is_dir() and not tmp.is_symlink():
                    shutil.rmtree(tmp)
                else:
                    tmp.unlink()
                removed.append(tmp)
    return removed


@contextlib.contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """A new, empty folder to fill: renamed to `path` when the block ends without an error, removed otherwise.

    An existing folder at `path` is replaced (moved aside, the new one renamed in, the old one removed).
    """
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_dir():
        raise FileExistsError(errno.EEXIST, f"{target} exists and is not a folder")
    remove_stale_temporaries(target)
    tmp = _temp_folder(target)
    try:
        yield tmp
        if target.is_dir():
            old = _temp_folder(target)
            os.replace(target, old)
            try:
                os.rename(tmp, target)
            except OSError:
                os.rename(old, target)
                raise
            remove_folder(old)
        else:
            os.rename(tmp, target)
    except BaseException:
        remove_folder(tmp)
        raise


@contextlib.contextmanager
def scratch_folder(near: Path | None = None) -> Iterator[Path]:
    """A folder for work files next to `near` (named after it) or in the system's temporary folder; always removed."""
    target = near if near is not None else Path(tempfile.gettempdir()) / "persona-map"
    remove_stale_temporaries(target)
    tmp = _temp_folder(target)
    try:
        yield tmp
    finally:
        remove_folder(tmp)


def remove_folder(path: Path, attempts: int = 50) -> None:
    """Remove a folder and everything in it, even while other processes still add files to it (a Dask task
    that was cancelled but still runs): once the folder is gone, nothing can be written into it any more."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.1)


def _temp_name(target: Path) -> Path:
    """A new temporary name next to `target`: `.<name>.<pid>-<random>.tmp` (what _TEMP recognises)."""
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _temp_folder(target: Path) -> Path:
    """Create a new, empty folder named like a temporary file of `target`."""
    while True:
        tmp = _temp_name(target)
        try:
            tmp.mkdir()
            return tmp
        except FileExistsError:  # pragma: no cover - 32 random bits already taken
            continue


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _temp_file(target: Path) -> tuple[Path, int]:
    """Create a new, empty temporary file next to `target`; return its path and descriptor."""
    while True:
        tmp = _temp_name(target)
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits already taken
            continue


def _copy_mode(target: Path, tmp: Path) -> None:
    """An existing file keeps its permissions; a new one gets what the umask allows (as os.open gave)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, target.stat().st_mode & 0o7777)


def _stage(target: Path, data: bytes) -> Path:
    """`data` in a new temporary file next to `target`, on disk and with `target`'s permissions: ready to be
    renamed (or linked) into place. Nothing is left behind when it fails."""
    remove_stale_temporaries(target)
    tmp, fd = _temp_file(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_bytes(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_mode(target, tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def _write_bytes(handle: BinaryIO, data: bytes) -> None:
    """Write all of `data` to an open binary file (a seam for failure tests)."""
    handle.write(data)


def write_all(files: dict[Path, bytes]) -> None:
    """Write several files all or nothing: every new content is on disk before the first rename.

    Read-only targets are refused before anything is written. If a rename fails, the files already
    replaced get their old content back; raises OSError naming what happened (and any file that could not
    be restored, which is then the only one changed).
    """
    targets = {(path.resolve() if path.is_symlink() else path): data for path, data in files.items()}
    refused = [str(p) for p in targets if p.exists() and _read_only(p)]
    if refused:
        raise PermissionError(errno.EACCES, f"read-only, not replaced: {', '.join(refused)}")
    old = {p: p.read_bytes() for p in targets if p.exists()}
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in targets.items():
            staged.append((_stage(target, data), target))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    done: list[Path] = []
    for index, (tmp, target) in enumerate(staged):
        try:
            os.replace(tmp, target)
            done.append(target)
        except OSError as e:
            for rest, _ in staged[index:]:
                with contextlib.suppress(OSError):
                    rest.unlink()
            unrestored = _restore(done, old)
            detail = f"; could not restore {', '.join(map(str, unrestored))}" if unrestored else ""
            raise OSError(
                e.errno, f"{target}: {e.strerror or e}; restored the files already written{detail}"
            ) from e


def _read_only(path: Path) -> bool:
    """No write permission for us, or none at all (root may write anything: a read-only mode still means "keep")."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def _restore(done: list[Path], old: dict[Path, bytes]) -> list[Path]:
    """Put back the old content of `done` files (removing ones that did not exist); returns those that failed."""
    failed = []
    for path in done:
        try:
            if path in old:
                write_atomic(path, old[path])
            else:
                path.unlink()
        except OSError:
            failed.append(path)
    return failed
