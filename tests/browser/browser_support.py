"""Shared by the browser tests and their conftest: paths, Chromium lookup, recorded page activity."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT

FIXTURE_PERSONAS = ROOT / "tests" / "data" / "xss"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# What `mkdocs build` reads: the config, the hand-written pages, and everything the plugin checks.
BUILD_INPUTS = ("mkdocs.yml", "site", "personas", "research", "schema", "pyproject.toml")
# Not read by the build, but listed under `watch:` in mkdocs.yml, which fails when a path is missing.
OPTIONAL_INPUTS = ("generator/persona_map/pages/templates",)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCAL_HOST = "127.0.0.1"
# Every request any browser test made this session, as (page URL at the time, request URL).
SESSION_REQUESTS: list[tuple[str, str]] = []


def is_external(url: str) -> bool:
    """True for a URL on any host but 127.0.0.1 (data:, blob: and about: URLs stay in the page)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about", "") and parts.hostname != LOCAL_HOST


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        return f"Python Playwright is not installed ({e}); install it into the venv"
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (set env CHROMIUM to its path, or apt-get install chromium)"
    return None


def require_browser() -> None:
    """Call at module level of a browser test module: skip it locally, fail it in CI."""
    problem = browser_problem()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
    pytest.skip(f"browser tests skipped: {problem}", allow_module_level=True)


@dataclass
class BuiltSite:
    """The temporary repository copy, its built site and the URL it is served at."""

    repo: Path
    out: Path
    base_url: str

    def url(self, path: str = "/") -> str:
        return self.base_url + "/" + path.lstrip("/")


@dataclass
class Recorder:
    """What a page did: console errors, uncaught exceptions, dialogs and every requested URL."""

    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (message, source URL)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def external_requests(self) -> list[str]:
        return [url for url in self.requests if is_external(url)]

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions, except failed loads of external URLs.

        Those are requests that should not happen at all; `external_requests` reports them once,
        instead of every test failing on the same cause.
        """
        external = set(self.external_requests())
        console = [text for text, url in self.console_errors if url not in external]
        return [*(f"console: {e}" for e in console), *(f"pageerror: {e}" for e in self.page_errors)]


@dataclass
class Session:
    context: Any
    page: Any
    recorder: Recorder
