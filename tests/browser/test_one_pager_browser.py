"""The persona one-pager, compare, schema, search, print and research pages in a real browser, with both engines.

Run: .venv/bin/python -m pytest tests/browser -q
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from browser_support import ROOT, SCREENSHOTS, SESSION_REQUESTS, BuiltSite, is_external, require_browser

require_browser()

from playwright.sync_api import expect  # noqa: E402 - only once we know Playwright is there
from test_site import assert_clean, goto, read_personas, search  # noqa: E402

pytestmark = pytest.mark.browser

EXAMPLE_IDS = sorted(p.stem for p in (ROOT / "personas").glob("*.yaml"))
PRIYA = "platform-lead-priya"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def engine_search(session: Any, text: str) -> list[str]:
    """Search with the site's own search box: Material's, or Zensical's dialog; the result links."""
    page = session.page
    if page.locator(".md-search__button").count() == 0:
        return search(session, text)
    page.locator(".md-search__button").click()
    page.locator("input[aria-controls]").first.fill(text)
    results = page.locator("[role=listbox] a[role=option]")
    results.first.wait_for(state="visible", timeout=10_000)
    return results.evaluate_all("links => links.map(a => a.href)")


def no_sideways_scroll(page: Any, what: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] + 1, f"{what}: sideways scroll (scrollWidth, innerWidth) = {widths}"


# --- compare -------------------------------------------------------------------------------------


def test_compare_shows_every_persona_at_1280_without_sideways_scrolling(
    built_site: BuiltSite, open_page: Any
):
    count = len(read_personas(built_site.repo))
    s = open_page(viewport={"width": 1280, "height": 900})
    goto(s, built_site, "/compare/")
    no_sideways_scroll(s.page, "compare at 1280 px")
    blocks = s.page.locator("section.pm-compare")
    assert blocks.count() >= 8, "a block per topic"
    for index in range(blocks.count()):
        cells = blocks.nth(index).evaluate(
            "b => [...b.querySelectorAll('.pm-compare__cell')].map(e => { const r = e.getBoundingClientRect(); return {x: r.x, w: r.width}; })"
        )
        assert len(cells) == count, f"block {index}: {len(cells)} of {count} personas"
        for cell in cells:
            assert cell["x"] >= 0 and cell["x"] + cell["w"] <= 1280 + 1, (
                f"block {index}: a persona is cut off: {cell}"
            )
    s.page.screenshot(path=str(SCREENSHOTS / "compare-1280.png"), full_page=True)
    assert_clean(s, "compare 1280")


def test_compare_stacks_personas_on_a_phone(built_site: BuiltSite, open_page: Any):
    s = open_page(**PHONE)
    goto(s, built_site, "/compare/")
    no_sideways_scroll(s.page, "compare on a phone")
    cells = s.page.locator("section.pm-compare").first.evaluate(
        "b => [...b.querySelectorAll('.pm-compare__cell')].map(e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, h: r.height}; })"
    )
    assert len(cells) >= 4
    for prev, cur in zip(cells, cells[1:], strict=False):
        assert abs(cur["x"] - prev["x"]) <= 2 and cur["y"] >= prev["y"] + prev["h"] - 1, (
            f"not stacked: {cells}"
        )


# --- schema reference ----------------------------------------------------------------------------


def test_schema_field_names_never_break_mid_word(built_site: BuiltSite, open_page: Any):
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        s = open_page(viewport=viewport)
        goto(s, built_site, "/schema/")
        lines = s.page.eval_on_selector_all(
            ".pm-schema td:first-child code",
            "els => els.map(e => [e.textContent, e.getClientRects().length])",
        )
        assert len(lines) > 30, "the schema tables were found"
        broken = [name for name, rects in lines if rects != 1]
        assert not broken, f"{viewport['width']} px: field names broken over lines: {broken}"


# --- search --------------------------------------------------------------------------------------


def test_search_results_show_no_avatar_letter_and_separated_evidence(built_site: BuiltSite, open_page: Any):
    s = open_page()
    goto(s, built_site, "/")
    search(s, "Priya Platform Lead")
    first = s.page.locator(".md-search-result__item").first
    text = " ".join(first.inner_text().split())
    assert text.startswith("Priya, the Platform Lead"), f"a stray letter before the title: {text[:60]!r}"
    search(s, "sample size")
    teasers = " ".join(s.page.locator(".md-search-result__list").inner_text().split())
    assert re.search(r"Sample size: \d+ people", teasers), teasers[:500]
    assert not re.search(r"\d{3}\d{1,2}%", teasers), "numbers of separate facts run together"
    assert_clean(s, "search teasers")


# --- the persona at a glance --------------------------------------------------------------------


def test_the_persona_page_opens_with_the_persona_at_a_glance(built_site: BuiltSite, open_page: Any):
    persona = read_personas(built_site.repo)[PRIYA]
    evidence = persona["spec"]["evidence"]
    s = open_page(viewport={"width": 1280, "height": 900})
    goto(s, built_site, f"/personas/{PRIYA}/")
    glance = s.page.locator(".pm-glance")
    expect(glance).to_be_visible()
    assert glance.bounding_box()["y"] < 400, "the glance is at the top of the page"
    expect(glance.locator(".pm-avatar svg")).to_have_count(1)
    expect(glance.locator(".pm-glance__role")).to_contain_text(persona["spec"]["role"]["title"])
    expect(glance.locator(".pm-tier")).to_have_text("Primary")
    expect(glance.locator(".pm-review")).to_have_count(1)
    percent = round(evidence["segment_share"] * 100)
    bar = glance.locator(".pm-share__bar")
    expect(bar).to_have_attribute("aria-label", f"{percent}% of the people in the research")
    fill = glance.locator(".pm-share__fill").bounding_box()["width"] / bar.bounding_box()["width"]
    assert abs(fill - evidence["segment_share"]) < 0.02, f"the bar shows {fill:.0%}, not {percent}%"
    expect(glance.locator(".pm-share")).to_contain_text(f"a sample of {evidence['sample_size']}")
    expect(glance.locator(".pm-strength")).to_contain_text("Strong evidence")
    quote = " ".join(glance.locator(".pm-glance__quote blockquote").inner_text().split())
    assert quote.strip("“”") in [" ".join(q["text"].split()) for q in persona["spec"]["quotes"]]
    goals, pains = (
        glance.locator(".pm-glance__goals").bounding_box(),
        glance.locator(".pm-glance__pains").bounding_box(),
    )
    assert abs(goals["y"] - pains["y"]) < 2 and pains["x"] >= goals["x"] + goals["width"] - 1, (
        "goals beside pains"
    )
    s.page.screenshot(path=str(SCREENSHOTS / f"one-pager-{PRIYA}.png"), full_page=False)
    phone = open_page(**PHONE)
    goto(phone, built_site, f"/personas/{PRIYA}/")
    no_sideways_scroll(phone.page, "persona page on a phone")
    assert_clean(s, "persona glance")


def test_generated_avatars_are_distinct(built_site: BuiltSite, open_page: Any):
    s = open_page()
    goto(s, built_site, "/")
    cards = s.page.locator("article.pm-card")
    count = cards.count()
    assert count == len(read_personas(built_site.repo))
    drawings, pixels = set(), set()
    for index in range(count):
        avatar = cards.nth(index).locator(".pm-avatar")
        expect(avatar.locator("svg")).to_have_count(1)
        drawings.add(avatar.inner_html())
        pixels.add(hashlib.sha256(avatar.screenshot()).hexdigest())
    assert len(drawings) == count and len(pixels) == count, "two personas share an avatar"
    goto(s, built_site, f"/personas/{PRIYA}/")
    again = s.page.locator(".pm-glance .pm-avatar").inner_html()
    assert again in drawings, "a persona's avatar is the same on every page"


# --- print ---------------------------------------------------------------------------------------


def pdf_pages(page: Any) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True))).pages)


def test_print_a_persona_on_two_pages_and_its_empathy_map_on_one(built_site: BuiltSite, open_page: Any):
    s = open_page()
    checked = 0
    for pid in EXAMPLE_IDS:
        goto(s, built_site, f"/personas/{pid}/")
        assert 1 <= pdf_pages(s.page) <= 2, f"{pid} prints on more than 2 A4 pages"
        goto(s, built_site, f"/personas/{pid}/empathy-map/")
        assert pdf_pages(s.page) == 1, f"{pid}'s empathy map prints on more than one page"
        checked += 1
    assert checked == 4
    s.page.emulate_media(media="print")
    s.page.set_viewport_size({"width": 718, "height": 1000})  # A4 less its margins, at 96 dpi
    goto(s, built_site, f"/personas/{PRIYA}/empathy-map/")
    b = {
        q: s.page.locator(f".pm-empathy__quadrant--{q}").bounding_box()
        for q in ("says", "thinks", "does", "feels")
    }
    assert abs(b["says"]["y"] - b["thinks"]["y"]) <= 4 and b["thinks"]["x"] > b["says"]["x"], f"not 2x2: {b}"
    assert abs(b["does"]["y"] - b["feels"]["y"]) <= 4 and b["does"]["y"] > b["says"]["y"], f"not 2x2: {b}"
    hidden = s.page.evaluate(
        """() => ['.md-header', '.md-sidebar--primary', '.md-footer', '.md-search'].map(sel => {
            const el = document.querySelector(sel); return [sel, !el || getComputedStyle(el).display === 'none'];
        })"""
    )
    assert all(gone for _, gone in hidden), f"on paper: {hidden}"


# --- research -----------------------------------------------------------------------------------


def test_research_page_speaks_plainly_and_keeps_details_collapsed(built_site: BuiltSite, open_page: Any):
    s = open_page()
    goto(s, built_site, "/research/")
    details = s.page.locator("details.pm-researcher")
    expect(details).to_have_count(1)
    assert details.evaluate("d => !d.open"), "the researcher's details start collapsed"
    expect(details.locator("table").first).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator("table").first).to_be_visible()
    assert_clean(s, "research page")


# --- accessibility of the new pages --------------------------------------------------------------


def test_new_pages_have_no_serious_accessibility_violations(engine_site: BuiltSite, open_page: Any):
    from axe_playwright_python.sync_playwright import Axe

    axe, problems = Axe(), []
    s = open_page()
    pages = [
        "/research/",
        "/schema/",
        "/tags/",
        "/compare/",
        f"/personas/{PRIYA}/",
        f"/personas/{PRIYA}/empathy-map/",
    ]
    for path in pages:
        goto(s, engine_site, path)
        for v in axe.run(s.page).response["violations"]:
            if v.get("impact") in ("serious", "critical"):
                targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])][:5]
                problems.append(f"{path}: [{v['impact']}] {v['id']}: {v['help']} -> {targets}")
    assert not problems, "axe-core found serious/critical violations:\n" + "\n".join(problems)


# --- smoke tests of the site built by each engine ------------------------------------------------


def site_pages(site: BuiltSite) -> list[str]:
    pages = sorted(p.relative_to(site.out).as_posix() for p in site.out.rglob("index.html"))
    return ["/" + p.removesuffix("index.html") for p in pages]


def test_every_page_loads_without_console_errors(engine_site: BuiltSite, open_page: Any):
    pages = site_pages(engine_site)
    assert len(pages) >= 15, pages
    s = open_page()
    for path in pages:
        goto(s, engine_site, path)
        expect(s.page.locator("h1").first).to_be_visible()
        assert_clean(s, f"{engine_site.out}: {path}")
    goto(s, engine_site, "/")
    badge = s.page.locator("span.pm-review[data-review-by]").first
    expect(badge).to_have_attribute("data-status", re.compile("current|due-soon|overdue"))


def test_search_finds_a_pain_point(engine_site: BuiltSite, open_page: Any):
    persona = read_personas(engine_site.repo)[PRIYA]
    words = " ".join(persona["spec"]["pain_points"][0].split()[:3]).strip(",")
    s = open_page()
    goto(s, engine_site, "/")
    links = engine_search(s, words)
    assert any(f"/personas/{PRIYA}/" in link for link in links), f"searching {words!r} found {links}"
    assert_clean(s, "search")


def test_no_request_leaves_the_site(engine_site: BuiltSite, open_page: Any):
    s = open_page()
    before = len(SESSION_REQUESTS)
    for path in site_pages(engine_site):
        goto(s, engine_site, path)
    s.page.wait_for_load_state("networkidle")
    engine_search(s, "pipeline")
    made = SESSION_REQUESTS[before:]
    assert len(made) > len(site_pages(engine_site)), "requests were recorded"
    external = sorted({url for _, url in made if is_external(url)})
    assert not external, f"requests to other hosts: {external}"
