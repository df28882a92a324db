"""metadata.picture: `personas check` opens the file a persona names, and the site publishes it with its alt text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from persona_map.check.catalog import build_catalog
from persona_map.check.check import check
from persona_map.pages.render import Renderer
from persona_map.repository import Repository
from tests.conftest import TODAY

PICTURES = Path(__file__).parent / "data" / "pictures"
PERSONA = "personas/developer-dev.yaml"


def with_picture(repo: Path, picture: str, source: str | None = None) -> Path:
    """Give developer-dev a picture entry (YAML flow mapping) and, from `source`, the file it names."""
    persona = repo / PERSONA
    text = persona.read_text()
    persona.write_text(text.replace("  tier: primary\n", f"  tier: primary\n  picture: {picture}\n", 1))
    if source:
        name = picture.split("file: ", 1)[1].split(",", 1)[0].strip(" }")
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PICTURES / source, target)
    return persona


def picture_findings(repo: Path) -> list[tuple[int, str, str]]:
    result = check(Repository.open(repo), [repo / PERSONA], TODAY)
    return [(f.line, f"{f.path}: {f.message}", f.hint) for f in result.findings if f.is_error]


def test_a_real_picture_passes_and_is_published_with_its_alt_text(repo_copy: Path):
    with_picture(repo_copy, "{file: personas/pictures/dev.png, alt: Dev at a standing desk}", "portrait.png")
    assert picture_findings(repo_copy) == []
    pages = {p.path: p.content for p in Renderer(build_catalog(Repository.open(repo_copy), TODAY)).pages()}
    assert pages["personas/developer-dev/picture.png"] == (PICTURES / "portrait.png").read_bytes()
    page = pages["personas/developer-dev/index.md"]
    assert '<img src="picture.png" alt="Dev at a standing desk"' in page
    assert "pm-avatar__svg" not in page.split('class="pm-glance"')[1].split("</section>")[0]
    assert '<img src="personas/developer-dev/picture.png" alt="Dev at a standing desk"' in pages["index.md"]


@pytest.mark.parametrize(
    ("picture", "source", "message", "hint"),
    [
        (
            "{file: personas/pictures/dev.png, alt: Dev}",
            None,
            "metadata.picture.file: personas/pictures/dev.png does not exist",
            "remove metadata.picture",
        ),
        (
            "{file: personas/pictures/dev.png, alt: Dev}",
            "svg-renamed.png",
            "holds SVG or HTML markup, which can carry script",
            "export the picture as PNG, JPEG or WebP",
        ),
        (
            "{file: personas/pictures/dev.png, alt: Dev}",
            "jpeg-named.png",
            "personas/pictures/dev.png holds JPEG data, not PNG",
            "rename it to .jpg",
        ),
        (
            "{file: personas/pictures/dev.svg, alt: Dev}",
            None,
            "is not a PNG, JPEG or WebP file in the repository",
            "never SVG",
        ),
        ("{file: personas/pictures/dev.png}", "portrait.png", "metadata.picture: 'alt' is missing", "alt"),
        (
            "{file: ../outside.png, alt: Dev}",
            None,
            "is not a PNG, JPEG or WebP file in the repository",
            "use a path from the repository root",
        ),
    ],
    ids=["missing", "svg-renamed", "wrong-type", "svg-extension", "no-alt", "outside"],
)
def test_a_bad_picture_is_one_finding_on_its_line(
    repo_copy: Path, picture: str, source: str | None, message: str, hint: str
):
    persona = with_picture(repo_copy, picture, source)
    line = persona.read_text().splitlines().index(f"  picture: {picture}") + 1
    found = picture_findings(repo_copy)
    assert len(found) == 1, found
    assert found[0][0] == line and message in found[0][1], found
    assert hint in found[0][2]


def test_a_picture_over_one_mebibyte_is_refused(repo_copy: Path):
    with_picture(repo_copy, "{file: personas/pictures/dev.png, alt: Dev}", "portrait.png")
    big = repo_copy / "personas" / "pictures" / "dev.png"
    big.write_bytes(big.read_bytes() + b"\0" * (1024 * 1024))
    (found,) = picture_findings(repo_copy)
    assert "pictures may be at most 1 MiB" in found[1]


def test_a_picture_that_is_a_symlink_loop_is_a_finding(repo_copy: Path):
    persona = with_picture(repo_copy, "{file: personas/pictures/loop.png, alt: Dev}")
    (repo_copy / "personas" / "pictures").mkdir(parents=True, exist_ok=True)
    (repo_copy / "personas" / "pictures" / "loop.png").symlink_to("loop.png")
    line = (
        persona.read_text().splitlines().index("  picture: {file: personas/pictures/loop.png, alt: Dev}") + 1
    )
    assert picture_findings(repo_copy) == [
        (
            line,
            "metadata.picture.file: personas/pictures/loop.png points outside the repository",
            "add the image to the repository, or remove metadata.picture to use the generated avatar",
        )
    ]
