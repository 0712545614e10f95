"""Every page of the book, as a reader's browser shows it (offline: only 127.0.0.1 is reachable).

One test per check and page, e.g. test_math_is_typeset[chapters/01_why_cnn]; the page is loaded once
(conftest.inspect_page) and its full-page screenshot (dropdown solutions opened) goes to
<screenshots>/pages/<page>.png.
"""

import browser_checks as bc
from browser_checks import listing


def test_page_loads_offline_without_errors(report):
    assert report.screenshot is not None and report.screenshot.stat().st_size > 10_000, "no screenshot was taken"
    assert not report.network, f"{report.page}: failed requests or console errors:{listing(report.network)}"


def test_math_is_typeset(report):
    assert not report.math, f"{report.page}: math not typeset by MathJax:{listing(report.math)}"


def test_images_load(report):
    assert not report.images, f"{report.page}:{listing(report.images)}"


def test_animations_are_shown(report):
    assert not report.gifs, f"{report.page}:{listing(report.gifs)}"


def test_dropdown_solutions_open_on_click(report):
    assert not report.dropdowns, f"{report.page}:{listing(report.dropdowns)}"


def test_chinese_text_is_drawn_with_a_cjk_font(report):
    problems = bc.glyph_problems(report.heading, report.cjk_fonts)
    assert not problems, f"{report.page}:{listing(problems)}"
