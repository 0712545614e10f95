"""Teacher commands for the classroom assignments in ``assignments/`` (student versions by nbgrader, grading in a sandbox).

    python scripts/assignments.py generate                 # student versions -> assignments/release/
    python scripts/assignments.py grade FOLDER             # grade FOLDER -> assignments/grades.csv
    python scripts/assignments.py grade FOLDER --csv out.csv --feedback [--lms] [--seed N] [--time-limit S]
    python scripts/assignments.py sync                     # copy the book's code into the teacher notebooks
    python scripts/assignments.py sync --check             # exit 1 if a teacher notebook differs from the book

The teacher versions are ``assignments/source/NAME/NAME.ipynb`` (solutions between
``### BEGIN SOLUTION`` / ``### END SOLUTION``).  Where a solution is the book's own code, its solution
region starts with ``#@solution cnnbook.MODULE.NAME`` (a function, or a method such as
``cnnbook.numpy_cnn.Conv3x3.forward``) or ``#@solution chapters/NN_name.ipynb:NAME`` (a function defined
only in a chapter), and ``sync`` replaces the rest of the region with the body of that function as the
book has it.  ``sync`` also checks that the signature is the book's and that the notebook imports the
book names the copied code uses.  ``generate`` runs ``sync`` first, then nbgrader's generate_assignment.

``grade FOLDER`` accepts one sub-folder per student, holding the returned notebooks either as
``FOLDER/STUDENT/NAME.ipynb`` or in nbgrader's layout ``FOLDER/STUDENT/NAME/NAME.ipynb``.  The hidden
tests are ``assignments/grading/NAME.py`` (the spec: how to call the student's code, fresh random inputs,
tolerances).  For each assignment the teacher's solution and then every submission run in their own
bubblewrap sandbox (``Sandbox``; ``assignments/grading/runner.py`` is the side inside), which only
computes: the grader compares the numbers it writes with the teacher's, outside, and writes the CSV
(points of every test, totals, ``notes``; first row ``max`` unless ``--lms``) from its own records after
all students.  A broken or hostile notebook costs only its own points.  Log: ``assignments/grading.log``.
"""

import argparse
import ast
import builtins
import contextlib
import csv
import importlib
import importlib.util
import inspect
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
SOLUTION_MARKER = re.compile(r"^(?P<indent>[ \t]*)#@solution[ \t]+(?P<target>[\w./-]+(?::\w+)?)[ \t]*$")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
MAX_ROW = "max"


# --- the teacher notebooks -------------------------------------------------------------------

def assignment_names(course=COURSE):
    """Names of the assignments: every ``source/NAME/NAME.ipynb``, sorted."""
    return sorted(p.parent.name for p in (course / "source").glob("*/*.ipynb") if p.stem == p.parent.name)


def source_path(name, course=COURSE):
    return course / "source" / name / f"{name}.ipynb"


def questions(name, course=COURSE):
    """``[(grade_id, points), ...]`` of the autograded test cells of an assignment, in notebook order."""
    notebook = nbformat.read(source_path(name, course), as_version=4)
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            found.append((meta["grade_id"], float(meta.get("points", 0))))
    return found


# --- sync: solutions generated from the book's code --------------------------------------------

def resolve(target):
    """The object named by a dotted path such as ``cnnbook.numpy_cnn.Conv3x3.forward``."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"cannot import {target}")


def _top_level_names(tree):
    """Names bound at the top level of a module: imports, defs, classes, assignments."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def _parse_cells(notebook):
    """``[(cell index, ast tree)]`` of the code cells that are plain Python."""
    trees = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            try:
                trees.append((index, ast.parse(cell.source)))
            except SyntaxError:  # IPython magics
                continue
    return trees


def _chapter_function(path, name):
    """``(source of the def, names the chapter defines at top level)`` for ``def name`` in a chapter."""
    notebook = nbformat.read(path, as_version=4)
    found, names = [], set()
    for index, tree in _parse_cells(notebook):
        names |= _top_level_names(tree)
        lines = notebook.cells[index].source.splitlines()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found.append("\n".join(lines[first - 1:node.end_lineno]))
    if len(found) != 1:
        raise LookupError(f"{path.name} defines {name} {len(found)} times at the top level of a cell (need exactly once)")
    return found[0], names


def book_function(target, root=ROOT):
    """``(arguments, body, book names)`` of a function of the book.

    ``target`` is ``cnnbook.MODULE.NAME`` or ``cnnbook.MODULE.CLASS.METHOD`` (code exported into the
    package) or ``chapters/NN_name.ipynb:NAME`` (a top-level function of a chapter's code cells).
    Returns the argument list as written (``"self, input"``), the body without the docstring
    (dedented), and the names the book defines at module level (to check the notebook's imports).
    """
    if ".ipynb:" in target:
        chapter, name = target.split(":", 1)
        path = root / chapter
        if not path.exists():
            raise LookupError(f"#@solution {target}: there is no {chapter}")
        source, book_names = _chapter_function(path, name)
        source = textwrap.dedent(source)
    else:
        try:
            obj = inspect.unwrap(resolve(target))
        except (ImportError, AttributeError) as error:
            raise LookupError(f"#@solution {target}: the book has no such function ({error})") from None
        if not inspect.isfunction(obj):
            raise LookupError(f"#@solution {target}: not a function or method")
        source = textwrap.dedent(inspect.getsource(obj))
        book_names = set(vars(inspect.getmodule(obj)))
    lines = source.splitlines()
    func = ast.parse(source).body[0]
    body = func.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        if len(body) == 1:
            raise LookupError(f"#@solution {target}: the function has only a docstring")
        start = body[0].end_lineno  # the line after the docstring
    else:
        start = body[0].lineno - 1
        while start > 0 and lines[start - 1].strip().startswith("#"):
            start -= 1
    text = textwrap.dedent("\n".join(lines[start:func.end_lineno])).strip("\n")
    return ast.unparse(func.args), text, book_names


def _free_names(func):
    """Global names a function reads (not its arguments, not names it assigns, not builtins)."""
    bound = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    read = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not func:
            bound.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return read - bound - set(dir(builtins))


def _enclosing_function(tree, line):
    """The innermost function definition of ``tree`` that contains ``line`` (1-based)."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= node.end_lineno:
            if best is None or node.lineno > best.lineno:
                best = node
    return best


def sync_cell(source, where="", available=None, root=ROOT):
    """Return ``(new source, [targets])``: every ``#@solution`` region refilled from the book.

    ``available``: the names the notebook defines at top level; a book name that the copied code
    uses and the notebook does not define is an error (a missing import in the setup cell)."""
    lines = source.split("\n")
    out, targets = [], []
    in_solution = False
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        if BEGIN_SOLUTION in line:
            in_solution = True
        elif END_SOLUTION in line:
            in_solution = False
        match = SOLUTION_MARKER.match(line)
        if not match:
            continue
        if not in_solution:
            raise ValueError(f"{where}: '#@solution' must be inside a {BEGIN_SOLUTION} region")
        end = next((i for i in range(index, len(lines)) if END_SOLUTION in lines[i]), None)
        if end is None:
            raise ValueError(f"{where}: no {END_SOLUTION} after '#@solution'")
        target = match.group("target")
        arguments, body, book_names = book_function(target, root)
        marker_line = len(out)
        out.extend(textwrap.indent(body, match.group("indent")).split("\n"))
        func = _enclosing_function(ast.parse("\n".join(out + lines[end:])), marker_line)
        if func is None:
            raise ValueError(f"{where}: '#@solution {target}' must be inside a def")
        if ast.unparse(func.args) != arguments:
            raise ValueError(
                f"{where}: def {func.name}({ast.unparse(func.args)}) differs from the book's "
                f"{target}({arguments})"
            )
        if available is not None:
            missing = sorted((_free_names(func) & book_names) - available)
            if missing:
                raise ValueError(f"{where}: the book's {target} uses {', '.join(missing)}; "
                                 "import or define it in the notebook (e.g. in the setup cell)")
        targets.append(target)
        index = end
    return "\n".join(out), targets


def sync(course=COURSE, write=True, names=None, root=ROOT):
    """Refill every ``#@solution`` region from the book.  Returns ``(changes, links)``: the
    ``(notebook, target)`` pairs that were (or, with ``write=False``, would be) changed, and all
    ``(notebook, target)`` links found."""
    changes, links = [], []
    for name in names or assignment_names(course):
        path = source_path(name, course)
        notebook = nbformat.read(path, as_version=4)
        available = set().union(*(_top_level_names(tree) for _, tree in _parse_cells(notebook)))
        changed = False
        for number, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or "#@solution" not in cell.source:
                continue
            new, targets = sync_cell(cell.source, f"{path.relative_to(course)} cell {number}", available, root)
            links.extend((name, target) for target in targets)
            if new != cell.source:
                changes.extend((name, target) for target in targets)
                cell.source = new
                changed = True
        if changed and write:
            nbformat.write(notebook, path)
    return changes, links


# --- provenance: the graded functions are the student's own code (checked here, from the source) ------

# Names (and attributes) that rewrite code or namespaces at run time: a submission that uses them anywhere
# gets no points for its graded functions (the source no longer says what runs).
DYNAMIC_NAMES = {"exec", "eval", "compile", "globals", "locals", "vars", "__import__", "get_ipython", "setattr",
                 "__builtins__", "builtins", "importlib"}
DYNAMIC_ATTRIBUTES = {"__code__", "__globals__", "__builtins__", "__dict__", "modules", "f_globals", "f_locals"}


def _parse_student_cell(text):
    """AST of a student's cell, or None if it is not Python."""
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    # IPython magics and shell lines (``%time``, ``%%time``, ``!ls``): left out, the Python around them kept
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:  # a cell that does not parse defines nothing
        return None


def _bindings(statements, found):
    """``found[name] = node`` for every name a statement sequence binds at this level (last one wins);
    function and class bodies are not entered."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = node
            continue
        for child in ast.walk(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                found[child.id] = node
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                for alias in child.names:
                    found[(alias.asname or alias.name).split(".")[0]] = child
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                _bindings([n for n in inner if isinstance(n, ast.stmt)] +
                          [s for h in inner if isinstance(h, ast.ExceptHandler) for s in h.body], found)


# What counts as a Python loop for a question with ``"no_loops": True`` (a loop written out, a comprehension,
# or a call that runs a Python function once per element), and as a matrix product for ``"matmul_of"``.
LOOP_FUNCTIONS = {"map", "filter", "reduce", "vectorize", "frompyfunc", "apply_along_axis", "apply_over_axes",
                  "fromfunction", "fromiter", "piecewise", "nditer", "ndindex", "ndenumerate"}
MATMUL_FUNCTIONS = {"matmul", "dot", "tensordot", "einsum"}


def _global_reads(node):
    """Names ``node`` (a def, class or lambda) reads that it does not bind itself (parameters, assignments,
    imports, nested defs): the globals it may use."""
    bound, read = set(), set()
    for child in ast.walk(node):
        if isinstance(child, ast.arg):
            bound.add(child.arg)
        elif isinstance(child, ast.Name):
            (read if isinstance(child.ctx, ast.Load) else bound).add(child.id)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in child.names)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child is not node:
            bound.add(child.name)
    return read - bound


def _loop_in(node):
    """A Chinese name of the first Python loop in ``node``, or None."""
    for child in ast.walk(node):
        if isinstance(child, (ast.For, ast.AsyncFor)):
            return "for 循环"
        if isinstance(child, ast.While):
            return "while 循环"
        if isinstance(child, ast.comprehension):
            return "推导式（列表推导等）"
        name = child.id if isinstance(child, ast.Name) else child.attr if isinstance(child, ast.Attribute) else None
        if name in LOOP_FUNCTIONS or (isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name)
                                      and child.value.id in ("itertools", "functools")):
            return f"{name}（逐个元素地循环）"
    return None


def _structure_problem(node, top, owner, rule, calls):
    """Why the def ``node`` (graded as ``owner``) breaks ``rule`` (``{"no_loops": bool, "matmul_of": name,
    "exempt": names}``), or None.  ``no_loops``: no loop in the def nor in the student's functions and classes
    it uses (followed through the student's top-level names), except the ``exempt`` ones, and no recursion.
    ``matmul_of``: the def itself computes a matrix product one of whose factors is the result of calling
    that function (directly or through variables assigned from it)."""
    if rule.get("no_loops"):
        exempt = set(rule.get("exempt", ())) | set(calls)
        done = set()

        def visit(name, target, path):
            loop = _loop_in(target)
            if loop:
                where = "" if name == owner else f"（在它调用的 {name} 里）"
                return f"{owner} 里不能有 Python 循环，却用了{' ' if loop[0].isascii() else ''}{loop}{where}"
            for used in sorted(_global_reads(target)):
                bound = top.get(used)
                if used in exempt or bound is None:
                    continue
                if isinstance(bound, (ast.Assign, ast.AnnAssign)) and isinstance(bound.value, ast.Lambda):
                    bound = bound.value
                elif not isinstance(bound, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if used in path:
                    return f"{owner} 里不能有 Python 循环，却用了递归（{used} 调用了自己）"
                if used in done:
                    continue
                done.add(used)
                reason = visit(used, bound, path | {used})
                if reason:
                    return reason
            return None

        reason = visit(owner, node, {owner})
        if reason:
            return reason
    source = rule.get("matmul_of")
    if source:
        def feeds(expr, tainted):
            return any((isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == source)
                       or (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in tainted)
                       for n in ast.walk(expr))

        tainted, changed = set(), True
        while changed:           # names assigned (maybe through other names) from the result of source(...)
            changed = False
            for child in ast.walk(node):
                if isinstance(child, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and child.value is not None:
                    targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                    if feeds(child.value, tainted):
                        for name in {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)} - tainted:
                            tainted.add(name)
                            changed = True
        products = []
        for child in ast.walk(node):
            if isinstance(child, ast.BinOp) and isinstance(child.op, ast.MatMult):
                products.append([child.left, child.right])
            elif isinstance(child, ast.AugAssign) and isinstance(child.op, ast.MatMult):
                products.append([child.target, child.value])
            elif isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
                if name in MATMUL_FUNCTIONS:
                    products.append(list(child.args) + ([func.value] if isinstance(func, ast.Attribute) else []))
        if not products:
            return f"{owner} 里没有矩阵乘法（@、np.matmul、np.dot、np.tensordot 或 np.einsum）"
        if not any(feeds(operand, tainted) for operands in products for operand in operands):
            return f"{owner} 里的矩阵乘法没有用到 {source} 的结果"
    return None


def spec_rules(spec):
    """``(owns, calls, structure)`` of a grading spec, for ``provenance_problems``: the graded names, the
    student's functions each must call (``"calls"``), and the structure rules (``"no_loops"``, whose
    ``exempt`` names are the question's ``calls`` and the other questions' graded functions;
    ``"matmul_of"``)."""
    owns = [dotted for question in spec.QUESTIONS for dotted in question.get("own", ())]
    calls = {q["own"][0]: q["calls"] for q in spec.QUESTIONS if q.get("calls") and q.get("own")}
    structure = {}
    for question in spec.QUESTIONS:
        if question.get("own") and (question.get("no_loops") or question.get("matmul_of")):
            mine = question["own"][0]
            structure[mine] = {"no_loops": bool(question.get("no_loops")), "matmul_of": question.get("matmul_of"),
                               "exempt": [d.split(".")[0] for d in owns if d != mine]}
    return owns, calls, structure


def provenance_problems(student_cells, owns, forbidden, calls=None, structure=None):
    """``{dotted: reason}`` for the graded names in ``owns`` (``name`` or ``Class.method``) that are not the
    student's own code, judged from the submitted source only (outside the sandbox, before anything runs):
    the last top-level binding of the name must be a ``def`` in a student's cell (a ``Class.method`` a
    ``def`` in the body of the student's class), and neither it nor the student's own functions and
    classes it uses may touch a module in ``forbidden`` (``cnnbook``, SciPy, ...) or rewrite code at run
    time (``exec``, ``globals()``, ``__code__``, ...).  ``calls[dotted]``: student functions the def must
    call by name; ``structure[dotted]``: rules on how it computes (see ``_structure_problem``)."""
    trees = [tree for tree in map(_parse_student_cell, student_cells) if tree is not None]
    top = {}
    for tree in trees:
        _bindings(tree.body, top)
    forbidden = set(forbidden)
    banned = set()           # names bound to a forbidden module or to something imported from one
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if any(m.split(".")[0] in forbidden for m in modules):
                    banned.update((a.asname or a.name).split(".")[0] for a in node.names)
    banned |= forbidden

    def touches(node, seen):
        """A reason if ``node`` (a def or class) or a student's def/class it names is not allowed."""
        for child in ast.walk(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                modules = [child.module or ""] if isinstance(child, ast.ImportFrom) else [a.name for a in child.names]
                bad = [m for m in modules if m.split(".")[0] in forbidden]
                if bad:
                    return f"用到了 {bad[0]}"
            if not isinstance(child, ast.Name):
                continue
            name = child.id
            if name in banned:
                return f"用到了 {name}（来自书的支持包或不允许的库）"
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and name in top and name not in seen:
                target = top[name]
                if isinstance(target, (ast.Import, ast.ImportFrom)):
                    continue   # an allowed import (numpy and the like; forbidden ones are banned above)
                seen.add(name)
                reason = touches(target, seen)
                if reason:
                    return f"{reason}（通过 {name}）"
        return None

    dynamic = None
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
                dynamic = node.id
            elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
                dynamic = node.attr
            elif isinstance(node, (ast.Global, ast.Nonlocal)) and {d.split(".")[0] for d in owns} & set(node.names):
                dynamic = "global"   # a function that rebinds a graded name when it is called
    problems = {}
    for dotted in owns:
        if dynamic:
            problems[dotted] = f"{dotted} 不算分：提交的代码用到了 {dynamic}（在运行时改写代码或名字），评分程序无法确认被评分的是你写的函数"
            continue
        owner, _, method = dotted.partition(".")
        node = top.get(owner)
        if method:
            if not isinstance(node, ast.ClassDef):
                problems[dotted] = f"{owner} 要在你的答案单元格里用 class 定义"
                continue
            inner = {}
            _bindings(node.body, inner)
            node = inner.get(method)
        if node is None:
            problems[dotted] = f"没有找到 {dotted} 的定义"
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            problems[dotted] = (f"{dotted} 要在你的答案单元格里用 def 自己写（别名、import、partial、lambda 都不算）")
            continue
        reason = touches(node, {owner})
        if reason:
            problems[dotted] = f"{dotted} 不是你自己写的代码：{reason}"
            continue
        called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        missing = [name for name in (calls or {}).get(dotted, ()) if name not in called]
        blank = all(isinstance(n, ast.Raise) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
                    for n in node.body)   # the handed-out stub: nothing to say about it
        if blank:
            continue
        if missing:
            problems[dotted] = f"{dotted} 要按题目的要求在函数体里调用你写的 {'、'.join(missing)}"
            continue
        rule = (structure or {}).get(dotted)
        reason = rule and _structure_problem(node, top, dotted, rule, (calls or {}).get(dotted, ()))
        if reason:
            problems[dotted] = f"{reason}，不符合题目的要求，这道题不得分"
    return problems

def literal_problem(student_cells, limits):
    """A Chinese reason if the submitted code carries more data than a solution needs (weights trained
    beforehand, say), else None.  ``limits``: ``{"applies_to": graded names, "each": bytes, "number":
    characters, "total": bytes}``: UTF-8 bytes of every string or bytes literal (docstrings and f-string
    parts too), comment and IPython magic or shell line (their text is readable at run time through
    IPython's ``In``), characters of every number literal, and the sum of all of them over the student's
    cells."""
    import io
    import tokenize

    total, worst = 0, None
    for text in student_cells:
        pieces = []   # (what, size)
        tree = _parse_student_cell(text)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
                value = node.value.encode("utf-8", "surrogatepass") if isinstance(node.value, str) else node.value
                pieces.append(("字符串常量", len(value)))
            elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float, complex)) \
                    and not isinstance(node.value, bool):
                huge = isinstance(node.value, int) and node.value.bit_length() > 128
                pieces.append(("数字常量", node.value.bit_length() * 3 // 10 + 1 if huge else len(repr(node.value))))
        lines = text.splitlines()
        shell = [line for line in lines if line.lstrip().startswith(("%", "!"))]
        pieces.extend(("魔法命令行", len(line.encode("utf-8", "surrogatepass"))) for line in shell)
        plain = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
        try:
            comments = [t.string for t in tokenize.generate_tokens(io.StringIO(plain).readline)
                        if t.type == tokenize.COMMENT]
        except (tokenize.TokenError, SyntaxError):   # not Python: everything after a # counts as a comment
            comments = [line[line.index("#"):] for line in lines if "#" in line]
        pieces.extend(("注释", len(c.encode("utf-8", "surrogatepass"))) for c in comments)
        for what, size in pieces:
            total += size
            limit = limits["number"] if what == "数字常量" else limits["each"]
            if size > limit and worst is None:
                unit = " 个字符" if what == "数字常量" else " 字节"
                worst = f"提交的代码里有一个 {size:,}{unit}的{what}（上限 {limit:,}）"
    if worst is None and total > limits["total"]:
        worst = f"提交的代码里字符串常量、数字常量和注释一共 {total:,} 字节（上限 {limits['total']:,}）"
    if worst is None:
        return None
    return (f"{'、'.join(limits['applies_to'])} 不算分：{worst}，训练好的权重不能写在代码里带进来"
            "（如果这是你自己的说明或实验代码，请删短或删掉不需要的单元格后再交）")


# --- nbgrader -----------------------------------------------------------------------------------

def _nbgrader(course):
    """Load ``nbgrader_config.py`` of the course and send nbgrader's log to ``nbgrader.log``."""
    from traitlets.config.loader import PyFileConfigLoader
    from nbgrader.coursedir import CourseDirectory
    from sqlalchemy.exc import SAWarning

    # nbgrader's gradebook code triggers harmless SQLAlchemy "not in session" warnings
    warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    logger = logging.getLogger("traitlets")
    log_file = str(course / "nbgrader.log")
    if not any(getattr(h, "baseFilename", None) == log_file for h in logger.handlers):
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up log out of the feedback
    # nbgrader runs the `alembic` program when it creates the gradebook: find the one next to this Python
    # even when the virtual environment is not activated.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return config, CourseDirectory(config=config)


@contextlib.contextmanager
def _stderr_to(path):
    """Send this process's stderr, and that of the kernels it starts, to ``path`` (appending)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _run(converter_class, course, assignment, students="*", exclude=(), **traits):
    from nbgrader.converters.base import NbGraderException

    config, coursedir = _nbgrader(course)
    coursedir.assignment_id = assignment
    coursedir.student_id = students
    coursedir.student_id_exclude = ",".join(exclude)
    converter = converter_class(coursedir=coursedir, config=config)
    for key, value in traits.items():
        setattr(converter, key, value)
    try:
        with _stderr_to(course / "nbgrader.log"):  # kernel start-up noise (TensorFlow, ipykernel) included
            converter.start()
    except NbGraderException as error:
        raise SystemExit(f"nbgrader failed on {assignment}: {error}; see {course / 'nbgrader.log'}") from None


def generate(course=COURSE, names=None, quiet=False):
    """Sync the solutions from the book, then write the student versions into ``release/``."""
    from nbgrader.converters import GenerateAssignment

    names = names or assignment_names(course)
    changes, _ = sync(course, write=True, names=names)
    for name, target in changes:
        print(f"updated the solution in {name} from {target}")
    paths = []
    for name in names:
        start = time.perf_counter()
        _run(GenerateAssignment, course, name, students=".", force=True)
        path = course / "release" / name / f"{name}.ipynb"
        paths.append(path)
        if not quiet:
            print(f"{path.relative_to(course.parent)}  ({time.perf_counter() - start:.1f} s)")
    return paths


def _find_submissions(folder, names):
    """``{student: {assignment: notebook path}}`` and the files that were not recognised."""
    found, ignored = {}, []
    for student_dir in sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(student_dir.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            relative = path.relative_to(student_dir)
            name = path.stem
            if name in names and relative.parts in ((f"{name}.ipynb",), (name, f"{name}.ipynb")):
                found.setdefault(student_dir.name, {})[name] = path
            else:
                ignored.append(path)
    return found, ignored


# --- grading: every submission in its own sandbox; scores computed here, outside it ----------------

GRADING = "grading"                    # course/grading/NAME.py: the spec; course/grading/runner.py: the sandbox side
SANDBOX_UID = 65534                    # "nobody": the user a submission runs as when grading runs as root
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_OUTPUT_BYTES = 200 * 1024 * 1024


def load_spec(name, course=COURSE):
    """The grading spec ``course/grading/NAME.py`` (a module: QUESTIONS, BOOK_KEEP, BOOK_REMOVE, ...)."""
    path = course / GRADING / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"grading_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _book_copy(spec, target):
    """Write the sandbox's copy of the ``cnnbook`` package into ``target/cnnbook``.

    Every module exported from the chapters (``numpy_cnn``, ``numpy_layers``, ``batchnorm``, ...: the
    files with a ``GENERATED`` line) keeps only the names in ``spec.BOOK_KEEP`` (and its imports and
    constants); every other function or class of the book becomes a stub that raises, and the methods
    in ``spec.BOOK_REMOVE`` are replaced by stubs too, so that neither ``from cnnbook.numpy_cnn import
    conv2d`` nor ``super().forward(...)`` nor ``forward = Conv3x3.forward`` nor ``BatchNorm(3).backward``
    reaches the book's solution.  The removed code is not in the copy.  Other modules are copied as they are.
    """
    package = target / "cnnbook"
    package.mkdir(parents=True)
    for path in (ROOT / "cnnbook").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "# GENERATED by scripts/export_code.py" in text:
            (package / path.name).write_text(_book_module_stubbed(text, spec), encoding="utf-8")
        else:
            shutil.copy(path, package / path.name)


def _book_module_stubbed(text, spec):
    """The source of a generated book module with its functions and classes replaced by stubs (see _book_copy)."""
    keep = set(getattr(spec, "BOOK_KEEP", ())) | {"add_to_class"}
    tree = ast.parse(text)
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    remove = {dotted for dotted in getattr(spec, "BOOK_REMOVE", ()) if dotted.split(".")[0] in defined}

    def stub(name, method=False):
        message = f"评分时不能调用书中的 {name}：请用你自己写的代码。"
        args = "self, *args, **kwargs" if method else "*args, **kwargs"
        return ast.parse(f"def {name.split('.')[-1]}({args}):\n    raise NotImplementedError({message!r})\n").body[0]

    body, removed = [], []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            owner = None
            for decorator in getattr(node, "decorator_list", []):
                if (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "add_to_class"
                        and decorator.args and isinstance(decorator.args[0], ast.Name)):
                    owner = decorator.args[0].id
            if owner is not None:  # a method attached to an earlier class
                if owner in keep and f"{owner}.{node.name}" not in remove:
                    body.append(node)
                continue
            if node.name not in keep:
                removed.append(node.name)
                continue
            if isinstance(node, ast.ClassDef):
                node.body = [stub(f"{node.name}.{item.name}", method=True)
                             if isinstance(item, ast.FunctionDef) and f"{node.name}.{item.name}" in remove else item
                             for item in node.body]
            body.append(node)
        else:
            body.append(node)
    for dotted in sorted(remove):  # methods the book attaches later (add_to_class) become stubs as well
        owner, method = dotted.split(".")
        body.append(stub(f"{owner}.{method}", method=True))
        body.extend(ast.parse(f"{owner}.{method} = {method}\ndel {method}").body)
    for name in removed:
        body.append(stub(name))
    tree.body = [node for node in body if node is not None]
    return "# the book's module as the grading sandbox sees it\n" + ast.unparse(tree) + "\n"


def _encode_cases(cases, folder):
    """``cases = {qid: {"public": [case, ...], "hidden": [...]}}`` -> inputs.json + inputs.npz in ``folder``."""
    import numpy as np

    plain, arrays = {}, {}
    for qid, kinds in cases.items():
        for kind, items in kinds.items():
            out = plain.setdefault(qid, {}).setdefault(kind, [])
            for index, case in enumerate(items):
                entry, names = {}, []
                for key, value in case.items():
                    if isinstance(value, np.ndarray):
                        arrays[f"{qid}/{kind}/{index}/{key}"] = value
                        names.append(key)
                    else:
                        entry[key] = value.tolist() if isinstance(value, np.generic) else value
                entry["__arrays__"] = names
                out.append(entry)
    (folder / "inputs.json").write_text(json.dumps(plain), encoding="utf-8")
    np.savez(folder / "inputs.npz", **arrays)


class Sandbox:
    """Runs a command with bubblewrap (``bwrap``): its own PID, network, IPC and mount namespaces, a
    filesystem that holds only the system's programs, Python and the virtual environment (all read-only),
    an empty ``/tmp``, the submission's input folder (read-only) and its output folder; as the user
    ``nobody`` when grading runs as root (else as the teacher's user, who sees only those folders too);
    with limits on memory, processes, file size and wall-clock time; everything it started is killed
    when it ends (the PID namespace dies with its first process)."""

    def __init__(self, memory_mb=3072, processes=512, file_mb=200):
        self.bwrap = shutil.which("bwrap")
        if not self.bwrap:
            raise SystemExit("grading needs bubblewrap (the `bwrap` program) to isolate the submissions: "
                             "sudo apt-get install bubblewrap   (or: sudo bash scripts/install_system_packages.sh)")
        self.root = os.geteuid() == 0
        self.memory_mb, self.processes, self.file_mb = memory_mb, processes, file_mb

    @staticmethod
    def _ro_tree(path, made):
        """bwrap arguments that create the parents of ``path`` (mode 0755) and bind it read-only."""
        path = Path(path)
        args = []
        for parent in reversed(path.parents):
            if str(parent) != "/" and parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        made.add(path)
        return args + ["--ro-bind", str(path), str(path)]

    def command(self, in_dir, out_dir, argv, hide=(), memory_mb=None):
        args = [self.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
        if not self.root:
            args += ["--unshare-user"]
        made = {Path("/usr")}
        args += ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        args += ["--perms", "0755", "--dir", "/etc"]
        made.add(Path("/etc"))
        for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group"):
            if os.path.exists(f"/etc/{name}"):
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        # /tmp first: a venv that lives under /tmp (a clone there) is bound on top of the empty /tmp.
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        made |= {Path("/proc"), Path("/dev"), Path("/tmp")}
        bound = [Path("/usr")]  # trees bound read-only so far; a prefix inside one needs no bind of its own
        for prefix in sorted({os.path.realpath(sys.base_prefix), sys.prefix}):
            if not any(Path(prefix).is_relative_to(tree) for tree in bound):
                args += self._ro_tree(prefix, made)
                bound.append(Path(prefix))
        site = Path(importlib.util.find_spec("numpy").origin).parent.parent
        for package in hide:
            for path in site.glob(package):
                if path.is_dir():
                    args += ["--tmpfs", str(path)]
        args += ["--perms", "0755", "--dir", "/grade",
                 "--ro-bind", str(in_dir), "/grade/in", "--bind", str(out_dir), "/grade/out", "--chdir", "/tmp"]
        limits = ["prlimit", f"--as={(memory_mb or self.memory_mb) * 2**20}", f"--nproc={self.processes}",
                  f"--fsize={self.file_mb * 2**20}", "--core=0", "--nofile=512", "--"]
        user = (["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                 "--no-new-privs", "--"] if self.root else [])
        return args + ["--"] + limits + user + argv

    def prepare_output(self, out_dir):
        out_dir.mkdir(parents=True)
        if self.root:
            os.chown(out_dir, SANDBOX_UID, SANDBOX_UID)

    def run(self, command, log_path, seconds, env):
        """Run; kill the whole process group after ``seconds``.  Returns (exit status or None, seconds)."""
        start = time.perf_counter()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, env=env)
            try:
                status = process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                status = None
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return status, time.perf_counter() - start


def _sandbox_env(question_seconds):
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/tmp/matplotlib", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "2", "CNNBOOK_QUESTION_SECONDS": str(question_seconds)}


def _cells_of(notebook, source, setup=("setup",)):
    """The code to execute for a submission: the teacher's setup cells, then, in the student's order,
    the student's answer cells and any code cell the student added.  The student's copies of test and
    locked cells are ignored.  Returns ``(cells, problems)``."""
    ids = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "grade_id" in meta:
            ids[meta["grade_id"]] = "solution" if meta.get("solution") else "teacher"
    cells = [cell.source for cell in source.cells if cell.cell_type == "code"
             and cell.metadata.get("nbgrader", {}).get("grade_id") in setup]
    problems = []
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return cells, ["不是 Jupyter 笔记本（没有 cells）"]
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else text
        if not isinstance(text, str):
            continue
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        grade_id = meta.get("nbgrader", {}).get("grade_id") if isinstance(meta.get("nbgrader"), dict) else None
        if ids.get(grade_id) == "teacher":
            continue
        cells.append(text)
    return cells, problems


def _read_submission(path):
    """``(notebook dict or None, problem or None)``: never raises on a broken upload."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None, "文件是空的（0 字节）"
        if size > MAX_NOTEBOOK_BYTES:
            return None, f"文件太大（{size / 2**20:.0f} MB）"
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            return None, "不是 Jupyter 笔记本（没有 cells）"
        return notebook, None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        return None, f"文件无法读取（损坏或不完整：{type(error).__name__}）"


def _load_outputs(out_dir, qid):
    """``(arrays, errors, seconds)`` written by the sandbox for one question; missing or broken -> empty."""
    import numpy as np

    arrays, errors, seconds = {}, {}, {}
    npz, meta = out_dir / f"{qid}.npz", out_dir / f"{qid}.json"
    try:
        if meta.is_file() and meta.stat().st_size < 10 * 2**20:
            data = json.loads(meta.read_text(encoding="utf-8"))
            errors = {str(k): str(v)[:500] for k, v in dict(data.get("errors", {})).items()}
            seconds = {str(k): float(v) for k, v in dict(data.get("seconds", {})).items()}
        if npz.is_file() and npz.stat().st_size < MAX_OUTPUT_BYTES:
            with np.load(npz, allow_pickle=False) as loaded:
                for key in loaded.files:
                    value = loaded[key]
                    if value.dtype.kind in "biuf":
                        arrays[key] = value
    except Exception as error:  # noqa: BLE001 (anything the sandbox wrote is untrusted)
        errors["output"] = f"结果文件无法读取（{type(error).__name__}）"
    return arrays, errors, seconds


def _compare(expected, got, question):
    """``None`` if ``got`` matches ``expected`` (dicts of arrays), else a Chinese description."""
    import numpy as np

    for key, reference in expected.items():
        if key not in got:
            return f"没有得到 {key}"
        value = got[key]
        if value.shape != reference.shape:
            return f"{key} 的形状是 {value.shape}，应为 {reference.shape}"
        if question.get("exact"):
            if not np.array_equal(value, reference):
                return f"{key} 与参考答案不同"
            continue
        value, reference = value.astype(float), reference.astype(float)
        scale = max(1.0, float(np.max(np.abs(reference), initial=0.0)))
        tolerance = question.get("atol", 1e-6) * scale + question.get("rtol", 1e-5) * np.abs(reference)
        if not np.all(np.isfinite(value)):
            return f"{key} 里有 nan 或 inf"
        error = np.abs(value - reference)
        # "outliers": the fraction of the elements (rounded up) that may exceed the tolerance (e.g. pixels
        # stepped by the sign of a gradient component that is 0 within float32 rounding)
        allowed = int(np.ceil(question.get("outliers", 0.0) * error.size))
        wrong = int(np.count_nonzero(error > tolerance))
        if wrong > allowed:
            beyond = f"；{wrong} 个元素超出，最多允许 {allowed} 个" if allowed else ""
            return f"{key} 与参考答案不符（最大误差 {float(np.max(error)):.3g}{beyond}）"
    return None


def _split(arrays, kind, index):
    prefix = f"{kind}/{index}/"
    return {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)}


def _describe_case(case):
    parts = []
    for key, value in case.items():
        if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            parts.append(f"{key} 形状 {tuple(value.shape)}")
        elif isinstance(value, (int, float, str)) and len(repr(value)) < 20:
            parts.append(f"{key}={value!r}")
    return "，".join(parts)


class AssignmentGrader:
    """Grades every submission of one assignment against the teacher's solution, with fresh inputs."""

    def __init__(self, name, course, sandbox, workdir, seed, log, time_limit=None, question_seconds=None):
        import numpy as np

        self.name, self.course, self.sandbox, self.log = name, course, sandbox, log
        self.spec = load_spec(name, course)
        self.source = nbformat.read(source_path(name, course), as_version=4)
        self.points = dict(questions(name, course))
        self.workdir = workdir / name
        self.in_dir = self.workdir / "in"
        self.in_dir.mkdir(parents=True)
        shutil.copy(course / GRADING / "runner.py", self.in_dir / "runner.py")
        shutil.copy(course / GRADING / f"{name}.py", self.in_dir / "spec.py")
        _book_copy(self.spec, self.in_dir / "lib")
        rng = np.random.default_rng(seed)
        self.data = self.spec.prepare(rng) if hasattr(self.spec, "prepare") else {}
        self.cases = {q["id"]: {"public": q["public"](), "hidden": q["hidden"](rng)} for q in self.spec.QUESTIONS}
        _encode_cases(self.cases, self.in_dir)
        for path in [self.workdir, *self.workdir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.seconds = float(time_limit or getattr(self.spec, "TIME_LIMIT", 120))
        self.question_seconds = question_seconds or getattr(self.spec, "QUESTION_SECONDS", 60)
        self.count = 0
        self.expected, problem = None, None
        setup = set(getattr(self.spec, "SETUP_CELLS", ["setup"]))
        reference = [cell.source for cell in self.source.cells if cell.cell_type == "code"
                     and (cell.metadata.get("nbgrader", {}).get("grade_id") in setup
                          or cell.metadata.get("nbgrader", {}).get("solution"))]
        self.expected = {}
        record = self.grade("(teacher's solution)", None, cells=reference)
        failed = [f"{d['grade_id']}: {d['failures'][0] if d['failures'] else ''}" for d in record["details"]
                  if d["passed"] != d["cases"]]
        if failed or record["notes"]:
            raise RuntimeError(f"the teacher's solution of {name} fails in the sandbox "
                               f"({'; '.join(record['notes'] + failed)[:600]}); see {self.log}")
        self.reference_seconds = record["seconds"]
        if hasattr(self.spec, "TIME_FACTOR") and not time_limit:
            self.seconds = max(60.0, self.spec.TIME_FACTOR * self.reference_seconds)

    def run_cells(self, cells, label):
        """Execute ``cells`` and the graded calls in a fresh sandbox.  Returns ({qid: outputs}, status)."""
        self.count += 1
        run_dir = self.workdir / f"run{self.count}"
        code_dir = run_dir / "in"
        shutil.copytree(self.in_dir, code_dir)
        (code_dir / "cells.json").write_text(json.dumps(cells), encoding="utf-8")
        for path in [run_dir, *run_dir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        out_dir = run_dir / "out"
        self.sandbox.prepare_output(out_dir)
        command = self.sandbox.command(code_dir, out_dir, [sys.executable, "-I", "/grade/in/runner.py", "/grade/in",
                                                           "/grade/out"],
                                       hide=getattr(self.spec, "HIDE_PACKAGES", ()),
                                       memory_mb=getattr(self.spec, "MEMORY_MB", None))
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"\n===== {self.name} / {label}: sandbox output =====\n")
        status, seconds = self.sandbox.run(command, self.log, self.seconds,
                                           _sandbox_env(self.question_seconds))
        outputs = {q["id"]: _load_outputs(out_dir, q["id"]) for q in self.spec.QUESTIONS}
        self.evaluated = self.evaluate(out_dir, run_dir, label) if hasattr(self.spec, "EVALUATOR") else {}
        cell_errors = []
        with contextlib.suppress(Exception):
            cell_errors = [str(e[1])[:300] for e in json.loads((out_dir / "cells.json").read_text("utf-8"))["cell_errors"]][:10]
        self.last_run = {"status": status, "seconds": seconds, "cell_errors": cell_errors,
                         "timed_out": status is None}
        shutil.rmtree(run_dir, ignore_errors=True)
        return outputs, status

    def evaluate(self, out_dir, run_dir, label):
        """Run the spec's EVALUATOR (trusted code, in a sandbox too) on the files the submission's sandbox
        saved.  Returns ``{file stem: {"error": text} or {name: array}}``."""
        import numpy as np

        eval_in = run_dir / "eval_in"
        (eval_in / "models").mkdir(parents=True)
        for path in out_dir.glob("*.keras"):
            if re.fullmatch(r"[\w.-]+", path.name) and path.is_file() and not path.is_symlink() \
                    and path.stat().st_size < MAX_OUTPUT_BYTES:
                shutil.copy(path, eval_in / "models" / path.name)
        if not any((eval_in / "models").iterdir()):
            return {}
        shutil.copy(self.course / GRADING / self.spec.EVALUATOR, eval_in / "evaluate.py")
        np.savez(eval_in / "eval.npz", x=self.data["x_test"])
        for path in [eval_in, *eval_in.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        eval_out = run_dir / "eval_out"
        self.sandbox.prepare_output(eval_out)
        command = self.sandbox.command(eval_in, eval_out, [sys.executable, "-I", "/grade/in/evaluate.py", "/grade/in",
                                                           "/grade/out"],
                                       hide=getattr(self.spec, "HIDE_PACKAGES", ()),
                                       memory_mb=getattr(self.spec, "MEMORY_MB", None))
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"\n===== {self.name} / {label}: evaluating the saved models =====\n")
        self.sandbox.run(command, self.log, 300, _sandbox_env(60))
        evaluated = {}
        for path in eval_out.glob("*.json"):
            with contextlib.suppress(Exception):
                evaluated[path.stem] = {"error": str(json.loads(path.read_text(encoding="utf-8"))["error"])[:500]}
        for path in eval_out.glob("*.npz"):
            with contextlib.suppress(Exception), np.load(path, allow_pickle=False) as loaded:
                info = {key: loaded[key] for key in loaded.files}
                info = {key: (value.tolist() if key != "probs" else value) for key, value in info.items()}
                evaluated[path.stem] = info
        return evaluated

    def grade(self, student, path, cells=None):
        """``{"scores": {grade_id: points}, "notes": [...], "details": [...]}`` for one submission
        (``cells``: execute these instead of reading ``path``; used for the teacher's solution)."""
        scores = {grade_id: 0.0 for grade_id in self.points}
        record = {"scores": scores, "notes": [], "details": [], "cell_errors": [], "seconds": 0.0}
        reference = cells is not None
        if cells is None:
            notebook, problem = _read_submission(path)
            if problem:
                record["notes"].append(problem)
                return record
            setup = getattr(self.spec, "SETUP_CELLS", ["setup"])
            cells, problems = _cells_of(notebook, self.source, setup)
            record["notes"].extend(problems)
            student_cells = cells[sum(1 for c in self.source.cells if c.cell_type == "code"
                                      and c.metadata.get("nbgrader", {}).get("grade_id") in setup):]
            owns, calls, structure = spec_rules(self.spec)
            not_own = provenance_problems(student_cells, owns, getattr(self.spec, "FORBIDDEN_MODULES", ["cnnbook"]),
                                          calls, structure)
            limits = getattr(self.spec, "LITERAL_LIMITS", None)
            too_much = literal_problem(student_cells, limits) if limits else None
            for dotted in limits["applies_to"] if too_much else ():
                not_own.setdefault(dotted, too_much)
            record["notes"].extend(sorted(set(not_own.values())))
        else:
            not_own = {}
        outputs, status = self.run_cells(cells, student)
        run = self.last_run
        record["cell_errors"] = run["cell_errors"]
        record["seconds"] = run["seconds"]
        if run["timed_out"]:
            record["notes"].append(f"运行超过 {self.seconds:.0f} 秒，被终止；之后的题目没有得分")
        elif status not in (0, None):
            record["notes"].append(f"评分进程异常退出（状态 {status}）；没有结果的题目不得分")
        for question in self.spec.QUESTIONS:
            qid = question["id"]
            arrays, errors, _ = outputs[qid]
            for kind in ("public", "hidden"):
                grade_id = f"{qid}_{kind}"
                cases = self.cases[qid][kind]
                passed, failures = 0, []
                refused = next((not_own[d] for d in question.get("own", ()) if d in not_own), None)
                for index, case in enumerate(cases):
                    key = f"{kind}/{index}"
                    message = refused or errors.get(key)
                    if message is None and question.get("judge"):
                        message = self.spec.judge(question, kind, index, case, arrays, self.evaluated, self.data)
                    elif message is None and qid in self.expected:
                        message = _compare(_split(self.expected[qid], kind, index), _split(arrays, kind, index), question)
                    if message is None:
                        passed += 1
                    else:
                        failures.append(f"第 {index + 1} 例（{_describe_case(case)}）：{message}")
                if "timeout" in errors:
                    failures.append(errors["timeout"])
                if grade_id in scores and cases:
                    scores[grade_id] = round(self.points[grade_id] * passed / len(cases), 2)
                record["details"].append({"grade_id": grade_id, "passed": passed, "cases": len(cases),
                                          "failures": failures[:3]})
            if reference and not question.get("judge"):  # the teacher's solution: the expected numbers
                self.expected[qid] = arrays
        return record


def _feedback_page(student, name, record, points):
    from html import escape

    total = sum(record["scores"].values())
    rows = []
    for detail in record["details"]:
        gid = detail["grade_id"]
        kind = "公开测试" if gid.endswith("_public") else "隐藏测试"
        question = gid.rsplit("_", 1)[0]
        failures = "".join(f"<li>{escape(f)}</li>" for f in detail["failures"])
        rows.append(f"<tr><td><code>{escape(question)}</code></td><td>{kind}</td>"
                    f"<td>{detail['passed']} / {detail['cases']}</td>"
                    f"<td>{_number(record['scores'].get(gid, 0))} / {_number(points.get(gid, 0))}</td>"
                    f"<td><ul>{failures}</ul></td></tr>")
    notes = "".join(f"<li>{escape(n)}</li>" for n in record["notes"])
    cells = "".join(f"<li>{escape(e)}</li>" for e in record["cell_errors"])
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(name)} 评分反馈：{escape(student)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}}
table{{border-collapse:collapse}}</style></head><body>
<h1>{escape(name)} 评分反馈</h1>
<p>学号：{escape(student)}　得分：<strong>{_number(total)} / {_number(sum(points.values()))}</strong></p>
{f'<h2>说明</h2><ul>{notes}</ul>' if notes else ''}
{f'<h2>运行你的代码时出现的错误</h2><ul>{cells}</ul>' if cells else ''}
<h2>每道题的得分</h2>
<p>每个测试由若干个例子组成，按通过的例子所占的比例给分。隐藏测试的输入每次评分都重新随机生成。</p>
<table><tr><th>题目</th><th>测试</th><th>通过的例子</th><th>得分</th><th>没有通过的例子（最多 3 个）</th></tr>
{''.join(rows)}</table></body></html>
"""


def grade(folder, course=COURSE, csv_path=None, feedback=False, names=None, lms=False, seed=None,
          time_limit=None, question_seconds=None):
    """Grade the notebooks in ``folder`` (each in its own sandbox) and write the CSV score table.

    Never stops on a bad submission: a notebook that cannot be read, crashes, hangs or misbehaves gets 0
    for what did not produce correct results, with a note in the CSV (``notes`` column), the log
    (``course/grading.log``) and the feedback page.  Returns the CSV's path."""
    import secrets

    folder = Path(folder).resolve()
    names = names or assignment_names(course)
    found, ignored = _find_submissions(folder, assignment_names(course))
    found = {student: {name: path for name, path in notebooks.items() if name in names}
             for student, notebooks in found.items()}
    found = {student: notebooks for student, notebooks in found.items() if notebooks}
    for path in ignored:
        print(f"ignored (not NAME.ipynb or NAME/NAME.ipynb of an assignment): {path}")
    if not found:
        raise SystemExit(f"no submissions found in {folder} (expected {folder}/STUDENT/NAME.ipynb)")
    seed = secrets.randbits(63) if seed is None else int(seed)
    sandbox = Sandbox()
    log = course / "grading.log"
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"\n##### grading {folder} at {time.strftime('%Y-%m-%d %H:%M:%S')}, seed {seed}\n")
    records = {student: {} for student in found}
    notes = {student: [] for student in found}
    workdir = Path(tempfile.mkdtemp(prefix="cnnbook-grade-"))
    os.chmod(workdir, 0o755)
    start_all = time.perf_counter()
    try:
        for name in names:
            students = sorted(s for s, notebooks in found.items() if name in notebooks)
            if not students:
                continue
            start = time.perf_counter()
            try:
                grader = AssignmentGrader(name, course, sandbox, workdir, seed, log, time_limit, question_seconds)
            except RuntimeError as error:
                print(f"NOT GRADED {name}: {error}")
                for student in students:
                    notes[student].append(f"{name}: 参考答案在评分环境里运行失败，本作业没有评分（请告诉老师）")
                continue
            for student in students:
                try:
                    record = grader.grade(student, found[student][name])
                except Exception as error:  # noqa: BLE001 (one submission never stops the class)
                    record = {"scores": {g: 0.0 for g in grader.points}, "details": [], "cell_errors": [],
                              "notes": [f"评分出错：{type(error).__name__}: {error}"]}
                records[student][name] = record
                notes[student].extend(f"{name}: {n}" for n in record["notes"])
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(f"--- {name} / {student}: {_number(sum(record['scores'].values()))} points; "
                                 f"{'; '.join(record['notes']) or 'ok'}\n")
                if feedback:
                    page = course / "feedback" / student / name / f"{name}.html"
                    page.parent.mkdir(parents=True, exist_ok=True)
                    page.write_text(_feedback_page(student, name, record, grader.points), encoding="utf-8")
            print(f"graded {name}: {len(students)} student(s) in {time.perf_counter() - start:.1f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # the score table, from the grader's own records only
    columns, maxima = ["student_id"], {}
    for name in names:
        for grade_id, points in questions(name, course):
            columns.append(f"{name}/{grade_id}")
            maxima[columns[-1]] = points
        columns.append(f"{name}/total")
        maxima[columns[-1]] = sum(p for _, p in questions(name, course))
    columns += ["total", "notes"]
    maxima["total"] = sum(maxima[f"{name}/total"] for name in names)
    rows = [] if lms else [{"student_id": MAX_ROW, **{k: _number(v) for k, v in maxima.items()}}]
    for student in sorted(found):
        row, overall = {"student_id": student}, 0.0
        for name in names:
            record = records[student].get(name)
            if record is None:
                continue  # not submitted (or not graded): empty cells, 0 in the total
            total = 0.0
            for grade_id, _ in questions(name, course):
                row[f"{name}/{grade_id}"] = _number(record["scores"].get(grade_id, 0.0))
                total += record["scores"].get(grade_id, 0.0)
            row[f"{name}/total"] = _number(total)
            overall += total
        row["total"] = _number(overall)
        row["notes"] = " | ".join(notes[student])
        rows.append(row)
    csv_path = Path(csv_path) if csv_path else course / "grades.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        if row["student_id"] != MAX_ROW:
            print(f"{row['student_id']}: {row['total']} / {_number(maxima['total'])}")
    print(f"wrote {csv_path} ({time.perf_counter() - start_all:.1f} s; seed {seed}; log {log})")
    if feedback:
        print(f"feedback pages: {course / 'feedback'}/STUDENT/NAME/NAME.html")
    return csv_path


def _number(value):
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--course", type=Path, default=COURSE, help="the nbgrader course folder (default: assignments/)")
    commands = parser.add_subparsers(dest="command", required=True)
    for command, text in (("generate", "write the student versions into assignments/release/"),
                          ("grade", "autograde a folder of submissions and write a CSV score table"),
                          ("sync", "copy the book's code into the #@solution regions of the teacher notebooks")):
        sub = commands.add_parser(command, help=text, description=text)
        sub.add_argument("-a", "--assignment", action="append", help="only this assignment (repeatable)")
        if command == "grade":
            sub.add_argument("folder", type=Path, help="FOLDER/STUDENT/NAME.ipynb (or FOLDER/STUDENT/NAME/NAME.ipynb)")
            sub.add_argument("--csv", type=Path, help="where to write the score table (default: assignments/grades.csv)")
            sub.add_argument("--feedback", action="store_true", help="also write HTML feedback per student")
            sub.add_argument("--lms", action="store_true", help="no 'max' row in the CSV (for importing into an LMS)")
            sub.add_argument("--seed", type=int, help="seed of the hidden inputs (default: a fresh one, printed and logged)")
            sub.add_argument("--time-limit", type=float,
                             help="seconds per notebook (default: the assignment's TIME_LIMIT, or TIME_FACTOR x the "
                                  "teacher's solution)")
        if command == "sync":
            sub.add_argument("--check", action="store_true", help="only check; exit 1 if a notebook differs from the book")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    names = args.assignment
    unknown = set(names or ()) - set(assignment_names(course))
    if unknown:
        parser.error(f"unknown assignment(s): {', '.join(sorted(unknown))}; known: {', '.join(assignment_names(course))}")
    if args.command == "sync":
        changes, links = sync(course, write=not args.check, names=names)
        for name, target in changes:
            print(f"{name}: solution {'differs from' if args.check else 'updated from'} {target}")
        print(f"{len(links)} solution(s) taken from the book, {len(changes)} {'out of date' if args.check else 'updated'}")
        return 1 if (args.check and changes) else 0
    if args.command == "generate":
        generate(course, names)
        return 0
    grade(args.folder, course, args.csv, args.feedback, names, lms=args.lms, seed=args.seed,
          time_limit=args.time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
