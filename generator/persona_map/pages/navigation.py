"""Where each generated page lives and the site's navigation, the same for every site engine."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from persona_map.check.catalog import Catalog
from persona_map.check.pictures import EXTENSIONS, TYPES
from persona_map.persona import Persona

# Generated pages that are not about one persona; hand-written pages of these names win.
SHARED_PAGES = ("index.md", "compare.md", "research.md", "schema.md", "tags.md")


def guides(docs: Path) -> list[str]:
    """The hand-written guides of the site folder `docs` (its own pages, not the generated ones it may hold)."""
    return sorted(path.name for path in docs.glob("*.md") if path.name not in SHARED_PAGES)


def persona_page(persona: Persona) -> str:
    """The persona's page: the index of its folder, so its name heads its section of the navigation."""
    return f"personas/{persona.id}/index.md"


def empathy_page(persona: Persona) -> str:
    return f"personas/{persona.id}/empathy-map.md"


def picture_page(persona: Persona) -> str:
    """Where the persona's picture is published, or '' when it has none."""
    if not persona.picture:
        return ""
    kind = TYPES[persona.picture["file"].rsplit(".", 1)[-1].lower()]  # personas check allows only these
    return f"personas/{persona.id}/picture.{EXTENSIONS[kind]}"


def site_nav(catalog: Catalog, guides: list[str]) -> list[Any]:
    """Home, one section per persona (its page, then its empathy map), the shared pages and the guides."""
    personas = [
        # Section titles reach the theme's HTML unescaped: escape persona names here.
        {html.escape(p.name): [persona_page(p), {"Empathy map": empathy_page(p)}]}
        for p in catalog.personas
    ]
    return [
        {"Home": "index.md"},
        {"Personas": personas},
        {"Compare": "compare.md"},
        {"Research": "research.md"},
        *([{"Guides": guides}] if guides else []),
        {"Schema reference": "schema.md"},
        {"Tags": "tags.md"},
    ]
