"""Atomic writes: whole files or nothing, permissions and symlinks kept, no temporary files left behind."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from persona_map import atomic
from persona_map.atomic import (
    atomic_folder,
    atomic_output,
    create_atomic,
    remove_stale_temporaries,
    scratch_folder,
    temporaries,
    write_atomic,
)
from tests.conftest import ROOT


def test_write_atomic_writes_exact_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    text = "\ufeffa: 1\r\nb: Zoë\r\n"
    write_atomic(path, text.encode("utf-8"))
    assert path.read_bytes() == text.encode("utf-8")
    assert os.listdir(tmp_path) == ["p.yaml"]


def test_write_atomic_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)
    write_atomic(path, b"a: 2\n")
    assert path.read_text() == "a: 2\n"
    assert path.stat().st_mode & 0o7777 == 0o640


def test_write_atomic_writes_through_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("a: 1\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    write_atomic(link, b"a: 2\n")
    assert link.is_symlink()
    assert real.read_text() == "a: 2\n"


def test_write_atomic_leaves_the_original_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.yaml"
    original = (ROOT / "personas" / "platform-lead-priya.yaml").read_text(encoding="utf-8")
    path.write_text(original)

    def half_then_full(handle: Any, data: bytes) -> None:
        handle.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_bytes", half_then_full)
    with pytest.raises(OSError, match="No space left on device"):
        write_atomic(path, original.replace("a", "b").encode("utf-8"))
    assert path.read_text() == original
    assert os.listdir(tmp_path) == ["p.yaml"]


def test_write_atomic_leaves_the_original_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: 1\n")

    def refuse(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="Invalid cross-device link"):
        write_atomic(path, b"a: 2\n")
    assert path.read_text() == "a: 1\n"
    assert os.listdir(tmp_path) == ["p.yaml"]


def test_write_atomic_reports_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "p.yaml", b"a: 1\n")


def test_atomic_output_writes_nothing_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(path) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("the input broke")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_a_killed_writer_leaves_a_temporary_file_that_the_next_write_removes(tmp_path: Path) -> None:
    path = tmp_path / "routed.csv"
    code = (
        "import os, sys, signal\n"
        "from pathlib import Path\n"
        "from persona_map.atomic import atomic_output\n"
        "with atomic_output(Path(sys.argv[1])) as handle:\n"
        "    handle.write(b'partial'); handle.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True)
    assert proc.returncode == -9
    left = temporaries(path)
    assert len(left) == 1 and not path.exists(), os.listdir(tmp_path)
    write_atomic(path, b"complete")
    assert path.read_bytes() == b"complete"
    assert os.listdir(tmp_path) == ["routed.csv"]


def test_a_running_writers_temporary_file_is_not_removed(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    with atomic_output(path) as handle:
        handle.write(b"a: 1\n")
        assert remove_stale_temporaries(path) == []
        assert len(temporaries(path)) == 1
    assert path.read_bytes() == b"a: 1\n"


def test_create_atomic_writes_a_new_file_and_never_replaces_one(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    create_atomic(path, b"a: 1\n")
    assert path.read_bytes() == b"a: 1\n" and os.listdir(tmp_path) == ["new.yaml"]
    with pytest.raises(FileExistsError):
        create_atomic(path, b"a: 2\n")
    assert path.read_bytes() == b"a: 1\n" and os.listdir(tmp_path) == ["new.yaml"]
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(FileExistsError):
        create_atomic(dangling, b"a: 3\n")
    assert not (tmp_path / "nowhere.yaml").exists()


def test_create_atomic_refuses_a_file_that_appears_while_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new.yaml"

    def someone_else_creates_it(handle: Any, data: bytes) -> None:
        path.write_bytes(b"theirs\n")
        handle.write(data)

    monkeypatch.setattr(atomic, "_write_bytes", someone_else_creates_it)
    with pytest.raises(FileExistsError):
        create_atomic(path, b"ours\n")
    assert path.read_bytes() == b"theirs\n" and os.listdir(tmp_path) == ["new.yaml"]


def test_atomic_folder_appears_whole_and_replaces_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "parts"
    target.mkdir()
    (target / "old.csv").write_text("old")
    with atomic_folder(target) as folder:
        (folder / "part-0.csv").write_text("new")
        assert [p.name for p in target.iterdir()] == ["old.csv"], (
            "the old folder stays until the new one is done"
        )
    assert [p.name for p in target.iterdir()] == ["part-0.csv"]
    assert os.listdir(tmp_path) == ["parts"]


def test_atomic_folder_leaves_nothing_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "parts"
    with pytest.raises(RuntimeError), atomic_folder(target) as folder:
        (folder / "part-0.csv").write_text("half")
        raise RuntimeError("a worker died")
    assert os.listdir(tmp_path) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError), atomic_folder(tmp_path / "file"):
        pass


def test_a_killed_runs_temporary_folders_are_removed_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "routed.csv"
    stale = tmp_path / ".routed.csv.999999999-0123abcd.tmp"  # no process has that id
    (stale / "parts").mkdir(parents=True)
    (stale / "parts" / "part-0.csv").write_text("x")
    with scratch_folder(target) as work:
        assert work.parent == tmp_path and work.name.startswith(".routed.csv.")
        assert not stale.exists()
        (work / "staged.parquet").write_text("x")
    assert os.listdir(tmp_path) == []
