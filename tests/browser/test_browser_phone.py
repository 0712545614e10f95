"""Phones (390×844), tablets (900×1200) and desktops: every page of the book, as readers on those screens get it.

Each page is loaded once per screen size (one browser for the whole run) and checked for: drawers that
open from the visible buttons, no sideways scrolling, wide formulas/tables/outputs scrolling in their own
box with a cue, figure text of at least 9 px on a phone, interface strings in Simplified Chinese, and no
console errors or failed requests (a missing favicon included).  The heaviest page is loaded once more
with an empty cache under Chromium's Fast 3G throttling from a gzip-serving local server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

import browser_checks as bc
from browser_checks import listing
import phone_checks as pc


@dataclass
class ScreenReport:
    page: str
    screen: str
    seconds: float = 0.0
    scroll_width: int = 0
    sideways: list[str] = field(default_factory=list)
    boxes: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    drawers: list[str] = field(default_factory=list)
    ui: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def words_of_the_book(book, pages):
    return pc.content_words(book, pages)


@pytest.fixture(scope="session")
def inspect_screen(book, server, browser, words_of_the_book, pytestconfig):
    """inspect(page, screen) -> ScreenReport.  Each page is loaded once, at phone size, and then resized to
    tablet and desktop size (layout follows the viewport; the page is not reloaded)."""
    cache: dict[tuple[str, str], ScreenReport] = {}
    pytestconfig._cnnbook_screens = cache

    def inspect(page_path: str, screen: str) -> ScreenReport:
        if (page_path, screen) not in cache:
            start = time.perf_counter()
            tab, watch = bc.open_page(browser, server, page_path, viewport=pc.VIEWPORTS["phone"])
            try:
                for name, size in pc.VIEWPORTS.items():
                    tab.set_viewport_size(size)
                    tab.wait_for_timeout(300)
                    report = ScreenReport(page_path, name)
                    report.scroll_width = pc.sideways_width(tab)
                    report.sideways = pc.sideways_problems(tab)
                    report.boxes = pc.scroll_box_problems(tab)
                    report.figures = pc.figure_text_sizes(tab, book, server)
                    report.ui = pc.ui_string_problems(pc.ui_strings(tab), words_of_the_book)
                    if name != "desktop":
                        report.drawers = pc.drawer_problems(tab, "primary") + pc.drawer_problems(tab, "secondary")
                    cache[(page_path, name)] = report
                network = bc.network_problems(watch)
            finally:
                bc.close(tab)
            for name in pc.VIEWPORTS:
                cache[(page_path, name)].network = network
                cache[(page_path, name)].seconds = time.perf_counter() - start
        return cache[(page_path, screen)]

    return inspect


@pytest.fixture(params=["phone", "tablet", "desktop"])
def screen(request, book_page, inspect_screen) -> ScreenReport:
    return inspect_screen(book_page, request.param)


def test_drawers_open_from_the_visible_buttons(screen):
    assert not screen.drawers, f"{screen.page} at {screen.screen} size:{listing(screen.drawers)}"


def test_page_does_not_scroll_sideways(screen):
    assert not screen.sideways, f"{screen.page} at {screen.screen} size:{listing(screen.sideways)}"


def test_wide_content_scrolls_in_its_own_box_with_a_cue(screen):
    assert not screen.boxes, f"{screen.page} at {screen.screen} size:{listing(screen.boxes)}"


def test_figure_text_is_readable_on_a_phone(screen):
    if screen.screen != "phone":
        pytest.skip("the 9 px rule is for the phone width")
    problems = pc.figure_text_problems(screen.figures)
    assert not problems, f"{screen.page} at 390 px:{listing(problems)}"


def test_interface_strings_are_simplified_chinese(screen):
    assert not screen.ui, f"{screen.page} at {screen.screen} size:{listing(screen.ui)}"


def test_no_console_errors_or_failed_requests(screen):
    assert not screen.network, f"{screen.page} at {screen.screen} size:{listing(screen.network)}"


# ------------------------------------------------------------------------------------------ weight


def test_heaviest_page_is_light_on_fast_3g(book, pages, browser, pytestconfig):
    """Every page's transfer is measured from a gzip-serving local server (as GitHub Pages or nginx serve
    it); the heaviest one is loaded again with an empty cache under Fast 3G (1.6 Mbit/s, 150 ms)."""
    weights = {}
    with pc.serve_gzip(book) as url:
        for page in pages:
            weights[page] = pc.load_with_cdp(browser, url, page)
        heaviest = max(pages, key=lambda p: weights[p]["transferred"])
        slow = pc.load_with_cdp(browser, url, heaviest, throttle=pc.FAST_3G)
    lines = [f"{bc.page_id(p):28} {w['transferred'] / 1e6:5.2f} MB transferred ({w['decoded'] / 1e6:5.2f} MB "
             f"unpacked) in {w['requests']} requests" for p, w in weights.items()]
    summary = (f"heaviest {heaviest}: Fast 3G load {slow['load_s']:.1f} s (first paint {slow['fcp_s']:.1f} s), "
               f"{slow['transferred'] / 1e6:.2f} MB in {slow['requests']} requests")
    print("\n".join(lines + [summary]))
    pytestconfig._cnnbook_weights = lines + [summary]
    assert slow["transferred"] <= pc.MAX_TRANSFER_BYTES, (
        f"{heaviest} transfers {slow['transferred'] / 1e6:.2f} MB (limit {pc.MAX_TRANSFER_BYTES / 1e6} MB); "
        f"largest: {slow['largest']}")
    assert slow["load_s"] <= pc.MAX_FAST_3G_LOAD_S, (
        f"{heaviest} takes {slow['load_s']:.1f} s to load on Fast 3G (limit {pc.MAX_FAST_3G_LOAD_S} s); "
        f"largest: {slow['largest']}")
    assert not slow["problems"], listing(slow["problems"])


# ------------------------------------------------------------------------------------------ search


def test_search_snippets_are_article_text_and_hits_are_not_repeated(server, browser):
    """Searching a chapter title word: the top page is listed once, and no snippet starts with the page's
    buttons (.ipynb/.pdf, 目录) or the print-only table of contents."""
    from urllib.parse import urljoin, urlsplit

    page, watch = bc.new_page(browser, server)
    try:
        page.goto(urljoin(server, "search.html?q=" + "卷积"), wait_until="load")
        page.wait_for_function(
            "document.querySelector('#search-results .search-summary') && "
            "document.querySelector('#search-results .search-summary').textContent.trim().length > 0", timeout=60000)
        page.wait_for_timeout(1500)  # snippets are fetched one page at a time
        hits = page.evaluate(
            "() => Array.from(document.querySelectorAll('#search-results ul.search li')).map(li => ({"
            " href: li.querySelector('a').href, title: li.querySelector('a').textContent.trim(),"
            " snippet: (li.querySelector('.context') || {textContent: ''}).textContent.trim()}))")
    finally:
        bc.close(page)
    assert hits, "no search results for 卷积"
    top = hits[0]
    same = [h for h in hits if urlsplit(h["href"]).path == urlsplit(top["href"]).path and h["title"] == top["title"]]
    assert len(same) == 1, f"the top hit {top['title']!r} is listed {len(same)} times: {same}"
    ui_starts = [h for h in hits if h["snippet"] and (".ipynb" in h["snippet"][:40] or ".pdf" in h["snippet"][:40]
                                                      or h["snippet"].lstrip(".… ").startswith("目录"))]
    assert not ui_starts, "snippets that start with interface text:\n  " + "\n  ".join(
        f"{h['title']}: {h['snippet'][:80]}" for h in ui_starts)
