"""Every image in the chapters has alt text that describes it (issue 11: the alt text was the file path).

Images come from two places:
- figures in markdown cells: ```{figure} path``` / ```{image} path``` / ```{glue:figure} name``` (or the
  ::: fence) with an `:alt:` option, Markdown ![alt](path), HTML <img alt="...">;
- image outputs of code cells (matplotlib plots): myst-nb takes their alt text from the cell metadata
  {"mystnb": {"image": {"alt": "..."}}}.  Cells tagged remove-output or remove-cell show no image.

Alt text must be non-empty, must not be a file path or file name, and must contain Chinese: the book
is read in Chinese, screen readers included.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))

DIRECTIVE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\{(figure|image|glue:figure)\}\s*(\S*)")
OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*)$")
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
HTML_ALT = re.compile(r"""\balt\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.S)
IMAGE_MIME = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def alt_problem(alt, target=""):
    """Why `alt` is not a usable description of the image at `target`, or None when it is."""
    alt = (alt or "").strip()
    if not alt:
        return "no alt text"
    if re.search(r"\.(png|gif|jpe?g|svg|webp|pdf)\b", alt, re.IGNORECASE) or "/" in alt or "\\" in alt:
        return f"alt text is a file path: {alt!r}"
    if target and alt in {target, Path(target).name, Path(target).stem}:
        return f"alt text is the file name: {alt!r}"
    if not re.search(r"[\u4e00-\u9fff]", alt):
        return f"alt text has no Chinese: {alt!r}"
    return None


def markdown_images(markdown):
    """(target, alt) for every image in a MyST markdown text; alt is None when there is none."""
    images = []
    lines = markdown.split("\n")
    for number, line in enumerate(lines):
        match = DIRECTIVE.match(line)
        if match:
            alt = None
            for option in lines[number + 1:]:
                opt = OPTION.match(option)
                if not opt:
                    break  # options come right after the directive line
                if opt.group(1) == "alt":
                    alt = opt.group(2)
            images.append((match.group(3) or match.group(2), alt))
    for match in MD_IMAGE.finditer(markdown):
        images.append((match.group(2), match.group(1)))
    for tag in HTML_IMAGE.findall(markdown):
        alt = HTML_ALT.search(tag)
        src = re.search(r"""\bsrc\s*=\s*["']([^"']*)""", tag)
        images.append((src.group(1) if src else "<img>", alt.group(2) if alt else None))
    return images


def notebook_problems(path):
    notebook = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for target, alt in markdown_images(cell.source):
                problem = alt_problem(alt, target)
                if problem:
                    problems.append(f"{path.name} cell {index} ({target}): {problem}")
        elif cell.cell_type == "code":
            tags = cell.metadata.get("tags", [])
            if "remove-output" in tags or "remove-cell" in tags:
                continue
            shown = [o for o in cell.get("outputs", []) if any(m in o.get("data", {}) for m in IMAGE_MIME)]
            if not shown:
                continue
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
            problem = alt_problem(alt)
            if problem:
                first_line = cell.source.strip().split("\n")[0][:60]
                problems.append(
                    f"{path.name} cell {index} (plot from `{first_line}`): {problem}; "
                    'set the cell metadata {"mystnb": {"image": {"alt": "…"}}}'
                )
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_figure_in_markdown_has_alt_text(path):
    problems = [p for p in notebook_problems(path) if "plot from" not in p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_plot_output_has_alt_text(path):
    problems = [p for p in notebook_problems(path) if "plot from" in p]
    assert not problems, "\n".join(problems)


# The checks themselves: each bad sample is caught, each good one passes.

@pytest.mark.parametrize(
    "markdown",
    [
        "```{figure} ../figures/ch02_sobel.png\n:name: fig-a\n:width: 40%\n\n说明文字。\n```",  # no :alt:
        "```{figure} ../figures/ch02_sobel.png\n:alt:\n\n说明文字。\n```",  # empty
        "```{figure} ../figures/ch02_sobel.png\n:alt: ../figures/ch02_sobel.png\n```",  # the path
        "```{image} ../figures/ch02_sobel.png\n:alt: ch02_sobel\n```",  # the file name
        ":::{figure} ../figures/ch02_sobel.png\n:alt: Sobel kernel\n:::",  # no Chinese
        "![](../figures/ch02_sobel.png)",
        "![figures/ch02_sobel.png](../figures/ch02_sobel.png)",
        '<img src="../figures/ch02_sobel.png">',
    ],
)
def test_bad_alt_text_is_caught(markdown):
    images = markdown_images(markdown)
    assert images and any(alt_problem(alt, target) for target, alt in images)


@pytest.mark.parametrize(
    "markdown",
    [
        "```{figure} ../figures/ch02_sobel.png\n:name: fig-a\n:alt: 3×3 的垂直 Sobel 卷积核，右列为正、左列为负\n:width: 40%\n\n说明。\n```",
        "![4×4 图像上滑动的卷积核](../figures/ch02_convolve.gif)",
        '<img src="a.png" alt="卷积核的热图">',
    ],
)
def test_good_alt_text_passes(markdown):
    images = markdown_images(markdown)
    assert images and not any(alt_problem(alt, target) for target, alt in images)


def test_plot_output_without_alt_is_caught(tmp_path):
    notebook = nbformat.v4.new_notebook()
    plot = nbformat.v4.new_code_cell("plt.imshow(x)", execution_count=1)
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})]
    described = nbformat.v4.new_code_cell("plt.plot(y)", execution_count=2)
    described.outputs = list(plot.outputs)
    described.metadata["mystnb"] = {"image": {"alt": "训练损失随步数下降的曲线"}}
    hidden = nbformat.v4.new_code_cell("glue('fig', fig)", execution_count=3)
    hidden.outputs = list(plot.outputs)
    hidden.metadata["tags"] = ["remove-cell"]
    notebook.cells = [plot, described, hidden]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    problems = notebook_problems(path)
    assert len(problems) == 1 and "cell 0" in problems[0]
