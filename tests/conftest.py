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
    for folder in ("personas", "research", "schema", "site"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in ("pyproject.toml", "mkdocs.yml"):
        shutil.copy(ROOT / name, root / name)
    return root


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/data/golden from the renderer"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
