"""The renderer: escaping of untrusted persona text, links, and pages compared with golden files."""

from __future__ import annotations

import html
import json
from pathlib import Path

import markdown
import pytest

from persona_map.check.catalog import build_catalog
from persona_map.pages.render import Renderer, RenderError, md, md_paragraphs
from persona_map.repository import Repository
from tests.conftest import ROOT, TODAY, copy_repository

GOLDEN = Path(__file__).parent / "data" / "golden"
EXTENSIONS = ["attr_list", "md_in_html", "tables", "admonition", "toc"]  # as in mkdocs.yml


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '![x](x" onerror="alert(1))',
        "<javascript:alert(1)>",
        '{: onclick="alert(1)" }',
        "text\n\n<script>alert(1)</script>",
        "&lt;script&gt;",
        "*bold* _em_ `code` # heading | pipe",
        "1. not a list",
        "- not a list",
        "> not a quote",
    ],
)
def test_md_shows_the_text_and_creates_no_markup(payload: str):
    rendered = markdown.markdown(f"- {md(payload)}", extensions=EXTENSIONS)
    inner = rendered.removeprefix("<ul>\n<li>").removesuffix("</li>\n</ul>")
    assert "<" not in inner.replace("&lt;", ""), rendered
    assert html.unescape(inner) == " ".join(payload.split()) or "\n" in payload


def test_md_paragraphs_keep_paragraphs_but_escape_each():
    out = markdown.markdown(md_paragraphs("One.\n\n<b>Two</b>\n\n1. Three"), extensions=EXTENSIONS)
    assert out == "<p>One.</p>\n<p>&lt;b&gt;Two&lt;/b&gt;</p>\n<p>1. Three</p>"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Pages of a copy of the repository without saved segmentation results (they are machine-local)."""
    root = copy_repository(tmp_path_factory.mktemp("repo"))
    catalog = build_catalog(Repository.open(root), TODAY)
    return {page.path: page.content for page in Renderer(catalog, directory_urls=True).pages()}


def test_every_page_is_generated(pages: dict[str, str]):
    ids = sorted(p.stem for p in (ROOT / "personas").glob("*.yaml"))
    expected = {"index.md", "compare.md", "research.md", "schema.md", "tags.md", "personas.json"}
    expected |= {f"personas/{i}/index.md" for i in ids} | {f"personas/{i}/empathy-map.md" for i in ids}
    assert set(pages) == expected


def test_primary_personas_come_first_on_the_home_page(pages: dict[str, str]):
    home = pages["index.md"]
    assert home.index("## Primary personas") < home.index("## Secondary personas")
    assert home.index("Carla, the Compliance Lead") > home.index("## Secondary personas")


def test_personas_json_has_every_persona(pages: dict[str, str]):
    data = json.loads(pages["personas.json"])
    assert [p["id"] for p in data["personas"]][:3] == [
        "developer-dev",
        "eng-manager-marco",
        "platform-lead-priya",
    ]
    priya = next(p for p in data["personas"] if p["id"] == "platform-lead-priya")
    assert priya["review"] == {"last_reviewed": "2026-10-14", "review_by": "2027-10-14"}
    assert priya["pain_points"][0].startswith("Pipeline sprawl")


def test_links_between_pages(tmp_path: Path):
    catalog = build_catalog(Repository.open(ROOT), TODAY)
    renderer = Renderer(catalog, directory_urls=True)
    assert renderer.url("index.md", "personas/a.md") == "personas/a/"
    assert renderer.url("personas/a.md", "personas/a/empathy-map.md") == "empathy-map/"
    assert renderer.url("personas/a/empathy-map.md", "personas/a.md") == "../"
    assert renderer.url("personas/a/empathy-map.md", "index.md") == "../../../"
    assert renderer.url("personas/a.md", "research.md") == "../../research/"
    flat = Renderer(catalog, directory_urls=False)
    assert flat.url("index.md", "personas/a.md") == "personas/a.html"
    assert flat.url("personas/a.md", "research.md") == "../research.html"
    portable = Renderer(catalog, directory_urls=None)
    assert portable.url("personas/a.md", "research.md") == "../research.md"


@pytest.mark.parametrize(
    "path",
    [
        "personas/platform-lead-priya/index.md",
        "personas/platform-lead-priya/empathy-map.md",
        "index.md",
        "compare.md",
        "research.md",
    ],
)
def test_pages_match_golden_files(pages: dict[str, str], path: str, update_golden: bool):
    golden = GOLDEN / path
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(pages[path], encoding="utf-8")
    assert golden.exists(), "run pytest --update-golden once to create it"
    assert pages[path] == golden.read_text(encoding="utf-8"), (
        "rerun with --update-golden if the change is intended"
    )


def test_user_templates_override_the_defaults(repo_copy: Path):
    (repo_copy / "site" / "templates").mkdir(parents=True)
    (repo_copy / "site" / "templates" / "tags.md.j2").write_text("# Our own tags page\n")
    catalog = build_catalog(Repository.open(repo_copy), TODAY)
    pages = {p.path: p.content for p in Renderer(catalog).pages()}
    assert pages["tags.md"] == "# Our own tags page\n"


def test_a_missing_template_variable_fails_loudly(repo_copy: Path):
    (repo_copy / "site" / "templates").mkdir(parents=True)
    (repo_copy / "site" / "templates" / "tags.md.j2").write_text("{{ no_such_thing }}\n")
    catalog = build_catalog(Repository.open(repo_copy), TODAY)
    with pytest.raises(
        RenderError, match=r"template tags.md.j2 \(rendering tags.md\): 'no_such_thing' is undefined"
    ):
        Renderer(catalog).pages()


def test_optional_fields_may_be_absent(repo_copy: Path):
    """A persona with only the required fields, and a quote without a respondent, renders."""
    minimal = (Path(__file__).parent / "data" / "valid" / "minimal.yaml").read_text()
    minimal = minimal.replace("../../../schema", "../schema").replace(
        "  evidence:",
        ("  quotes:\n    - text: Month end is chaos.\n      source: interviews-2026\n  evidence:"),
    )
    (repo_copy / "personas" / "minimal.yaml").write_text(minimal)
    catalog = build_catalog(Repository.open(repo_copy), TODAY)
    pages = {p.path: p.content for p in Renderer(catalog).pages()}
    page = pages["personas/minimal/index.md"]
    assert "Month end is chaos." in page
    quotes = page.split("## Quotes")[1]
    assert "respondent" not in quotes.split("Month end is chaos.")[1].split("</figure>")[0]


def _research_page(repo: Path) -> str:
    return {p.path: p.content for p in Renderer(build_catalog(Repository.open(repo), TODAY)).pages()}[
        "research.md"
    ]


def test_research_page_shows_the_latest_segmentation_in_plain_words(repo_copy: Path):
    from persona_map.research.segment import run

    assert "Once the research has been analysed" in _research_page(repo_copy)
    run(Repository.open(repo_copy), TODAY, 3, 5, "kmeans", 0)
    page = _research_page(repo_copy)
    learned = page.split("## What we learned")[1].split("## How sure we are")[0]
    assert "found **4 groups** of customers" in learned
    assert '<title id="pm-chart-sizes">' in learned and "S1 · Priya, the Platform Lead" in learned
    assert '<title id="pm-chart-traits">' in learned, "a chart of what sets each segment apart"
    assert (
        'Segment S4: 14% of people</h3>\n<p>Backs <a href="../personas/compliance-officer-carla/">' in learned
    )
    sure = page.split("## How sure we are")[1].split("## The research behind")[0]
    assert "researchers call this the silhouette" in sure, "the technical word comes with an explanation"
    assert "silhouette" not in learned.lower(), "the lead speaks plain words"
    details = page.split('<details class="pm-researcher" markdown="1">')[1]
    assert "<details open" not in page, "the researcher's details start collapsed"
    assert "### Segmentation" in details and '<title id="pm-chart-k">' in details
    survey = repo_copy / "research" / "survey-2026.csv"
    survey.write_text(survey.read_text().replace("Europe", "Europa", 1))
    assert "Out of date" in _research_page(repo_copy)


def test_research_page_leaves_out_what_saved_results_do_not_hold(repo_copy: Path):
    from persona_map.research.segment import run

    run(Repository.open(repo_copy), TODAY, 3, 5, "kmeans", 0)
    saved = repo_copy / "build" / "segments" / "segments.json"
    data = json.loads(saved.read_text())
    for key in ("scores", "stability", "null_silhouette", "structure", "verdict", "respondents", "options"):
        data.pop(key, None)
    data["segments"][0].pop("categories")
    data["segments"][1]["share"] = "a lot"
    saved.write_text(json.dumps(data))
    page = _research_page(repo_copy)
    assert "## What we learned" in page and "found **4 groups**" in page
    assert "Segment S1" in page and "Segment S2</h3>" in page, "a malformed share is left out"
    assert "separation" not in page and '<title id="pm-chart-k">' not in page


def test_the_research_page_reads_the_structure_test_s_own_verdict():
    """A small margin over the nulls that `personas segment` found real and stable is 'clearly' more distinct
    and 'fairly sure' on the page too (the page judged it again by its own thresholds and contradicted it)."""
    from persona_map.pages.research_summary import summarise

    data = {
        "k": 3,
        "scores": {"3": 0.55},
        "stability": [0.95, 0.97],
        "structure": {"silhouette": 0.55, "real": True, "nulls": [{"mean": 0.51}, {"mean": 0.5}]},
        "segments": [],
    }
    summary = summarise(data, True, {}, None, {})
    assert summary.confidence == "sure", summary.verdict
    assert any("clearly more distinct" in r for r in summary.reasons), summary.reasons
    not_real = summarise({**data, "structure": {**data["structure"], "real": False}}, True, {}, None, {})
    assert not_real.confidence == "unsure"
