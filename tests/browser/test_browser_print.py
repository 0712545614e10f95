"""Printing: the book laid out for A4 paper by Chromium's print CSS, and one chapter printed to PDF.

The per-page layout checks measure every image, display formula, table and code block in print media at
the width of an A4 page with 15 mm margins. The PDF of one chapter (the one with the most figures, or $CNNBOOK_PRINT_PAGE)
is written to <screenshots>/print/ and turned into PNGs with pdftoppm (poppler-utils) to look at.
"""

import os
import shutil

import pytest

import browser_checks as bc
from browser_checks import listing


def test_print_layout_keeps_figures_formulas_and_tables_on_the_page(report):
    assert not report.print_layout, f"{report.page} would print with cut-off content:{listing(report.print_layout)}"


def test_print_layout_keeps_code_lines_on_the_page(report):
    assert not report.print_code, f"{report.page} would print with cut-off code lines:{listing(report.print_code)}"


def print_page(book, pages):
    """$CNNBOOK_PRINT_PAGE, else the chapter (not the front page) with the most <img> in its HTML."""
    chosen = os.environ.get("CNNBOOK_PRINT_PAGE")
    if chosen:
        assert chosen in pages, f"CNNBOOK_PRINT_PAGE={chosen} is not a page of the book: {pages}"
        return chosen
    chapters = pages[1:] or pages
    return max(chapters, key=lambda p: (book / p).read_text(encoding="utf-8").count("<img"))


def test_a_chapter_prints_to_pdf_with_all_its_figures(book, pages, server, browser, shots):
    """Chromium's print to PDF of one chapter: pages, every figure shown in print layout is in the PDF, no blank page.

    (Whether something is cut off is checked on every page by the two print-layout tests above.)
    """
    from PIL import Image, ImageStat

    for tool in ("pdftoppm", "pdfinfo", "pdfimages"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: {bc.INSTALL_HINT}")
    chapter = print_page(book, pages)
    page, watch = bc.open_page(browser, server, chapter)
    try:
        bc.print_problems(page)  # switches to the print layout
        shown = bc.print_images_count(page)
        pdf = bc.save_pdf(page, shots / "print" / (bc.page_id(chapter).replace("/", "-") + ".pdf"))
    finally:
        bc.close(page)
    n_pages, n_images = bc.pdf_pages(pdf), bc.pdf_image_count(pdf)
    pngs = bc.pdf_to_pngs(pdf, shots / "print")
    blank = []
    for png in pngs:
        with Image.open(png) as im:
            if max(hi - lo for lo, hi in ImageStat.Stat(im.convert("L")).extrema) < 10:
                blank.append(png.name)
    print(f"{chapter}: {pdf} ({n_pages} pages, {n_images} images) -> {len(pngs)} PNGs in {pdf.parent}")
    assert n_pages > 0 and len(pngs) == n_pages, f"{pdf}: {n_pages} pages, {len(pngs)} PNGs"
    assert n_images >= shown, f"{chapter} shows {shown} images in print layout but its PDF holds only {n_images}"
    assert not blank, f"blank pages in the PDF of {chapter}: {blank}"
