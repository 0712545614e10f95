"""The reader's edition (scripts/reader_edition.py) and the readers' download (scripts/package_download.py).

Fast tests: the MyST -> Jupyter Markdown conversion on a small synthetic book and on every executed
chapter; the raw-MyST check and its negative cases; the first cell's message when cnnbook is missing.

Standalone tests (marker `standalone`, which needs PyPI or pip's cache): the download is built, unzipped
into a temporary folder outside the repository, installed with `pip install -r requirements.txt` into a
fresh venv made from the same Python as .venv (pip's normal cache is used; no editable install, the
repository is not on the path), and chapters are executed there with nbclient under a fresh, empty HOME:
one small chapter always, every chapter with the extra marker `slow`.

    pytest tests/test_reader_edition.py -m "not standalone"     # fast only
    pytest tests/test_reader_edition.py -m "standalone and not slow"
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import package_download  # noqa: E402
import reader_edition as re_  # noqa: E402

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SMALL_CHAPTER = "01_why_cnn"


# ------------------------------------------------------------------------------ raw MyST check


@pytest.mark.parametrize(
    "text",
    [
        "有 {glue:text}`n_params:,` 个参数。",
        "```{figure} ../figures/x.png\n:name: fig-x\n\n图注\n```",
        "````{exercise}\n:label: ex-1\n\n做一做\n````",
        "```{solution-start} ex-1\n:class: dropdown\n```",
        "见 {ref}`ex-1`，{numref}`fig-x` 和 {doc}`chapters/01_why_cnn`。",
        "(sec-x)=\n## 一节",
        ":::{div} full-width\n表\n:::",
    ],
)
def test_raw_myst_is_found(text):
    assert re_.find_raw_myst(text)


def test_plain_markdown_and_code_are_not_raw_myst():
    text = textwrap.dedent(
        """\
        # 标题

        数学 $\\begin{aligned} a &= b \\end{aligned}$，字典 `{"a": 1}`，f 字符串 `f"{x}"`。

        ```python
        print(f"{glue:text}")
        ```

        ![图](attachment:x.png)
        """
    )
    assert re_.find_raw_myst(text) == []


def test_a_notebook_with_a_raw_glue_role_fails_the_check():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 章"), nbformat.v4.new_markdown_cell("准确率 {glue:text}`acc:.1f`%")]
    )
    problems = re_.notebook_raw_myst(notebook)
    assert problems and "cell 1" in problems[0] and "{glue:text}" in problems[0]


# ------------------------------------------------------------------------------ a synthetic book


def _tiny_book(root: Path, extra_markdown: str = "") -> Path:
    (root / "chapters").mkdir(parents=True)
    (root / "figures").mkdir()
    (root / "figures" / "dot.png").write_bytes(PNG)
    (root / "intro.md").write_text("# 前言\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: 一\n    numbered: true\n    chapters:\n"
        "      - file: chapters/01_one\n      - file: chapters/02_two\n"
    )
    glue_output = nbformat.v4.new_output(
        "display_data",
        data={re_.GLUE_PREFIX + "text/plain": "1234.5678"},
        metadata={"scrapbook": {"name": "big", "mime_prefix": re_.GLUE_PREFIX}},
    )
    one = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 第一章\n\n数是 {glue:text}`big:,.1f`，原样是 {glue:text}`big`。" + extra_markdown),
            nbformat.v4.new_code_cell("from myst_nb import glue\nimport numpy as np\nx = 1", outputs=[]),
            nbformat.v4.new_code_cell('glue("big", 1234.5678, display=False)', outputs=[glue_output]),
            nbformat.v4.new_markdown_cell(
                "```{figure} ../figures/dot.png\n:name: fig-dot\n:alt: 一个点\n:width: 50%\n\n一个点的图。\n```\n\n"
                "见 {numref}`fig-dot`、{ref}`ex-one` 和 {doc}`02_two`。\n\n"
                "```{note}\n注意 {glue:text}`big:.0f`。\n```\n\n:::{div} full-width\n| a |\n|---|\n| 1 |\n:::\n\n## 练习"
            ),
            nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-one\n\n算一算。\n```\n\n```{solution-start} ex-one\n:class: dropdown\n```\n\n答案是："),
            nbformat.v4.new_code_cell("print(x + 1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="2\n")]),
            nbformat.v4.new_markdown_cell("```{solution-end}\n```\n\n```{exercise}\n:label: ex-two\n\n再算。\n```"),
            nbformat.v4.new_markdown_cell("```{solution-start} ex-two\n:class: dropdown\n```\n\n没有代码。\n\n```{solution-end}\n```"),
        ]
    )
    one.cells[2].metadata["tags"] = ["remove-cell"]
    nbformat.write(one, root / "chapters" / "01_one.ipynb")
    two = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 第二章\n\n回到 {ref}`ex-one`。")])
    nbformat.write(two, root / "chapters" / "02_two.ipynb")
    return root


def test_tiny_book_is_converted_as_the_book_renders_it(tmp_path):
    root = _tiny_book(tmp_path / "book")
    out = tmp_path / "out"
    written = re_.write_edition(out, root=root)
    assert [p.name for p in written] == ["01_one.ipynb", "02_two.ipynb"]
    one = nbformat.read(out / "01_one.ipynb", as_version=4)
    markdown = "\n\n".join(c.source for c in one.cells if c.cell_type == "markdown")
    assert re_.notebook_raw_myst(one) == []
    assert "数是 1,234.6，原样是 1234.5678。" in markdown
    assert "![一个点](attachment:dot.png)" in markdown and "**图 1.1**　一个点的图。" in markdown
    assert "见 图 1.1、练习 1.1 和 [第二章](02_two.ipynb)。" in markdown
    assert "> **备注**\n>\n> 注意 1235。" in markdown
    assert "| a |" in markdown and "full-width" not in markdown
    figure = next(c for c in one.cells if c.cell_type == "markdown" and c.get("attachments"))
    assert base64.b64decode(figure.attachments["dot.png"]["image/png"]) == PNG
    # Exercises are headings; each solution is a collapsed heading followed by its cells.
    headings = [(c.source.splitlines()[0], c.metadata.get(re_.COLLAPSED, False)) for c in one.cells if c.cell_type == "markdown" and c.source.startswith("#")]
    assert headings == [
        ("# 第一章", False), ("## 练习", False), ("### 练习 1.1", False), ("#### 解答 练习 1.1（点击下面的按钮展开）", True),
        ("### 练习 1.2", False), ("#### 解答 练习 1.2（点击下面的按钮展开）", True),
    ]
    solution = [c.source for c in one.cells[one.cells.index(next(c for c in one.cells if c.source.startswith("#### 解答 练习 1.1"))) + 1 :]][:2]
    assert solution == ["答案是：", "print(x + 1)"]
    # Code: the check cell first, myst_nb import gone, glue-only cell dropped, kernelspec set.
    code = [c for c in one.cells if c.cell_type == "code"]
    assert code[0].metadata["tags"] == ["reader-edition-check"] and "['cnnbook', 'numpy']" not in code[0].source
    assert "['numpy']" in code[0].source
    assert code[1].source == "import numpy as np\nx = 1"
    assert not any("glue(" in c.source for c in code[1:])
    assert one.metadata["kernelspec"] == re_.KERNELSPEC
    two = nbformat.read(out / "02_two.ipynb", as_version=4)
    assert "回到 [练习 1.1](01_one.ipynb)。" in two.cells[0].source


@pytest.mark.parametrize(
    "extra, message",
    [
        ("\n\n```{tableofcontents}\n```", "directive {tableofcontents}"),
        ("\n\n{term}`卷积核`", "role {term}"),
        ("\n\n{glue:text}`nothing`", "'nothing' has no stored value"),
        ("\n\n{ref}`no-such-label`", "unknown label"),
    ],
)
def test_myst_without_a_readers_form_fails_the_build(tmp_path, extra, message):
    root = _tiny_book(tmp_path / "book", extra_markdown=extra)
    with pytest.raises(re_.ReaderEditionError, match=message):
        re_.write_edition(tmp_path / "out", root=root)


def test_text_folded_into_a_solution_is_refused(tmp_path):
    root = _tiny_book(tmp_path / "book")
    path = root / "chapters" / "01_one.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("总结一句，没有标题。"))
    nbformat.write(notebook, path)
    with pytest.raises(re_.ReaderEditionError, match="folds it into the collapsed solution"):
        re_.write_edition(tmp_path / "out", root=root)


# ------------------------------------------------------------------------------ the real chapters


def _executed_chapters():
    """Chapters whose every glued name has a stored value (a chapter being rewritten may not yet)."""
    book = re_.load_book()
    ready = []
    for chapter in book.chapters:
        notebook = nbformat.read(chapter.path, as_version=4)
        names = set(re_.stored_glue(notebook))
        used = {m.group(2).split(":")[0] for c in notebook.cells if c.cell_type == "markdown" for m in re_.ROLE.finditer(c.source) if m.group(1).startswith("glue")}
        if used <= names:
            ready.append(chapter.docname)
    return ready


@pytest.fixture(scope="module")
def book():
    return re_.load_book()


@pytest.mark.parametrize("docname", _executed_chapters())
def test_chapter_reader_edition(book, docname):
    chapter = next(c for c in book.chapters if c.docname == docname)
    source = nbformat.read(chapter.path, as_version=4)
    notebook = re_.convert_chapter(book, chapter)
    assert re_.notebook_raw_myst(notebook) == []
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["reader-edition-check"] and "'cnnbook'" in code[0].source
    assert not any("myst_nb" in c.source for c in code)
    assert not any(re_.is_glue_output(o) for c in code for o in c.outputs)
    assert not any(o.get("name") == "stderr" for c in code for o in c.outputs)
    n_figures = sum(c.source.count("{figure}") for c in source.cells if c.cell_type == "markdown")
    assert sum(len(c.get("attachments", {})) for c in markdown) == n_figures
    n_solutions = sum(c.source.count("{solution-start}") for c in source.cells if c.cell_type == "markdown")
    collapsed = [c for c in markdown if c.metadata.get(re_.COLLAPSED)]
    assert len(collapsed) == n_solutions >= 3
    assert all(c.source.startswith("#### 解答 练习 ") for c in collapsed)
    glue_only = [c for c in source.cells if c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", []) and re_.is_glue_only(c.source)]
    assert len(code) == sum(c.cell_type == "code" for c in source.cells) - len(glue_only) + 1


def test_first_cell_says_in_chinese_what_to_install(tmp_path):
    """Executed in a kernel without the package: one Chinese message, no Python traceback, and Run All stops."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(re_.first_cell_source(["cnnbook_not_installed_here", "numpy"])), nbformat.v4.new_code_cell("print('ran on')")]
    )
    notebook.metadata["kernelspec"] = dict(re_.KERNELSPEC)
    with pytest.raises(CellExecutionError):
        NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (error,) = notebook.cells[0].outputs
    shown = "\n".join(error["traceback"])
    assert "没有安装：cnnbook_not_installed_here。" in shown and "pip install -r requirements.txt" in shown
    assert "Traceback" not in shown and "File " not in shown and "numpy" not in shown
    assert notebook.cells[1].outputs == []


def test_download_requirements_pin_the_runtime_packages():
    lines = package_download.runtime_requirements()
    names = [line.split("==")[0] for line in lines]
    assert {"numpy", "tensorflow-cpu", "keras", "mlxtend", "mplfonts", "ipykernel", "jupyterlab"} <= set(names)
    assert all("==" in line for line in lines)
    assert not {"jupyter-book", "nbgrader", "pytest", "playwright", "myst-nb"} & set(names)
    text = package_download.requirements_text(Path("cnnbook-0.1.0-py3-none-any.whl"))
    assert "./cnnbook-0.1.0-py3-none-any.whl" in text.splitlines() and "-e ." not in text


# ------------------------------------------------------------------------------ standalone download


@pytest.fixture(scope="module")
def standalone():
    """The download built, unzipped outside the repo, installed into a fresh venv: (folder, python, env)."""
    # Not under pytest's basetemp: a concurrent pytest run may prune old basetemps while this one runs.
    with tempfile.TemporaryDirectory(prefix="cnnbook-standalone-") as tmp:
        yield from _standalone(Path(tmp))


def _standalone(base: Path):
    assert ROOT not in base.parents
    start = time.perf_counter()
    archive = package_download.package(base / "build" / "notebooks", archive=base / "cnnbook-notebooks.zip")
    with zipfile.ZipFile(archive) as z:
        z.extractall(base / "unzipped")
    folder = base / "unzipped" / re_.DOWNLOAD_NAME
    built = time.perf_counter() - start
    python = Path(getattr(sys, "_base_executable", sys.executable))
    venv = base / "venv"
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MPLBACKEND")}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    start = time.perf_counter()
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"], cwd=folder, env=env, check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "-r", "requirements-nodeps.txt"], cwd=folder, env=env, check=True)
    installed = time.perf_counter() - start
    # A fresh HOME for running the chapters: no Keras, matplotlib or Jupyter state from this machine.
    home = base / "home"
    home.mkdir()
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"))
    for key in ("KERAS_HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env.pop(key, None)
    print(f"\nstandalone download: {archive.stat().st_size / 1e6:.1f} MB, built in {built:.0f} s, installed in {installed:.0f} s")
    yield folder, venv / "bin" / "python", env


RUN = textwrap.dedent(
    """\
    import json, sys, time, importlib.metadata
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    import cnnbook
    site = Path(cnnbook.__file__).resolve()
    direct = importlib.metadata.distribution("cnnbook").read_text("direct_url.json") or "{}"
    assert sys.prefix in str(site), site
    assert not json.loads(direct).get("dir_info", {}).get("editable"), direct
    times = {}
    for name in sys.argv[1:]:
        notebook = nbformat.read(name, as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
        times[name] = time.perf_counter() - start
        print(json.dumps({"notebook": name, "seconds": round(times[name], 1)}), flush=True)
    print(json.dumps({"cnnbook": str(site)}))
    """
)


def _run_chapters(standalone, names):
    folder, python, env = standalone
    result = subprocess.run([str(python), "-c", RUN, *names], cwd=folder, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    print("\n".join(json.dumps(line, ensure_ascii=False) for line in lines))
    return lines


@pytest.mark.standalone
@pytest.mark.slow
def test_download_runs_one_chapter_standalone(standalone):
    folder, python, env = standalone
    assert {p.name for p in folder.iterdir()} >= {"requirements.txt", "README.md", SMALL_CHAPTER + ".ipynb"}
    assert not (folder / "chapters").exists() and not list(folder.glob("*.py"))
    lines = _run_chapters(standalone, [SMALL_CHAPTER + ".ipynb"])
    assert str(folder.parent.parent / "venv") in lines[-1]["cnnbook"]


@pytest.mark.standalone
@pytest.mark.slow
def test_download_runs_every_chapter_standalone(standalone):
    folder, _, _ = standalone
    names = sorted(p.name for p in folder.glob("*.ipynb"))
    assert len(names) >= 8
    lines = _run_chapters(standalone, names)
    assert [line["notebook"] for line in lines[:-1]] == names
