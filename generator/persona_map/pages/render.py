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
from persona_map.pages.research_page import bars, research_rows, segmentation_view
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
    """A generated page: where it goes in the site and its Markdown (or JSON) content."""

    path: str
    content: str
    source: str = ""  # the repository file it was made from, for edit links


class Renderer:
    """Renders every page of the persona site from a catalog."""

    def __init__(self, catalog: Catalog, *, directory_urls: bool | None = True) -> None:
        self.catalog = catalog
        self.directory_urls = directory_urls  # None: link to .md files (for other site generators)
        self.env = make_environment(catalog.repo.root / "site" / "templates")
        config = catalog.repo.config
        self.env.globals.update(
            catalog=catalog,
            config=config,
            today=catalog.today,
            label=_label,
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

    def edit_url(self, persona: Persona) -> str:
        base = self.catalog.repo.config.repository_url.rstrip("/")
        return f"{base}/edit/{self.catalog.repo.config.edit_branch}/{persona.file}" if base else ""

    def _render(self, template: str, path: str, **context: Any) -> str:
        def link(target: str) -> str:  # for href attributes in raw HTML: the final URL
            return self.url(path, target)

        def mdlink(target: str) -> str:  # for Markdown links: the .md file, which MkDocs rewrites
            return posixpath.relpath(target, posixpath.dirname(path) or ".")

        try:
            return self.env.get_template(template).render(page_path=path, link=link, mdlink=mdlink, **context)
        except TemplateError as e:  # a broken override template is the user's to fix: say where
            where = f"{e.filename or template}:{e.lineno}" if getattr(e, "lineno", None) else template
            raise RenderError(f"template {where} (rendering {path}): {e.message or e}") from e

    def pages(self) -> list[Page]:
        """Every generated page of the site."""
        cat = self.catalog
        pages = [Page("index.md", self._render("home.md.j2", "index.md"))]
        for persona in cat.personas:
            path, empathy = persona_page(persona), empathy_page(persona)
            pages.append(
                Page(
                    path,
                    self._render("persona.md.j2", path, p=persona, edit_url=self.edit_url(persona)),
                    persona.file,
                )
            )
            pages.append(Page(empathy, self._render("empathy.md.j2", empathy, p=persona), persona.file))
        pages.append(Page("compare.md", self._render("compare.md.j2", "compare.md")))
        pages.append(
            Page(
                "research.md",
                self._render(
                    "research.md.j2",
                    "research.md",
                    rows=research_rows(cat),
                    segmentation=segmentation_view(cat),
                    bars=bars,
                ),
            )
        )
        schema = json.loads(cat.repo.schema_path().read_text(encoding="utf-8"))
        pages.append(
            Page("schema.md", self._render("schema.md.j2", "schema.md", sections=schema_sections(schema)))
        )
        pages.append(Page("tags.md", self._render("tags.md.j2", "tags.md")))
        pages.append(Page("personas.json", export_json(cat)))
        return pages


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
        zip_labels=_zip_labels,
        k_label=_k_label,
    )
    env.bytecode_cache = for_environment(env, install=install)
    return env


def _k_label(item: tuple[int, float]) -> tuple[str, float]:
    return f"k = {item[0]}", float(item[1])


def persona_page(persona: Persona) -> str:
    return f"personas/{persona.id}.md"


def empathy_page(persona: Persona) -> str:
    return f"personas/{persona.id}/empathy-map.md"


def _page_url(path: str, directory_urls: bool) -> str:
    if not path.endswith(".md"):
        return path
    stem = path[: -len(".md")]
    if not directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def _zip_labels(
    shares: list[float], segments: list[dict[str, Any]], backs: dict[str, str], catalog: Catalog
) -> list[tuple[str, float]]:
    """Chart rows: 'S1 · Priya, the Platform Lead' and the segment's share."""
    out = []
    for share, segment in zip(shares, segments, strict=True):
        persona = backs.get(segment["id"])
        name = catalog.get(persona).name if persona else "no persona"
        label = f"{segment['id']} · {name}"
        out.append((label if len(label) <= 40 else label[:39] + "…", float(share)))
    return out


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
        target.write_text(page.content, encoding="utf-8")
        written.append(target)
    return written
