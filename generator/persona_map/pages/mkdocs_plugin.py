"""MkDocs glue: check the personas, then add the generated pages to the build with `File.generated`.

`mkdocs build` and `mkdocs serve` work from a fresh clone; an invalid persona stops the build with the
same findings `personas check` prints (file, line, field), never a traceback. While `mkdocs serve` runs,
the findings are shown in the browser instead, on every generated page, until the file is fixed.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any, Literal

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page as MkDocsPage

from persona_map.check.catalog import Catalog, build_catalog
from persona_map.config import Config
from persona_map.dates import parse_date
from persona_map.errors import InvalidPersonas, PersonaError
from persona_map.findings import CheckResult
from persona_map.pages.history import read_history
from persona_map.pages.navigation import guides, site_nav
from persona_map.pages.render import Page, Renderer, findings_page
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
        self.repo: Repository | None = None
        self.problem: CheckResult | str | None = None  # why the personas cannot be shown (serve only)
        self.serving = False
        self.published: list[str] = []  # pages of the last good build, shown with findings when broken

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        # Defining on_startup also keeps this instance across `mkdocs serve` rebuilds.
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(self.config.root or Path(config.config_file_path).parent)
        today = None
        if self.config.today:
            today = parse_date(self.config.today)
            if today is None:
                raise PluginError(f"persona-map: today: {self.config.today!r} is not a date (YYYY-MM-DD)")
        self.catalog, self.problem = None, None
        try:
            self.repo = Repository.open(root)
            self.catalog = build_catalog(self.repo, today or date.today())
        except InvalidPersonas as e:
            if not self.serving:
                raise PluginError(f"persona-map: {e}:\n{text(e.result, color=False)}") from e
            self.problem = e.result
        except PersonaError as e:
            if not self.serving:
                raise PluginError(f"persona-map: {e}") from e
            self.problem = str(e)
        if self.problem is not None:
            # Logged below WARNING: in strict mode a warning would abort the rebuild, and the server hang.
            report = (
                text(self.problem, color=False) if isinstance(self.problem, CheckResult) else self.problem
            )
            log.info("persona-map: the personas are invalid; the served pages show the findings:\n%s", report)
            config.strict = False  # serve the findings even though links into persona pages now miss
        if self.repo is not None:
            _use_repository(config, self.repo.config, root)
        if not config.nav and self.catalog is not None:
            config.nav = site_nav(self.catalog, guides(Path(config.docs_dir)))
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if self.catalog is None:
            pages = self._findings_pages(config)
        else:
            history = read_history(self.catalog.repo.root)
            renderer = Renderer(self.catalog, directory_urls=config.use_directory_urls, history=history)
            pages = renderer.pages()
            self.published = [page.path for page in pages if page.path.endswith(".md")]
        for page in pages:
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
        return files

    def _findings_pages(self, config: MkDocsConfig) -> list[Page]:
        """While serving invalid personas: every page the last good build had shows the findings."""
        overrides = Path(config.docs_dir) / "templates"
        content = findings_page(overrides, self.problem or "")
        return [Page(path, content) for path in dict.fromkeys(["index.md", *self.published])]

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Also reload when a page template changes (ours, or an override in site/templates/)."""
        server.watch(str(Path(__file__).parent / "templates"))
        return server

    def on_page_context(
        self, context: dict[str, Any], *, page: MkDocsPage, config: MkDocsConfig, nav: Any
    ) -> dict[str, Any]:
        """A generated page's edit button points at the file it is made from (front matter edit_url)."""
        if "edit_url" in page.meta:  # "" for a page with nothing in the repository to edit: no button
            page.edit_url = page.meta["edit_url"] or None
        return context


def _use_repository(config: MkDocsConfig, settings: Config, root: Path) -> None:
    """The repository URL lives in [tool.personas] only: the header link and edit links come from there."""
    for name, value in settings.site_settings(Path(config.docs_dir), root).items():
        setattr(config, name, value)
