"""Shared fixtures: the repository's root, the day the tests run on, and throwaway copies of the repository."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 28)  # every review date in the example personas is current on this day
REPOSITORY_FOLDERS = ("personas", "research", "schema", "site")
REPOSITORY_FILES = ("pyproject.toml", "mkdocs.yml")


PLACEHOLDER_URL = "https://github.com/acme/persona-map"
COPY_URL = "https://github.com/northwind/persona-map"  # a copy is someone's own repository


def copy_repository(root: Path, folders: tuple[str, ...] = REPOSITORY_FOLDERS) -> Path:
    """A copy of the repository's personas, research, schema, site and config at `root`, safe to edit.

    The copy names a repository URL of its own, so `personas check` has no placeholder to warn about.
    """
    root.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in REPOSITORY_FILES:
        shutil.copy(ROOT / name, root / name)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(PLACEHOLDER_URL, COPY_URL), encoding="utf-8"
    )
    return root


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's personas, research, schema and config, safe to edit."""
    return copy_repository(tmp_path / "repo")


def pytest_configure(config: pytest.Config) -> None:
    """The tests never write into the user's cache: caches go to a folder of this test session."""
    os.environ["PERSONA_MAP_CACHE"] = tempfile.mkdtemp(prefix="persona-map-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.get("PERSONA_MAP_CACHE", "")
    if folder and Path(folder).name.startswith("persona-map-test-cache-"):
        shutil.rmtree(folder, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/data/golden from the renderer"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
