"""Sphinx extension: a lighter HTML book that reads well on phones, in Simplified Chinese.

What it changes in the HTML build (nothing in the sources):

- Code lines: every line of a ``<pre>`` block is wrapped in ``<span class="cl">`` (with ``--i`` = its
  indentation), so that ``_static/reader.css`` can give a line that wraps a hanging indent and a ↪ marker
  on each continuation line, on screen and in print.  The text (and what the copy button copies) is unchanged.
- MathJax is loaded only on pages that have a formula (myst-nb asks Sphinx to load it on every page).
- Font Awesome: the theme loads a 1.4 MB ``fontawesome.js`` on every page for about fifteen icons.  After the
  build that file is replaced by a small one with just the icons the pages use (taken from the theme's own
  file), drawn as the same inline SVGs.
- Photo-like PNGs (feature maps, many colours, large files) are also written as WebP next to the PNG and the
  page points at the WebP (every browser of the last five years shows WebP).
- UI strings the themes leave in English (tooltips such as "Toggle primary sidebar") or in Traditional
  Chinese (sphinx-book-theme's zh_CN catalog says 列印成 PDF) are replaced with Simplified Chinese.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------ UI strings
# Interface strings (tooltips, labels, button texts) that the themes leave in English or in Traditional
# Chinese.  Replaced only as the whole value of an interface attribute (title, aria-label, ...) or as the
# whole text of an element (never inside prose or code: a Python `next` stays `next`).
UI_STRINGS = {
    "Toggle primary sidebar": "显示/隐藏章节目录",
    "Toggle secondary sidebar": "显示/隐藏本页目录",
    "Color mode": "颜色模式",
    "System Settings": "跟随系统",
    "Link to this heading": "链接到本标题",
    "Link to this image": "链接到本图",
    "Link to this equation": "链接到本公式",
    "Link to this table": "链接到本表",
    "Link to this code": "链接到本代码",
    "Link to this definition": "链接到本定义",
    "Print to PDF": "打印为 PDF",
    "列印成 PDF": "打印为 PDF",
    "Download this page": "下载本页",
    "Download source file": "下载源文件",
    "Fullscreen mode": "全屏",
    "Back to top": "回到顶部",
    "Skip to main content": "跳到正文",
    "Search the docs ...": "搜索本书……",
    "Search this book...": "搜索本书……",
    "Site navigation": "全书导航",
    "Section Navigation": "本节导航",
    "Clear search": "清除搜索",
    "Hide search matches": "隐藏搜索结果",
    "Copied!": "已复制！",
}
# Interface words that are too common to replace as element text; only as attribute values.
UI_ATTRIBUTE_STRINGS = {
    "Page": "本页",
    "Main": "正文",
    "Breadcrumb": "路径",
    "Home": "首页",
    "Search": "搜索",
    "Copy": "复制",
    "Close": "关闭",
    "Sidebar": "侧栏",
    "Previous": "上一页",
    "Next": "下一页",
    "Section navigation": "本节导航",
    "Table of Contents": "目录",
    "Contents": "本页目录",
}
UI_ATTRIBUTES = ("title", "aria-label", "data-bs-title", "placeholder", "alt", "data-tooltip", "data-content")
# Phrases inside a longer interface text (the footer).
UI_PHRASES = {"© Copyright ": "© 版权所有 ", "&#169; Copyright ": "&#169; 版权所有 ", "By cnnbook": "作者：cnnbook"}


def _alternatives(strings):
    keys = sorted(strings, key=len, reverse=True)
    return "|".join(re.escape(html.escape(k, quote=True)) for k in keys)


_UI_ATTR = re.compile(rf'(\s(?:{"|".join(UI_ATTRIBUTES)})=")({_alternatives({**UI_STRINGS, **UI_ATTRIBUTE_STRINGS})})(")')
_UI_TEXT = re.compile(rf"(>\s*)({_alternatives(UI_STRINGS)})(\s*<)")
_UI_ESCAPED = {html.escape(k, quote=True): v for k, v in {**UI_STRINGS, **UI_ATTRIBUTE_STRINGS}.items()}


def translate_ui(text: str) -> str:
    text = _UI_ATTR.sub(lambda m: m.group(1) + _UI_ESCAPED[m.group(2)] + m.group(3), text)
    text = _UI_TEXT.sub(lambda m: m.group(1) + _UI_ESCAPED[m.group(2)] + m.group(3), text)
    for old, new in UI_PHRASES.items():
        text = text.replace(old, new)
    return text


# ------------------------------------------------------------------------------------------ code lines
INLINE_TAGS = {"span", "a", "b", "i", "em", "strong", "u", "s", "code", "mark", "small", "sub", "sup", "font", "del", "ins"}
_PRE = re.compile(r"(<pre\b[^>]*>)(.*?)(</pre>)", re.DOTALL)
_TOKEN = re.compile(r"<[^>]*>|[^<]+")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)")


def _visible_text(tokens) -> str:
    return html.unescape("".join(t for t in tokens if not t.startswith("<")))


def mark_lines(inner: str) -> str | None:
    """Wrap each line of a <pre>'s inner HTML in <span class="cl">; None if it holds non-inline markup."""
    if 'class="cl"' in inner:
        return None  # already done
    stack: list[tuple[str, str]] = []
    lines: list[list[str]] = [[]]
    for tok in _TOKEN.findall(inner):
        if tok.startswith("<"):
            m = _TAG.match(tok)
            if not m:
                lines[-1].append(tok)
                continue
            closing, name = m.group(1), m.group(2).lower()
            if name not in INLINE_TAGS:
                return None
            if closing:
                if stack and stack[-1][1] == name:
                    stack.pop()
            elif not tok.endswith("/>"):
                stack.append((tok, name))
            lines[-1].append(tok)
            continue
        parts = tok.split("\n")
        for k, part in enumerate(parts):
            if k:
                lines[-1].append("\n" + "".join(f"</{name}>" for _, name in reversed(stack)))
                lines.append(["".join(t for t, _ in stack)])
            if part:
                lines[-1].append(part)
    out = []
    for k, tokens in enumerate(lines):
        text = _visible_text(tokens)
        if k == len(lines) - 1 and not text.strip("\n"):
            out.append("".join(tokens))  # closing tags after the last newline
            continue
        body = text.rstrip("\n")
        indent = len(body) - len(body.lstrip(" "))
        style = f' style="--i:{indent}"' if indent else ""
        out.append(f'<span class="cl"{style}>' + "".join(tokens) + "</span>")
    return "".join(out)


def mark_code_lines(body: str) -> str:
    def repl(m):
        marked = mark_lines(m.group(2))
        return m.group(1) + (marked if marked is not None else m.group(2)) + m.group(3)

    return _PRE.sub(repl, body)


# ------------------------------------------------------------------------------------------ images
_IMG = re.compile(r'<img\b[^>]*>')
PHOTO_BYTES = 200_000        # PNGs this large are photo-like (feature maps, digits): lossy WebP
LOSSLESS_MIN_BYTES = 60_000  # smaller PNGs are left alone
WEBP_QUALITY = 85
MIN_TEXT_KEY = "cnnbook:min-text-px"  # written by cnnbook.plotting.save_figure / GIF comments
MIN_FIGURE_TEXT_PX = 9.0              # smallest text a phone reader should get
DEFAULT_TEXT_PT = 10.0                # matplotlib's default font size, for figures that recorded nothing


def webp_for(png: Path, webp: Path) -> bool:
    """Write `webp` for a heavy `png`: lossy for photo-like images, else lossless if much smaller."""
    from PIL import Image

    if webp.exists() and webp.stat().st_mtime >= png.stat().st_mtime:
        return True
    size = png.stat().st_size
    if size < LOSSLESS_MIN_BYTES:
        return False
    webp.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(png) as im:
        im.load()
        if size >= PHOTO_BYTES:
            im.save(webp, "WEBP", quality=WEBP_QUALITY, method=6)
        else:
            im.save(webp, "WEBP", lossless=True, method=6)
    if webp.stat().st_size > 0.6 * size:
        webp.unlink()
        return False
    return True


def min_text_px(path: Path) -> float | None:
    """Smallest text of a figure, in pixels of the image: recorded by the figure code, else matplotlib's
    default 10 pt at the resolution stored in the PNG; None for images that say nothing."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            info = dict(im.info)
    except Exception:
        return None
    recorded = info.get(MIN_TEXT_KEY)
    if recorded is None and isinstance(info.get("comment"), (bytes, str)):
        comment = info["comment"].decode("utf-8", "replace") if isinstance(info["comment"], bytes) else info["comment"]
        m = re.search(rf"{re.escape(MIN_TEXT_KEY)}=([\d.]+)", comment)
        recorded = m.group(1) if m else None
    if recorded is not None:
        return float(recorded)
    dpi = info.get("dpi")
    if dpi and dpi[0] > 1:
        return DEFAULT_TEXT_PT * float(dpi[0]) / 72
    return None


def _image_sources(app) -> dict[str, Path]:
    """Output image name (in _images/) -> its source file, for every image Sphinx copies."""
    return {name: Path(app.srcdir) / src for src, (_docs, name) in app.env.images.items()}


def process_images(app, body: str) -> str:
    """WebP for heavy PNGs; and each figure gets the smallest width (--cnnbook-min-w) at which its text
    is still 9 px, used by reader.css on phones."""
    from PIL import Image

    sources = _image_sources(app)
    imagedir = Path(app.outdir) / "_images"

    def repl(m):
        tag = m.group(0)
        src_m = re.search(r'\bsrc="([^"]+)"', tag)
        if not src_m:
            return tag
        src = src_m.group(1)
        name = src.rsplit("/", 1)[-1]
        source = sources.get(name)
        if "_images/" not in src or source is None or not source.is_file():
            return tag
        text_px = min_text_px(source)
        if text_px:
            with Image.open(source) as im:
                natural = im.size[0]
            min_width = int(natural * MIN_FIGURE_TEXT_PX / text_px + 0.999)
            style_m = re.search(r'\bstyle="([^"]*)"', tag)
            extra = f"--cnnbook-min-w: {min_width}px;"
            if style_m:
                tag = tag.replace(style_m.group(0), f'style="{style_m.group(1).rstrip()} {extra}"'.replace('" ', '"'))
            else:
                tag = tag.replace("<img", f'<img style="{extra}"', 1)
            tag = tag.replace("<img", f'<img data-min-text-px="{text_px:.2f}"', 1)
        if "loading=" not in tag:
            # images below the first screen load when the reader gets near them, not before the page is usable
            tag = tag.replace("<img", '<img loading="lazy" decoding="async"', 1)
        if name.endswith(".png"):
            webp_name = name[: -len(".png")] + ".webp"
            if webp_for(source, imagedir / webp_name):
                tag = tag.replace(f'src="{src}"', f'src="{src[: -len(name)]}{webp_name}"')
        return tag

    return _IMG.sub(repl, body)


# ------------------------------------------------------------------------------------------ page hook


def on_page(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body is None:
        return
    if 'class="math' not in body:
        scripts = context.get("script_files")
        if scripts is not None:
            keep = [s for s in scripts if not _is_mathjax(s)]
            scripts[:] = keep
    body = mark_code_lines(body)
    body = process_images(app, body)
    context["body"] = body


def _is_mathjax(script) -> bool:
    filename = getattr(script, "filename", script if isinstance(script, str) else "") or ""
    body = (getattr(script, "attributes", {}) or {}).get("body", "")
    return "mathjax" in filename.lower() or "window.MathJax" in body


# ------------------------------------------------------------------------------------------ Font Awesome
_FA_CLASS = re.compile(r'class="[^"]*\bfa-(?:solid|regular|brands)\b[^"]*"|class="[^"]*\bfa[srb]\b[^"]*"')
_FA_NAME = re.compile(r"\bfa-([a-z0-9-]+)")
_FA_SECTION_END = re.compile(r'd\("(fa[srb])",(\w+)\)')
_FA_ICON = re.compile(
    r'(?:"([\w-]+)"|([A-Za-z_]\w*)):\[(\d+),(\d+),\[([^\]]*)\],"([0-9a-f]+)",("(?:[^"\\]|\\.)*"|\[[^\]]*\])\]'
)
FA_MODIFIERS = {"solid", "regular", "brands", "lg", "xs", "sm", "xl", "2xs", "2xl", "1x", "2x", "3x", "fw", "spin",
                "pulse", "border", "inverse", "li", "ul", "stack", "beat", "fade", "bounce", "flip", "shake"}


def fontawesome_icons(js: str) -> dict[str, dict[str, list]]:
    """{'fas': {'bars': [448, 512, 'M0 96...'], ...}, 'far': ..., 'fab': ...} from the theme's fontawesome.js."""
    packs: dict[str, dict[str, list]] = {}
    start = 0
    for end in _FA_SECTION_END.finditer(js):
        icons = {}
        for m in _FA_ICON.finditer(js, start, end.start()):
            name = m.group(1) or m.group(2)
            path = json.loads(m.group(7))
            entry = [int(m.group(3)), int(m.group(4)), path, m.group(6)]
            icons[name] = entry
            for alias in re.findall(r'"([\w-]+)"', m.group(5)):
                icons.setdefault(alias, entry)
        if icons:
            packs.setdefault(end.group(1), {}).update(icons)
        start = end.end()
    return packs


def used_icons(outdir: Path) -> set[str]:
    names = set()
    files = list(outdir.rglob("*.html")) + [p for p in (outdir / "_static").rglob("*.js") if "mathjax" not in p.parts]
    for path in files:
        if path.name == "fontawesome.js":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"\bfa-[a-z0-9-]+", text):
            names.add(m.group(0)[3:])
    return names - FA_MODIFIERS


FA_SVG_CSS = (
    "svg:not(:root).svg-inline--fa{overflow:visible;box-sizing:content-box}"
    ".svg-inline--fa{display:var(--fa-display,inline-block);height:1em;overflow:visible;vertical-align:-.125em}"
    ".svg-inline--fa.fa-lg{vertical-align:-.2em}.svg-inline--fa.fa-fw{width:var(--fa-fw-width,1.25em)}"
)

FA_JS = """/* Font Awesome subset for this book, written by _ext/cnnbook_html.py at build time from the theme's
   fontawesome.js (which holds every icon, 1.4 MB): only the icons the pages use, drawn as the same inline SVGs. */
(function () {
  "use strict";
  var ICONS = %(icons)s;
  var PACK = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far", "fa-brands": "fab", "fab": "fab"};
  var NS = "http://www.w3.org/2000/svg";
  function draw(el) {
    var pack = "fas", name = null;
    el.classList.forEach(function (c) {
      if (PACK[c]) { pack = PACK[c]; }
    });
    el.classList.forEach(function (c) {
      if (!name && c.indexOf("fa-") === 0 && ICONS[pack] && ICONS[pack][c.slice(3)]) { name = c.slice(3); }
    });
    if (!name) { return; }
    var icon = ICONS[pack][name];
    var svg = document.createElementNS(NS, "svg");
    Array.prototype.forEach.call(el.attributes, function (a) {
      if (a.name !== "class") { svg.setAttribute(a.name, a.value); }
    });
    svg.setAttribute("class", el.getAttribute("class") + " svg-inline--fa");
    svg.setAttribute("data-prefix", pack);
    svg.setAttribute("data-icon", name);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("role", "img");
    svg.setAttribute("viewBox", "0 0 " + icon[0] + " " + icon[1]);
    var title = el.getAttribute("title");
    if (title) {
      var t = document.createElementNS(NS, "title");
      t.textContent = title;
      svg.appendChild(t);
    }
    [].concat(icon[2]).forEach(function (d) {
      var path = document.createElementNS(NS, "path");
      path.setAttribute("fill", "currentColor");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    el.parentNode.replaceChild(svg, el);
  }
  function scan(root) {
    if (!root.querySelectorAll) { return; }
    if (root.matches && root.matches("i[class*='fa-'], span[class*='fa-']")) { draw(root); return; }
    root.querySelectorAll("i[class*='fa-'], span[class*='fa-']").forEach(draw);
  }
  var style = document.createElement("style");
  style.textContent = %(css)s;
  document.head.appendChild(style);
  function start() {
    scan(document);
    new MutationObserver(function (records) {
      records.forEach(function (r) { r.addedNodes.forEach(scan); });
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
"""


def write_fontawesome_subset(outdir: Path) -> None:
    target = outdir / "_static" / "scripts" / "fontawesome.js"
    if not target.is_file():
        logger.warning("cnnbook_html: %s not found; the theme's icons were not trimmed", target)
        return
    js = target.read_text(encoding="utf-8")
    if js.startswith("/* Font Awesome subset for this book"):
        # an incremental build kept our subset: take the icons from the theme's original
        import pydata_sphinx_theme

        original = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "scripts" / "fontawesome.js"
        js = original.read_text(encoding="utf-8")
    packs = fontawesome_icons(js)
    if "fas" not in packs or "bars" not in packs["fas"]:
        logger.warning("cnnbook_html: could not read the icons from fontawesome.js; left as it is")
        return
    wanted = used_icons(outdir)
    subset: dict[str, dict[str, list]] = {}
    for pack, icons in packs.items():
        for name in wanted:
            if name in icons:
                subset.setdefault(pack, {})[name] = icons[name]
    missing = sorted(n for n in wanted if not any(n in icons for icons in packs.values()))
    if missing:
        logger.info("cnnbook_html: fa- class names that are not icons (ignored): %s", ", ".join(missing))
    codes = sorted({icon[3] for icons in subset.values() for icon in icons.values()})
    text = FA_JS % {"icons": json.dumps({p: {n: i[:3] for n, i in icons.items()} for p, icons in subset.items()},
                                        separators=(",", ":")),
                    "css": json.dumps(FA_SVG_CSS)}
    text += "/* unicode of these icons: " + " ".join(f'"unicode":"{c}"' for c in codes) + " */\n"
    target.write_text(text, encoding="utf-8")
    (outdir / "_static" / "scripts" / "fontawesome.js.map").unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ setup


_SEARCH_SCRIPTS = re.compile(r'\s*<script src="[^"]*(?:searchtools\.js|language_data\.js|searchindex\.js)"></script>')


def on_builder_inited(app):
    if app.builder.format != "html" or not hasattr(app.builder, "templates"):
        return
    templates = app.builder.templates
    original = templates.render

    def render(template, context):
        output = translate_ui(original(template, context))
        if context.get("pagename") != "search":
            # pydata-sphinx-theme loads Sphinx's search index on every page for search-as-you-type, which this
            # book does not use (search_as_you_type is false): only the search page needs it.
            output = _SEARCH_SCRIPTS.sub("", output)
        return output

    templates.render = render


ICON_FONT_CSS = "cnnbook-icons.css"
ICON_FONT = "fa-solid-subset.woff"


def write_icon_font(outdir: Path) -> None:
    """The theme's CSS draws some icons (admonition titles, ...) with the 156 KB Font Awesome solid font.
    Write a WOFF with only the glyphs the CSS and the pages use, and an @font-face for the same family and
    weight: defined after the theme's, it is the one the browser uses (the big font is never fetched)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    static = outdir / "_static"
    ttf = static / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.ttf"
    css_out = static / ICON_FONT_CSS
    if not ttf.is_file():
        logger.warning("cnnbook_html: %s not found; icon font not trimmed", ttf)
        css_out.write_text("/* icon font not trimmed: the theme's font file was not found */\n", encoding="utf-8")
        return
    codepoints = set()
    for css in static.rglob("*.css"):
        if "mathjax" in css.parts or css.name == ICON_FONT_CSS:
            continue
        text = css.read_text(encoding="utf-8", errors="replace")
        if css.name == "pydata-sphinx-theme.css":
            # only the theme's own icon variables, not Font Awesome's list of every icon class
            found = re.findall(r'--pst-icon-[\w-]+:\s*"(\\f[0-9a-f]{3}|[\ue000-\uf8ff])"', text)
        else:
            found = re.findall(r'"(\\f[0-9a-f]{3}|[\ue000-\uf8ff])"', text)
        # a CSS escape (\f05a) or the private-use character itself
        codepoints |= {int(c[1:], 16) if c.startswith("\\") else ord(c) for c in found}
    js = (static / "scripts" / "fontawesome.js").read_text(encoding="utf-8")
    codepoints |= {int(c, 16) for c in re.findall(r'"unicode":"([0-9a-f]+)"', js)}
    font = TTFont(str(ttf))
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    font.flavor = "woff"
    font.save(str(static / ICON_FONT))
    css_out.write_text(
        "/* Written by _ext/cnnbook_html.py: the Font Awesome solid glyphs this book uses "
        f"({len(codepoints)} of them) instead of the whole 156 KB font. */\n"
        '@font-face{font-family:"Font Awesome 6 Free";font-style:normal;font-weight:900;font-display:block;'
        f'src:url({ICON_FONT}) format("woff")}}\n', encoding="utf-8")


def on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    write_fontawesome_subset(Path(app.outdir))
    write_icon_font(Path(app.outdir))


def setup(app):
    app.connect("builder-inited", on_builder_inited)
    app.connect("html-page-context", on_page, priority=900)  # after sphinx.ext.mathjax (500) added its scripts
    app.connect("build-finished", on_build_finished)
    app.add_css_file(ICON_FONT_CSS)  # written at the end of the build
    return {"parallel_read_safe": True, "parallel_write_safe": True}
