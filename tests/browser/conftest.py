"""Real-browser tests of the built site: one `mkdocs build --strict` per session, served on 127.0.0.1.

The build runs in a temporary copy of the repository with the fixture personas of tests/data/xss/
added, so the published site is never touched. Chromium is the Debian one (/usr/bin/chromium, or env
CHROMIUM); the browser tests are skipped without it, and fail when env CI is set.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    BUILD_INPUTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    FIXTURE_PERSONAS,
    LOCAL_HOST,
    OPTIONAL_INPUTS,
    ROOT,
    SESSION_REQUESTS,
    BuiltSite,
    Recorder,
    Session,
    in_ci,
)

EXTERNAL_URL = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z][a-z0-9+.-]*://")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: real-browser tests of the built site (Playwright + Chromium)"
    )


def _mkdocs() -> str:
    candidates = [Path(sys.executable).parent / "mkdocs", ROOT / ".venv" / "bin" / "mkdocs"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("mkdocs")
    if found is None:
        pytest.fail(
            "mkdocs not found next to the Python running the tests, in .venv/bin or on PATH", pytrace=False
        )
    return found


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


def _build(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Path:
    """Copy the repository, add the fixture personas and build the site with `engine`."""
    repo = tmp_path_factory.mktemp(f"browser-site-{engine}")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in (*BUILD_INPUTS, *OPTIONAL_INPUTS):
        source = ROOT / name
        if not source.exists():
            if name in OPTIONAL_INPUTS:
                continue
            pytest.fail(f"{source} is missing: cannot build the site", pytrace=False)
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    for persona in sorted(FIXTURE_PERSONAS.glob("*.yaml")):
        shutil.copy2(persona, repo / "personas" / persona.name)

    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if engine == "mkdocs":
        command = [_mkdocs(), "build", "--strict"]
    else:
        command = [str(Path(sys.executable).parent / "personas"), "site", "--engine", engine]
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed (exit {result.returncode}) in {repo}:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    out = repo / "build" / "site"
    assert (out / "index.html").is_file(), f"the build wrote no {out / 'index.html'}"
    return repo


@contextlib.contextmanager
def _serve(repo: Path) -> Iterator[BuiltSite]:
    out = repo / "build" / "site"
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="browser-site-server", daemon=True)
    thread.start()
    try:
        yield BuiltSite(repo=repo, out=out, base_url=f"http://{LOCAL_HOST}:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    """The site built by `mkdocs build --strict` from a copy with the fixture personas, on 127.0.0.1."""
    with _serve(_build(tmp_path_factory, "mkdocs")) as site:
        yield site


@pytest.fixture(scope="session")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    """The same site built by `personas site --engine zensical` (skipped without Zensical; CI has it)."""
    if subprocess.run([sys.executable, "-c", "import zensical"], capture_output=True).returncode != 0:
        if in_ci():
            pytest.fail(
                "Zensical is not installed (the zensical extra): CI tests both engines", pytrace=False
            )
        pytest.skip("Zensical is not installed (pip install 'persona-map[zensical]')")
    with _serve(_build(tmp_path_factory, "zensical")) as site:
        yield site


@pytest.fixture(params=["mkdocs", "zensical"])
def engine_site(request: pytest.FixtureRequest) -> BuiltSite:
    """The site built by each engine in turn."""
    return request.getfixturevalue("built_site" if request.param == "mkdocs" else "zensical_site")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as e:  # a broken install must not look like a skipped test in CI
            message = f"cannot launch Chromium at {CHROMIUM}: {e}"
            if in_ci():
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(**context_options) -> Session: a fresh context and page with a Recorder attached."""
    contexts = []

    def open_(**options: Any) -> Session:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("timezone_id", "UTC")
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        recorder = Recorder()
        pages: list[Any] = []

        def on_request(request: Any) -> None:
            recorder.requests.append(request.url)
            SESSION_REQUESTS.append((pages[0].url if pages else "", request.url))

        context.on("request", on_request)
        # Recorded above, then refused: the tests never wait on (or leak to) the internet.
        context.route(EXTERNAL_URL, lambda route: route.abort("blockedbyclient"))
        page = context.new_page()
        pages.append(page)

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                url = msg.location.get("url", "")
                recorder.console_errors.append((f"{msg.text} ({url})" if url else msg.text, url))

        page.on("console", on_console)
        page.on("pageerror", lambda error: recorder.page_errors.append(str(error)))

        def on_dialog(dialog: Any) -> None:
            recorder.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return Session(context, page, recorder)

    yield open_
    for context in contexts:
        context.close()
