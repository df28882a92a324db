"""The one renderer: Jinja2 templates (user overrides first) turn the catalog into Markdown pages.

Persona text is untrusted. Every persona-supplied string goes through `md` (Markdown context: HTML
escaped and Markdown syntax neutralised, so it cannot become a link, an attribute or raw HTML) or
`html` (inside raw HTML blocks: escaped, and kept on one line so the block cannot end early).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError

from persona_map.check.catalog import Catalog
from persona_map.errors import RenderError
from persona_map.findings import CheckResult
from persona_map.pages.avatar import looks, svg
from persona_map.pages.glance import evidence_strength, share, strongest_quote
from persona_map.pages.history import History, changed_fields
from persona_map.pages.navigation import empathy_page, persona_page, picture_page
from persona_map.pages.research_page import research_view
from persona_map.pages.schema_page import schema_sections
from persona_map.pages.template_cache import for_environment
from persona_map.persona import Persona

# Characters Python-Markdown (with attr_list and tables) gives meaning to anywhere in a line; a backslash
# makes them literal. With `[` and `]` escaped no link or image can form, so `(`, `)` and `!` are safe.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|])")
# At the start of a line these begin a list or a block quote.
_MD_LINE_START = re.compile(r"^(\d+)(\.)|^([-+>])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def md(value: object) -> str:
    """Text for a Markdown inline context: shows exactly what the author wrote, and nothing runs."""
    text = _NEWLINES.sub(" ", str(value)).strip()
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def md_paragraphs(value: object) -> str:
    """Multi-paragraph text (blank-line separated) as escaped Markdown paragraphs."""
    paragraphs = re.split(r"\n\s*\n", str(value).strip())
    return "\n\n".join(md(p) for p in paragraphs if p.strip())


def html_text(value: object) -> str:
    """Text for raw HTML (elements and attributes): escaped, on one line."""
    return html.escape(_NEWLINES.sub(" ", str(value)).strip(), quote=True)


def front_matter_text(value: object) -> str:
    """A YAML-safe, HTML-escaped scalar for page front matter (titles end up in the theme's HTML)."""
    return json.dumps(html_text(value))


@dataclass(frozen=True)
class Page:
    """A generated page: where it goes in the site and its Markdown (or JSON, or picture) content."""

    path: str
    content: str | bytes


class Renderer:
    """Renders every page of the persona site from a catalog (and, inside a git checkout, its history)."""

    def __init__(
        self, catalog: Catalog, *, directory_urls: bool | None = True, history: History | None = None
    ) -> None:
        self.catalog = catalog
        self.directory_urls = directory_urls  # None: link to .md files (for other site generators)
        self.history = history or History()
        self.env = make_environment(catalog.repo.root / "site" / "templates")
        config = catalog.repo.config
        faces = looks(p.id for p in catalog.personas)
        self.env.globals.update(
            catalog=catalog,
            config=config,
            today=catalog.today,
            label=_label,
            avatar_svg=lambda p: svg(faces[p.id]),
            picture_page=picture_page,
            persona_page=persona_page,
            empathy_page=empathy_page,
        )

    def url(self, source: str, target: str) -> str:
        """Relative link from page `source` to page `target` (both docs paths like personas/x.md)."""
        if self.directory_urls is None:
            return posixpath.relpath(target, posixpath.dirname(source) or ".")
        here = _page_url(source, self.directory_urls)
        there = _page_url(target, self.directory_urls)
        base = here.rstrip("/") if here.endswith("/") or not here else posixpath.dirname(here)
        link = posixpath.relpath(there.rstrip("/") or ".", base or ".")
        if there.endswith("/") or not there:
            link = "./" if link == "." else link + "/"
        return link

    def _render(self, template: str, path: str, **context: Any) -> str:
        def link(target: str) -> str:  # for href attributes in raw HTML: the final URL
            return self.url(path, target)

        def mdlink(target: str) -> str:  # for Markdown links: the .md file, which MkDocs rewrites
            return posixpath.relpath(target, posixpath.dirname(path) or ".")

        context.setdefault("picture_src", lambda p: link(picture_page(p)))
        context.setdefault("edit_url", "")
        return render_template(self.env, template, path, link=link, mdlink=mdlink, **context)

    def persona_context(self, persona: Persona) -> dict[str, Any]:
        """What the persona templates show beyond the persona: its glance, its history and where to edit it."""
        review_day = persona.review.last_reviewed
        since = self.history.since(persona.file, review_day)
        return {
            "p": persona,
            "glance": {
                "strength": evidence_strength(persona, self.catalog.today),
                "quote": strongest_quote(persona),
                "share": share(persona),
            },
            "history": {
                "changes": self.history.of(persona.file)[:5],  # none: outside a git checkout, say nothing
                "since_review": since,
                "fields_since_review": changed_fields(since),
            },
            "edit_url": self.catalog.repo.config.edit_url(persona.file),
        }

    def pages(self) -> list[Page]:
        """Every generated page of the site."""
        cat = self.catalog
        config = cat.repo.config
        browse = config.edit_url("personas", folder=True)
        pages = [Page("index.md", self._render("home.md.j2", "index.md", edit_url=browse))]
        for persona in cat.personas:
            path, empathy = persona_page(persona), empathy_page(persona)
            context = self.persona_context(persona)
            pages.append(Page(path, self._render("persona.md.j2", path, **context)))
            pages.append(Page(empathy, self._render("empathy.md.j2", empathy, **context)))
            if persona.picture:
                pages.append(
                    Page(picture_page(persona), (cat.repo.root / persona.picture["file"]).read_bytes())
                )
        pages.append(Page("compare.md", self._render("compare.md.j2", "compare.md", edit_url=browse)))
        pages.append(
            Page(
                "research.md",
                self._render(
                    "research.md.j2",
                    "research.md",
                    research=research_view(cat),
                    edit_url=config.edit_url("research/manifest.yaml"),
                ),
            )
        )
        schema_path = cat.repo.schema_path()
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        pages.append(
            Page(
                "schema.md",
                self._render(
                    "schema.md.j2",
                    "schema.md",
                    sections=schema_sections(schema),
                    # the tool's own schema (a repository without schema/): nothing here to edit, no button
                    edit_url=config.edit_url(cat.repo.display(schema_path))
                    if cat.repo.inside(schema_path)
                    else None,
                ),
            )
        )
        pages.append(Page("tags.md", self._render("tags.md.j2", "tags.md", edit_url=browse)))
        pages.append(Page("personas.json", export_json(cat)))
        return pages


def render_template(env: Environment, template: str, path: str, **context: Any) -> str:
    """Render one template; a broken (override) template becomes a RenderError naming the place."""
    try:
        return env.get_template(template).render(page_path=path, **context)
    except TemplateError as e:  # a broken override template is the user's to fix: say where
        where = f"{e.filename or template}:{e.lineno}" if getattr(e, "lineno", None) else template
        raise RenderError(f"template {where} (rendering {path}): {e.message or e}") from e


def make_environment(overrides: Path | None, *, install: bool = False) -> Environment:
    """The one Jinja environment: override templates (if the folder exists) before the package's own.

    `install` compiles into the package's template cache (see persona_map.pages.template_cache).
    """
    loaders = [FileSystemLoader(str(overrides))] if overrides is not None and overrides.is_dir() else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("persona_map.pages", "templates")]),
        undefined=StrictUndefined,
        autoescape=False,  # output is Markdown: escaping is explicit through the filters below
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md,
        md_paragraphs=md_paragraphs,
        html=html_text,
        fm=front_matter_text,
    )
    env.bytecode_cache = for_environment(env, install=install)
    return env


def _page_url(path: str, directory_urls: bool) -> str:
    if not path.endswith(".md"):
        return path
    stem = path[: -len(".md")]
    if not directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def _label(value: str) -> str:
    """'pain_points' -> 'Pain points', 'c-level' -> 'C-level'."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def export_json(catalog: Catalog) -> str:
    """personas.json: every persona as JSON for other tools (CRM, chat bots)."""
    return (
        json.dumps(
            {
                "apiVersion": "personamap/v1",
                "kind": "PersonaList",
                "generated": catalog.today.isoformat(),
                "personas": [p.to_dict() for p in catalog.personas],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def write_pages(pages: list[Page], out: Path) -> list[Path]:
    """Write pages under `out` (for `personas render`), creating folders; returns the written paths."""
    written = []
    root = out.resolve()
    for page in pages:
        target = (out / page.path).resolve()
        if not target.is_relative_to(root):  # ids are slugs, but never write outside `out`
            raise ValueError(f"refusing to write {page.path} outside {out}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(page.content, bytes):
            target.write_bytes(page.content)
        else:
            target.write_text(page.content, encoding="utf-8")
        written.append(target)
    return written


def findings_page(overrides: Path, problem: CheckResult | str) -> str:
    """The page `mkdocs serve` shows instead of the personas while they are invalid."""
    findings = problem.sorted() if isinstance(problem, CheckResult) else []
    message = problem if isinstance(problem, str) else ""
    env = make_environment(overrides)
    return render_template(env, "findings.md.j2", "index.md", findings=findings, message=message)
