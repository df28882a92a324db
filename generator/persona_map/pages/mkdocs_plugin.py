"""MkDocs glue: check the personas, then add the generated pages to the build with `File.generated`.

`mkdocs build` and `mkdocs serve` work from a fresh clone; an invalid persona stops the build with the
same findings `personas check` prints (file, line, field), never a traceback.
"""

from __future__ import annotations

import html
import logging
from datetime import date
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page as MkDocsPage

from persona_map.check.catalog import Catalog, build_catalog
from persona_map.dates import parse_date
from persona_map.errors import InvalidPersonas, PersonaError
from persona_map.pages.render import Renderer, empathy_page, persona_page
from persona_map.reporters import text
from persona_map.repository import Repository

log = logging.getLogger("mkdocs.plugins.persona_map")


class PersonaMapConfig(base.Config):
    """Options of the `persona-map` plugin in mkdocs.yml."""

    root = c.Type(str, default="")  # the repository; default: the folder of mkdocs.yml
    today = c.Optional(c.Type(str))  # YYYY-MM-DD, to make a build reproducible


class PersonaMapPlugin(BasePlugin[PersonaMapConfig]):
    """Generates the persona pages, empathy maps, comparison, research and schema pages, and personas.json."""

    def __init__(self) -> None:
        self.catalog: Catalog | None = None
        self.sources: dict[str, str] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(self.config.root or Path(config.config_file_path).parent)
        today = None
        if self.config.today:
            today = parse_date(self.config.today)
            if today is None:
                raise PluginError(f"persona-map: today: {self.config.today!r} is not a date (YYYY-MM-DD)")
        try:
            self.catalog = build_catalog(Repository.open(root), today or date.today())
        except InvalidPersonas as e:
            raise PluginError(f"persona-map: {e}:\n{text(e.result, color=False)}") from e
        except PersonaError as e:
            raise PluginError(f"persona-map: {e}") from e
        if not config.nav:
            config.nav = self._nav(config)
        return config

    def _nav(self, config: MkDocsConfig) -> list[Any]:
        """Home, one section per persona (page and empathy map), then the shared pages."""
        assert self.catalog is not None
        personas = [
            # Section titles reach the theme's HTML unescaped: escape persona names here.
            {html.escape(p.name): [{"Persona": persona_page(p)}, {"Empathy map": empathy_page(p)}]}
            for p in self.catalog.personas
        ]
        docs = Path(config.docs_dir)
        guides = sorted(
            str(path.relative_to(docs).as_posix())
            for path in docs.glob("*.md")
            if path.name not in {"index.md", "compare.md", "research.md", "schema.md", "tags.md"}
        )
        return [
            {"Home": "index.md"},
            {"Personas": personas},
            {"Compare": "compare.md"},
            {"Research": "research.md"},
            *([{"Guides": guides}] if guides else []),
            {"Schema reference": "schema.md"},
            {"Tags": "tags.md"},
        ]

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.catalog is not None
        renderer = Renderer(self.catalog, directory_urls=config.use_directory_urls)
        for page in renderer.pages():
            existing = files.get_file_from_path(page.path)
            if existing is not None and not existing.generated_by:
                log.info(
                    "persona-map: %s is written by hand in %s; not generating it", page.path, config.docs_dir
                )
                continue
            if existing is not None:
                files.remove(existing)
            files.append(
                File.generated(config, page.path, content=page.content, inclusion=InclusionLevel.INCLUDED)
            )
            if page.source:
                self.sources[page.path] = page.source
        return files

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Also reload when a page template changes (ours, or an override in site/templates/)."""
        server.watch(str(Path(__file__).parent / "templates"))
        return server

    def on_page_context(
        self, context: dict[str, Any], *, page: MkDocsPage, config: MkDocsConfig, nav: Any
    ) -> dict[str, Any]:
        """Point the theme's edit button of a generated page at the persona's YAML file."""
        assert self.catalog is not None
        source = self.sources.get(page.file.src_uri)
        repo_url = self.catalog.repo.config.repository_url.rstrip("/")
        if source and repo_url:
            page.edit_url = f"{repo_url}/edit/{self.catalog.repo.config.edit_branch}/{source}"
        return context
