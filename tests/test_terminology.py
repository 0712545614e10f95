"""One terminology (issue 11): the glossary page is right, and the prose uses no retired variant.

The prose is the Markdown a reader sees: the markdown cells of chapters/*.ipynb and of the assignment
notebooks (assignments/source/*/*.ipynb), intro.md, teachers.md and glossary.md, without code blocks,
code spans, math, link targets, HTML comments and directive options.  Role names such as {ref} stay
(the doubled-word rule needs them); they are ASCII and match no rule.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_DIR = ROOT / "chapters"
GLOSSARY = ROOT / "glossary.md"

# ---------------------------------------------------------------------------------------------------
# Reading the prose
# ---------------------------------------------------------------------------------------------------

FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})(.*)$")
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"


def _blank(match):
    """Replace a match by as many newlines as it spans, so line numbers stay right."""
    return " " + "\n" * match.group(0).count("\n")


def prose(markdown):
    """The reader-visible prose of a MyST Markdown text, line for line (removed lines become empty)."""
    lines = markdown.split("\n")
    out = []
    stack = []  # open fences: (marker, is_code)
    for line in lines:
        match = FENCE.match(line)
        if stack and stack[-1][1]:  # inside a code block: only its closing fence matters
            marker = stack[-1][0]
            if match and match.group(1)[0] == marker[0] and len(match.group(1)) >= len(marker) and not match.group(2).strip():
                stack.pop()
            out.append("")
            continue
        if match:
            marker, info = match.group(1), match.group(2).strip()
            if stack and not info and marker[0] == stack[-1][0][0] and len(marker) >= len(stack[-1][0]):
                stack.pop()  # closes a directive
            else:
                name = re.match(r"\{([\w:-]+)\}", info)
                is_code = not name or name.group(1) in {"code-block", "code", "code-cell", "math", "raw", "glue:math"}
                stack.append((marker, is_code))
            out.append("")
            continue
        if stack and re.match(r"^\s*:[\w-]+:", line) and not re.match(r"^\s*:alt:", line):
            out.append("")  # a directive option (:name:, :width:, :label: ...); :alt: is prose
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"<!--.*?-->", _blank, text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", _blank, text, flags=re.S)
    text = re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", _blank, text, flags=re.S)
    text = re.sub(r"(?<![\\$])\$(?!\$)[^$\n]+?(?<!\\)\$", " ", text)
    text = re.sub(r"\]\([^)\s]*\)", "]", text)  # [text](target) -> [text]
    text = re.sub(r"<https?://[^>]+>|https?://\S+", " ", text)
    text = re.sub(r"</?[a-zA-Z][^>\n]*>", " ", text)  # raw HTML tags
    return text


def _notebook_prose(path):
    notebook = nbformat.read(path, as_version=4)
    return [
        (f"{path.relative_to(ROOT)} cell {index}", prose(cell.source))
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown"
    ]


def toc_chapters():
    """Chapter notebooks in reading order, as _toc.yml lists them."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    return [f for f in files if f.startswith("chapters/")]


def chapter_prose(name):
    return "\n".join(text for _, text in _notebook_prose(ROOT / f"{name}.ipynb"))


def sources():
    """(file label, [(unit label, prose)]) for every text the rules apply to."""
    units = []
    for path in sorted(CHAPTER_DIR.glob("*.ipynb")):
        units.append(("chapter", path, _notebook_prose(path)))
    for path in sorted((ROOT / "assignments" / "source").glob("*/*.ipynb")):
        units.append(("assignment", path, _notebook_prose(path)))
    for name in ["intro.md", "teachers.md", "glossary.md"]:
        path = ROOT / name
        if path.exists():
            units.append(("page", path, [(name, prose(path.read_text(encoding="utf-8")))]))
    return units


# ---------------------------------------------------------------------------------------------------
# The rules (TERMS.md of issue 11)
# ---------------------------------------------------------------------------------------------------

BUILD_WORDS = r"stderr|stdout|标准错误|nbval|pytest|jupyter-book|Sphinx|本书的测试|书中不显示|写进书里|日志[^。；\n]{0,10}留在"

# name -> (pattern, where it applies, what to write instead)
RULES = {
    "批大小": (r"批大小", "all", "batch size 写作 批量大小"),
    "批次": (r"批次", "all", "batch 写作 批量（或口语的 一批）"),
    "代码格": (r"代码格", "all", "notebook cell 写作 单元格"),
    "代码单元": (r"代码单元(?!格)", "all", "code cell 写作 代码单元格（或 单元格）"),
    "格 for a cell": (
        r"(?<![移挪走滑到向])(?:这一格|这格|本格|上一格|下一格|那一格|每一格|同一格|该格|前一格|后一格)",
        "all",
        "notebook cell 写作 单元格（这个单元格、上一个单元格……）",
    ),
    "描绘": (r"描绘", "all", "trace（tf.function）写作 追踪"),
    "轮次": (r"轮次", "all", "epoch 写作 轮（一轮训练、第几轮）"),
    "1x13": (r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?\s*[xX]\s*\d", "all", "尺寸写作 1×13（乘号 ×），代码放进代码格式"),
    "full-width shape": (
        r"（(?=[^）]*\d)\s*(?:[A-Za-z_\d.]+)(?:\s*[，,]\s*[A-Za-z_\d.]+)+\s*[，,]?\s*）",
        "all",
        "形状写成半角括号的代码：`(26, 26, 8)`",
    ),
    "ASCII quote next to Chinese": (
        rf"[{CJK}][\"']|[\"'][{CJK}]",
        "all",
        "中文引号写作 “…”（U+201C/U+201D）",
    ),
    "原始材料": (r"原始材料", "all", "说出公开来源的名字（Victor Zhou、Hands-On ML（Géron）、Chollet），或删去"),
    "练习 {ref}": (
        r"(?:练习|图|表)\s*\{(?:num)?ref\}",
        "all",
        "{ref}/{numref} 已经生成“练习 8.2”“图 3.1”，前面不再写 练习/图/表",
    ),
    "build words": (BUILD_WORDS, "chapter assignment", "读者不关心本书怎样构建和测试：删去这句"),
}


def violations(text, kind="chapter"):
    """[(rule, line number, line)] for every rule that matches the prose `text` of a file of `kind`."""
    found = []
    for name, (pattern, where, _) in RULES.items():
        if where != "all" and kind not in where.split():
            continue
        flags = re.IGNORECASE if name == "build words" else 0
        for number, line in enumerate(text.split("\n"), start=1):
            for match in re.finditer(pattern, line, flags):
                found.append((name, number, match.group(0), line.strip()))
    return found


# Each rule catches a bad sample and lets the right wording through.
SAMPLES = {
    "批大小": ("每一步的批大小是 32。", "每一步的批量大小是 32。"),
    "批次": ("每个批次有 32 张图。", "每个批量有 32 张图，一批一批地送进去。"),
    "代码格": ("后面的代码格逐条运行。", "后面的单元格逐条运行。"),
    "代码单元": ("代码单元第一行是注释。", "代码单元格第一行是注释；一个输出单元能看到的输入。"),
    "格 for a cell": ("日志留在这一格里；下一格先导入 Keras。", "把卷积核向右移一格，再移到下一格；2×2 输出的一格。"),
    "描绘": ("第一次调用时“描绘”出计算图。", "第一次调用时“追踪”出计算图。"),
    "轮次": ("每个轮次结束时评估。", "每一轮结束时评估。"),
    "1x13": ("1x13 的输入，3 X 3 的卷积核", "1×13 的输入，`Conv3x3` 和 Conv3x3 层，`28x28`"),
    "full-width shape": ("输出形状是（26，26，8），即（n, 28, 28, 1）。", "形状是 `(26, 26, 8)`（共 5,408 个数）；三个像素（50、80、90）。"),
    "ASCII quote next to Chinese": ('所谓"硬编码"的答案', "所谓“硬编码”的答案，`load_mnist(\"full\")` 返回"),
    "原始材料": ("本书的一篇原始材料把它写错了。", "Victor Zhou 的文章把它写错了。"),
    "练习 {ref}": ("请在练习 {ref}`ex-ch09-lr` 中比较。", "请在 {ref}`ex-ch09-lr` 中比较。"),
    "build words": (
        "本书的测试不允许 stderr 上出现日志；日志都留在这个单元格里。",
        "导入 TensorFlow 时会打印几行日志，不影响结果。",
    ),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_catches_a_bad_sample_and_passes_a_good_one(rule):
    bad, good = SAMPLES[rule]
    assert rule in {name for name, *_ in violations(prose(bad))}, f"{rule!r} misses: {bad}"
    assert not violations(prose(good)), f"false alarm on: {good}"


def test_rules_ignore_code_math_and_links():
    markdown = "\n".join(
        [
            '调用 `load_mnist("full")` 得到 `(26, 26, 8)`；公式 $3x3$。',
            "```python",
            'print("批大小", 1x13)  # 代码格 描绘 原始材料 stderr',
            "```",
            "````{solution} ex-1",
            ":class: dropdown",
            "",
            "```",
            "这一格 批次",
            "```",
            "答案是 2×2。",
            "````",
            "$$",
            'a = "中文"',
            "$$",
            "[链接](https://example.org/1x13/原始材料)",
            "<!-- 批次 -->",
        ]
    )
    assert not violations(prose(markdown))
    assert "答案是 2×2。" in prose(markdown)  # directive bodies are prose


def test_directive_bodies_are_checked():
    markdown = "```{note}\n本书的一篇原始材料写成了 1x13。\n```"
    assert {name for name, *_ in violations(prose(markdown))} == {"原始材料", "1x13"}


def test_the_book_uses_no_retired_term():
    report = []
    for kind, path, units in sources():
        for label, text in units:
            for rule, number, found, line in violations(text, kind):
                report.append(f"{label} line {number}: [{rule}] {found!r} in: {line[:90]}  -> {RULES[rule][2]}")
    assert not report, f"{len(report)} retired terms or typography errors:\n" + "\n".join(report)


# ---------------------------------------------------------------------------------------------------
# The glossary page (术语表): Chinese term | English | chapter of first use
# ---------------------------------------------------------------------------------------------------

# Terms the glossary must have: the glossary terms of the developers' guide and TERMS.md, and those the
# book teaches.
REQUIRED = (
    "卷积 卷积核 特征图 填充 步幅 池化层 最大池化 平均池化 感受野 通道 互相关 softmax 交叉熵 反向传播 梯度 "
    "学习率 批量 小批量 批量大小 轮 权重 偏置 激活函数 ReLU 全连接层 计算图 会话 占位符 变量 追踪 数据增强 "
    "过拟合 验证集 初始化 单元格"
).split()

# How a term is looked for in the chapters when the plain term is not the right probe.
PROBES = {
    "Glorot 初始化": r"Glorot",  # also written "Glorot、He 初始化", "He/Glorot 初始化"
    "He 初始化": r"(?<![A-Za-z])He(?![A-Za-z])",
}

ROW = re.compile(r"^\|\s*(?P<zh>[^|]+?)\s*\|\s*(?P<en>[^|]+?)\s*\|\s*\{doc\}`(?P<label>[^<`]*?)\s*<(?P<doc>[^>]+)>`\s*\|\s*$")


def glossary_rows():
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows.append(match.groupdict())
    return rows


def test_glossary_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    assert "glossary" in files


def test_glossary_table_is_well_formed():
    rows = glossary_rows()
    table_lines = [l for l in GLOSSARY.read_text(encoding="utf-8").splitlines() if l.startswith("|")]
    assert len(table_lines) == len(rows) + 2, "every table row needs: term | English | {doc}`第 N 章 <chapters/...>`"
    terms = [row["zh"] for row in rows]
    assert len(terms) == len(set(terms)), "a term is listed twice"
    missing = [term for term in REQUIRED if term not in terms]
    assert not missing, f"terms missing from the glossary: {missing}"
    chapters = toc_chapters()
    for row in rows:
        assert row["doc"] in chapters, f"{row['zh']}: {row['doc']} is not a chapter in _toc.yml"
        number = int(re.match(r"chapters/(\d+)_", row["doc"]).group(1))
        assert row["label"] == f"第 {number} 章", f"{row['zh']}: link text {row['label']!r} for {row['doc']}"
        assert row["en"].strip(), f"{row['zh']} has no English term"
    order = [chapters.index(row["doc"]) for row in rows]
    assert order == sorted(order), "rows are ordered by the chapter of first use"


def glossary_errors(rows, texts):
    """Rows whose chapter is not the first (in reading order) whose prose uses the term."""
    errors = []
    for row in rows:
        pattern = PROBES.get(row["zh"], re.escape(row["zh"]))
        first = next((name for name, text in texts.items() if re.search(pattern, text)), None)
        if first != row["doc"]:
            errors.append(f"{row['zh']}: glossary says {row['doc']}, first used in {first}")
    return errors


def test_glossary_names_the_chapter_of_first_use():
    texts = {name: chapter_prose(name) for name in toc_chapters()}  # dicts keep the reading order
    wrong = glossary_errors(glossary_rows(), texts)
    assert not wrong, "glossary drifted from the chapters:\n" + "\n".join(wrong)


def test_glossary_check_catches_a_wrong_chapter():
    texts = {"chapters/01_a": "卷积核（kernel）与通道", "chapters/02_b": "卷积核与会话", "chapters/03_c": "会话"}
    right = [{"zh": "卷积核", "doc": "chapters/01_a"}, {"zh": "会话", "doc": "chapters/02_b"}]
    assert glossary_errors(right, texts) == []
    too_late = [{"zh": "卷积核", "doc": "chapters/02_b"}]  # used in an earlier chapter
    too_early = [{"zh": "会话", "doc": "chapters/01_a"}]  # not used in the chapter named
    unused = [{"zh": "感受野", "doc": "chapters/03_c"}]
    for rows in (too_late, too_early, unused):
        assert len(glossary_errors(rows, texts)) == 1, rows


# The glossary terms of the developers' guide and TERMS.md: the chapter that introduces one gives its
# English in parentheses: 卷积核（kernel）, **特征图**（feature map）, （填充，padding）.
CORE = ["卷积核", "特征图", "填充", "步幅", "池化层", "感受野", "交叉熵", "小批量"]


def gives_english(term, text):
    term = re.escape(term)
    return bool(re.search(rf"{term}\**\s*（[^）\n]*[A-Za-z]|（{term}[，,]\s*[A-Za-z]", text))


def test_gives_english_pattern():
    assert gives_english("卷积核", "叫作**卷积核**（kernel，也叫过滤器 filter）")
    assert gives_english("填充", "边界怎么处理（填充，padding）是下一章的话题")
    assert not gives_english("步幅", "步幅为 2 的卷积（见上文）")


def test_core_terms_give_their_english_where_they_are_introduced():
    rows = {row["zh"]: row["doc"] for row in glossary_rows()}
    missing = [f"{term} in {rows[term]}" for term in CORE if term in rows and not gives_english(term, chapter_prose(rows[term]))]
    assert not missing, f"no English in parentheses where the term is introduced: {missing}"


# ---------------------------------------------------------------------------------------------------
# Typography of quotes: Sphinx smartquotes off
# ---------------------------------------------------------------------------------------------------


def test_smartquotes_are_off():
    # docutils' smartquotes turn an ASCII quote after a Chinese character into a closing quote, so
    # "硬编码" became ”硬编码”.  Chinese prose writes “…” itself, so the conversion is switched off.
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"].get("smartquotes") is False


def html_dir():
    path = Path(os.environ.get("CNNBOOK_HTML", ROOT / "_build" / "html"))
    return path if (path / "index.html").exists() else None


# Two closing (or two opening) quotes around Chinese text with no quote of the other kind between them.
BROKEN_QUOTES = re.compile(rf"”[{CJK}][^“”<]{{0,40}}”|“[^“”<]{{0,40}}[{CJK}]“")


def test_broken_quotes_pattern():
    assert BROKEN_QUOTES.search("隐藏测试怎样挡住”硬编码”的答案")
    assert not BROKEN_QUOTES.search("隐藏测试怎样挡住“硬编码”的答案，“一”和“二”")


@pytest.mark.skipif(html_dir() is None, reason="the book is not built (bash scripts/build.sh)")
def test_built_pages_have_no_broken_quotes():
    bad = {}
    for page in sorted(html_dir().rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        found = BROKEN_QUOTES.findall(text)
        if found:
            bad[str(page.relative_to(html_dir()))] = found[:5]
    assert not bad, f"quotes turned the wrong way: {bad}"
