"""Checks of the built book as phones and tablets show it, and of its weight on a slow connection.

Like browser_checks, every ``*_problems`` function returns plain-English problem strings (empty = fine),
so the tests on the real book and the tests that break a copy of a page use the same function.
"""

from __future__ import annotations

import gzip
import mimetypes
import os
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import browser_checks as bc

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 900, "height": 1200}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"phone": PHONE, "tablet": TABLET, "desktop": DESKTOP}
MIN_FIGURE_TEXT_PX = 9.0
# Chromium DevTools' "Fast 3G" as the issue states it: 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency.
FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
MAX_TRANSFER_BYTES = 1.5e6
MAX_FAST_3G_LOAD_S = 8.0
# Words allowed in the interface (file types, names of things that have no Chinese name).
UI_ALLOWED_WORDS = {"pdf", "ipynb", "md", "py", "ctrl", "k", "cmd", "mathjax"}
# Characters that only Traditional Chinese uses (zh_TW strings such as 列印成 PDF, 搜尋, 下載).
TRADITIONAL = set("這個們說來時為與於對會還點開關顯隱選單頁連結載螢檔鍵設預標題內側邊欄尋錄擊複製頂轉換統體資訊訊檢視窗畫圖書導覽輸讀寫處")
TRADITIONAL_WORDS = ("列印", "搜尋", "檔案", "下載", "原始碼", "全螢幕", "側邊欄")


# --------------------------------------------------------------------------------------- gzip server

COMPRESSIBLE = {".html", ".js", ".css", ".svg", ".json", ".txt", ".map", ".inv", ".ipynb", ".md", ".xml"}


class GzipHandler(bc._QuietHandler):
    """Serves text files gzip-compressed when the browser asks for it, as GitHub Pages or nginx would."""

    cache: dict = {}

    def do_GET(self):
        path = self.translate_path(self.path)
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and os.path.isfile(path) and Path(path).suffix in COMPRESSIBLE):
            return super().do_GET()
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        data = self.cache.get(key)
        if data is None:
            data = gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
            self.cache[key] = data
        self.send_response(200)
        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml"):
            ctype += "; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve_gzip(directory: Path):
    """`browser_checks.serve` with gzip responses, as GitHub Pages or nginx would serve the book."""
    return bc.serve(directory, GzipHandler)


# --------------------------------------------------------------------------------------- sideways

SIDEWAYS_JS = r"""
() => {
  const vw = document.documentElement.clientWidth;
  const scroller = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip') return p;
    }
    return null;
  };
  const name = el => {
    const cls = (el.className && el.className.baseVal === undefined ? el.className : '') || '';
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (cls ? '.' + cls.trim().split(/\s+/).slice(0, 2).join('.') : '')
      + ' "' + (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50) + '"';
  };
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= vw + 1) continue;
    if (scroller(el)) continue;
    if (el.closest('dialog:not([open])')) continue;
    wide.push({name: name(el), right: Math.round(box.right)});
  }
  // innermost offenders only
  const names = wide.map(w => w.name);
  return {scrollWidth: document.scrollingElement.scrollWidth, viewport: vw, wide: wide.slice(-8)};
}
"""


def sideways_problems(page) -> list[str]:
    """The page must not scroll sideways: document.scrollingElement.scrollWidth <= the viewport width."""
    state = page.evaluate(SIDEWAYS_JS)
    if state["scrollWidth"] <= state["viewport"] + 1:
        return []
    culprits = ", ".join(f"{w['name']} (to x={w['right']})" for w in state["wide"]) or "unknown"
    return [f"the page scrolls sideways: {state['scrollWidth']} px wide in a {state['viewport']} px viewport; "
            f"wider than the screen: {culprits}"]


def sideways_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


# --------------------------------------------------------------------------------------- scroll boxes

SCROLL_BOXES_JS = r"""
() => {
  const main = document.querySelector('article') || document.body;
  const shown = el => el.checkVisibility() && el.getBoundingClientRect().width > 0;
  const items = [
    ...Array.from(main.querySelectorAll('mjx-container[display="true"]')).map(el => ['formula', el]),
    ...Array.from(main.querySelectorAll('table')).map(el => ['table', el]),
    ...Array.from(main.querySelectorAll('div.cell_output pre, div.cell_output .output')).map(el => ['output', el]),
    ...Array.from(main.querySelectorAll('div.highlight pre')).map(el => ['code', el]),
  ];
  const out = [];
  for (const [kind, el] of items) {
    if (!shown(el)) continue;
    // the box that scrolls or clips this item: itself or an ancestor inside the article
    let box = null;
    for (let p = el; p && p !== main; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox !== 'visible') { box = p; break; }
    }
    const content = Math.max(el.scrollWidth, el.getBoundingClientRect().width);
    const room = box ? box.clientWidth : main.clientWidth;
    if (content <= room + 4) continue;  // fits (a few px of padding/rounding is not content)
    const style = box ? getComputedStyle(box) : null;
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    out.push({
      kind, text, content: Math.round(content), room: Math.round(room),
      overflow: style ? style.overflowX : 'visible',
      cue: style ? (/gradient/.test(style.backgroundImage) || style.scrollbarWidth === 'thin') : false,
    });
  }
  return out;
}
"""


def scroll_box_problems(page) -> list[str]:
    """Formulas, tables, outputs and code wider than the column scroll inside their own box, with a visible cue."""
    problems = []
    for item in page.evaluate(SCROLL_BOXES_JS):
        what = f"{item['kind']} \"{item['text']}\" ({item['content']} px in {item['room']} px)"
        if item["overflow"] not in ("auto", "scroll"):
            problems.append(f"{what} is cut off (overflow-x: {item['overflow']}), it does not scroll")
        elif not item["cue"]:
            problems.append(f"{what} scrolls but shows no cue that there is more to the side")
    return problems


# --------------------------------------------------------------------------------------- figure text

FIGURES_JS = r"""
() => Array.from((document.querySelector('article') || document.body).querySelectorAll('img'))
  .filter(img => img.checkVisibility() && img.getBoundingClientRect().width > 0 && img.naturalWidth > 0)
  .map(img => ({src: img.currentSrc || img.src, attr: img.getAttribute('src'),
                shown: img.getBoundingClientRect().width, natural: img.naturalWidth}))
"""


def png_text_chunks(path: Path) -> dict[str, str]:
    """tEXt/iTXt chunks of a PNG (matplotlib writes savefig(metadata=...) there)."""
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return {}
    out, pos = {}, 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and b"\x00" in chunk:
            key, value = chunk.split(b"\x00", 1)
            out[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt" and b"\x00" in chunk:
            key, rest = chunk.split(b"\x00", 1)
            flag = rest[0]
            rest = rest[2:]
            _lang, rest = rest.split(b"\x00", 1)
            _tkey, text = rest.split(b"\x00", 1)
            out[key.decode("latin-1")] = (zlib.decompress(text) if flag else text).decode("utf-8")
        elif kind == b"IEND":
            break
        pos += 12 + length
    return out


def gif_comment(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as im:
        comment = im.info.get("comment", b"")
    return comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)


MIN_TEXT_KEY = "cnnbook:min-text-px"
DEFAULT_TEXT_PT = 10.0  # matplotlib's default font size


def min_text_px_of(html_dir: Path, url: str) -> float | None:
    """The smallest text (font size in px at the image's own resolution) of a figure file.

    Recorded by the figure code (cnnbook.figures: PNG text chunk or GIF comment); for a matplotlib output
    of a chapter's own cell, matplotlib's default 10 pt at the resolution stored in the PNG (an estimate:
    a cell that sets a smaller font size is not seen).  A WebP written by the build is looked up by its
    PNG.  None for images that carry neither.
    """
    rel = unquote(urlsplit(url).path).lstrip("/")
    path = html_dir / rel
    candidates = [path]
    if path.suffix == ".webp":
        candidates.insert(0, path.with_suffix(".png"))
    for candidate in candidates:
        if not candidate.is_file():
            continue
        if candidate.suffix == ".png":
            value = png_text_chunks(candidate).get(MIN_TEXT_KEY)
        elif candidate.suffix == ".gif":
            m = re.search(rf"{re.escape(MIN_TEXT_KEY)}=([\d.]+)", gif_comment(candidate))
            value = m.group(1) if m else None
        else:
            value = None
        if value:
            return float(value)
        if candidate.suffix == ".png":
            from PIL import Image

            with Image.open(candidate) as im:
                dpi = im.info.get("dpi")
            if dpi and dpi[0] > 1:
                return DEFAULT_TEXT_PT * float(dpi[0]) / 72
    return None


def figure_text_sizes(page, html_dir: Path, base_url: str) -> list[dict]:
    """Every shown image of the article with its smallest text as drawn on screen (px), where recorded."""
    out = []
    for img in page.evaluate(FIGURES_JS):
        rel = img["src"][len(base_url):] if img["src"].startswith(base_url) else img["src"]
        natural_px = min_text_px_of(html_dir, rel)
        shown_px = natural_px * img["shown"] / img["natural"] if natural_px else None
        out.append({**img, "min_text_natural": natural_px, "min_text_shown": shown_px,
                    "name": Path(urlsplit(img["src"]).path).name})
    return out


def figure_text_problems(sizes: list[dict], minimum: float = MIN_FIGURE_TEXT_PX) -> list[str]:
    return [
        f"figure {s['name']}: smallest text {s['min_text_shown']:.1f} px on screen "
        f"({s['min_text_natural']:.1f} px in the {s['natural']} px wide image shown {s['shown']:.0f} px wide); "
        f"needs >= {minimum} px"
        for s in sizes if s["min_text_shown"] is not None and s["min_text_shown"] < minimum - 0.05
    ]


# --------------------------------------------------------------------------------------- drawers

def drawer_problems(page, which: str) -> list[str]:
    """Click the visible ☰ (which='primary') or page-contents (which='secondary') button: its drawer opens.

    Pages without a page-contents button (no sections) are fine for 'secondary'.
    """
    toggle = page.locator(f"button.{which}-toggle:visible")
    if toggle.count() == 0:
        if which == "secondary":
            return []
        return [f"no visible {which} sidebar button"]
    dialog = f"#pst-{which}-sidebar-modal"
    toggle.first.click()
    try:
        page.wait_for_function(f"document.querySelector('{dialog}') && document.querySelector('{dialog}').open",
                               timeout=3000)
    except Exception:  # playwright TimeoutError
        tip = page.locator(".tooltip:visible")
        shown = f" (only a tooltip appeared: {tip.first.inner_text()!r})" if tip.count() else ""
        return [f"tapping the visible {which} sidebar button does not open its drawer{shown}"]
    links = page.evaluate(
        f"() => Array.from(document.querySelectorAll('{dialog} a')).filter(a => a.checkVisibility()"
        " && a.getBoundingClientRect().width > 0).length"
    )
    page.keyboard.press("Escape")
    page.wait_for_function(f"!document.querySelector('{dialog}').open", timeout=3000)
    if not links:
        return [f"the {which} drawer opened but shows no links"]
    return []


# --------------------------------------------------------------------------------------- UI strings

UI_TEXT_JS = r"""
() => {
  const out = [];
  const article = document.querySelector('article');
  const attrs = ['title', 'aria-label', 'data-bs-title', 'placeholder', 'data-tooltip', 'alt'];
  for (const el of document.querySelectorAll('*')) {
    const inArticle = article && article.contains(el) && !el.closest('.headerlink, .copybtn, .toggle-button');
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (v === null || !v.trim()) continue;
      if (inArticle && a === 'alt') continue;   // figure descriptions are content, checked elsewhere
      if (inArticle && !el.closest('button, .headerlink, .copybtn')) continue;
      out.push({where: el.tagName.toLowerCase() + '[' + a + ']', text: v.trim()});
    }
  }
  // visible text of interface elements (buttons, labels, menus, navigation captions)
  const ui = 'button, label, .dropdown-item, .btn, .search-button__default-text, .prev-next-subtitle, '
           + '.bd-sidebar-primary .caption-text, .skip-link, .bd-footer, .footer-item, .tooltip-inner, .search-summary';
  for (const el of document.querySelectorAll(ui)) {
    if (article && article.contains(el) && !el.closest('.headerlink, .copybtn, .toggle-button, .prev-next-area')) continue;
    const t = (el.innerText || el.textContent || '').trim();
    if (t) out.push({where: el.tagName.toLowerCase() + '.' + (el.className || '').toString().split(' ')[0], text: t});
  }
  return out;
}
"""


def ui_strings(page) -> list[dict]:
    return page.evaluate(UI_TEXT_JS)


def ui_string_problems(strings: list[dict], content_words: set[str]) -> list[str]:
    """Interface strings are Simplified Chinese: no English words (except names used by the book's own
    titles and footer, and file types) and no Traditional-only characters or zh_TW terms."""
    problems = set()
    for s in strings:
        text = s["text"]
        for word in re.findall(r"[A-Za-z][A-Za-z'-]+", text):
            if word.lower() in UI_ALLOWED_WORDS or word in content_words:
                continue
            problems.add(f"{s['where']}: {text[:60]!r} has the English word {word!r}")
        trad = sorted({c for c in text if c in TRADITIONAL} | {w for w in TRADITIONAL_WORDS if w in text})
        if trad:
            problems.add(f"{s['where']}: {text[:60]!r} is Traditional Chinese ({''.join(trad)})")
    return sorted(problems)


def content_words(html_dir: Path, pages: list[str]) -> set[str]:
    """English words of the book's own page titles and footer text (e.g. NumPy, Keras, Noto): not UI."""
    words = set()
    for page in pages:
        soup = bc._soup(html_dir / page)
        for el in soup.select("article h1, nav.bd-docs-nav a, .footer-item p, .bd-footer-content p, title"):
            words |= set(re.findall(r"[A-Za-z][A-Za-z'-]+", el.get_text(" ")))
    return words - {"By", "Copyright", "Toggle", "Search"}


# --------------------------------------------------------------------------------------- weight

def load_with_cdp(browser, base_url: str, page_path: str, throttle: dict | None = None, viewport=DESKTOP,
                  timeout_ms: int = 120000) -> dict:
    """Load a page with an empty cache and report what went over the wire.

    Returns {'requests', 'transferred' (bytes on the wire, headers included), 'decoded' (bytes after
    gzip), 'load_s' (navigation start to the load event), 'fcp_s', 'largest': [(bytes, url), ...]}.
    """
    page, watch = bc.new_page(browser, base_url, viewport)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttle:
        cdp.send("Network.emulateNetworkConditions", throttle)
    sizes: dict[str, dict] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.dataReceived", lambda e: sizes.setdefault(e["requestId"], {"decoded": 0, "wire": 0})
           .__setitem__("decoded", sizes[e["requestId"]]["decoded"] + e["dataLength"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.setdefault(e["requestId"], {"decoded": 0, "wire": 0})
           .__setitem__("wire", e["encodedDataLength"]))
    try:
        page.goto(urljoin(base_url, page_path), wait_until="load", timeout=timeout_ms)
        timing = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " const p = performance.getEntriesByName('first-contentful-paint')[0];"
            " return {load: n.loadEventStart, fcp: p ? p.startTime : null}; }"
        )
        try:
            page.wait_for_load_state("networkidle", timeout=timeout_ms)
        except Exception:
            pass
        problems = bc.network_problems(watch)
    finally:
        cdp.detach()
        bc.close(page)
    largest = sorted(((v["wire"], urls.get(k, "?")) for k, v in sizes.items()), reverse=True)[:6]
    return {
        "requests": len(urls),
        "transferred": sum(v["wire"] for v in sizes.values()),
        "decoded": sum(v["decoded"] for v in sizes.values()),
        "load_s": timing["load"] / 1000,
        "fcp_s": (timing["fcp"] or 0) / 1000,
        "largest": largest,
        "problems": problems,
    }
