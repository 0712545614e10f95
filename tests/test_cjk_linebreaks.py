"""_ext/cjk_linebreaks.py: soft line breaks between Chinese characters disappear, others stay."""

import importlib.util
from pathlib import Path

import pytest
from docutils import nodes
from docutils.core import publish_doctree
from myst_parser.parsers.docutils_ import Parser

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("cjk_linebreaks", ROOT / "_ext" / "cjk_linebreaks.py")
cjk_linebreaks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cjk_linebreaks)


def joined(*children):
    paragraph = nodes.paragraph("", "", *children)
    cjk_linebreaks.join_chinese_lines(paragraph)
    return paragraph.astext()


def rendered(markdown):
    """Parse Markdown with MyST as the book does, join the lines, return the first paragraph's text."""
    document = publish_doctree(markdown, parser=Parser(), settings_overrides={"report_level": 4, "myst_enable_extensions": ["dollarmath"]})
    cjk_linebreaks.join_chinese_lines(document)
    return next(iter(document.findall(nodes.paragraph))).astext()


def test_soft_break_between_chinese_is_dropped():
    assert joined(nodes.Text("池化层的全部输出"), nodes.Text("\n"), nodes.Text("变成 10 个分数")) == "池化层的全部输出变成 10 个分数"


def test_every_soft_break_in_a_paragraph_is_handled():
    parts = [nodes.Text("第一行"), nodes.Text("\n"), nodes.Text("第二行"), nodes.Text("\n"), nodes.Text("第三行")]
    assert joined(*parts) == "第一行第二行第三行"


def test_break_inside_one_text_node():
    assert joined(nodes.Text("卷积核，\n特征图")) == "卷积核，特征图"


def test_breaks_next_to_latin_text_stay():
    assert joined(nodes.Text("卷积"), nodes.Text("\n"), nodes.Text("kernel")) == "卷积\nkernel"
    assert joined(nodes.Text("two\nlines")) == "two\nlines"


def test_code_is_left_alone():
    block = nodes.literal_block("", "第一行\n第二行")
    paragraph = nodes.paragraph("", "", block)
    cjk_linebreaks.join_chinese_lines(paragraph)
    assert block.astext() == "第一行\n第二行" and paragraph.astext() == "第一行\n第二行"


def test_code_span_with_a_break_inside_is_left_alone():
    assert joined(nodes.Text("见"), nodes.literal("", "第一行\n第二行"), nodes.Text("。")) == "见第一行\n第二行。"


# Inline markup next to the break (the stray space before bold text in chapters 1 and 3).

def test_break_before_bold_text_with_an_empty_text_node_in_between():
    # MyST leaves an empty Text node between a soft break and the inline markup that follows it.
    parts = [nodes.Text("先回答一个问题："), nodes.Text("\n"), nodes.Text(""), nodes.strong("", "普通的全连接网络")]
    assert joined(*parts) == "先回答一个问题：普通的全连接网络"


def test_break_at_the_end_of_a_text_node_before_markup():
    assert joined(nodes.Text("先回答一个问题：\n"), nodes.strong("", "普通的")) == "先回答一个问题：普通的"


def test_break_at_the_start_of_a_text_node_after_markup():
    assert joined(nodes.emphasis("", "卷积核"), nodes.Text("\n在图像上滑动")) == "卷积核在图像上滑动"


def test_break_after_bold_text():
    assert joined(nodes.strong("", "卷积核"), nodes.Text("\n"), nodes.Text("在图像上滑动")) == "卷积核在图像上滑动"


def test_break_inside_bold_text_sees_the_text_outside():
    strong = nodes.strong("", "", nodes.Text("卷积核\n"))
    assert joined(nodes.Text("叫作"), strong, nodes.Text("的矩阵")) == "叫作卷积核的矩阵"


def test_break_before_a_resolved_reference_or_role():
    xref = nodes.reference("", "", nodes.inline("", "练习 2.4"), refuri="#ex")
    assert joined(nodes.Text("见"), nodes.Text("\n"), xref) == "见练习 2.4"
    glued = nodes.inline("", "26")
    assert joined(nodes.Text("边长是"), nodes.Text("\n"), glued) == "边长是\n26"


def test_break_before_code_starting_with_latin_stays():
    assert joined(nodes.Text("调用"), nodes.Text("\n"), nodes.literal("", "conv2d")) == "调用\nconv2d"


def test_chinese_quotes_and_dashes():
    assert joined(nodes.Text("当成\n“两种”输入")) == "当成“两种”输入"
    assert joined(nodes.Text("“数字在左边”\n和")) == "“数字在左边”和"
    assert joined(nodes.Text("相邻\n——这就是")) == "相邻——这就是"
    assert joined(nodes.Text("word\n“quoted”")) == "word\n“quoted”"
    assert joined(nodes.Text("”\nword")) == "”\nword"


@pytest.mark.parametrize(
    "markdown, text",
    [
        ("先回答一个问题：\n**普通的全连接网络**也能处理图像", "先回答一个问题：普通的全连接网络也能处理图像"),
        ("叫作\n*特征图*（feature map）", "叫作特征图（feature map）"),
        ("**池化层**\n把特征图缩小", "池化层把特征图缩小"),
        ("详见\n[第 2 章](https://example.org)的内容", "详见第 2 章的内容"),
        ("它必须把“数字在左边”和\n“数字在右边”当成两种输入", "它必须把“数字在左边”和“数字在右边”当成两种输入"),
        ("调用\n`conv2d` 计算", "调用\nconv2d 计算"),
        ("写成\n$k \\times k$ 的", "写成\nk \\times k 的"),
        ("two\n**words**", "two\nwords"),
    ],
)
def test_markdown_parsed_by_myst(markdown, text):
    assert rendered(markdown) == text
