"""The reader's edition in a real JupyterLab: rendered Markdown, figures, collapsed solutions.

A JupyterLab server (this venv's `jupyter lab --no-browser --ip=127.0.0.1`, with a token) serves a fresh
reader's edition (scripts/reader_edition.py) from a temporary folder; Debian's Chromium opens a chapter
and scrolls through it (JupyterLab only renders the cells near the viewport).  A reader must see no raw
MyST ({glue:text}, ```{figure}, {exercise}, {ref}, ...), every figure loaded, each solution collapsed
under its heading until clicked, and no kernel dialog (the kernelspec is set).
A negative test opens a notebook with a raw {glue:text} role and an open solution and shows that the
same check reports both.

    bash scripts/test.sh -m browser -k jupyterlab
    CNNBOOK_JUPYTERLAB_CHAPTERS=all ...        every chapter instead of the default 03_pooling
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import reader_edition  # noqa: E402

DEFAULT_CHAPTERS = ["03_pooling"]
# Rendered prose that still carries MyST: a role or directive name in braces, a fence, a target.
RAW_RENDERED = re.compile(r"\{[A-Za-z][\w:-]*\}|^\s*(`{3,}|:{3,})|^\s*\([\w:.-]+\)=\s*$", re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    folder: Path


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reader-edition")
    wanted = os.environ.get("CNNBOOK_JUPYTERLAB_CHAPTERS", "")
    reader_edition.write_edition(folder, only=None if wanted == "all" else (wanted.split(",") if wanted else DEFAULT_CHAPTERS))
    return folder


@pytest.fixture(scope="module")
def lab(edition, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving the reader's edition; no news pop-up, no saved workspace."""
    home = tmp_path_factory.mktemp("lab-settings")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    log = open(home / "server.log", "w")
    jupyter = Path(sys.executable).parent / "jupyter"
    process = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={edition}",
         "--ServerApp.open_browser=False", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=edition, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("JupyterLab did not start: " + (home / "server.log").read_text()[-2000:])
                time.sleep(1)
        yield Lab(url, token, edition)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@dataclass
class LabView:
    """What a reader saw of one notebook in JupyterLab, after scrolling through all of it."""

    cells_in_notebook: int
    shown: dict = field(default_factory=dict)  # cell index -> rendered text (markdown) or "" (code)
    raw: list = field(default_factory=list)  # rendered Markdown still carrying MyST
    images: list = field(default_factory=list)  # (alt, naturalWidth) of images in Markdown
    collapsed_solutions: list = field(default_factory=list)  # heading texts of collapsed 解答 headings
    open_solutions: list = field(default_factory=list)  # 解答 headings not collapsed
    dialogs: list = field(default_factory=list)


COLLECT = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')) {
    if (!cell.offsetParent) continue;  // hidden under a collapsed heading
    const index = cell.getAttribute('data-windowed-list-index');
    const md = cell.querySelector('.jp-MarkdownOutput');
    let text = '';
    const images = [];
    let collapsed = null;
    if (md) {
      const copy = md.cloneNode(true);
      copy.querySelectorAll('code, pre, mjx-container, .MathJax, script, .jp-InternalAnchorLink').forEach(e => e.remove());
      text = copy.innerText;
      for (const img of md.querySelectorAll('img')) images.push([img.alt, img.naturalWidth]);
      const button = cell.querySelector('.jp-collapseHeadingButton');
      if (button) collapsed = button.classList.contains('jp-mod-collapsed');
    }
    out.push({index, text, images, collapsed, markdown: !!md});
  }
  const scroller = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
  return {cells: out, top: scroller.scrollTop, height: scroller.clientHeight, full: scroller.scrollHeight};
}"""


def view_notebook(browser, lab: Lab, name: str, screenshot: Path | None = None) -> LabView:
    """Open NAME in JupyterLab, scroll from top to bottom, and record what was rendered."""
    notebook = nbformat.read(lab.folder / name, as_version=4)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Only the local server: a request anywhere else would be a reader's edition that needs the network.
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]|blob:|data:|ws://127\.0\.0\.1).*"), lambda route: route.abort())
    page = context.new_page()
    try:
        # ?reset: a fresh workspace, so only this notebook is open
        page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}", timeout=180_000)
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-MarkdownOutput", timeout=180_000)
        page.wait_for_function(
            "() => document.querySelector('.jp-Notebook .jp-Cell') && !document.querySelector('.jp-Dialog')"
            " || document.querySelector('.jp-Dialog')", timeout=60_000)
        time.sleep(2)
        view = LabView(cells_in_notebook=len(notebook.cells))
        view.dialogs = [d.inner_text()[:200] for d in page.locator(".jp-Dialog").all()]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
        stable = 0
        for _ in range(400):
            state = page.evaluate(COLLECT)
            for cell in state["cells"]:
                index = int(cell["index"])
                view.shown[index] = cell["text"]
                if cell["markdown"]:
                    if RAW_RENDERED.search(cell["text"]):
                        view.raw += [f"cell {index}: {m.group(0)!r} in {cell['text'][:80]!r}" for m in RAW_RENDERED.finditer(cell["text"])]
                    view.images += [tuple(i) for i in cell["images"]]
                    first = cell["text"].strip().splitlines()[0] if cell["text"].strip() else ""
                    if first.startswith("解答"):
                        (view.collapsed_solutions if cell["collapsed"] else view.open_solutions).append(first)
            seen_before = len(view.shown)
            # At the bottom, wait until nothing new renders for a few seconds: on a loaded machine JupyterLab
            # renders the last cells late, and the list's height grows as they are measured.
            if state["top"] + state["height"] >= state["full"] - 2:
                stable = stable + 1 if seen_before == getattr(view, "_last_seen", -1) else 0
                view._last_seen = seen_before
                if stable >= 4:
                    break
                page.evaluate("() => { const s = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer'); s.scrollTop = s.scrollHeight; }")
                page.wait_for_timeout(1000)
                continue
            stable = 0
            page.evaluate("() => { const s = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer'); s.scrollTop += s.clientHeight * 0.7; }")
            page.wait_for_timeout(400)
        view.raw = sorted(set(view.raw))
        view.images = sorted(set(view.images))
        view.collapsed_solutions = sorted(set(view.collapsed_solutions))
        view.open_solutions = sorted(set(view.open_solutions))
        if screenshot is not None:
            # What a reader sees: the first figure, and the first exercise with its collapsed solution.
            figure = next((i for i, c in enumerate(notebook.cells) if c.get("attachments")), 0)
            exercise = next((i for i, c in enumerate(notebook.cells) if c.source.startswith("### 练习")), 0)
            for index, suffix in ((figure, "figure"), (exercise, "exercises")):
                scroll_to_cell(page, index)
                page.screenshot(path=str(screenshot.with_name(f"{screenshot.stem}-{suffix}.png")))
        view.page = page
        view.context = context
        return view
    except Exception:
        context.close()
        raise


def scroll_to_cell(page, index: int) -> None:
    """Scroll the windowed notebook from the top until cell INDEX is rendered, then bring it to the top."""
    scroller = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')"
    cell = f"document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell[data-windowed-list-index=\"{index}\"]')"
    page.evaluate(f"() => {{ {scroller}.scrollTop = 0; }}")
    page.wait_for_timeout(400)
    for _ in range(300):
        if page.evaluate(f"() => !!{cell}"):
            break
        page.evaluate(f"() => {{ const s = {scroller}; s.scrollTop += s.clientHeight * 0.7; }}")
        page.wait_for_timeout(200)
    page.evaluate(f"() => {{ const c = {cell}; if (c) c.scrollIntoView({{block: 'start'}}); }}")
    page.wait_for_timeout(1500)


def expected_solutions(notebook) -> list[str]:
    return [c.source.splitlines()[0].lstrip("# ") for c in notebook.cells
            if c.cell_type == "markdown" and c.metadata.get(reader_edition.COLLAPSED)]


def chapters_to_test(edition: Path) -> list[str]:
    wanted = os.environ.get("CNNBOOK_JUPYTERLAB_CHAPTERS", "")
    names = sorted(p.stem for p in edition.glob("*.ipynb"))
    if wanted == "all":
        return names
    return [n for n in (wanted.split(",") if wanted else DEFAULT_CHAPTERS) if n in names] or names[:1]


def test_reader_edition_chapter_renders_in_jupyterlab(browser, lab, edition, pytestconfig):
    from conftest import screenshot_dir_of

    shots = screenshot_dir_of(pytestconfig) / "jupyterlab"
    for stem in chapters_to_test(edition):
        name = stem + ".ipynb"
        notebook = nbformat.read(edition / name, as_version=4)
        view = view_notebook(browser, lab, name, screenshot=shots / f"{stem}.png")
        try:
            assert not view.dialogs, f"{name}: a dialog opened (kernel not found?): {view.dialogs}"
            assert not view.raw, f"{name}: raw MyST visible in JupyterLab: {view.raw[:5]}"
            figures = [c for c in notebook.cells if c.cell_type == "markdown" and c.get("attachments")]
            assert len(view.images) >= len(figures), f"{name}: {len(figures)} figures, {len(view.images)} images shown"
            assert all(width > 0 for _, width in view.images), f"{name}: an image did not load: {view.images}"
            solutions = expected_solutions(notebook)
            assert len(solutions) >= 3
            assert view.collapsed_solutions == sorted(solutions), (
                f"{name}: solutions not all collapsed: collapsed {view.collapsed_solutions}, open {view.open_solutions}"
            )
            assert not view.open_solutions
            # Every cell outside the solutions was rendered while scrolling; the solutions' cells were not.
            hidden = set()
            in_solution = False
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type == "markdown" and cell.source.startswith("#"):
                    level = len(cell.source) - len(cell.source.lstrip("#"))
                    in_solution = bool(cell.metadata.get(reader_edition.COLLAPSED)) or (in_solution and level > 4)
                    continue
                if in_solution:
                    hidden.add(index)
            seen = set(view.shown)
            assert not (seen & hidden), f"{name}: solution cells visible before clicking: {sorted(seen & hidden)[:5]}"
            assert set(range(len(notebook.cells))) - hidden <= seen, (
                f"{name}: cells never rendered while scrolling: {sorted(set(range(len(notebook.cells))) - hidden - seen)[:10]}"
            )
            # A click on the first solution's "cells hidden" button shows its cells.
            button = view.page.locator(".jp-showHiddenCellsButton").first
            button.scroll_into_view_if_needed()
            button.click()
            view.page.wait_for_timeout(1000)
            first_hidden = min(hidden)
            visible = view.page.evaluate(
                f"() => {{ const c = document.querySelector('.jp-Cell[data-windowed-list-index=\"{first_hidden}\"]');"
                " return !!(c && c.offsetParent); }"
            )
            assert visible, f"{name}: clicking the solution's button did not show its first cell ({first_hidden})"
        finally:
            view.context.close()


def test_raw_glue_and_open_solution_are_reported(browser, lab):
    """Negative test: the check above catches a raw {glue:text} role and a solution that is not collapsed."""
    broken = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 坏的章\n\n有 {glue:text}`n_params:,` 个参数。"),
        nbformat.v4.new_markdown_cell("### 练习 1.1\n\n算一算。"),
        nbformat.v4.new_markdown_cell("#### 解答 练习 1.1"),
        nbformat.v4.new_code_cell("1 + 1"),
    ])
    broken.metadata["kernelspec"] = dict(reader_edition.KERNELSPEC)
    nbformat.write(broken, lab.folder / "zz_broken.ipynb")
    view = view_notebook(browser, lab, "zz_broken.ipynb")
    try:
        assert any("{glue:text}" in problem for problem in view.raw), view.raw
        assert view.open_solutions == ["解答 练习 1.1"] and not view.collapsed_solutions
        assert 3 in view.shown, "the solution's code cell is visible"
    finally:
        view.context.close()
        (lab.folder / "zz_broken.ipynb").unlink()
