"""Checks on the whole-book PDF (_build/latex/cnnbook.pdf, made by scripts/build_pdf.sh, which
scripts/build.sh and scripts/setup.sh run), read with poppler-utils (pdftotext, pdfimages, pdffonts,
pdfseparate, pdfunite).

- the pages carry Chinese text, in the Simplified Chinese face of a CJK font that is embedded;
- every document of _toc.yml has its heading: 前言, 第 N 章 + title for the numbered parts (N counted in
  _toc.yml order, as on the web pages), 附录 A, B, ... for the others, and every part caption;
- every figure that a document of _toc.yml shows (figures/NAME) is in the PDF, found by its pixel size
  (a GIF animation by the size of its still: figures/NAME_still.png, or else the GIF's own frames);
- formulas are typeset (math font embedded, no raw TeX such as \\frac in the text);
- XeLaTeX reported no missing glyph; the web pages link to the PDF.
The checks are functions of the extracted text and image list, so that the negative tests can show that
they fail on a PDF without one chapter (a page dropped with pdfseparate/pdfunite) and on tampered lists.
"""

import re
import shutil
import string
import subprocess
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
LATEX = ROOT / "_build" / "latex"
PDF = LATEX / "cnnbook.pdf"
SERVED = ROOT / "_build" / "html" / "cnnbook.pdf"
FIGURE_REF = re.compile(r"figures/([\w.-]+\.(?:png|gif|jpe?g))")
RAW_TEX = re.compile(r"\\(?:frac|sum|sqrt|mathbf|mathrm|partial|cdot|times|hat|left|right|begin|end|text)(?![A-Za-z])")
CJK = re.compile(r"[\u4e00-\u9fff]")


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: sudo bash scripts/install_system_packages.sh (Debian package poppler-utils)")


@pytest.fixture(scope="module")
def pdf():
    if not PDF.exists():
        pytest.fail("The PDF is not built: run  bash scripts/build.sh  (or bash scripts/build_pdf.sh) first.")
    return PDF


def page_texts(path):
    """The text of each page (pdftotext, reading order), one string per page."""
    need("pdftotext")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def squeeze(text):
    """Text without any whitespace (pdftotext puts spaces and line breaks where the layout has them)."""
    return re.sub(r"\s+", "", text)


def plain_title(markdown_title):
    """A Markdown heading as the reader sees it: no `code` marks, *emphasis* or links."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown_title)
    return text.replace("`", "").replace("*", "").strip()


def document_title(docname):
    """The first level-1 heading of a _toc.yml document (.md or .ipynb)."""
    md, ipynb = ROOT / f"{docname}.md", ROOT / f"{docname}.ipynb"
    if ipynb.exists():
        sources = [c.source for c in nbformat.read(ipynb, as_version=4).cells if c.cell_type == "markdown"]
    else:
        sources = [md.read_text(encoding="utf-8")]
    for source in sources:
        match = re.search(r"^# (.+)$", source, re.MULTILINE)
        if match:
            return plain_title(match.group(1))
    raise AssertionError(f"{docname} has no '# title'")


def document_source(docname):
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{docname}{suffix}"
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise AssertionError(f"{docname} not found")


@lru_cache(maxsize=1)
def toc():
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def expected_headings():
    """[(label, title)] in book order: ('', 前言), ('第1章', ...), ..., ('附录A', ...); part captions as ('', caption)."""
    book = toc()
    headings = [("", document_title(book["root"]))]
    chapter, appendix = 0, 0
    for part in book.get("parts", []):
        headings.append(("", part["caption"]))
        for entry in part["chapters"]:
            if part.get("numbered"):
                chapter += 1
                label = f"第{chapter}章"
            else:
                label = f"附录{string.ascii_uppercase[appendix]}"
                appendix += 1
            headings.append((label, document_title(entry["file"])))
    return headings


def missing_headings(texts, headings):
    """Headings that start no page: a chapter's first page begins with its label and title."""
    starts = [squeeze(text) for text in texts]
    missing = []
    for label, title in headings:
        wanted = squeeze(label + title)
        if not any(start.startswith(wanted) or start.startswith(squeeze(title)) and not label
                   for start in starts):
            missing.append(label + " " + title if label else title)
    return missing


def expected_figures():
    """{figure file name: (width, height) of the picture the PDF must contain} for figures the book shows."""
    names = []
    for entry in [toc()["root"]] + [e["file"] for p in toc().get("parts", []) for e in p["chapters"]]:
        names += FIGURE_REF.findall(document_source(entry))
    sizes = {}
    for name in dict.fromkeys(names):
        path = ROOT / "figures" / name
        assert path.exists(), f"a chapter shows figures/{name}, which does not exist"
        if path.suffix == ".gif":
            still = path.with_name(path.stem + "_still.png")
            path = still if still.exists() else path
        with Image.open(path) as image:
            sizes[name] = image.size
    return sizes


def pdf_images(path):
    """[(page, width, height)] of the pictures (not their transparency masks) in the PDF."""
    need("pdfimages")
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    images = []
    for line in out.splitlines()[2:]:
        fields = line.split()
        if len(fields) > 4 and fields[2] == "image":
            images.append((int(fields[0]), int(fields[3]), int(fields[4])))
    return images


def missing_figures(images, figures):
    sizes = {(w, h) for _, w, h in images}
    return sorted(name for name, size in figures.items() if tuple(size) not in sizes)


def raw_tex(texts):
    return sorted({m.group(0) for text in texts for m in RAW_TEX.finditer(text)})


def fonts(path):
    """[(name, embedded)] from pdffonts."""
    need("pdffonts")
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        match = re.match(r"(\S+)\s+.*?\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if match:
            rows.append((match.group(1), match.group(2) == "yes"))
    return rows


@pytest.fixture(scope="module")
def texts(pdf):
    return page_texts(pdf)


# --------------------------------------------------------------------------------------------- checks


def test_pages_carry_chinese_text(texts):
    assert len(texts) >= 50, f"only {len(texts)} pages"
    with_chinese = [i for i, text in enumerate(texts, 1) if len(CJK.findall(text)) >= 20]
    # Part pages carry only their caption; every other page is mostly Chinese prose or code with comments.
    assert len(with_chinese) >= 0.85 * len(texts), (
        f"only {len(with_chinese)} of {len(texts)} pages carry 20 or more Chinese characters")


def test_every_toc_document_has_its_heading(texts):
    missing = missing_headings(texts, expected_headings())
    assert not missing, f"headings missing from the PDF: {missing}"


def test_chapter_titles_are_in_the_table_of_contents(texts):
    contents = squeeze("".join(texts[:8]))
    assert "目录" in contents
    titles = [title for label, title in expected_headings() if label]
    absent = [t for t in titles if squeeze(t) not in contents]
    assert not absent, f"chapters missing from the table of contents: {absent}"


def test_every_figure_is_in_the_pdf(pdf, texts):
    figures = expected_figures()
    assert figures, "no chapter shows a figure from figures/"
    missing = missing_figures(pdf_images(pdf), figures)
    assert not missing, f"figures not found in the PDF (by pixel size): {missing}"
    captions = [m for text in texts for m in re.findall(r"图 ?\d+\.\d+ ?:", text)]
    assert len(captions) >= len(figures), f"{len(captions)} figure captions for {len(figures)} figures"


def test_gif_animations_are_shown_as_a_still_with_a_note(texts):
    gifs = [name for name in expected_figures() if name.endswith(".gif")]
    notes = squeeze("".join(texts)).count("网页版是动画")
    assert notes == len(gifs), f"{len(gifs)} animations, {notes} captions saying the PDF shows one frame"


def test_formulas_are_typeset(pdf, texts):
    assert not raw_tex(texts), f"raw TeX in the PDF text: {raw_tex(texts)}"
    names = [name for name, _ in fonts(pdf)]
    assert any("LatinModernMath" in name for name in names), f"no math font in the PDF: {names}"


def test_fonts_are_embedded_and_chinese_is_simplified(pdf):
    rows = fonts(pdf)
    assert rows, "pdffonts lists no font"
    not_embedded = [name for name, embedded in rows if not embedded]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"
    cjk = [name for name, _ in rows if re.search(r"NotoS(?:erif|ans)CJK", name)]
    assert cjk, f"no Noto CJK font in the PDF: {[name for name, _ in rows]}"
    # Noto CJK's .ttc collections hold JP/KR/SC/TC/HK faces that share one CFF table, so the embedded name
    # says "jp" whichever face was used; the face is the collection index XeLaTeX loaded (fontspec logs
    # it): 2 = Sans/Serif CJK SC, 7 = Sans Mono CJK SC.  Index 0 would draw Japanese glyph shapes (门, 直).
    log = (LATEX / "cnnbook.log").read_text(errors="replace")
    faces = set(re.findall(r"\[(NotoS\w+CJK-\w+\.ttc):(\d+)\]", log))
    assert faces, "the XeLaTeX log names no Noto CJK collection face"
    wrong = sorted(f"{name}:{index}" for name, index in faces if index not in {"2", "7"})
    assert not wrong, f"CJK faces other than Simplified Chinese: {wrong}"


def test_no_missing_glyphs():
    log = LATEX / "cnnbook.log"
    if not log.exists():
        pytest.fail("no XeLaTeX log: run  bash scripts/build_pdf.sh")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log.read_text(errors="replace"))))
    assert not missing, f"characters XeLaTeX had no glyph for: {missing}"


def test_code_and_output_lines_fit_the_page():
    """Long code lines wrap (with Sphinx's ↪ marker); an overfull line would run off the page."""
    log = (LATEX / "cnnbook.log").read_text(errors="replace")
    verbatim = [m for m in re.findall(r"Overfull \\hbox \((\d+\.\d+)pt too wide\) in paragraph at lines (\d+)--\2", log)]
    tex = (LATEX / "cnnbook.tex").read_text(encoding="utf-8").splitlines()
    in_code = []
    for width, line in verbatim:
        context = "\n".join(tex[max(0, int(line) - 40):int(line)])
        if context.rfind(r"\begin{sphinxVerbatim") > context.rfind(r"\end{sphinxVerbatim"):
            in_code.append((line, width))
    assert not in_code, f"code or output lines wider than the page (tex line, pt): {in_code}"


def test_the_web_pages_link_to_the_pdf(pdf):
    assert SERVED.exists(), "_build/html/cnnbook.pdf is missing (scripts/build_pdf.sh copies it there)"
    assert SERVED.stat().st_size == pdf.stat().st_size
    preface = (ROOT / "_build" / "html" / f"{toc()['root']}.html").read_text(encoding="utf-8")
    assert 'href="cnnbook.pdf"' in preface, "the preface does not link to cnnbook.pdf"
    script = ROOT / "_static" / "book_pdf.js"
    assert script.exists() and "cnnbook.pdf" in script.read_text(encoding="utf-8")
    chapter = next(p for p in (ROOT / "_build" / "html" / "chapters").glob("*.html"))
    assert "book_pdf.js" in chapter.read_text(encoding="utf-8"), "the pages do not load _static/book_pdf.js"


# ------------------------------------------------------------------------------------ negative tests


def first_page_of_last_chapter(texts):
    label, title = [h for h in expected_headings() if h[0].startswith("第")][-1]
    wanted = squeeze(label + title)
    return next(i for i, text in enumerate(texts, 1) if squeeze(text).startswith(wanted)), label, title


def test_the_pdf_text_without_one_chapter_page_fails_the_heading_check(pdf, texts):
    """pdftotext the pages before and after the first page of the last numbered chapter (fast variant)."""
    page, label, title = first_page_of_last_chapter(texts)
    before = subprocess.run(["pdftotext", "-enc", "UTF-8", "-l", str(page - 1), str(pdf), "-"], check=True,
                            capture_output=True, text=True).stdout.split("\f")[:-1]
    after = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page + 1), str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")[:-1]
    assert len(before) + len(after) == len(texts) - 1
    assert missing_headings(before + after, expected_headings()) == [f"{label} {title}"]


@pytest.mark.slow
def test_a_pdf_without_one_chapter_fails_the_heading_check(pdf, texts, tmp_path):
    """Drop the first page of the last numbered chapter with poppler's pdfseparate/pdfunite (about a minute)."""
    need("pdfseparate")
    need("pdfunite")
    page, label, title = first_page_of_last_chapter(texts)
    subprocess.run(["pdfseparate", str(pdf), str(tmp_path / "p%d.pdf")], check=True)
    kept = [str(tmp_path / f"p{i}.pdf") for i in range(1, len(texts) + 1) if i != page]
    shorter = tmp_path / "shorter.pdf"
    subprocess.run(["pdfunite", *kept, str(shorter)], check=True)
    shorter_texts = page_texts(shorter)
    assert len(shorter_texts) == len(texts) - 1
    assert missing_headings(shorter_texts, expected_headings()) == [f"{label} {title}"]


def test_a_tampered_title_list_fails_the_heading_check(texts):
    headings = expected_headings() + [("第99章", "一个并不存在的章节")]
    assert missing_headings(texts, headings) == ["第99章 一个并不存在的章节"]
    renumbered = [(label.replace("第1章", "第2章"), title) for label, title in expected_headings()]
    assert len(missing_headings(texts, renumbered)) == 1


def test_a_missing_figure_fails_the_figure_check(pdf):
    images = pdf_images(pdf)
    figures = expected_figures()
    name, size = next(iter(figures.items()))
    assert missing_figures([img for img in images if (img[1], img[2]) != tuple(size)], figures) == [name]
    assert missing_figures(images, {**figures, "made_up.png": (1234, 567)}) == ["made_up.png"]


def test_raw_tex_would_be_caught():
    assert raw_tex(["损失 L = \\frac{1}{n} \\sum_i \\ell_i"]) == ["\\frac", "\\sum"]
    assert raw_tex(["卷积核的大小是 3×3"]) == []
