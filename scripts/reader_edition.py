"""Reader's edition: the chapter notebooks rewritten from MyST into plain Jupyter Markdown.

The chapters in chapters/ are written for Jupyter Book (myst-nb): numbers are pasted into the prose with
``{glue:text}`` roles, figures are ``{figure}`` directives, exercises and solutions are sphinx-exercise
directives.  JupyterLab shows all of that as raw syntax.  This script writes, for every chapter in _toc.yml,
a notebook that JupyterLab renders as the book does:

- glued numbers are substituted from the outputs stored in the chapter (formatted as myst-nb does);
- figures become Markdown images whose files are embedded as cell attachments (the notebook stands alone),
  with the book's caption and number (图 3.1);
- exercises become headings (练习 3.1); each solution starts with a heading 解答 练习 3.1 that is
  collapsed when the notebook opens (JupyterLab's collapsible headings), its cells hidden until clicked;
- cross-references become plain text (练习 2.1, 图 4.1, a section title) or links to the other notebook;
- notes and admonitions become block quotes;
- cells that only call glue() are dropped; other cells tagged remove-cell are kept with hidden source;
  glue records and stored stderr (TensorFlow's start-up log) are dropped from the outputs;
- a first code cell checks that the support package cnnbook (and the chapter's other packages) are
  installed and says in Chinese what to install if not, and defines glue() so that the chapter runs
  without myst-nb;
- the kernelspec is set (python3).

Anything MyST that is not converted makes the script fail (find_raw_myst), so a new directive or role in
a chapter cannot slip into the reader's edition as raw syntax.

    python scripts/reader_edition.py [--out _build/notebooks]
"""

from __future__ import annotations

import argparse
import ast
import base64
import mimetypes
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
GLUE_PREFIX = "application/papermill.record/"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
COLLAPSED = "jp-MarkdownHeadingCollapsed"  # JupyterLab's cell metadata for a collapsed heading
DOWNLOAD_NAME = "cnnbook-notebooks"

# Raw MyST left in Markdown: a role {name}`...`, a directive fence ```{name} or :::{name}, a target (label)=.
RAW_MYST = [
    ("role", re.compile(r"\{[A-Za-z][\w:-]*\}`")),
    ("directive", re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*\{[A-Za-z][\w:-]*\}", re.MULTILINE)),
    ("target", re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.MULTILINE)),
    ("substitution", re.compile(r"\{\{[^}]*\}\}")),
]
ROLE = re.compile(r"\{([A-Za-z][\w:-]*)\}`([^`]*)`")
FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|:{3,})\{([\w:-]+)\}[ \t]*(.*?)\s*$")
TARGET = re.compile(r"^\s*\(([\w:.-]+)\)=\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# Modules whose absence the first cell reports, by import name -> what pip installs (None: from the wheel).
PIP_NAMES = {"cnnbook": None, "sklearn": "scikit-learn"}
NOTEBOOK_ONLY_MODULES = {"myst_nb"}  # replaced by the glue() of the first cell


class ReaderEditionError(ValueError):
    """A chapter uses MyST that the reader's edition cannot render."""


def find_raw_myst(markdown: str) -> list[str]:
    """Raw MyST syntax left in a Markdown text (outside code spans and plain code fences)."""
    text = re.sub(r"^(`{3,}|~{3,})(?![ \t]*\{)[^\n]*\n.*?^\1[ \t]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"(?<![`{}])`[^`\n]+`(?!`)", "``", text)  # inline code spans `...` (not role contents)
    found = []
    for kind, pattern in RAW_MYST:
        found += [f"{kind}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    return found


def notebook_raw_myst(notebook) -> list[str]:
    """find_raw_myst over every Markdown cell of a notebook, with the cell index."""
    return [
        f"cell {i}: {problem}"
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown"
        for problem in find_raw_myst(cell.source)
    ]


# ---------------------------------------------------------------------------------------------------
# The book: chapter order and numbers, titles, labels


@dataclass
class Chapter:
    docname: str  # chapters/03_pooling
    number: int | None  # 3, or None in an unnumbered part
    title: str
    path: Path

    @property
    def filename(self) -> str:
        return Path(self.docname).name + ".ipynb"


@dataclass
class Book:
    root: Path
    chapters: list[Chapter] = field(default_factory=list)
    docs: dict[str, tuple[str, Chapter | None]] = field(default_factory=dict)  # docname -> (title, chapter)
    labels: dict[str, tuple[str, Chapter]] = field(default_factory=dict)  # label -> (text, chapter)


def _title_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        match = HEADING.match(line)
        if match and len(match.group(1)) == 1:
            return match.group(2)
    return path.stem


def _toc_entries(root: Path):
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    number = 0
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            numbered = bool(part.get("numbered"))
            if numbered:
                number += 1
            yield entry["file"], (number if numbered else None)


def load_book(root: Path = ROOT) -> Book:
    book = Book(root)
    for docname, number in _toc_entries(root):
        for suffix in (".ipynb", ".md"):
            path = root / (docname + suffix)
            if path.exists():
                break
        else:
            raise ReaderEditionError(f"_toc.yml names {docname}, but there is no {docname}.ipynb or .md")
        if suffix == ".ipynb":
            chapter = Chapter(docname, number, _title_of(path), path)
            book.chapters.append(chapter)
            book.docs[docname] = (chapter.title, chapter)
        else:
            book.docs[docname] = (_title_of(path), None)
    for chapter in book.chapters:
        _collect_labels(book, chapter)
    return book


def _collect_labels(book: Book, chapter: Chapter) -> None:
    """Labels of sections ((label)= before a heading), figures (:name:) and exercises (:label:)."""
    notebook = nbformat.read(chapter.path, as_version=4)
    prefix = f"{chapter.number}." if chapter.number else ""
    pending_target = None
    figures = exercises = 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        current = None
        for line in cell.source.splitlines():
            target = TARGET.match(line)
            heading = HEADING.match(line)
            opened = FENCE_OPEN.match(line)
            option = re.match(r"^\s*:(name|label):\s*(\S+)\s*$", line)
            if target:
                pending_target = target.group(1)
            elif heading and pending_target:
                book.labels[pending_target] = (heading.group(2), chapter)
                pending_target = None
            if opened:
                current = opened.group(3)
                figures += current == "figure"
                exercises += current == "exercise"
            elif option and current == "figure":
                book.labels[option.group(2)] = (f"图 {prefix}{figures}", chapter)
            elif option and current == "exercise":
                book.labels[option.group(2)] = (f"练习 {prefix}{exercises}", chapter)
            elif not line.strip().startswith(":"):
                current = None


# ---------------------------------------------------------------------------------------------------
# Glue values stored in a chapter


def stored_glue(notebook) -> dict[str, dict]:
    """name -> mime bundle (prefix removed) of every glue() record in the stored outputs."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                prefix = scrapbook.get("mime_prefix", "")
                values[scrapbook["name"]] = {k[len(prefix):]: v for k, v in output["data"].items() if k.startswith(prefix)}
    return values


def is_glue_output(output) -> bool:
    return bool(output.get("metadata", {}).get("scrapbook")) or any(
        k.startswith(GLUE_PREFIX) for k in output.get("data", {})
    )


def is_glue_only(source: str) -> bool:
    """Every statement of the cell is a call of glue(...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "glue"
        for node in tree.body
    )


# ---------------------------------------------------------------------------------------------------
# Markdown conversion


@dataclass
class Block:
    """A piece of converted Markdown, or a marker that starts/ends a solution."""

    kind: str  # "md", "solution-start", "solution-end"
    text: str = ""
    label: str = ""
    attachments: dict = field(default_factory=dict)


class Converter:
    def __init__(self, book: Book, chapter: Chapter, glue: dict[str, dict]):
        self.book = book
        self.chapter = chapter
        self.glue = glue
        self.figures = 0
        self.exercises = 0
        self.prefix = f"{chapter.number}." if chapter.number else ""

    # inline ---------------------------------------------------------------------------------------
    def roles(self, text: str) -> str:
        return ROLE.sub(self._role, text)

    def _role(self, match: re.Match) -> str:
        name, content = match.group(1), match.group(2)
        if name in ("glue:text", "glue:", "glue"):
            return self._glue_text(content, formatted=(name == "glue:text"))
        if name in ("ref", "numref", "doc"):
            explicit = re.match(r"^(.*?)\s*<([^>]+)>$", content, re.DOTALL)
            text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
            if name == "doc":
                return self._doc(text, target)
            if target not in self.book.labels:
                raise ReaderEditionError(f"{self.chapter.docname}: unknown label {target!r} in {{{name}}}")
            label_text, chapter = self.book.labels[target]
            shown = (text.replace("%s", label_text) if name == "numref" else text) if text else label_text
            if chapter is self.chapter:
                return shown
            return f"[{shown}]({chapter.filename})"
        raise ReaderEditionError(f"{self.chapter.docname}: the role {{{name}}} has no reader's-edition form")

    def _glue_text(self, content: str, formatted: bool) -> str:
        from myst_nb.core.variables import format_plain_text

        if "::" in content:
            raise ReaderEditionError(f"{self.chapter.docname}: glue from another notebook ({content}) is not supported")
        key, _, spec = content.rpartition(":") if (formatted and ":" in content) else (content, "", "")
        if key not in self.glue:
            raise ReaderEditionError(f"{self.chapter.docname}: {{glue}} {key!r} has no stored value (execute the chapter)")
        bundle = self.glue[key]
        if "text/plain" not in bundle:
            raise ReaderEditionError(f"{self.chapter.docname}: glued {key!r} has no text/plain value")
        return format_plain_text(bundle["text/plain"], spec)

    def _doc(self, text: str | None, target: str) -> str:
        docname = target.lstrip("/")
        if docname not in self.book.docs:
            docname = str(Path(self.chapter.docname).parent / target)
        if docname not in self.book.docs:
            raise ReaderEditionError(f"{self.chapter.docname}: unknown document {target!r} in {{doc}}")
        title, chapter = self.book.docs[docname]
        shown = text or title
        return f"[{shown}]({chapter.filename})" if chapter and chapter is not self.chapter else shown

    # blocks ---------------------------------------------------------------------------------------
    def convert(self, source: str) -> list[Block]:
        lines = source.splitlines()
        blocks: list[Block] = []
        plain: list[str] = []

        def flush():
            text = "\n".join(plain).strip("\n")
            if text.strip():
                blocks.append(Block("md", self.roles(text)))
            plain.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            if TARGET.match(line):
                i += 1
                continue
            fence = re.match(r"^(\s*)(`{3,}|~{3,})(.*)$", line)
            opened = FENCE_OPEN.match(line)
            if fence and not opened:  # a plain code fence: copy it untouched up to its closing fence
                close = re.compile(r"^\s*" + re.escape(fence.group(2)[0]) + "{" + str(len(fence.group(2))) + r",}\s*$")
                j = i + 1
                while j < len(lines) and not close.match(lines[j]):
                    j += 1
                plain.extend(lines[i : j + 1])
                i = j + 1
                continue
            if not opened:
                plain.append(line)
                i += 1
                continue
            marker = opened.group(2)
            close = re.compile(r"^\s*" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}\s*$")
            j = i + 1
            depth = 0
            while j < len(lines):
                if close.match(lines[j]) and depth == 0:
                    break
                inner = re.match(r"^\s*(`{3,}|:{3,})", lines[j])
                if inner and inner.group(1)[0] == marker[0] and len(inner.group(1)) == len(marker):
                    depth += 1 if FENCE_OPEN.match(lines[j]) or lines[j].strip() != inner.group(1) else -1
                j += 1
            if j >= len(lines):
                raise ReaderEditionError(f"{self.chapter.docname}: unclosed {{{opened.group(3)}}} directive")
            name, argument, body = opened.group(3), opened.group(4), lines[i + 1 : j]
            options = {}
            while body and re.match(r"^\s*:[\w-]+:", body[0]):
                key, _, value = body.pop(0).strip()[1:].partition(":")
                options[key] = value.strip()
            while body and not body[0].strip():
                body.pop(0)
            flush()
            blocks.extend(self.directive(name, argument, options, "\n".join(body)))
            i = j + 1
        flush()
        return blocks

    def directive(self, name: str, argument: str, options: dict, body: str) -> list[Block]:
        if name == "figure":
            self.figures += 1
            return [self.figure(argument, options, body)]
        if name in ("note", "admonition", "tip", "important", "warning", "seealso", "hint", "attention", "caution"):
            title = argument if name == "admonition" else {"note": "备注", "tip": "提示", "important": "重要",
                                                           "warning": "警告", "seealso": "参见", "hint": "提示",
                                                           "attention": "注意", "caution": "小心"}[name]
            inner = self.convert(body)
            if any(b.kind != "md" for b in inner):
                raise ReaderEditionError(f"{self.chapter.docname}: a solution inside a {{{name}}}")
            text = f"**{self.roles(title)}**\n\n" + "\n\n".join(b.text for b in inner)
            return [Block("md", "\n".join("> " + line if line else ">" for line in text.splitlines()))]
        if name == "div":
            return self.convert(body)
        if name == "exercise":
            self.exercises += 1
            heading = f"### 练习 {self.prefix}{self.exercises}" + (f"：{self.roles(argument)}" if argument else "")
            inner = self.convert(body)
            if any(b.kind != "md" for b in inner):
                raise ReaderEditionError(f"{self.chapter.docname}: a solution inside an exercise")
            return [Block("md", heading + "\n\n" + "\n\n".join(b.text for b in inner))]
        if name == "solution-start":
            if body.strip():
                raise ReaderEditionError(f"{self.chapter.docname}: text inside {{solution-start}} is not supported")
            return [Block("solution-start", label=argument.strip())]
        if name == "solution-end":
            return [Block("solution-end")]
        raise ReaderEditionError(f"{self.chapter.docname}: the directive {{{name}}} has no reader's-edition form")

    def figure(self, argument: str, options: dict, body: str) -> Block:
        path = (self.chapter.path.parent / argument).resolve()
        if not path.is_file():
            raise ReaderEditionError(f"{self.chapter.docname}: figure file {argument} does not exist (draw the figures)")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        attachment = {path.name: {mime: base64.b64encode(path.read_bytes()).decode("ascii")}}
        alt = options.get("alt") or self.roles(body).replace("\n", " ")
        alt = alt.replace("[", "(").replace("]", ")")
        caption = " ".join(self.roles(body).split())
        text = f"![{alt}](attachment:{path.name})\n\n**图 {self.prefix}{self.figures}**　{caption}"
        return Block("md", text, attachments=attachment)


# ---------------------------------------------------------------------------------------------------
# Code cells and the first cell


def chapter_modules(notebook) -> list[str]:
    """Top-level modules the chapter imports that are not in the standard library."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in NOTEBOOK_ONLY_MODULES and top not in found:
                    found.append(top)
    return sorted(found, key=lambda m: (m != "cnnbook", m))


def first_cell_source(modules: list[str]) -> str:
    """The code cell the reader's edition puts before the chapter's code."""
    return f'''\
# 读者版加的单元格：检查本章要用的软件包是否都已安装，并定义 glue()（网页版用它把算出的数字嵌入正文）。
import importlib.util

missing = [name for name in {modules!r} if importlib.util.find_spec(name) is None]
if missing:
    class MissingPackages(Exception):
        def _render_traceback_(self):  # 只显示说明，不显示回溯
            return [str(self)]

    raise MissingPackages(
        f"没有安装：{{'、'.join(missing)}}。请在 {DOWNLOAD_NAME}.zip 解压出的文件夹里运行\\n"
        "    python -m pip install -r requirements.txt\\n"
        "（它会安装本书的支持包 cnnbook 和各章用到的软件包），然后重启内核（Kernel → Restart Kernel）再运行本章。"
    )


def glue(name, value, display=True):
    if display:
        from IPython.display import display as show

        show(value)
'''


def _strip_myst_nb_import(source: str) -> str:
    lines = source.splitlines()
    kept = [line for line in lines if line.strip() != "from myst_nb import glue"]
    if any("myst_nb" in line for line in kept):
        raise ReaderEditionError("a code cell uses myst_nb other than `from myst_nb import glue`")
    return "\n".join(kept)


def _code_cell(cell):
    new = nbformat.v4.new_code_cell(_strip_myst_nb_import(cell.source))
    new.metadata = {k: v for k, v in cell.metadata.items() if k in ("tags",)}
    new.execution_count = None
    outputs = []
    for output in cell.get("outputs", []):
        if is_glue_output(output):
            continue
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            continue  # the book drops stderr too (TensorFlow's start-up log)
        outputs.append(output)
    new.outputs = outputs
    for output in new.outputs:
        if "execution_count" in output:
            output["execution_count"] = None
    if "remove-cell" in new.metadata.get("tags", []):
        new.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    return new


# ---------------------------------------------------------------------------------------------------


def convert_chapter(book: Book, chapter: Chapter):
    """The reader's edition of one chapter, as a nbformat notebook."""
    source = nbformat.read(chapter.path, as_version=4)
    converter = Converter(book, chapter, stored_glue(source))
    cells = []
    in_solution = False
    after_solution = False  # content after a solution must start with a heading, or it would be folded in
    first_code_done = False

    def add_markdown(text, attachments=None):
        nonlocal after_solution
        if after_solution:
            heading = HEADING.match(text.lstrip().splitlines()[0])
            if not heading or len(heading.group(1)) > 4:
                raise ReaderEditionError(
                    f"{chapter.docname}: text after a solution must start a new exercise or section, "
                    f"or JupyterLab folds it into the collapsed solution: {text[:60]!r}"
                )
            after_solution = False
        cell = nbformat.v4.new_markdown_cell(text)
        if attachments:
            cell.attachments = attachments
        cells.append(cell)
        return cell

    for cell in source.cells:
        if cell.cell_type == "markdown":
            for block in converter.convert(cell.source):
                if block.kind == "md":
                    add_markdown(block.text, block.attachments)
                elif block.kind == "solution-start":
                    if in_solution:
                        raise ReaderEditionError(f"{chapter.docname}: nested solutions")
                    if block.label not in book.labels:
                        raise ReaderEditionError(f"{chapter.docname}: solution for unknown exercise {block.label!r}")
                    after_solution = False
                    heading = add_markdown(f"#### 解答 {book.labels[block.label][0]}（点击下面的按钮展开）")
                    heading.metadata[COLLAPSED] = True
                    in_solution = True
                else:
                    if not in_solution:
                        raise ReaderEditionError(f"{chapter.docname}: {{solution-end}} without {{solution-start}}")
                    in_solution = False
                    after_solution = True
        elif cell.cell_type == "code":
            tags = cell.metadata.get("tags", [])
            if "remove-cell" in tags and is_glue_only(cell.source):
                continue
            if not first_code_done:
                check = nbformat.v4.new_code_cell(first_cell_source(chapter_modules(source)))
                check.metadata["tags"] = ["reader-edition-check"]
                cells.append(check)
                first_code_done = True
            if after_solution:
                raise ReaderEditionError(f"{chapter.docname}: a code cell right after a solution is folded into it")
            cells.append(_code_cell(cell))
        else:
            cells.append(cell)
    if in_solution:
        raise ReaderEditionError(f"{chapter.docname}: {{solution-start}} without {{solution-end}}")

    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": source.metadata.get("language_info", {"name": "python"}),
    }
    problems = notebook_raw_myst(notebook)
    if problems:
        raise ReaderEditionError(f"{chapter.docname}: raw MyST left: " + "; ".join(problems[:5]))
    nbformat.validate(notebook)
    return notebook


def readme_text(book: Book) -> str:
    rows = "\n".join(
        f"- `{c.filename}`：第 {c.number} 章 {c.title}" if c.number else f"- `{c.filename}`：{c.title}"
        for c in book.chapters
    )
    return f"""# 《卷积神经网络：从 NumPy 到 TensorFlow 与 Keras》的笔记本（读者版）

这些笔记本就是本书的各章：正文里的数字、图、练习和折叠起来的解答都和网页版一样，
可以在 JupyterLab 里阅读，也可以重新运行每一个代码单元格。

## 在只装了 Python 的电脑上运行

需要 Python 3.11、3.12 或 3.13（本书在 Linux 上验证过），第一次安装时能访问 PyPI；之后不需要网络，也不需要 GPU。
在这个文件夹里打开终端：

```bash
python -m venv .venv
source .venv/bin/activate          # Windows：.venv\\Scripts\\activate
python -m pip install -r requirements.txt
python -m pip install --no-deps -r requirements-nodeps.txt
jupyter lab
```

第二条命令安装第 7 章用到的 tf-keras（Keras 2）；`--no-deps` 让它不再另装一份更大的 TensorFlow。

`requirements.txt` 安装本书的支持包 cnnbook（同一文件夹里的 `.whl` 文件）、TensorFlow、Keras、JupyterLab
等，版本和本书执行时用的一样。每章的第一个代码单元格会检查这些软件包；缺了哪一个，它会用中文说明该装什么。

## 各章

{rows}

每章的练习后面是折叠起来的解答：点击“解答”标题下面的按钮（“cells hidden”）展开。
"""


def write_edition(out: Path, root: Path = ROOT, only: list[str] | None = None) -> list[Path]:
    """Write the reader's edition of every chapter (or of the chapters named in only) and README.md."""
    book = load_book(root)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ipynb"):
        old.unlink()
    written = []
    for chapter in book.chapters:
        if only is not None and Path(chapter.docname).name not in only:
            continue
        notebook = convert_chapter(book, chapter)
        path = out / chapter.filename
        nbformat.write(notebook, path)
        written.append(path)
    (out / "README.md").write_text(readme_text(book), encoding="utf-8")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "notebooks")
    args = parser.parse_args(argv)
    try:
        written = write_edition(args.out)
    except ReaderEditionError as error:
        print(f"reader's edition: {error}", file=sys.stderr)
        return 1
    print(f"reader's edition: {len(written)} notebooks in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
