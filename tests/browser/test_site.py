"""The built persona site in a real browser: pages, search, review badges, layout, accessibility, XSS.

Run: .venv/bin/python -m pytest tests/browser -q
"""

from __future__ import annotations

import calendar
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

import pytest
from browser_support import (
    ROOT,
    SCREENSHOTS,
    SESSION_REQUESTS,
    BuiltSite,
    Session,
    is_external,
    require_browser,
)
from ruamel.yaml import YAML

require_browser()

from playwright.sync_api import expect  # noqa: E402 - only once we know Playwright is there

pytestmark = pytest.mark.browser

XSS_ID = "xss-probe"
XSS_SEARCH_WORD = "quokkafrost"  # only in the xss-probe persona's pain points
# Persona ids known at collection time: the repository's personas plus the fixture ones.
PERSONA_IDS = sorted(
    {p.stem for p in (ROOT / "personas").glob("*.yaml")}
    | {p.stem for p in (ROOT / "tests/data/xss").glob("*.yaml")}
)
EXAMPLE_IDS = sorted(p.stem for p in (ROOT / "personas").glob("*.yaml"))
PAGE_SETTLE_MS = 300  # lets late handlers (img onerror, details ontoggle) fire before checking


# --- helpers -------------------------------------------------------------------------------------


def read_personas(repo: Path) -> dict[str, dict[str, Any]]:
    """Every persona file of the built repository copy, by metadata.id."""
    yaml = YAML(typ="safe")
    personas = {}
    for path in sorted((repo / "personas").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        personas[data["metadata"]["id"]] = data
    return personas


def rules(repo: Path) -> dict[str, Any]:
    with open(repo / "pyproject.toml", "rb") as f:
        return tomllib.load(f).get("tool", {}).get("personas", {})


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_by(persona: dict[str, Any], default_interval: int) -> date:
    review = persona["spec"]["review"]
    if "review_by" in review:
        return as_date(review["review_by"])
    return add_months(as_date(review["last_reviewed"]), review.get("interval_months", default_interval))


def review_status(by: date, today: date, due_soon_days: int) -> str:
    if today > by:
        return "overdue"
    return "due-soon" if (by - today).days <= due_soon_days else "current"


def squash(text: str) -> str:
    """Whitespace-normalised text, as a browser shows it."""
    return " ".join(str(text).split())


def goto(session: Session, site: BuiltSite, path: str, *, settle: int = 0) -> None:
    response = session.page.goto(site.url(path), wait_until="load")
    assert response is not None, f"no response for {path}"
    assert response.status == 200, f"{path}: HTTP {response.status}"
    if settle:
        session.page.wait_for_timeout(settle)


def path_of(url: str) -> str:
    return urlsplit(url).path


def assert_clean(session: Session, what: str) -> None:
    """No console error or uncaught exception (external requests are test_no_request_leaves_localhost's)."""
    errors = session.recorder.errors()
    assert not errors, f"{what}: console errors or uncaught exceptions:\n" + "\n".join(errors)


def search(session: Session, text: str, *, expect_results: bool = True) -> list[str]:
    """Type into Material's search box and return the result links (absolute URLs).

    With expect_results=False, waits until the search has answered (results or "No matching documents").
    """
    page = session.page
    box = page.locator("input.md-search__input")
    if not box.is_visible():
        page.locator("label.md-header__button[for=__search]").click()
    box.click()
    box.fill(text)
    box.press("End")  # Material searches on keyup
    if expect_results:
        page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=10_000)
        # The list may still show the previous query's results: wait for this query's highlight links.
        token = quote_plus(text.split()[0].lower()) if text.split() else ""
        page.wait_for_function(
            """token => [...document.querySelectorAll('.md-search-result__item a[href]')]
                .some(a => a.href.toLowerCase().includes('h=' + token))""",
            arg=token,
            timeout=10_000,
        )
    else:
        expect(page.locator(".md-search-result__meta")).to_have_text(
            re.compile(r"matching document"), timeout=10_000
        )
    return page.eval_on_selector_all(".md-search-result__item a[href]", "links => links.map(a => a.href)")


def guide_pages(repo: Path) -> list[str]:
    return [f"/{p.stem}/" for p in sorted((repo / "site").glob("*.md")) if p.stem != "index"]


# --- 1. home page ---------------------------------------------------------------------------------


def test_home_lists_every_persona_primary_first(built_site: BuiltSite, open_page: Any) -> None:
    personas = read_personas(built_site.repo)
    assert XSS_ID in personas, "the fixture persona was not copied into the build"
    s = open_page()
    goto(s, built_site, "/")
    cards = s.page.eval_on_selector_all(
        "article.pm-card",
        """cards => cards.map(c => {
            const a = c.querySelector('a.pm-card__link');
            return {href: a ? a.href : null, text: a ? a.innerText : null};
        })""",
    )
    assert cards, "no article.pm-card on the home page"
    assert all(c["href"] for c in cards), f"a card has no a.pm-card__link: {cards}"
    shown = {}
    for card in cards:
        match = re.fullmatch(r"/personas/([^/]+)/", path_of(card["href"]))
        assert match, f"card link {card['href']} is not /personas/<id>/"
        shown[match.group(1)] = squash(card["text"])
    assert sorted(shown) == sorted(personas), "home page cards differ from the persona files"
    assert len(cards) == len(personas), "a persona has more than one card"
    for pid, data in personas.items():
        assert shown[pid] == squash(data["metadata"]["name"]), f"card of {pid} shows the wrong name"
    tiers = [
        personas[re.fullmatch(r"/personas/([^/]+)/", path_of(c["href"])).group(1)]["metadata"]["tier"]
        for c in cards
    ]
    assert tiers == sorted(tiers, key=lambda t: t != "primary"), f"secondary before primary: {tiers}"
    for card in cards:  # the links work
        assert s.page.request.get(card["href"]).status == 200, f"{card['href']} is not served"
    assert_clean(s, "home")


# --- 2. persona and empathy-map pages ------------------------------------------------------------


@pytest.mark.parametrize("persona_id", PERSONA_IDS)
def test_persona_and_empathy_pages_load_cleanly(
    built_site: BuiltSite, open_page: Any, persona_id: str
) -> None:
    name = squash(read_personas(built_site.repo)[persona_id]["metadata"]["name"])
    s = open_page()
    for path, heading in (
        (f"/personas/{persona_id}/", name),
        (f"/personas/{persona_id}/empathy-map/", f"Empathy map: {name}"),
    ):
        goto(s, built_site, path)
        h1 = s.page.locator(".md-content h1").first
        expect(h1).to_be_visible()
        text = squash(h1.inner_text()).removesuffix("¶").strip()
        assert text == heading, f"{path}: h1 is {text!r}, expected {heading!r}"
        assert name in s.page.title(), f"{path}: <title> {s.page.title()!r} does not name the persona"
        # The navigation shows the name as written (not double-escaped, not markup).
        nav = [squash(t) for t in s.page.locator("nav.md-nav--primary .md-nav__link").all_inner_texts()]
        assert name in nav, f"{path}: the navigation does not show {name!r}"
    assert_clean(s, f"pages of {persona_id}")


# --- 4. search -----------------------------------------------------------------------------------


def distinctive_words(personas: dict[str, dict[str, Any]], pid: str, text: str, count: int = 3) -> list[str]:
    """Words of `text` that appear in no other persona file (falling back to any long word)."""
    others = " ".join(str(p).lower() for other, p in personas.items() if other != pid)
    words = [w for w in re.findall(r"[A-Za-z]{5,}", text)]
    unique = [w for w in words if w.lower() not in others]
    chosen = list(dict.fromkeys(unique or words))[:count]
    assert chosen, f"no searchable word in {text!r}"
    return chosen


def test_search_finds_persona_by_pain_point(built_site: BuiltSite, open_page: Any) -> None:
    personas = read_personas(built_site.repo)
    pid = "platform-lead-priya" if "platform-lead-priya" in personas else EXAMPLE_IDS[0]
    words = distinctive_words(personas, pid, personas[pid]["spec"]["pain_points"][0], count=2)
    s = open_page()
    goto(s, built_site, "/")
    links = search(s, " ".join(words))
    assert any(path_of(u).startswith(f"/personas/{pid}/") for u in links), (
        f"searching {' '.join(words)!r} did not find {pid}: {links}"
    )
    links = search(s, XSS_SEARCH_WORD)
    assert any(path_of(u).startswith(f"/personas/{XSS_ID}/") for u in links), (
        f"searching {XSS_SEARCH_WORD!r} did not find {XSS_ID}: {links}"
    )
    assert_clean(s, "search")


# --- 5. review status, recomputed in the browser -------------------------------------------------

BADGE = "span.pm-review[data-review-by]"
STATUS_CLASSES = ("current", "due-soon", "overdue")


def expect_badge(badge: Any, status: str, text_start: str | None = None) -> None:
    expect(badge).to_have_attribute("data-status", status, timeout=3_000)
    expect(badge).to_have_class(re.compile(rf"(^|\s)pm-review--{status}(\s|$)"))
    for other in STATUS_CLASSES:
        if other != status:  # a stale server-side class would paint the wrong colour
            expect(badge).not_to_have_class(re.compile(rf"(^|\s)pm-review--{other}(\s|$)"))
    if text_start:
        expect(badge).to_have_text(re.compile(r"^\s*" + re.escape(text_start)))


def test_review_badges_current_today(built_site: BuiltSite, open_page: Any) -> None:
    personas = read_personas(built_site.repo)
    conf = rules(built_site.repo)
    s = open_page()
    goto(s, built_site, "/")
    for pid in EXAMPLE_IDS:
        expected = review_status(
            review_by(personas[pid], conf.get("review_interval_months", 12)),
            date.today(),
            conf.get("due_soon_days", 30),
        )
        badge = s.page.locator(f"article.pm-card:has(a[href$='personas/{pid}/']) {BADGE}")
        expect(badge).to_have_count(1)
        expect_badge(badge, expected)
        # The example personas are kept current; this flags the day they need a review.
        assert expected == "current", f"{pid} is {expected} today: review it (or update this test's data)"
    assert_clean(s, "review badges today")


def test_review_badges_overdue_in_2031(built_site: BuiltSite, open_page: Any) -> None:
    s = open_page()
    s.page.clock.set_fixed_time(datetime(2031, 1, 1, 12, tzinfo=UTC))
    for path in ("/", f"/personas/{EXAMPLE_IDS[0]}/"):
        goto(s, built_site, path)
        badges = s.page.locator(BADGE)
        assert badges.count() > 0, f"{path}: no review badge"
        for badge in badges.all():
            expect_badge(badge, "overdue", "Overdue for review")
    assert_clean(s, "overdue badges")


def test_review_badge_due_soon(built_site: BuiltSite, open_page: Any) -> None:
    personas = read_personas(built_site.repo)
    conf = rules(built_site.repo)
    pid = EXAMPLE_IDS[0]
    by = review_by(personas[pid], conf.get("review_interval_months", 12))
    ten_days_before = by - timedelta(days=10)
    s = open_page()
    s.page.clock.set_fixed_time(
        datetime.combine(ten_days_before, datetime.min.time(), UTC) + timedelta(hours=12)
    )
    goto(s, built_site, f"/personas/{pid}/")
    badges = s.page.locator(BADGE)
    assert badges.count() > 0, f"no review badge on {pid}"
    for badge in badges.all():
        expect(badge).to_have_attribute("data-review-by", by.isoformat())
        expect_badge(badge, "due-soon")
    assert_clean(s, "due-soon badges")


# --- 6. empathy-map layout -----------------------------------------------------------------------

QUADRANTS = ("says", "thinks", "does", "feels")


def quadrant_boxes(page: Any) -> dict[str, dict[str, float]]:
    boxes = {}
    for q in QUADRANTS:
        box = page.locator(f".pm-empathy__quadrant--{q}").bounding_box()
        assert box is not None, f"quadrant {q} is not rendered"
        boxes[q] = box
    return boxes


def test_empathy_map_is_2x2_on_desktop(built_site: BuiltSite, open_page: Any) -> None:
    pid = "platform-lead-priya" if "platform-lead-priya" in PERSONA_IDS else EXAMPLE_IDS[0]
    s = open_page(viewport={"width": 1280, "height": 900})
    goto(s, built_site, f"/personas/{pid}/empathy-map/")
    b = quadrant_boxes(s.page)
    tol = 4
    assert abs(b["says"]["y"] - b["thinks"]["y"]) <= tol, f"says and thinks are not on one row: {b}"
    assert b["thinks"]["x"] >= b["says"]["x"] + b["says"]["width"] - tol, f"thinks is not right of says: {b}"
    assert abs(b["does"]["y"] - b["feels"]["y"]) <= tol, f"does and feels are not on one row: {b}"
    assert b["does"]["y"] >= b["says"]["y"] + b["says"]["height"] - tol, f"does is not below says: {b}"
    assert abs(b["does"]["x"] - b["says"]["x"]) <= tol, f"does is not under says: {b}"
    assert b["feels"]["x"] >= b["does"]["x"] + b["does"]["width"] - tol, f"feels is not right of does: {b}"
    assert_clean(s, "empathy map desktop")


def test_empathy_map_stacks_on_phone(built_site: BuiltSite, open_page: Any) -> None:
    pid = "platform-lead-priya" if "platform-lead-priya" in PERSONA_IDS else EXAMPLE_IDS[0]
    s = open_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    for path in (f"/personas/{pid}/empathy-map/", f"/personas/{XSS_ID}/empathy-map/"):
        goto(s, built_site, path)
        b = quadrant_boxes(s.page)
        for prev, cur in zip(QUADRANTS, QUADRANTS[1:], strict=False):
            assert abs(b[cur]["x"] - b[prev]["x"]) <= 4, f"{path}: {cur} is not under {prev}: {b}"
            assert b[cur]["y"] > b[prev]["y"] + b[prev]["height"] - 1, f"{path}: {cur} overlaps {prev}: {b}"
        widths = s.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1] + 1, (
            f"{path}: horizontal scroll on a phone (scrollWidth, innerWidth) = {widths}"
        )
    assert_clean(s, "empathy map phone")


# --- 7. accessibility ----------------------------------------------------------------------------


def test_no_serious_accessibility_violations(built_site: BuiltSite, open_page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    pid = "platform-lead-priya" if "platform-lead-priya" in PERSONA_IDS else EXAMPLE_IDS[0]
    axe = Axe()
    problems = []
    s = open_page()
    for path in ("/", f"/personas/{pid}/", f"/personas/{pid}/empathy-map/", "/compare/"):
        goto(s, built_site, path)
        violations = axe.run(s.page).response["violations"]
        for v in violations:
            if v.get("impact") in ("serious", "critical"):
                targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])][:5]
                problems.append(f"{path}: [{v['impact']}] {v['id']}: {v['help']} -> {targets}")
    assert not problems, "axe-core found serious/critical violations:\n" + "\n".join(problems)


# --- 8. XSS --------------------------------------------------------------------------------------

XSS_DOM_CHECK = """() => {
    const found = [];
    if (typeof window.__xss !== 'undefined') found.push('window.__xss is set');
    for (const s of document.querySelectorAll('script')) {
        if ((s.textContent || '').includes('__xss')) found.push('script element: ' + s.outerHTML.slice(0, 120));
    }
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            if (attr.name.toLowerCase().startsWith('on') && attr.value.includes('__xss'))
                found.push(`${el.tagName.toLowerCase()}[${attr.name}="${attr.value}"]`);
        }
    }
    for (const a of document.querySelectorAll('a[href], area[href]')) {
        const href = (a.getAttribute('href') || '').replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
        if (href.startsWith('javascript:')) found.push('javascript: link ' + a.outerHTML.slice(0, 120));
    }
    for (const f of document.querySelectorAll('iframe, frame, object, embed')) found.push('embedded frame ' + f.outerHTML.slice(0, 120));
    return found;
}"""


def persona_list_texts(page: Any, heading_id: str) -> list[str]:
    return [
        squash(t)
        for t in page.locator(f"xpath=//h2[@id='{heading_id}']/following-sibling::ul[1]/li").all_inner_texts()
    ]


def test_xss_payloads_are_shown_never_run(built_site: BuiltSite, open_page: Any) -> None:
    probe = read_personas(built_site.repo)[XSS_ID]
    spec = probe["spec"]
    s = open_page()
    findings = []

    def check(what: str) -> None:
        found = s.page.evaluate(XSS_DOM_CHECK)
        findings.extend(f"{what}: {f}" for f in found)

    for path in (f"/personas/{XSS_ID}/", f"/personas/{XSS_ID}/empathy-map/", "/", "/compare/", "/research/"):
        goto(s, built_site, path, settle=PAGE_SETTLE_MS)
        check(path)
        if path == f"/personas/{XSS_ID}/":
            # Payloads read as the text the author wrote.
            text = s.page.locator(".md-content").inner_text()
            for payload in (
                "<script>window.__xss=1</script>",
                '<img src=x onerror="window.__xss=1">',
                "[click](javascript:window.__xss=1)",
                '{: onclick="window.__xss=1" }',
                "&lt;script&gt;window.__xss=1&lt;/script&gt;",
                '--8<-- "/etc/passwd"',
                '<iframe srcdoc="<script>parent.__xss=1</script>">',
            ):
                assert payload in text, f"{path}: payload {payload!r} is not shown as text"
            for field_name, heading in (
                ("goals", "goals"),
                ("motivations", "motivations"),
                ("pain_points", "pain-points"),
                ("behaviours", "behaviours"),
                ("channels", "channels"),
            ):
                assert persona_list_texts(s.page, heading) == [squash(v) for v in spec[field_name]], (
                    f"{path}: the {field_name} list does not show the YAML text verbatim"
                )
            assert "root:" not in text, f"{path}: a snippet include read /etc/passwd"
        if path.endswith("/empathy-map/"):
            for quadrant in ("says", "thinks", "does", "feels"):
                shown = [
                    squash(t)
                    for t in s.page.locator(f".pm-empathy__quadrant--{quadrant} li").all_inner_texts()
                ]
                assert shown == [squash(v) for v in spec["empathy_map"][quadrant]], (
                    f"{path}: the {quadrant} quadrant does not show the YAML text verbatim"
                )
    goto(s, built_site, "/")
    # Results render the indexed page text; the last query is itself a payload (search highlighting).
    # "script" finds nothing: the index keeps "&lt;script&gt;window.__xss=1..." as one token.
    queries = {
        "script": False,
        "onerror": True,
        "javascript": True,
        XSS_SEARCH_WORD: True,
        '<img src=x onerror="window.__xss=1">': False,
    }
    for query, has_results in queries.items():
        search(s, query, expect_results=has_results)
        s.page.wait_for_timeout(PAGE_SETTLE_MS)
        check(f"search {query!r}")
    # A result link highlights the query on the page it opens (?h=, feature search.highlight).
    for query in ("onerror", "script", "<script>window.__xss=1</script>"):
        goto(s, built_site, f"/personas/{XSS_ID}/?h={quote_plus(query)}", settle=PAGE_SETTLE_MS)
        check(f"/personas/{XSS_ID}/?h={query}")
    assert not s.recorder.dialogs, f"dialogs opened: {s.recorder.dialogs}"
    assert not findings, "XSS payloads became live markup:\n" + "\n".join(findings)
    assert_clean(s, "xss probe")


# --- 9. screenshots ------------------------------------------------------------------------------


def test_screenshots(built_site: BuiltSite, open_page: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pid = "platform-lead-priya" if "platform-lead-priya" in PERSONA_IDS else EXAMPLE_IDS[0]
    shots = {
        "home.png": "/",
        f"persona-{pid}.png": f"/personas/{pid}/",
        f"empathy-map-{pid}.png": f"/personas/{pid}/empathy-map/",
    }
    s = open_page(viewport={"width": 1280, "height": 900})
    for name, path in shots.items():
        goto(s, built_site, path)
        s.page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    phone = open_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    goto(phone, built_site, f"/personas/{pid}/empathy-map/")
    phone.page.screenshot(path=str(SCREENSHOTS / f"empathy-map-{pid}-phone.png"), full_page=True)
    for name in [*shots, f"empathy-map-{pid}-phone.png"]:
        assert (SCREENSHOTS / name).stat().st_size > 1000, f"{name} is empty"


# --- 10. dark theme ------------------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "material"), [("light", "default"), ("dark", "slate")])
def test_color_schemes(built_site: BuiltSite, open_page: Any, scheme: str, material: str) -> None:
    count = len(read_personas(built_site.repo))
    s = open_page(color_scheme=scheme)
    goto(s, built_site, "/")
    expect(s.page.locator("body")).to_have_attribute("data-md-color-scheme", material)
    expect(s.page.locator("article.pm-card")).to_have_count(count)
    expect(s.page.locator("article.pm-card").first).to_be_visible()
    assert_clean(s, f"{scheme} theme")


# --- 3. no external requests (last: it also checks what every earlier test requested) -------------


def test_no_request_leaves_localhost(built_site: BuiltSite, open_page: Any) -> None:
    """The site is internal: no fonts, CDNs or API calls. Crawls the shared pages; persona pages are
    visited by the tests above, whose requests are checked here too."""
    pages = ["/", "/compare/", "/research/", "/schema/", "/tags/", "/404.html", *guide_pages(built_site.repo)]
    pages += [f"/personas/{EXAMPLE_IDS[0]}/", f"/personas/{EXAMPLE_IDS[0]}/empathy-map/"]
    s = open_page()
    for path in pages:
        goto(s, built_site, path)
    s.page.wait_for_load_state("networkidle")
    search(s, "build")  # the search worker loads its index
    assert len(s.recorder.requests) > len(pages), "requests were not recorded"
    external: dict[str, set[str]] = {}
    for page, url in SESSION_REQUESTS:
        if is_external(url):
            external.setdefault(url, set()).add(path_of(page) if page else "(worker)")
    assert not external, (
        "the site requests hosts other than 127.0.0.1 (it must work offline, on an internal network):\n"
        + "\n".join(
            f"{url}  from {len(p)} page(s), e.g. {sorted(p)[:3]}" for url, p in sorted(external.items())
        )
    )
    assert_clean(s, "site crawl")
