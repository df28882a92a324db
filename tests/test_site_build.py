"""The whole site through `mkdocs build --strict`, as a user runs it, on a copy of the repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

MKDOCS = str(Path(sys.executable).parent / "mkdocs")


def build(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [MKDOCS, "build", "--strict"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_strict_build_makes_every_page(repo_copy: Path):
    proc = build(repo_copy)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr
    out = repo_copy / "build" / "site"
    for page in [
        "index.html",
        "compare/index.html",
        "research/index.html",
        "schema/index.html",
        "tags/index.html",
        "persona-map-vs-empathy-map/index.html",
        "propose-a-change/index.html",
        "review-policy/index.html",
    ]:
        assert (out / page).is_file(), page
    personas = sorted((repo_copy / "personas").glob("*.yaml"))
    assert len(personas) == 4
    for persona in personas:
        page = (out / "personas" / persona.stem / "index.html").read_text()
        assert f'/edit/main/personas/{persona.stem}.yaml"' in page, "edit link points at the YAML file"
        assert (out / "personas" / persona.stem / "empathy-map" / "index.html").is_file()
    data = json.loads((out / "personas.json").read_text())
    assert len(data["personas"]) == 4
    index = json.loads((out / "search" / "search_index.json").read_text())
    assert any("Pipeline sprawl" in doc["text"] for doc in index["docs"]), "pain points are searchable"


def test_the_site_requests_nothing_from_other_hosts(repo_copy: Path):
    assert build(repo_copy).returncode == 0
    external = re.compile(r"""(?:src|href)=["'](?:https?:)?//(?!github\.com/northwind/persona-map)[^"']+""")
    pages = sorted((repo_copy / "build" / "site").rglob("*.html"))
    assert len(pages) >= 12, "the build wrote the site's pages"
    for page in pages:
        for match in external.finditer(page.read_text()):
            # <a href> to the repository is a link, not a request; anything else loaded from outside is not allowed
            assert match.group(0).startswith("href="), f"{page}: {match.group(0)}"
        text = page.read_text()
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
        assert 'data-md-component="source"' not in text, (
            "Material would fetch repository facts from the GitHub API"
        )


def test_an_invalid_persona_stops_the_build_with_the_finding(repo_copy: Path):
    persona = repo_copy / "personas" / "developer-dev.yaml"
    persona.write_text(persona.read_text().replace("tier: primary", "tier: Primary"))
    proc = build(repo_copy)
    assert proc.returncode != 0
    assert re.search(
        r"personas/developer-dev\.yaml:\d+:\d+: error: metadata\.tier: 'Primary' is not one of primary, secondary",
        proc.stderr,
    ), proc.stderr
    assert "did you mean 'primary'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_stale_persona_is_published_and_marked_overdue(repo_copy: Path):
    persona = repo_copy / "personas" / "developer-dev.yaml"
    persona.write_text(re.sub(r"last_reviewed: \S+", "last_reviewed: 2020-01-01", persona.read_text()))
    proc = build(repo_copy)
    assert proc.returncode == 0, proc.stderr
    page = (repo_copy / "build" / "site" / "personas" / "developer-dev" / "index.html").read_text()
    assert 'class="pm-review pm-review--overdue" data-review-by="2021-01-01"' in page


def test_render_command_writes_markdown_for_other_generators(tmp_path: Path):
    personas = Path(sys.executable).parent / "personas"
    root = Path(__file__).parent.parent
    proc = subprocess.run(
        [str(personas), "render", "--root", str(root), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote 14 pages" in proc.stdout
    page = (tmp_path / "out" / "index.md").read_text()
    assert 'href="personas/platform-lead-priya/index.md"' in page, "portable links point at .md files"
