"""`personas export --pdf`: one-page PDFs of personas (at a glance) and their empathy maps, for workshops.

Each page is a standalone HTML document (the same templates and stylesheets as the site, pictures and
avatars inline) that headless Chromium prints to PDF; nothing is fetched from anywhere.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from persona_map.check.catalog import Catalog
from persona_map.check.pictures import MEDIA_TYPES, TYPES
from persona_map.errors import ExportError
from persona_map.pages.render import Renderer, render_template
from persona_map.persona import Persona

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
STYLESHEETS = ("personas.css", "one-pager.css")  # from site/stylesheets/, when the repository has them
INSTALL_HINT = (
    "headless Chromium prints the PDFs and was not found: install it (Debian or Ubuntu: "
    "`sudo apt-get install chromium`; macOS: `brew install --cask chromium`) or set CHROMIUM to its path"
)


def find_chromium() -> str:
    """The Chromium (or Chrome) to print with: env CHROMIUM, else the first one on PATH."""
    named = os.environ.get("CHROMIUM", "").strip()
    if named:
        if Path(named).is_file() and os.access(named, os.X_OK):
            return named
        raise ExportError(f"CHROMIUM={named} is not an executable file; {INSTALL_HINT}")
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ExportError(INSTALL_HINT)


def export_pdfs(catalog: Catalog, ids: list[str], out: Path) -> list[Path]:
    """Write <id>.pdf (the persona at a glance) and <id>-empathy-map.pdf into `out`; returns them."""
    known = {p.id: p for p in catalog.personas}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ExportError(
            f"no persona {', '.join(map(repr, unknown))}; known ids: {', '.join(sorted(known))}"
        )
    chromium = find_chromium()
    personas = [known[i] for i in dict.fromkeys(ids)] or catalog.personas
    out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(catalog)
    css = _stylesheets(catalog)
    jobs = []
    with tempfile.TemporaryDirectory(prefix="persona-export-") as tmp:
        for persona in personas:
            for kind, name in (
                ("persona", f"{persona.id}.pdf"),
                ("empathy", f"{persona.id}-empathy-map.pdf"),
            ):
                html = Path(tmp) / f"{persona.id}-{kind}.html"
                html.write_text(_document(renderer, persona, kind, css), encoding="utf-8")
                jobs.append((html, out / name))
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            list(pool.map(lambda job: _print(chromium, *job, Path(tmp)), jobs))
    return [pdf for _, pdf in jobs]


def _document(renderer: Renderer, persona: Persona, kind: str, css: str) -> str:
    context = renderer.persona_context(persona)
    return render_template(
        renderer.env,
        "export.html.j2",
        f"{persona.id}.html",
        kind=kind,
        scale=_scale(persona, kind),
        stylesheets=css,
        link=lambda target: "",
        picture_src=lambda p: _data_uri(renderer.catalog, p),
        **context,
    )


def _scale(persona: Persona, kind: str) -> float:
    """Smaller type for a lot of text (each line of a list counts too), so that the page stays one page."""
    if kind == "empathy":
        items = [item for values in persona.empathy_map.values() for item in values]
    else:
        items = [
            *persona.goals,
            *persona.pain_points,
            persona.summary,
            *(q["text"] for q in persona.quotes[:1]),
        ]
    measure = sum(len(item) + 40 for item in items)
    return max(0.45, min(1.0, (2200 / measure) ** 0.5)) if measure else 1.0


def _data_uri(catalog: Catalog, persona: Persona) -> str:
    path = catalog.repo.root / persona.picture["file"]
    mime = MEDIA_TYPES[TYPES[path.suffix.lower().lstrip(".")]]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _stylesheets(catalog: Catalog) -> str:
    folder = catalog.repo.root / "site" / "stylesheets"
    return "\n".join(
        (folder / name).read_text(encoding="utf-8") for name in STYLESHEETS if (folder / name).is_file()
    )


def _print(chromium: str, html: Path, pdf: Path, tmp: Path) -> None:
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        "--print-to-pdf-no-header",
        f"--print-to-pdf={pdf}",
        html.as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
    pdf.unlink(missing_ok=True)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        raise ExportError(f"{chromium} could not print {pdf.name}: {e}") from e
    if not pdf.is_file() or pdf.stat().st_size == 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise ExportError(f"{chromium} did not write {pdf.name} (exit {proc.returncode}):\n{tail}")
