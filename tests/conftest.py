"""Shared fixtures: a throwaway copy of this repository to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's personas, research, schema and config, safe to edit."""
    root = tmp_path / "repo"
    root.mkdir()
    for folder in ("personas", "research", "schema"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root
