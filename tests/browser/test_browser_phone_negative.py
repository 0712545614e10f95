"""The phone/tablet checks must fail on a broken book: each test breaks a copy of one page on purpose.

Same method as test_browser_negative.py (hard-linked copy of the build, edited pages are new files).
"""

import re

import pytest

import browser_checks as bc
import phone_checks as pc
from test_browser_negative import broken, edit, first_page_with, inject, loaded  # noqa: F401  (fixture)


def test_drawers_do_not_open_without_the_fix_script(broken, pages, browser):
    """Without _static/reader.js the visible ☰ and page-contents buttons only show a tooltip (theme bug)."""
    page = first_page_with(broken, pages, "secondary-toggle")
    edit(broken / page, r'<script\b[^>]*\bsrc="[^"]*reader\.js[^"]*"[^>]*>\s*</script>', "")
    with loaded(browser, broken, page) as (tab, watch):
        tab.set_viewport_size(pc.PHONE)
        primary = pc.drawer_problems(tab, "primary")
        secondary = pc.drawer_problems(tab, "secondary")
    assert any("does not open its drawer" in p for p in primary), primary
    assert any("does not open its drawer" in p for p in secondary), secondary


def test_a_wide_element_makes_the_page_scroll_sideways(broken, pages, browser):
    page = pages[0]
    inject(broken / page, '<p><code class="docutils literal notranslate"><span class="pre" style="white-space: nowrap; '
                          'overflow-wrap: normal">tensorflow.examples.tutorials.mnist.input_data.read_data_sets_without_breaks'
                          '</span></code></p><div style="width: 700px">宽块</div>')
    with loaded(browser, broken, page) as (tab, watch):
        tab.set_viewport_size(pc.PHONE)
        problems = pc.sideways_problems(tab)
    assert any("scrolls sideways" in p and "390 px viewport" in p for p in problems), problems


def test_a_cut_off_formula_and_a_box_without_cue_are_caught(broken, pages, browser):
    page = first_page_with(broken, pages, 'class="math')
    inject(broken / page, '<div style="overflow: hidden"><table><tr><td style="white-space: nowrap">'
                          + "很宽的表格单元 " * 30 + '</td></tr></table></div>'
                          '<div style="overflow-x: auto; background: none"><table><tr><td style="white-space: nowrap">'
                          + "另一个很宽的表格 " * 30 + '</td></tr></table></div>')
    with loaded(browser, broken, page) as (tab, watch):
        tab.set_viewport_size(pc.PHONE)
        problems = pc.scroll_box_problems(tab)
    assert any("很宽的表格单元" in p and "is cut off" in p for p in problems), problems
    assert any("另一个很宽的表格" in p and "shows no cue" in p for p in problems), problems


def test_a_figure_shown_too_small_on_a_phone_is_caught(broken, pages, server, browser, book):
    """A figure that records its text size, squeezed to 80 px: its text falls below 9 px."""
    page = next((p for p in pages if 'data-min-text-px' in (broken / p).read_text(encoding="utf-8")), None)
    if page is None:
        pytest.fail("no figure of the book records its text size (data-min-text-px): run python -m cnnbook.figures")
    edit(broken / page, r'(<img\b[^>]*?data-min-text-px="[^"]+"[^>]*?)(\sstyle="[^"]*")?(\s*/?>)',
         lambda m: m.group(1) + ' style="width: 80px !important; min-width: 0 !important; max-width: 80px !important"' + m.group(3))
    with loaded(browser, broken, page) as (tab, watch):
        tab.set_viewport_size(pc.PHONE)
        url = tab.url.split(page)[0]
        sizes = pc.figure_text_sizes(tab, broken, url)
    problems = pc.figure_text_problems(sizes)
    assert any("needs >= 9.0 px" in p for p in problems), (problems, sizes)


def test_english_and_traditional_interface_strings_are_caught(broken, pages, browser):
    page = pages[0]
    inject(broken / page, "")
    edit(broken / page, r"</body>", '<button title="Toggle primary sidebar">x</button>'
                                   '<button class="btn">列印成 PDF</button></body>')
    with loaded(browser, broken, page) as (tab, watch):
        problems = pc.ui_string_problems(pc.ui_strings(tab), pc.content_words(broken, pages))
    assert any("'Toggle'" in p for p in problems), problems
    assert any("Traditional Chinese" in p and "列印" in p for p in problems), problems


def test_a_heavy_page_goes_over_the_weight_limit(broken, pages, browser):
    """A page that pulls in 4 MB of random hex digits (2 MB gzipped) is over the 1.5 MB budget (measured unthrottled)."""
    import os

    page = pages[0]
    (broken / "_static" / "heavy.bin.js").write_bytes(b"//" + os.urandom(2_000_000).hex().encode())
    edit(broken / page, r"</body>", f'<script src="{"../" * page.count("/")}_static/heavy.bin.js"></script></body>')
    with pc.serve_gzip(broken) as url:
        weight = pc.load_with_cdp(browser, url, page)
    assert weight["transferred"] > pc.MAX_TRANSFER_BYTES, weight["transferred"]
