"""_ext/cnnbook_html.py without a browser: code-line markup keeps the text, UI strings never touch code."""

import html
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("cnnbook_html", ROOT / "_ext" / "cnnbook_html.py")
ext = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ext)


def text_of(markup):
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_code_lines_are_wrapped_and_the_text_is_unchanged():
    inner = ('<span></span><span class="k">def</span> <span class="nf">f</span>(x):\n'
             '    <span class="s2">&quot;&quot;&quot;two\nlines&quot;&quot;&quot;</span>\n    return x &lt; 1\n')
    marked = ext.mark_lines(inner)
    assert text_of(marked) == text_of(inner)
    assert marked.count('<span class="cl"') == 4
    assert '<span class="cl" style="--i:4">' in marked
    # a token spanning two lines is closed at the end of the first and reopened on the second
    assert '<span class="cl"><span class="s2">lines' in marked


def test_pre_with_block_markup_is_left_alone():
    assert ext.mark_lines("<div>a\nb</div>") is None
    body = "<pre>a\nb\n</pre><pre><div>x</div></pre>"
    assert ext.mark_code_lines(body).count('class="cl"') == 2


def test_ui_strings_are_translated_but_not_code_or_rel():
    page = ('<button title="Toggle primary sidebar" aria-label="Color mode"></button><a rel="next" href="x">next</a>'
            '<pre><span class="nb">next</span>(it)  # Search</pre><p>© Copyright 2026.</p><span>列印成 PDF</span>')
    out = ext.translate_ui(page)
    assert 'title="显示/隐藏章节目录"' in out and 'aria-label="颜色模式"' in out
    assert 'rel="next"' in out and '<span class="nb">next</span>' in out and "# Search" in out
    assert "版权所有" in out and "打印为 PDF" in out and "列印" not in out
