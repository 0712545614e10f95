"""What a reader sees: checks of the built HTML book in a real browser (Playwright + Debian's chromium).

Every ``*_problems`` function returns a list of plain-English problem strings (empty = fine), so the same
function is used by the tests on the real book and by the tests that break a copy of a page on purpose.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

HOST = "127.0.0.1"
INSTALL_HINT = "run  sudo bash scripts/install_system_packages.sh  (apt packages chromium, fonts-noto-cjk, poppler-utils)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # nothing but the local test server resolves, whatever a page asks for
    f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {HOST}",
]
SCREEN = {"width": 1280, "height": 900}
# A4 with 15 mm margins, in CSS pixels (96 per inch): the box a printed page lays its content out in.
A4_MARGIN_MM = 15
PRINT_BOX = {"width": round((210 - 2 * A4_MARGIN_MM) / 25.4 * 96), "height": round((297 - 2 * A4_MARGIN_MM) / 25.4 * 96)}
# Pages that Sphinx writes besides the book's own pages.
NON_CONTENT_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
# TeX delimiters that must never be seen by a reader once MathJax has run.
RAW_MATH = re.compile(r"\\\(|\\\)|\\\[|\\\]|\\begin\{|\$\$|\$[^$\s][^$\n]*?\$")


# --------------------------------------------------------------------------------------- the build


def listing(problems: list[str]) -> str:
    """Problems as an indented list for an assertion message."""
    return "\n  " + "\n  ".join(problems)


def find_chromium() -> str | None:
    """The chromium binary: $CNNBOOK_CHROMIUM, else the first of chromium / chromium-browser on PATH."""
    explicit = os.environ.get("CNNBOOK_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def root_page(html_dir: Path) -> str:
    """The book's first page (index.html is a redirect to it), relative to html_dir."""
    index = (html_dir / "index.html").read_text(encoding="utf-8")
    match = re.search(r'http-equiv="Refresh"\s+content="\d+;\s*url=([^"]+)"', index, re.IGNORECASE)
    return match.group(1) if match else "index.html"


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def toc_pages(html_dir: Path) -> list[str]:
    """Every page of the book in reading order, as the build's own sidebar (table of contents) lists them.

    Paths are relative to html_dir with '/' separators, e.g. ['intro.html', 'chapters/01_why_cnn.html'].
    """
    first = root_page(html_dir)
    nav = _soup(html_dir / first).select_one("nav.bd-docs-nav")
    if nav is None:
        raise AssertionError(f"{first} has no sidebar table of contents (nav.bd-docs-nav)")
    pages = [first]
    for link in nav.select("a.reference.internal[href]"):
        target = urljoin(first, link["href"]).split("#")[0].split("?")[0]
        if target and target not in pages:
            pages.append(target)
    return pages


def built_pages(html_dir: Path) -> list[str]:
    """Every HTML page of the book in the build folder (not Sphinx's own index/search pages)."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")) or rel in NON_CONTENT_PAGES:
            continue
        if rel == "index.html" and root_page(html_dir) != "index.html":
            continue  # the redirect
        pages.append(rel)
    return pages


def page_id(page: str) -> str:
    """'chapters/01_why_cnn.html' -> 'chapters/01_why_cnn' (test ids, screenshot names)."""
    return page[: -len(".html")] if page.endswith(".html") else page


def article_text(html_dir: Path, page: str) -> str:
    """The text of a page's article (what search indexes), without sidebar, header and footer."""
    soup = _soup(html_dir / page)
    article = soup.select_one("article") or soup.body
    return article.get_text(" ")


# --------------------------------------------------------------------------------------- serving


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(directory: Path, handler_class=None):
    """Serve `directory` on 127.0.0.1 at a free port from a background thread; yields the base URL.
    `handler_class` defaults to a quiet SimpleHTTPRequestHandler."""
    handler = functools.partial(handler_class or _QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------------------- loading


@dataclass
class Watch:
    """Everything that went wrong on the network and in the console while a page was open."""

    base_url: str
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def on_console(self, msg):
        if msg.type != "error":
            return
        where = msg.location.get("url", "") if msg.location else ""
        # Chromium asks every origin for /favicon.ico by itself; the book does not link one. Not a page error.
        if where == urljoin(self.base_url, "/favicon.ico"):
            return
        self.console_errors.append(f"{msg.text} (at {where or 'page'})")

    def on_failed(self, request):
        self.failed.append(f"{request.url}: {request.failure}")

    def on_response(self, response):
        if response.status >= 400:
            self.bad_status.append(f"{response.url}: HTTP {response.status}")


def new_page(browser, base_url: str, viewport=SCREEN, text_only: bool = False):
    """A fresh page whose requests may only go to the local server; returns (page, watch).

    text_only=True also skips MathJax, images and fonts (for tests that only follow links: faster).
    """
    watch = Watch(base_url)
    context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)

    def block(route):
        watch.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(re.compile(rf"^(?!https?://{re.escape(HOST)}[:/])"), block)
    if text_only:
        context.route(re.compile(r"/mathjax/|\.(png|gif|jpe?g|svg|woff2?|ttf)(\?|$)", re.IGNORECASE),
                      lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    page.on("console", watch.on_console)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("requestfailed", watch.on_failed)
    page.on("response", watch.on_response)
    return page, watch


WAIT_FOR_PAGE_JS = """
async () => {
  // images: load lazy ones too, then wait until every image has loaded or failed
  const images = Array.from(document.images);
  images.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(images.filter(img => !img.complete).map(img => new Promise(done => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
    setTimeout(done, 15000);
  })));
  // MathJax 3: the page config defines window.MathJax; the library adds startup.promise when it runs
  let mathjax = 'absent';
  if (window.MathJax) {
    if (window.MathJax.startup && window.MathJax.startup.promise) {
      await window.MathJax.startup.promise;
      mathjax = 'done';
    } else {
      mathjax = 'configured but not loaded';
    }
  }
  await document.fonts.ready;
  return mathjax;
}
"""


def open_page(browser, base_url: str, page_path: str, viewport=SCREEN):
    """Load one page of the book and wait until images, MathJax and fonts are done; returns (page, watch)."""
    page, watch = new_page(browser, base_url, viewport)
    # Generous waits: on a busy 2-core machine (a build or a second test run beside this one) a page with
    # MathJax and many images can take well over 10 s to go quiet.  Only waits, no check is loosened.
    page.goto(urljoin(base_url, page_path), wait_until="load", timeout=90000)
    page.evaluate(WAIT_FOR_PAGE_JS)
    page.wait_for_load_state("networkidle", timeout=60000)
    return page, watch


def close(page):
    page.context.close()


def full_page_screenshot(page, path: Path) -> Path:
    """Full-page PNG as the page looks scrolled to the top (sticky header/sidebar in place, no focus ring)."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.wait_for_timeout(200)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, timeout=120000)  # long pages on a busy 2-core machine
    return path


def network_problems(watch: Watch) -> list[str]:
    return (
        [f"tried to reach the internet (blocked): {url}" for url in watch.blocked]
        + [f"request failed: {x}" for x in watch.failed if not any(url in x for url in watch.blocked)]
        + [f"bad response: {x}" for x in watch.bad_status]
        + [f"console error: {x}" for x in watch.console_errors]
        + [f"JavaScript error: {x}" for x in watch.page_errors]
    )


# --------------------------------------------------------------------------------------- math

MATH_STATE_JS = """
() => {
  const skip = 'pre, code, script, style, textarea, kbd, mjx-container, .highlight';
  const blocks = 'p, li, td, th, dt, dd, h1, h2, h3, h4, h5, h6, figcaption, caption, blockquote, .math, .caption-text, .admonition-title';
  const textOf = el => {
    let text = '';
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      if (!node.parentElement.closest(skip)) text += node.textContent;
    }
    return text;
  };
  const main = document.querySelector('article') || document.body;
  const texts = Array.from(main.querySelectorAll(blocks))
    .filter(el => !el.closest(skip) && !el.parentElement.closest(blocks))
    .map(el => textOf(el));
  const mathScript = Array.from(document.scripts).some(s => /mathjax/i.test(s.src));
  return {
    texts,
    mathScript,
    mathElements: main.querySelectorAll('.math').length,
    untypeset: Array.from(main.querySelectorAll('.math'))
      .filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.trim().slice(0, 80)),
    containers: main.querySelectorAll('mjx-container').length,
    errors: Array.from(main.querySelectorAll('mjx-merror'))
      .map(el => el.getAttribute('data-mjx-error') || el.textContent.slice(0, 80)),
  };
}
"""


def math_problems(page) -> list[str]:
    """Math must be typeset by MathJax: no raw TeX delimiters in the text, every .math has a MathJax rendering."""
    state = page.evaluate(MATH_STATE_JS)
    problems = []
    for text in state["texts"]:
        for match in RAW_MATH.finditer(text):
            start = max(match.start() - 20, 0)
            problems.append(f"raw TeX in the text: ...{text[start:match.end() + 20].strip()}...")
    if state["mathElements"] and not state["mathScript"]:
        problems.append(f"{state['mathElements']} formulas but the page loads no MathJax")
    problems += [f"formula not typeset: {tex}" for tex in state["untypeset"]]
    if state["mathElements"] and not state["containers"]:
        problems.append("the page has formulas but no mjx-container (MathJax output)")
    problems += [f"MathJax error: {error}" for error in state["errors"]]
    return problems


def math_count(page) -> int:
    return page.evaluate("(document.querySelector('article') || document.body).querySelectorAll('mjx-container').length")


# --------------------------------------------------------------------------------------- images

IMAGES_JS = """
() => Array.from(document.images).map(img => ({
  src: img.getAttribute('src'), url: img.currentSrc || img.src,
  width: img.naturalWidth, height: img.naturalHeight, complete: img.complete,
}))
"""


def images(page) -> list[dict]:
    return page.evaluate(IMAGES_JS)


def image_problems(page) -> list[str]:
    """Every <img> has loaded (naturalWidth > 0)."""
    return [f"image did not load: {img['src']}" for img in images(page) if not img["width"]]


def referenced_gifs(html_dir: Path, page: str) -> set[str]:
    """Names of the GIF files the page shows (<img src>) or its source's prose and figures refer to.

    In the source (_sources/<page>.ipynb or .md) only markdown counts, not code: a cell that writes a GIF
    need not show it. Plain code fences are skipped, directive fences (```{figure} ...) are kept.
    """
    html = (html_dir / page).read_text(encoding="utf-8")
    names = {Path(unquote(urlsplit(src).path)).name for src in re.findall(r'<img\b[^>]*?\bsrc="([^"]+?\.gif)"', html)}
    sources = sorted((html_dir / "_sources").glob(page_id(page) + ".*")) if (html_dir / "_sources").is_dir() else []
    for source in sources:
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".ipynb":
            cells = json.loads(text)["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        text = re.sub(r"^(`{3,}|~{3,})(?![ \t]*\{)[^\n]*\n.*?^\1[ \t]*$", "", text, flags=re.MULTILINE | re.DOTALL)
        names |= {Path(unquote(m)).name for m in re.findall(r"[\w./%-]+\.gif\b", text)}
    return names


def gif_problems(page, html_dir: Path, page_path: str) -> list[str]:
    """Every GIF the page's source refers to is shown as a loaded, animated (more than one frame) image."""
    from PIL import Image

    shown = {Path(urlsplit(img["url"]).path).name: img for img in images(page) if urlsplit(img["url"]).path.endswith(".gif")}
    problems = []
    for name in sorted(referenced_gifs(html_dir, page_path)):
        img = shown.get(name) or next((v for k, v in shown.items() if k.startswith(Path(name).stem)), None)
        if img is None:
            problems.append(f"animation {name} is referenced by the page source but not shown")
            continue
        if not img["width"]:
            problems.append(f"animation {name} did not load")
            continue
        served = html_dir / unquote(urlsplit(img["url"]).path).lstrip("/")
        with Image.open(served) as gif:
            frames = getattr(gif, "n_frames", 1)
        if frames < 2:
            problems.append(f"animation {name} has only {frames} frame")
    return problems


# --------------------------------------------------------------------------------------- dropdowns

TOGGLES_JS = """
() => {
  const visible = el => el.checkVisibility({opacityProperty: true, visibilityProperty: true})
                         && el.getBoundingClientRect().height > 0;
  const bodyOf = el => Array.from(el.children).filter(c => !c.classList.contains('admonition-title'));
  return {
    solutions: Array.from(document.querySelectorAll('.solution')).map(el => ({
      id: el.id, toggle: el.classList.contains('toggle'),
    })),
    toggles: Array.from(document.querySelectorAll('.admonition.toggle')).map(el => ({
      id: el.id,
      title: (el.querySelector('.admonition-title') || el).textContent.trim().slice(0, 40),
      shownBefore: bodyOf(el).some(visible),
      hasBody: bodyOf(el).some(c => c.textContent.trim().length > 0 || c.querySelector('img, mjx-container')),
    })),
    details: document.querySelectorAll('details').length,
  };
}
"""
TOGGLE_OPEN_JS = """
([index, wanted]) => {
  const el = document.querySelectorAll('.admonition.toggle')[index];
  const body = Array.from(el.children).filter(c => !c.classList.contains('admonition-title'));
  const visible = c => c.checkVisibility({opacityProperty: true, visibilityProperty: true})
                       && c.getBoundingClientRect().height > 0;
  return body.length > 0 && body.every(visible) === wanted && (!wanted || getComputedStyle(body[0]).opacity === '1');
}
"""


def dropdown_problems(page) -> list[str]:
    """Solutions are dropdowns: hidden when the page opens, shown (with content) after a click on their button.

    Also every <details> element (e.g. a sphinx-design dropdown or a hidden cell) opens on a click of its summary.
    Leaves every dropdown open.
    """
    state = page.evaluate(TOGGLES_JS)
    problems = [f"solution {s['id']} is not a dropdown (always visible)" for s in state["solutions"] if not s["toggle"]]
    toggles = page.locator(".admonition.toggle")
    for index, toggle in enumerate(state["toggles"]):
        name = toggle["id"] or toggle["title"]
        if toggle["shownBefore"]:
            problems.append(f"dropdown {name}: content visible before any click")
        if not toggle["hasBody"]:
            problems.append(f"dropdown {name}: empty")
            continue
        toggles.nth(index).locator(".toggle-button").click()
        try:
            page.wait_for_function(TOGGLE_OPEN_JS, arg=[index, True], timeout=3000)
        except Exception:  # playwright TimeoutError
            problems.append(f"dropdown {name}: content not shown after a click")
    details = page.locator("details")
    for index in range(state["details"]):
        item = details.nth(index)
        if item.evaluate("el => el.open") or not item.locator("summary").first.is_visible():
            continue
        item.locator("summary").first.click()
        opened = item.evaluate(
            "el => el.open && Array.from(el.children).filter(c => c.tagName !== 'SUMMARY')"
            ".some(c => c.getBoundingClientRect().height > 0)"
        )
        if not opened:
            problems.append(f"<details> #{index} ({item.locator('summary').first.inner_text()[:40]}) did not open")
    return problems


def dropdown_count(page) -> int:
    return page.locator(".admonition.toggle").count()


# --------------------------------------------------------------------------------------- links


def _ids(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        soup = _soup(path)
        cache[path] = (soup, {el["id"] for el in soup.find_all(id=True)} | {el["name"] for el in soup.find_all("a", attrs={"name": True})})
    return cache[path][1]


def link_problems(html_dir: Path, pages: list[str]) -> list[str]:
    """Every local link of the given pages points at an existing file, and its #anchor at an existing id.

    Checks <a href>, <link href>, <img src> and <script src>; external URLs (scheme or //host) are left alone.
    """
    html_dir = html_dir.resolve()
    problems, cache = [], {}
    for page in pages:
        path = html_dir / page
        _ids(path, cache)
        soup = cache[path][0]
        for tag, attr in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
            for el in soup.find_all(tag, attrs={attr: True}):
                ref = el[attr].strip()
                parts = urlsplit(ref)
                if parts.scheme or ref.startswith("//") or not ref or ref == "#":
                    continue
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                if target.is_dir():
                    target = target / "index.html"
                if html_dir not in target.parents and target != html_dir:
                    problems.append(f"{page}: {ref} points outside the book")
                elif not target.is_file():
                    problems.append(f"{page}: {ref} -> no such file")
                elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target, cache):
                    problems.append(f"{page}: {ref} -> no element with id '{unquote(parts.fragment)}'")
    return problems


# --------------------------------------------------------------------------------------- print

PRINT_GEOMETRY_JS = r"""
([width, height]) => {
  const shown = el => el.checkVisibility() && el.getBoundingClientRect().width > 0;
  const tex = el => {  // the TeX source of a typeset formula, to name it in a message
    try {
      const item = MathJax.startup.document.getMathItemsWithin(el)[0];
      return (item ? item.math : el.textContent).replace(/\s+/g, ' ').trim().slice(0, 100);
    } catch (error) { return el.textContent.slice(0, 100); }
  };
  const main = document.querySelector('article') || document.body;
  const items = [
    ...Array.from(main.querySelectorAll('img')).map(el => ['image', el, el.getAttribute('src')]),
    ...Array.from(main.querySelectorAll('mjx-container[display="true"]')).map(el => ['formula', el, tex(el)]),
    ...Array.from(main.querySelectorAll('table')).map(el => ['table', el,
      Array.from(el.querySelectorAll('th')).map(th => th.textContent.trim()).join(' | ').slice(0, 60) || 'without header']),
  ];
  const out = [];
  for (const [kind, el, name] of items) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    // a formula or table wider than its (scrolling) box: in print the part outside the box is not printed
    let overflow = 0;
    if (kind === 'formula') overflow = el.scrollWidth - el.clientWidth;
    if (kind === 'table' && /auto|hidden|scroll/.test(getComputedStyle(el.parentElement).overflowX))
      overflow = Math.max(el.scrollWidth, box.width) - el.parentElement.clientWidth;
    out.push({kind, name, left: box.left, right: box.right, width: box.width, height: box.height, overflow});
  }
  return {items: out, pageWidth: document.documentElement.scrollWidth};
}
"""


def print_problems(page) -> list[str]:
    """Lay the page out as Chromium prints it (print CSS, A4 content width) and find images, display formulas
    and tables that would be cut off."""
    page.set_viewport_size(PRINT_BOX)
    page.emulate_media(media="print")
    page.evaluate("document.fonts.ready.then(() => true)")
    state = page.evaluate(PRINT_GEOMETRY_JS, [PRINT_BOX["width"], PRINT_BOX["height"]])
    problems = []
    for item in state["items"]:
        name = f"{item['kind']} {item['name']}"
        if item["kind"] == "image" and (item["left"] < -1 or item["right"] > PRINT_BOX["width"] + 1):
            problems.append(
                f"{name} is cut off at the side: spans x={item['left']:.0f}..{item['right']:.0f} px, "
                f"the printed page is {PRINT_BOX['width']} px wide"
            )
        if item["kind"] == "image" and item["height"] > PRINT_BOX["height"] + 1:
            problems.append(f"{name} is {item['height']:.0f} px tall, taller than a printed page ({PRINT_BOX['height']} px)")
        if item["overflow"] > 1:
            advice = "break it into lines (e.g. aligned) or shorten it" if item["kind"] == "formula" else "fewer or narrower columns"
            problems.append(f"{name} is cut off: {item['overflow']:.0f} px wider than the printed column; {advice}")
    return problems


PRINT_CODE_JS = """
() => Array.from((document.querySelector('article') || document.body).querySelectorAll('pre'))
  .filter(el => el.checkVisibility() && el.scrollWidth > el.clientWidth + 1)
  .map(el => ({overflow: el.scrollWidth - el.clientWidth,
               line: el.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').trim().slice(0, 90)}))
"""


def print_code_problems(page) -> list[str]:
    """Code and output blocks whose lines run past the printed column (the end of the line is not printed).

    Call after print_problems (which switches the page to the print layout).
    """
    return [f"code line cut off by {item['overflow']} px in print: {item['line']}" for item in page.evaluate(PRINT_CODE_JS)]


def print_images_count(page) -> int:
    """How many images are shown in print layout (call after print_problems)."""
    return page.evaluate(
        "() => Array.from((document.querySelector('article') || document.body).querySelectorAll('img'))"
        ".filter(el => el.checkVisibility() && el.getBoundingClientRect().width > 0).length"
    )


def save_pdf(page, pdf_path: Path) -> Path:
    """Chromium's print to PDF (A4, same margins as print_problems measures with), print CSS."""
    page.emulate_media(media="print")
    margin = f"{A4_MARGIN_MM}mm"
    page.pdf(path=str(pdf_path), format="A4", print_background=True,
             margin={"top": margin, "bottom": margin, "left": margin, "right": margin})
    return pdf_path


def pdf_pages(pdf_path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))


def pdf_image_count(pdf_path: Path) -> int:
    out = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines()[2:] if line.split() and line.split()[2] == "image")


def pdf_to_pngs(pdf_path: Path, outdir: Path, dpi: int = 60) -> list[Path]:
    prefix = outdir / pdf_path.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf_path), str(prefix)], check=True)
    return sorted(outdir.glob(pdf_path.stem + "-*.png"))


# --------------------------------------------------------------------------------------- Chinese glyphs

HAN = re.compile(r"[\u4e00-\u9fff]")
CJK_FAMILY = re.compile(r"CJK|Han Sans|Han Serif|WenQuanYi|Droid Sans Fallback|Hei|Song|Ming|Kai|Noto Sans SC|Noto Serif SC", re.IGNORECASE)


def cjk_fonts(page, selector: str = "article h1") -> list[str]:
    """Font families Chromium actually drew the text of `selector` with, e.g. ['Noto Sans CJK SC: 6 glyphs']."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            return []
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return [f"{font['familyName']}: {font['glyphCount']} glyphs" for font in fonts]


def glyph_problems(page_heading: str, fonts: list[str]) -> list[str]:
    """A heading with Chinese characters must be drawn (at least partly) with a CJK font, not boxes."""
    if not HAN.search(page_heading):
        return []
    if any(CJK_FAMILY.search(font.split(":")[0]) for font in fonts):
        return []
    return [f"Chinese heading {page_heading!r} drawn with {fonts or 'no font'}: no CJK font (install fonts-noto-cjk)"]
