"""`personas site` with both engines, `personas export --pdf`, and `make serve` with an invalid persona."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

PERSONAS = str(Path(sys.executable).parent / "personas")
ENV = {**os.environ, "NO_COLOR": "1"}
HAS_ZENSICAL = subprocess.run([sys.executable, "-c", "import zensical"], capture_output=True).returncode == 0
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def personas(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [PERSONAS, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env or ENV
    )


def need_zensical() -> None:
    if not HAS_ZENSICAL:
        if IN_CI:
            pytest.fail("Zensical is not installed (the zensical extra); CI builds with both engines")
        pytest.skip("Zensical is not installed (pip install 'persona-map[zensical]')")


@pytest.mark.parametrize("engine", ["mkdocs", "zensical"])
def test_site_builds_every_page_into_build_site(repo_copy: Path, engine: str):
    if engine == "zensical":
        need_zensical()
    proc = personas("site", "--root", str(repo_copy), "--engine", engine)
    assert proc.returncode == 0, proc.stderr
    out = repo_copy / "build" / "site"
    assert f"with {engine} into {out}" in proc.stdout
    ids = sorted(p.stem for p in (repo_copy / "personas").glob("*.yaml"))
    for page in [
        "index.html",
        "compare/index.html",
        "research/index.html",
        "schema/index.html",
        "tags/index.html",
    ]:
        assert (out / page).is_file(), page
    for pid in ids:
        page = (out / "personas" / pid / "index.html").read_text()
        name = json.loads((out / "personas.json").read_text())["personas"]
        assert f"<title>{next(p['name'] for p in name if p['id'] == pid)}" in page, (
            "the window title names it"
        )
        edit = re.search(r'<a href="([^"]+)" title="Edit this page"', page)
        assert edit and edit[1].endswith(f"/edit/main/personas/{pid}.yaml"), "the edit button opens the YAML"
        assert (out / "personas" / pid / "empathy-map" / "index.html").is_file()
    tags = (out / "tags" / "index.html").read_text()
    links = re.findall(r'<a href="\.\./personas/[^"]+/">\s*([^<]+?)\s*</a>', tags)
    assert links and set(links) <= {p["name"] for p in name}, f"tags list persona names: {links}"
    assert "Persona" not in links
    compare = (out / "compare" / "index.html").read_text()
    edit = re.search(r'<a href="([^"]+)" title="Edit this page"', compare)
    assert edit and edit[1].endswith("/tree/main/personas")
    guide = (out / "review-policy" / "index.html").read_text()
    assert "/edit/main/site/review-policy.md" in guide, "hand-written pages keep their own edit links"


@pytest.mark.parametrize("engine", ["mkdocs", "zensical"])
def test_site_without_a_schema_folder_and_with_material_emoji(repo_copy: Path, engine: str):
    """The tool's own schema has no edit button (it linked a path on the building machine), and mkdocs.yml
    may use Material's !!python/name settings (Zensical's staged copy could not write them: internal error)."""
    if engine == "zensical":
        need_zensical()
    shutil.rmtree(repo_copy / "schema")
    config = repo_copy / "mkdocs.yml"
    config.write_text(
        config.read_text()
        .replace("  - research\n  - schema\n", "  - research\n")  # no folder to watch
        .replace(
            "  - tables\n",
            "  - tables\n  - pymdownx.emoji:\n"
            "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
            "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n",
        )
    )
    proc = personas("site", "--root", str(repo_copy), "--engine", engine)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    schema = (repo_copy / "build" / "site" / "schema" / "index.html").read_text()
    assert "apiVersion" in schema
    assert 'title="Edit this page"' not in schema and str(ROOT) not in schema
    persona = (repo_copy / "build" / "site" / "personas" / "developer-dev" / "index.html").read_text()
    assert re.search(
        r'<a href="[^"]+/edit/main/personas/developer-dev\.yaml" title="Edit this page"', persona
    )


def test_site_with_an_invalid_persona_lists_the_findings(repo_copy: Path):
    persona = repo_copy / "personas" / "developer-dev.yaml"
    persona.write_text(persona.read_text().replace("tier: primary", "tier: Primary"))
    proc = personas("site", "--root", str(repo_copy))
    assert proc.returncode == 1
    assert "metadata.tier: 'Primary' is not one of primary, secondary" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (repo_copy / "build" / "site").exists()


def test_site_without_zensical_says_how_to_install_it(repo_copy: Path, tmp_path: Path):
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nclass _No:\n    def find_spec(self, name, *a):\n"
        "        if name == 'zensical' or name.startswith('zensical.'):\n"
        "            raise ModuleNotFoundError(name)\nsys.meta_path.insert(0, _No())\n"
    )
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    proc = personas("site", "--root", str(repo_copy), "--engine", "zensical", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Zensical is not installed" in proc.stderr and "persona-map[zensical]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_site_refuses_an_unknown_engine(repo_copy: Path):
    proc = personas("site", "--root", str(repo_copy), "--engine", "hugo")
    assert proc.returncode == 2 and "'hugo' is not one of 'mkdocs', 'zensical'" in proc.stderr


# --- export --------------------------------------------------------------------------------------


def test_export_writes_one_page_pdfs(repo_copy: Path, tmp_path: Path):
    if not Path(CHROMIUM).is_file():
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from pypdf import PdfReader

    shutil.copy(ROOT / "tests" / "data" / "xss" / "xss-probe.yaml", repo_copy / "personas")
    out = tmp_path / "pdf"
    proc = personas(
        "export", "--pdf", "--root", str(repo_copy), "--out", str(out), env={**ENV, "CHROMIUM": CHROMIUM}
    )
    assert proc.returncode == 0, proc.stderr
    ids = sorted(p.stem for p in (repo_copy / "personas").glob("*.yaml"))
    files = sorted(out.glob("*.pdf"))
    assert [f.name for f in files] == sorted(
        [f"{i}.pdf" for i in ids] + [f"{i}-empathy-map.pdf" for i in ids]
    )
    for pdf in files:
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1, f"{pdf.name} has {len(reader.pages)} pages"
        width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
        assert abs(width - 595) < 2 and abs(height - 842) < 2, f"{pdf.name} is not A4: {width} x {height}"
    text = PdfReader(out / "platform-lead-priya.pdf").pages[0].extract_text()
    assert "Priya, the Platform Lead" in text and "Pain points".upper() in text.upper()
    proc = personas(
        "export", "--pdf", "developer-dev", "--root", str(repo_copy), "--out", str(tmp_path / "one"),
        env={**ENV, "CHROMIUM": CHROMIUM},
    )  # fmt: skip
    assert proc.returncode == 0 and len(list((tmp_path / "one").glob("*.pdf"))) == 2


def test_export_without_chromium_says_how_to_install_it(repo_copy: Path, tmp_path: Path):
    env = {**ENV, "PATH": str(tmp_path)}
    env.pop("CHROMIUM", None)
    proc = personas("export", "--pdf", "--root", str(repo_copy), env=env)
    assert proc.returncode == 1
    assert "headless Chromium prints the PDFs and was not found" in proc.stderr
    assert "apt-get install chromium" in proc.stderr and "Traceback" not in proc.stderr


def test_export_needs_a_format_and_known_ids(repo_copy: Path):
    proc = personas("export", "--root", str(repo_copy))
    assert proc.returncode == 2 and "choose what to export: --pdf" in proc.stderr
    proc = personas("export", "--pdf", "nobody", "--root", str(repo_copy), env={**ENV, "CHROMIUM": ""})
    assert proc.returncode == 1 and "no persona 'nobody'; known ids:" in proc.stderr


# --- serve ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _wait_for(url: str, text: str, seconds: float) -> str:
    """Poll until the page holds `text` (a hanging request would time out after 5 s and fail the wait)."""
    deadline = time.monotonic() + seconds
    page = ""
    while time.monotonic() < deadline:
        page = _fetch(url)
        if text in page:
            return page
        time.sleep(0.3)
    raise AssertionError(f"{url} never showed {text!r}; last page:\n{page[:2000]}")


def test_make_serve_shows_findings_in_the_browser_and_no_end_of_life_banner(repo_copy: Path, tmp_path: Path):
    """The README's serve command: an invalid persona's findings are served, not a hanging request."""
    readme = (ROOT / "README.md").read_text()
    assert "make serve " in readme.split("## Repository layout")[0], "the README documents make serve"
    shutil.copy(ROOT / "Makefile", repo_copy / "Makefile")
    port = _free_port()
    log = tmp_path / "serve.log"
    venv = Path(sys.executable).parent.parent
    with log.open("w") as handle:
        server = subprocess.Popen(
            ["make", "-o", "install", "serve", f"VENV={venv}", f"SERVE_ADDR=127.0.0.1:{port}"],
            cwd=repo_copy,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in ENV.items() if k != "NO_MKDOCS_2_WARNING"},
        )
    url = f"http://127.0.0.1:{port}/personas/developer-dev/"
    persona = repo_copy / "personas" / "developer-dev.yaml"
    original = persona.read_text()
    try:
        _wait_for(url, "Dev, the Startup Developer", 90)
        persona.write_text(original.replace("tier: primary", "tier: Primary"))
        page = _wait_for(url, "The personas have problems", 60)
        assert "metadata.tier" in page and "is not one of primary, secondary" in page
        assert "personas/developer-dev.yaml:" in page
        assert "The personas have problems" in _fetch(f"http://127.0.0.1:{port}/")
        persona.write_text(original)
        _wait_for(url, 'class="pm-glance"', 60)
    finally:
        persona.write_text(original)
        server.terminate()
        server.wait(timeout=20)
    output = log.read_text()
    assert "Serving on" in output or "serving on" in output.lower(), output[-2000:]
    assert "end of life" not in output, "the documented serve command shows Material's banner"
