"""`personas site`: check the personas, render the pages and build the whole site with MkDocs or Zensical.

MkDocs (with Material) runs the persona-map plugin, which renders the pages during its build. Zensical,
Material's successor, reads mkdocs.yml but runs no MkDocs plugin: the pages are rendered here first into
build/zensical/docs/ (with the hand-written ones from site/), and Zensical builds from a copy of mkdocs.yml
that points there, without the plugin, with the plugin's navigation and repository settings written out.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from persona_map.check.catalog import Catalog, build_catalog
from persona_map.errors import SiteError
from persona_map.pages.history import read_history
from persona_map.pages.navigation import guides, site_nav
from persona_map.pages.render import Renderer, write_pages
from persona_map.repository import Repository

ENGINES = ("mkdocs", "zensical")
PLUGIN = "persona-map"
NOT_COPIED = ("overrides", "templates")  # theme overrides and page templates are not pages
# Overrides of Material's own markup that Zensical's theme does differently (its search is a button
# that opens a dialog of its own, already named for screen readers): left out of the Zensical build.
MATERIAL_ONLY = ("partials/search.html",)


@dataclass(frozen=True)
class BuiltSite:
    """Where the site went, which engine built it and how many HTML pages it has."""

    engine: str
    out: Path
    pages: int


def build_site(repo: Repository, engine: str = "mkdocs") -> BuiltSite:
    """Check the personas, then build the site into build/site/ (InvalidPersonas names every problem)."""
    if engine not in ENGINES:
        raise SiteError(f"unknown site engine {engine!r}; choose one of {', '.join(ENGINES)}")
    catalog = build_catalog(repo)
    config_file = repo.root / "mkdocs.yml"
    if not config_file.is_file():
        raise SiteError(f"{config_file} is missing: the site is configured there")
    out = repo.root / "build" / "site"
    if engine == "mkdocs":  # into build/site whatever mkdocs.yml's site_dir says, as Zensical's build goes
        build = ["build", "--strict", "-f", str(config_file), "-d", str(out)]
        _run([sys.executable, "-m", "mkdocs", *build], repo.root, engine)
    else:
        _zensical(catalog, config_file, out)
    return BuiltSite(engine, out, sum(1 for _ in out.rglob("*.html")))


def _run(command: list[str], cwd: Path, engine: str) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    try:
        proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as e:
        raise SiteError(f"{engine} could not run: {e}") from e
    log = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-40:])
        raise SiteError(f"the {engine} build failed (exit {proc.returncode}):\n{tail}")


def _zensical(catalog: Catalog, config_file: Path, out: Path) -> None:
    if not _installed("zensical"):
        raise SiteError(
            "Zensical is not installed: install the extra with "
            "`pip install 'persona-map[zensical]'` (or `make install`), then run this again"
        )
    repo = catalog.repo
    stage = repo.root / "build" / "zensical"
    docs = stage / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    settings = _read_config(config_file)
    source_docs = (config_file.parent / settings.get("docs_dir", "docs")).resolve()
    pages = Renderer(catalog, directory_urls=True, history=read_history(repo.root)).pages()
    write_pages(pages, docs)
    # Hand-written pages win over generated ones of the same name, as with the MkDocs plugin.
    shutil.copytree(source_docs, docs, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    settings = _zensical_settings(settings, catalog, source_docs, config_file.parent, stage)
    import yaml

    staged_config = stage / "mkdocs.yml"
    staged_config.write_text(  # yaml.Dumper: settings such as Material's emoji functions stay !!python/name tags
        "# Written by `personas site --engine zensical` from mkdocs.yml: do not edit.\n"
        + yaml.dump(settings, Dumper=yaml.Dumper, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    shutil.rmtree(stage / "site", ignore_errors=True)
    _run([sys.executable, "-m", "zensical", "build", "-f", str(staged_config)], stage, "zensical")
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(stage / "site", out)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _read_config(config_file: Path) -> dict[str, Any]:
    from mkdocs.utils.yaml import yaml_load

    with config_file.open(encoding="utf-8") as handle:
        data = yaml_load(handle)
    if not isinstance(data, dict):
        raise SiteError(f"{config_file} is not a mapping of settings")
    return data


def _zensical_settings(
    settings: dict[str, Any], catalog: Catalog, source_docs: Path, root: Path, stage: Path
) -> dict[str, Any]:
    """mkdocs.yml as Zensical needs it: staged pages, no plugin, the plugin's navigation and links."""
    settings = {**settings, "docs_dir": "docs", "site_dir": "site"}
    settings.pop("watch", None)
    theme = dict(settings.get("theme") or {})
    if theme.get("custom_dir"):
        overrides = stage / "overrides"
        shutil.rmtree(overrides, ignore_errors=True)
        shutil.copytree(root / theme["custom_dir"], overrides)
        for name in MATERIAL_ONLY:
            (overrides / name).unlink(missing_ok=True)
        theme["custom_dir"] = "overrides"
    settings["theme"] = theme
    settings["plugins"] = [p for p in settings.get("plugins", []) if _plugin_name(p) != PLUGIN]
    settings.setdefault("nav", site_nav(catalog, guides(source_docs)))
    return {**settings, **catalog.repo.config.site_settings(source_docs, root)}


def _plugin_name(entry: Any) -> str:
    return next(iter(entry)) if isinstance(entry, dict) else str(entry)
