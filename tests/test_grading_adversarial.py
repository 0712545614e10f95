"""A generated class of hostile and broken submissions of 01_conv_padding, graded by one
`scripts/assignments.py grade` run: every attack scores what it should (0 for what it did not compute
itself), changes nothing outside its sandbox, and every other student is still graded.

Scores (01_conv_padding, 14 points): conv_output_size 1+2, same_padding 1+2, im2col 1+2,
conv2d_im2col 2+3 (public+hidden).  conv2d_im2col must call im2col, multiply its result by a matrix product and
have no Python loop (checked from the source): loops over the output positions, or no matrix product, give 0
for it (loop_named_im2col, loop_with_im2col, no_matmul).
"""

import csv
import hashlib
import importlib.util
import json
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from test_assignments import BOOK_FORMULAS as ASSIGNMENT_BOOK_FORMULAS
from test_assignments import HARDCODED as ASSIGNMENT_HARDCODED

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("assignments_cli_adv", ROOT / "scripts" / "assignments.py")
assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assignments)

NAME = "01_conv_padding"
BLANK = "raise NotImplementedError()"
TIME_LIMIT = 40          # seconds per notebook in this class (the hang student costs this much)
QUESTION_SECONDS = 8

def _solutions():
    source = nbformat.read(assignments.source_path(NAME), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


SOL = _solutions()
ALL_BLANK = {gid: BLANK for gid in SOL}

WRAPPER = '''
import cnnbook.numpy_cnn as _book
def conv2d_im2col(*args, **kwargs):
    return _book.conv2d(*args, **kwargs)
'''
ALIAS_IMPORT = "from cnnbook.numpy_cnn import conv_output_size"
ALIAS_LAMBDA = '''
import cnnbook.numpy_cnn as b
conv_output_size = lambda n, k, p=0, s=1, d=1: b.conv_output_size(n, k, p, s)
'''
CODE_SWAP = '''
conv_output_size.__code__ = (lambda n, k, p=0, s=1, d=1: 0).__code__
'''
SCIPY = '''
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    from scipy.signal import correlate
    return correlate(x, kernels[:, :, :, 0], mode="valid")[::stride, ::stride]
'''
MONKEYPATCH = '''
import builtins
import numpy.testing
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.AssertionError = type("Nothing", (Exception,), {})
def conv_output_size(n, k, p=0, s=1, d=1):
    return None
'''
ALWAYS_EQUAL = '''
class Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *a, **k): raise TypeError("no")
    def __iter__(self): return iter([Anything(), Anything()])
def conv_output_size(n, k, p=0, s=1, d=1): return Anything()
def same_padding(n, k, s=1, d=1): return Anything()
def im2col(x, kh, kw, stride=1): return Anything()
def conv2d_im2col(x, kernels, stride=1, padding="valid"): return Anything()
'''
TRANSFORMER = '''
get_ipython().input_transformers_cleanup.append(lambda lines: [])      # every later cell becomes empty
'''
NOISY_SUFFIX = '''
import logging, sys, warnings
warnings.warn("a leftover warning")
logging.warning("a leftover log line")
print("to stderr", file=sys.stderr)
'''
SLOW = '''
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    import time
    time.sleep(10_000)
    return im2col(x, 1, 1) @ np.ones((x.shape[2], 1))    # passes the source check, then hangs in the call
'''
HANG = '''
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
'''
NO_PADDING = '''
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    kernels = np.asarray(kernels, dtype=float)
    kh, kw, c_in, c_out = kernels.shape
    h_out, w_out = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    return (im2col(x, kh, kw, stride) @ kernels.reshape(-1, c_out)).reshape(h_out, w_out, c_out)
'''
# "Use im2col" is checked from the source: a call of im2col, a matrix product with its result, no Python loop.
_PAD = '''
    x, kernels = np.asarray(x, dtype=float), np.asarray(kernels, dtype=float)
    kh, kw, c_in, c_out = kernels.shape
    if isinstance(padding, str) and padding.lower() == "same":
        pads = (same_padding(x.shape[0], kh, stride), same_padding(x.shape[1], kw, stride))
    else:
        p = 0 if isinstance(padding, str) else padding
        pads = ((p, p), (p, p))
    x = np.pad(x, (pads[0], pads[1], (0, 0)))
    h_out, w_out = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1'''
LOOP_NAMED = '''
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    im2col            # named only (enough for the old check), never called''' + _PAD + '''
    out = np.zeros((h_out, w_out, c_out))
    for i in range(h_out):
        for j in range(w_out):
            out[i, j] = np.tensordot(x[i * stride:i * stride + kh, j * stride:j * stride + kw], kernels, axes=3)
    return out
'''
LOOP_CALLED = '''
def window(x, i, j, kh, kw, stride):
    return x[i * stride:i * stride + kh, j * stride:j * stride + kw]
def conv2d_im2col(x, kernels, stride=1, padding="valid"):''' + _PAD + '''
    cols = im2col(x, kh, kw, stride)
    return (np.array([[window(x, i, j, kh, kw, stride).reshape(-1) for j in range(w_out)] for i in range(h_out)])
            @ kernels.reshape(-1, c_out))
'''
NO_MATMUL = '''
def conv2d_im2col(x, kernels, stride=1, padding="valid"):''' + _PAD + '''
    cols = im2col(x, kh, kw, stride)
    return (cols[:, :, None] * kernels.reshape(-1, c_out)).sum(axis=1).reshape(h_out, w_out, c_out)
'''
MEMORY = '''
try:
    hog = bytearray(20 * 2**30)
except MemoryError:
    pass
'''


def _tamper(paths):
    return f'''
import os, socket, subprocess
for _path in {paths!r}:
    for _mode in ("a", "w"):
        try:
            with open(_path, _mode) as _f:
                _f.write("tampered")
        except Exception:
            pass
    try:
        os.remove(_path)
    except Exception:
        pass
try:
    socket.create_connection(("pypi.org", 443), timeout=3)
except Exception:
    pass
try:
    os.kill(1, 9)
except Exception:
    pass
for _path in {paths!r}:
    try:
        raise RuntimeError(open(_path).read()[:3000])      # into the feedback, if it could be read
    except FileNotFoundError:
        pass
'''


def _background(csv_path):
    daemon = (f"import time  # cnnbook_daemon_marker\n"
              f"for _ in range(600):\n"
              f"    try:\n        open({str(csv_path)!r}, 'a').write('x')\n    except Exception:\n        pass\n"
              f"    time.sleep(0.1)\n")
    return f'''
import os, subprocess, sys
subprocess.Popen(["sleep", "987654"], start_new_session=True)
subprocess.Popen([sys.executable, "-c", {daemon!r}], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", {daemon!r}])
    os._exit(0)
'''


# The public answers looked up instead of computed: the same hard-coded student as in test_assignments.
HARDCODED = {cell: ASSIGNMENT_HARDCODED["01_conv_padding"][cell] for cell in ("conv_output_size", "same_padding")}
BOOK_FORMULAS = {cell: ASSIGNMENT_BOOK_FORMULAS[cell] for cell in ("conv_output_size", "same_padding")}


# student -> (answer cells by grade_id, extra code cells appended, expected total, expected notes substring)
def _class(paths, csv_path):
    float32 = SOL["conv2d_im2col"].replace("    return (im2col(", "    return np.float32(im2col(")
    float32 = float32.replace(".reshape(h_out, w_out, c_out)\n", ".reshape(h_out, w_out, c_out).astype(np.float32)\n")
    assert float32.count("float32") == 2
    noisy = {gid: src.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION\n" + "\n".join(
        "    " + line for line in NOISY_SUFFIX.strip().splitlines()))
        for gid, src in SOL.items()}
    return {
        "correct": (SOL, [], 14, ""),
        "blank": (ALL_BLANK, [], 0, ""),
        "partial": ({**ALL_BLANK, "conv_output_size": SOL["conv_output_size"], "same_padding": SOL["same_padding"]},
                    [], 6, ""),
        "float32": ({**SOL, "conv2d_im2col": float32}, [], 14, ""),
        "noisy": (noisy, [NOISY_SUFFIX], 14, ""),
        "hardcoded": ({**ALL_BLANK, **HARDCODED}, [], None, ""),
        "wrapper_book": ({**SOL, "conv2d_im2col": WRAPPER, "conv_output_size": ALIAS_IMPORT}, [], 6, "不是你自己写的"),
        "alias_lambda": ({**SOL, "conv_output_size": ALIAS_LAMBDA}, [], 11, "用 def 自己写"),
        "code_swap": (SOL, [CODE_SWAP], 0, "__code__"),
        "book_formulas": ({**SOL, **BOOK_FORMULAS}, [], (14 - 6 + 0.6 + 0.6, 14 - 6 + 0.6 + 0.6 + 1.5), ""),
        "scipy": ({**SOL, "conv2d_im2col": SCIPY}, [], 9, "scipy"),
        "monkeypatch": ({**ALL_BLANK, "conv_output_size": MONKEYPATCH}, [], 0, ""),
        "always_equal": (ALL_BLANK, [ALWAYS_EQUAL], 0, ""),
        "transformer": (ALL_BLANK, [TRANSFORMER, "pass"], 0, ""),
        "tamper": (SOL, [_tamper(paths)], 14, ""),
        "background": (SOL, [_background(csv_path)], 14, ""),
        "memory_hog": (SOL, [MEMORY], 14, ""),
        "slow_function": ({**SOL, "conv2d_im2col": SLOW}, [], 9, ""),
        "hang": (SOL, [HANG], 0, "超过"),
        "truncated": (SOL, [], 0, "无法读取"),
        "empty": (SOL, [], 0, "空"),
        "flipped_flags": (SOL, [], 14, ""),
        "no_padding": ({**SOL, "conv2d_im2col": NO_PADDING}, [], None, ""),
        "loop_named_im2col": ({**SOL, "conv2d_im2col": LOOP_NAMED}, [], 9, "调用你写的 im2col"),
        "loop_with_im2col": ({**SOL, "conv2d_im2col": LOOP_CALLED}, [], 9, "推导式"),
        "no_matmul": ({**SOL, "conv2d_im2col": NO_MATMUL}, [], 9, "没有矩阵乘法"),
    }


def _notebook(answers, extra):
    notebook = nbformat.read(assignments.source_path(NAME), as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and "_hidden" in meta.get("grade_id", ""):
            cell.source = "# 隐藏测试"          # what the student version holds
        if meta.get("solution"):
            cell.source = answers.get(meta["grade_id"], cell.source)
    for source in extra:
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


def _digest(paths):
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() if Path(p).is_file() else None for p in paths}


def make_class(course, folder, csv_path):
    """Write the class into ``folder``; returns (students, protected paths)."""
    victim = folder / "correct" / f"{NAME}.ipynb"
    protected = [course / "gradebook.db", assignments.source_path(NAME, course), victim,
                 ROOT / "cnnbook" / "numpy_cnn.py", ROOT / "README.md"]
    students = _class([str(p) for p in protected + [csv_path]], csv_path)
    for student, (answers, extra, _, _) in students.items():
        (folder / student).mkdir(parents=True)
        path = folder / student / f"{NAME}.ipynb"
        nbformat.write(_notebook(answers, extra), path)
    text = (folder / "truncated" / f"{NAME}.ipynb").read_text(encoding="utf-8")
    (folder / "truncated" / f"{NAME}.ipynb").write_text(text[: len(text) // 2], encoding="utf-8")
    (folder / "empty" / f"{NAME}.ipynb").write_bytes(b"")
    flipped = json.loads((folder / "flipped_flags" / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    for cell in flipped["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            meta["grade"] = False
            cell["source"] = "pass"
        if meta.get("solution"):
            cell["source"] = "".join(cell["source"]) + "\n# ### BEGIN HIDDEN TESTS\n# ### END HIDDEN TESTS\n"
    (folder / "flipped_flags" / f"{NAME}.ipynb").write_text(json.dumps(flipped), encoding="utf-8")
    return students, protected


def make_course(course):
    shutil.copy(assignments.COURSE / "nbgrader_config.py", course)
    shutil.copytree(assignments.COURSE / "source" / NAME, course / "source" / NAME)
    shutil.copytree(assignments.COURSE / "grading", course / "grading")
    (course / "gradebook.db").write_bytes(b"a gradebook")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("advcourse")
    make_course(course)
    folder = course.parent / "advcollected"
    csv_path = course / "class.csv"
    students, protected = make_class(course, folder, csv_path)
    before = _digest(protected)
    start = time.perf_counter()
    assignments.grade(folder, course, csv_path, feedback=True, names=[NAME], time_limit=TIME_LIMIT,
                      question_seconds=QUESTION_SECONDS)
    seconds = time.perf_counter() - start
    written = csv_path.read_bytes()
    time.sleep(2)      # a process left behind would write now
    after = _digest(protected)
    with open(csv_path, encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    print(f"\nclass of {len(students)} graded in {seconds:.1f} s")
    for student, (_, _, expected, _) in students.items():
        print(f"  {student:15s} expected {expected!s:5}  got {rows[student][f'{NAME}/total']:>5}  {rows[student]['notes']}")
    return {"rows": rows, "students": students, "course": course, "csv": csv_path, "written": written,
            "before": before, "after": after, "seconds": seconds}


STUDENTS = list(_class(["x"], Path("x")))


@pytest.mark.parametrize("student", STUDENTS)
def test_each_submission_gets_its_expected_score(graded, student):
    _, _, expected, note = graded["students"][student]
    row = graded["rows"][student]
    if isinstance(expected, tuple):   # (lowest, highest): a random hidden case may pass by chance
        assert expected[0] - 0.011 <= float(row[f"{NAME}/total"]) <= expected[1], row
    elif expected is not None:
        assert float(row[f"{NAME}/total"]) == pytest.approx(expected, abs=0.011), row
    if note:
        assert note in row["notes"], row["notes"]


def test_hardcoded_answers_get_the_public_points_only(graded):
    """A random hidden case may hit one of the hard-coded inputs by chance: a few hundredths of a point."""
    row = graded["rows"]["hardcoded"]
    assert float(row[f"{NAME}/conv_output_size_public"]) == 1 and float(row[f"{NAME}/conv_output_size_hidden"]) < 0.1
    assert float(row[f"{NAME}/same_padding_public"]) == 1 and float(row[f"{NAME}/same_padding_hidden"]) < 0.1
    assert 2 <= float(row[f"{NAME}/total"]) < 2.2


def test_a_partly_wrong_answer_gets_partial_credit(graded):
    """conv2d_im2col that ignores `padding`: right on the cases that need no padding -> a fraction of the points."""
    row = graded["rows"]["no_padding"]
    assert float(row[f"{NAME}/conv2d_im2col_public"]) == pytest.approx(2 * 3 / 5)
    assert 0 < float(row[f"{NAME}/conv2d_im2col_hidden"]) < 3
    assert float(row[f"{NAME}/conv_output_size_hidden"]) == 2


def test_partial_credit_is_per_test_case():
    question = {"rtol": 1e-5, "atol": 1e-6}
    import numpy as np
    assert assignments._compare({"value": np.ones(3)}, {"value": np.ones(3) * (1 + 1e-7)}, question) is None
    assert "形状" in assignments._compare({"value": np.ones(3)}, {"value": np.ones(4)}, question)
    assert "不符" in assignments._compare({"value": np.ones(3)}, {"value": np.ones(3) * 1.1}, question)
    assert "nan" in assignments._compare({"value": np.ones(3)}, {"value": np.full(3, np.nan)}, question)


def test_nothing_outside_the_sandbox_changed(graded):
    assert graded["after"] == graded["before"]
    assert graded["csv"].read_bytes() == graded["written"], "something wrote to the CSV after grading"


def test_no_process_outlives_grading(graded):
    for marker in ("987654", "cnnbook_daemon_marker"):
        found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
        assert found.stdout.strip() == "", f"a process with {marker} is still running"


def test_feedback_never_shows_the_teachers_code(graded):
    for student in STUDENTS:
        page = graded["course"] / "feedback" / student / NAME / f"{NAME}.html"
        text = page.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "tampered" not in text
        assert "span = d * (k - 1) + 1" not in text


def test_the_class_is_graded_within_its_time_budget(graded):
    # the hanging notebook costs TIME_LIMIT on its own
    assert graded["seconds"] < TIME_LIMIT + len(STUDENTS) * 20


def test_lms_export_has_no_max_row(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    make_course(course)
    (tmp_path / "subs" / "s1").mkdir(parents=True)
    nbformat.write(_notebook(SOL, []), tmp_path / "subs" / "s1" / f"{NAME}.ipynb")
    csv_path = tmp_path / "lms.csv"
    assert assignments.main(["--course", str(course), "grade", str(tmp_path / "subs"), "--csv", str(csv_path),
                             "--lms", "--seed", "7"]) == 0
    with open(csv_path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student_id"] for row in rows] == ["s1"] and float(rows[0]["total"]) == 14
    assert "seed 7" in (course / "grading.log").read_text(encoding="utf-8")


OWN = '''
def conv2d_im2col(x, kernels, stride=1, padding="valid"):
    return helper(im2col(x, 1, 1))
def helper(x):
    return np.zeros(3)
'''
FORBIDDEN = ["cnnbook", "scipy", "tensorflow", "keras"]


@pytest.mark.parametrize("cells, reason", [
    ([OWN], None),
    (["%time x = 1\n" + OWN], None),                                        # a magic line is not a trick
    (["from cnnbook.numpy_cnn import conv2d as conv2d_im2col"], "用 def"),
    (["import cnnbook.numpy_cnn as b\ndef conv2d_im2col(*a, **k):\n    return b.conv2d(*a, **k)"], "b"),
    (["import functools\nfrom cnnbook import numpy_cnn\nconv2d_im2col = functools.partial(numpy_cnn.conv2d)"], "用 def"),
    (["import cnnbook.numpy_cnn as b\nconv2d_im2col = lambda *a: b.conv2d(*a)"], "用 def"),
    (["if True:\n    from cnnbook.numpy_cnn import conv2d as conv2d_im2col"], "用 def"),
    (["from scipy.signal import correlate as c\ndef h(x):\n    return c(x, x)\n",
      "def conv2d_im2col(x, kernels, stride=1, padding='valid'):\n    return h(im2col(x, 1, 1))"], "通过 h"),
    (["def conv2d_im2col(x, kernels, stride=1, padding='valid'):\n    import tensorflow as tf\n    return im2col"],
     "tensorflow"),
    ([OWN, "conv2d_im2col = print"], "用 def"),                               # rebound after the def
    ([OWN, "globals()['conv2d_im2col'] = len"], "globals"),
    ([OWN, "conv2d_im2col.__code__ = len.__code__"], "__code__"),
    ([OWN, "def g():\n    global conv2d_im2col\n    conv2d_im2col = len\ng()"], "global"),
    (["def conv2d_im2col(x, kernels, stride=1, padding='valid'):\n    return x"], "im2col"),  # must use im2col
    (["def conv2d_im2col(x, kernels, stride=1, padding='valid'):\n    im2col\n    return x"], "调用"),  # a call
    (["x = 1"], "没有找到"),
])
def test_provenance_is_judged_from_the_source(cells, reason):
    problems = assignments.provenance_problems(cells, ["conv2d_im2col"], FORBIDDEN, {"conv2d_im2col": ["im2col"]})
    if reason is None:
        assert problems == {}
    else:
        assert reason in problems["conv2d_im2col"], problems


def test_provenance_of_a_method():
    ok = "class MySoftmax(Softmax):\n    def backprop(self, d, lr):\n        return d"
    alias = "class MySoftmax(Softmax):\n    backprop = Softmax.backprop"
    assert assignments.provenance_problems([ok], ["MySoftmax.backprop"], FORBIDDEN) == {}
    assert "用 def" in assignments.provenance_problems([alias], ["MySoftmax.backprop"], FORBIDDEN)["MySoftmax.backprop"]


# --- 05_batchnorm: the book's BatchNorm (cnnbook.batchnorm) under the graded names, and the tricks above ---------
# Scores (16 points): batchnorm_forward 1+3, batchnorm_backward 1+4, layernorm_forward 1+2, layernorm_backward 1+3.
BN = "05_batchnorm"


def _bn_solutions():
    source = nbformat.read(assignments.source_path(BN), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


BN_SOL = _bn_solutions()
BN_WRAPPER = '''
import cnnbook.batchnorm as _book
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.9, eps=1e-5, training=True):
    layer = _book.BatchNorm(x.shape[1], momentum=momentum, epsilon=eps)
    layer.gamma, layer.beta, layer.running_mean, layer.running_var = gamma, beta, running_mean, running_var
    out = layer.forward(np.moveaxis(x, 1, -1), training)
    return np.moveaxis(out, -1, 1), layer.running_mean, layer.running_var
'''
BN_SUBCLASS = '''
from cnnbook.batchnorm import BatchNorm as _Book
class Mine(_Book):
    pass
def batchnorm_backward(d_out, x, gamma, eps=1e-5):
    layer = Mine(x.shape[1], epsilon=eps)
    layer.gamma = gamma
    layer.forward(np.moveaxis(x, 1, -1), True)
    d_x = layer.backward(np.moveaxis(d_out, 1, -1))
    return np.moveaxis(d_x, -1, 1), layer.d_gamma, layer.d_beta
'''
BN_PARTIAL = '''
import functools
def _normalize(x, gamma, beta, eps=1e-5, axes=(1, 2, 3)):
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
layernorm_forward = functools.partial(_normalize, axes=(1, 2, 3))
'''
BN_MONKEYPATCH = '''
import builtins
import numpy.testing
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.AssertionError = type("Nothing", (Exception,), {})
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.9, eps=1e-5, training=True):
    return None, None, None
def batchnorm_backward(d_out, x, gamma, eps=1e-5):
    return None, None, None
'''
BN_ALWAYS_EQUAL = '''
class Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *a, **k): raise TypeError("no")
    def __iter__(self): return iter([Anything(), Anything(), Anything()])
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.9, eps=1e-5, training=True):
    return Anything(), Anything(), Anything()
def batchnorm_backward(d_out, x, gamma, eps=1e-5): return Anything(), Anything(), Anything()
def layernorm_forward(x, gamma, beta, eps=1e-5): return Anything()
def layernorm_backward(d_out, x, gamma, eps=1e-5): return Anything(), Anything(), Anything()
'''
BN_CODE_SWAP = '''
layernorm_forward.__code__ = (lambda x, gamma, beta, eps=1e-5: x).__code__
'''
BN_BLANK = {gid: BLANK for gid in BN_SOL}
# student -> (answer cells by grade_id, extra code cells appended, expected total, expected notes substring)
BN_CLASS = {
    "correct": (BN_SOL, [], 16, ""),
    "wrapper_book": ({**BN_SOL, "batchnorm_forward": BN_WRAPPER}, [], 16 - 4, "不是你自己写的"),
    "subclass_book": ({**BN_SOL, "batchnorm_backward": BN_SUBCLASS}, [], 16 - 5, "通过 Mine"),
    "partial_own": ({**BN_SOL, "layernorm_forward": BN_PARTIAL}, [], 16 - 3, "用 def 自己写"),
    "monkeypatch": ({**BN_BLANK, "batchnorm_forward": BN_MONKEYPATCH}, [], 0, ""),
    "always_equal": (BN_BLANK, [BN_ALWAYS_EQUAL], 0, ""),
    "code_swap": (BN_SOL, [BN_CODE_SWAP], 0, "__code__"),
}


@pytest.fixture(scope="module")
def graded_bn(tmp_path_factory):
    course = tmp_path_factory.mktemp("bncourse")
    shutil.copy(assignments.COURSE / "nbgrader_config.py", course)
    shutil.copytree(assignments.COURSE / "source" / BN, course / "source" / BN)
    shutil.copytree(assignments.COURSE / "grading", course / "grading")
    folder = course.parent / "bncollected"
    for student, (answers, extra, _, _) in BN_CLASS.items():
        notebook = nbformat.read(assignments.source_path(BN, course), as_version=4)
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and "_hidden" in meta.get("grade_id", ""):
                cell.source = "# 隐藏测试"
            if meta.get("solution"):
                cell.source = answers.get(meta["grade_id"], cell.source)
        notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra)
        (folder / student).mkdir(parents=True)
        nbformat.write(notebook, folder / student / f"{BN}.ipynb")
    csv_path = course / "bn.csv"
    start = time.perf_counter()
    assignments.grade(folder, course, csv_path, names=[BN], question_seconds=QUESTION_SECONDS)
    seconds = time.perf_counter() - start
    with open(csv_path, encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    print(f"\n{BN}: class of {len(BN_CLASS)} graded in {seconds:.1f} s")
    for student, (_, _, expected, _) in BN_CLASS.items():
        print(f"  {student:15s} expected {expected!s:5}  got {rows[student][f'{BN}/total']:>5}  {rows[student]['notes']}")
    return rows


@pytest.mark.parametrize("student", list(BN_CLASS))
def test_batchnorm_attacks_get_their_expected_score(graded_bn, student):
    _, _, expected, note = BN_CLASS[student]
    row = graded_bn[student]
    assert float(row[f"{BN}/total"]) == pytest.approx(expected, abs=0.011), row
    if note:
        assert note in row["notes"], row["notes"]


def test_sandbox_book_has_no_batchnorm(tmp_path):
    """The second gate: in the sandbox's copy of the book, cnnbook.batchnorm (like every module exported from the
    chapters) keeps its imports but none of the book's code; calling BatchNorm raises."""
    assignments._book_copy(assignments.load_spec(BN), tmp_path)
    text = (tmp_path / "cnnbook" / "batchnorm.py").read_text(encoding="utf-8")
    assert "inv_std" not in text and "running_mean" not in text and "def BatchNorm(" in text
    for module in ("numpy_cnn", "numpy_layers", "explain"):
        assert "GENERATED" not in (tmp_path / "cnnbook" / f"{module}.py").read_text(encoding="utf-8")
    probe = ("import sys; sys.path.insert(0, sys.argv[1])\nfrom cnnbook.batchnorm import BatchNorm\n"
             "try:\n    BatchNorm(3)\nexcept NotImplementedError as error:\n    print('stub:', error)\n")
    done = subprocess.run([assignments.sys.executable, "-I", "-c", probe, str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "stub: 评分时不能调用书中的 BatchNorm" in done.stdout, done.stdout + done.stderr


def test_a_hanging_call_costs_only_its_question(graded):
    """slow_function passes the source check of conv2d_im2col and then sleeps inside the call: the question's time
    limit stops it (0 for that question), not the source check, and the other questions keep their points."""
    row = graded["rows"]["slow_function"]
    assert "不得分" not in row["notes"], row["notes"]
    assert float(row[f"{NAME}/conv2d_im2col_public"]) == 0 and float(row[f"{NAME}/im2col_hidden"]) == 2


# The structure rules of 01's conv2d_im2col (no Python loop, a matrix product with im2col's result).
STRUCTURE = {"conv2d_im2col": {"no_loops": True, "matmul_of": "im2col", "exempt": ["same_padding", "im2col"]}}
IM2COL = "def im2col(x, kh, kw, stride=1):\n    for i in range(3):\n        pass\n    return x\n"   # may loop
GOOD = "def conv2d_im2col(x, kernels, stride=1, padding='valid'):\n    cols = im2col(x, 1, 1)\n" \
       "    flat = cols.reshape(-1, 4)\n    return (kernels.reshape(4, -1).T @ flat.T).T\n"


@pytest.mark.parametrize("cells, reason", [
    ([IM2COL, GOOD], None),
    ([IM2COL, GOOD.replace("(kernels.reshape(4, -1).T @ flat.T).T", "np.einsum('ij,jk->ik', flat, kernels)")], None),
    ([IM2COL, GOOD.replace("(kernels.reshape(4, -1).T @ flat.T).T", "flat.dot(kernels)")], None),
    ([IM2COL, GOOD, "for stride in (1, 2):\n    print(conv2d_im2col(np.ones((3, 3, 1)), np.ones((1, 1, 1, 1)), stride))"],
     None),                                                    # a loop in the student's own test cell is fine
    ([IM2COL, GOOD.replace("    return", "    while False:\n        pass\n    return")], "while 循环"),
    ([IM2COL, GOOD.replace("    return", "    [v for v in range(3)]\n    return")], "推导式"),
    ([IM2COL, GOOD.replace("    return", "    np.vectorize(abs)\n    return")], "vectorize"),
    ([IM2COL, "def rows(x):\n    return [r for r in x]\n",
      GOOD.replace("    return", "    rows(x)\n    return")], "在它调用的 rows 里"),
    ([IM2COL, "helper = lambda x: list(map(abs, x))\n", GOOD.replace("    return", "    helper(x)\n    return")], "map"),
    ([IM2COL, GOOD.replace("    return", "    if x.shape[0] > 1:\n        conv2d_im2col(x[1:], kernels)\n    return")],
     "递归"),
    ([IM2COL, GOOD.replace("(kernels.reshape(4, -1).T @ flat.T).T", "(flat[:, :, None] * kernels).sum(axis=1)")],
     "没有矩阵乘法"),
    ([IM2COL, GOOD.replace("(kernels.reshape(4, -1).T @ flat.T).T", "x.reshape(-1, 4) @ kernels")], "没有用到 im2col 的结果"),
])
def test_im2col_rule_is_judged_from_the_source(cells, reason):
    problems = assignments.provenance_problems(cells, ["im2col", "conv2d_im2col"], FORBIDDEN,
                                               {"conv2d_im2col": ["im2col"]}, STRUCTURE)
    if reason is None:
        assert problems == {}
    else:
        assert list(problems) == ["conv2d_im2col"] and reason in problems["conv2d_im2col"], problems
        assert "不得分" in problems["conv2d_im2col"]


def test_teachers_solutions_pass_their_own_source_rules():
    """The rules a spec states (own, calls, no_loops, matmul_of) hold for the teacher's solution cells."""
    for name in assignments.assignment_names():
        spec = assignments.load_spec(name)
        source = nbformat.read(assignments.source_path(name), as_version=4)
        cells = [c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
        owns, calls, structure = assignments.spec_rules(spec)
        assert assignments.provenance_problems(cells, owns, getattr(spec, "FORBIDDEN_MODULES", ["cnnbook"]), calls,
                                               structure) == {}, name
    assert assignments.spec_rules(assignments.load_spec(NAME))[2]["conv2d_im2col"]["no_loops"]


# --- 06_explain: cnnbook.explain under the graded names, chapter 11's code copied, and the tricks above ---------
# Scores (14 points): integrated_gradients 2+5, targeted_pgd 2+5.  The graded class imports TensorFlow in every
# sandbox (about 15 s each on an idle 2-core machine, a minute at load 13): slow.
EXPLAIN = "06_explain"


def _explain_solutions():
    source = nbformat.read(assignments.source_path(EXPLAIN), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


EX_SOL = _explain_solutions()
EX_BLANK = {gid: BLANK for gid in EX_SOL}
EX_WRAPPER_IG = '''
import cnnbook.explain as _book
def integrated_gradients(model, images, classes, baseline, steps=32):
    total = 0
    for k in range(1, steps + 1):
        point = (baseline + k / steps * (images - baseline)).astype(np.float32)
        total = total + _book.saliency_map(model, point, classes)[..., None]
    return (images - baseline) * total / steps
'''
EX_WRAPPER_PGD = '''
from cnnbook import explain
def targeted_pgd(model, images, targets, eps, alpha, steps):
    x = images
    for _ in range(steps):
        x = np.clip(2 * x - explain.fgsm(model, x, targets, alpha), images - eps, images + eps).clip(0, 1)
    return x
'''
EX_ALIAS = "from cnnbook.explain import fgsm as targeted_pgd"
EX_BOOK_COPY = '''
def fgsm(model, images, labels, eps):                 # chapter 11's fgsm, copied (increases the loss of labels)
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = tf.cast(model(x), tf.float64)
        loss = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    direction = tf.sign(tape.gradient(loss, x))
    return tf.clip_by_value(x + eps * direction, 0.0, 1.0).numpy()
def targeted_pgd(model, images, targets, eps, alpha, steps):   # chapter 11's iterative_fgsm exercise
    adversarial = images.copy()
    for _ in range(steps):
        adversarial = fgsm(model, adversarial, targets, alpha)
        adversarial = np.clip(adversarial, images - eps, images + eps).astype("float32")
    return adversarial
'''
EX_SALIENCY = '''
def integrated_gradients(model, images, classes, baseline, steps=32):   # gradient x input at x only (one point)
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = tf.gather(model(x), classes, batch_dims=1)
    return ((images - baseline) * tape.gradient(scores, x)).numpy()
'''
# right, written differently: a loop over the steps and the images in NumPy float64, a per-image attack
EX_VARIANTS = {"integrated_gradients": '''
def integrated_gradients(model, images, classes, baseline, steps=32):
    out = np.zeros(images.shape)
    for j in range(len(images)):
        for k in range(1, steps + 1):
            point = tf.constant((baseline + k / steps * (images[j] - baseline))[None].astype(np.float32))
            with tf.GradientTape() as tape:
                tape.watch(point)
                score = model(point)[0, int(classes[j])]
            out[j] += tape.gradient(score, point).numpy()[0]
    return (images - baseline) * out / steps
''', "targeted_pgd": '''
def targeted_pgd(model, images, targets, eps, alpha, steps):
    x = images.astype(np.float64)
    for _ in range(steps):
        for j in range(len(x)):
            xj = tf.constant(x[j:j + 1], dtype=tf.float32)
            with tf.GradientTape() as tape:
                tape.watch(xj)
                logits = tf.cast(model(xj), tf.float64)
                loss = -tf.nn.log_softmax(logits)[0, int(targets[j])]
            x[j] -= alpha * np.sign(tape.gradient(loss, xj).numpy()[0])
        x = np.clip(np.clip(x, images - eps, images + eps), 0, 1)
    return x
'''}
EX_LEFT_RIEMANN = EX_SOL["integrated_gradients"].replace("tf.range(1, steps + 1,", "tf.range(0, steps,")
EX_OWN_SMALL_CNN = '''
def small_cnn(seed, height=12, width=12, channels=1, classes=4):   # the student's own (the grader builds its own)
    return keras.Sequential([keras.Input(shape=(height, width, channels)), layers.Flatten(), layers.Dense(classes)])
'''
EX_DYNAMIC = '''
def targeted_pgd(model, images, targets, eps, alpha, steps):
    return __import__("cnnbook.explain").explain.fgsm(model, images, targets, eps)
'''
EX_LIBRARY = '''
def integrated_gradients(model, images, classes, baseline, steps=32):
    from tf_keras_vis.saliency import Saliency
    return Saliency(model)(lambda out: out, images)
'''
EX_MONKEYPATCH = '''
import builtins
import numpy.testing
np.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None
builtins.AssertionError = type("Nothing", (Exception,), {})
def integrated_gradients(model, images, classes, baseline, steps=32):
    return None
'''
# student -> (answer cells by grade_id, extra code cells appended, expected total, expected notes substring)
EX_CLASS = {
    "correct": (EX_SOL, [], 14, ""),
    "blank": (EX_BLANK, [], 0, ""),
    "variants": ({**EX_SOL, **EX_VARIANTS}, [], 14, ""),
    "own_small_cnn": (EX_SOL, [EX_OWN_SMALL_CNN], 14, ""),
    "wrapper_book": ({"integrated_gradients": EX_WRAPPER_IG, "targeted_pgd": EX_WRAPPER_PGD}, [], 0, "不是你自己写的"),
    "alias_book": ({**EX_SOL, "targeted_pgd": EX_ALIAS}, [], 7, "用 def 自己写"),
    # the gradient at x alone is exact for the linear model of a public case (2/3 point); the copied fgsm goes
    # the wrong way (it increases the loss of the target): 0
    "chapter11_copied": ({"integrated_gradients": EX_SALIENCY, "targeted_pgd": EX_BOOK_COPY}, [], 2 / 3, ""),
    "left_riemann": ({**EX_SOL, "integrated_gradients": EX_LEFT_RIEMANN}, [], 7 + 2 / 3, ""),  # the linear public case
    "dynamic_import": (EX_SOL, [EX_DYNAMIC], 0, "__import__"),
    "library": ({**EX_SOL, "integrated_gradients": EX_LIBRARY}, [], 7, "tf_keras_vis"),
    "monkeypatch": ({**EX_BLANK, "integrated_gradients": EX_MONKEYPATCH}, [], 0, ""),
}


@pytest.fixture(scope="module")
def graded_explain(tmp_path_factory):
    course = tmp_path_factory.mktemp("excourse")
    shutil.copy(assignments.COURSE / "nbgrader_config.py", course)
    shutil.copytree(assignments.COURSE / "source" / EXPLAIN, course / "source" / EXPLAIN)
    shutil.copytree(assignments.COURSE / "grading", course / "grading")
    folder = course.parent / "excollected"
    for student, (answers, extra, _, _) in EX_CLASS.items():
        notebook = nbformat.read(assignments.source_path(EXPLAIN, course), as_version=4)
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and "_hidden" in meta.get("grade_id", ""):
                cell.source = "# 隐藏测试"
            if meta.get("solution"):
                cell.source = answers.get(meta["grade_id"], cell.source)
        notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra)
        (folder / student).mkdir(parents=True)
        nbformat.write(notebook, folder / student / f"{EXPLAIN}.ipynb")
    csv_path = course / "explain.csv"
    start = time.perf_counter()
    assignments.grade(folder, course, csv_path, names=[EXPLAIN])
    seconds = time.perf_counter() - start
    with open(csv_path, encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    print(f"\n{EXPLAIN}: class of {len(EX_CLASS)} graded in {seconds:.1f} s")
    for student, (_, _, expected, _) in EX_CLASS.items():
        print(f"  {student:17s} expected {expected:5.2f}  got {rows[student][f'{EXPLAIN}/total']:>5}  {rows[student]['notes']}")
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("student", list(EX_CLASS))
def test_explain_attacks_get_their_expected_score(graded_explain, student):
    _, _, expected, note = EX_CLASS[student]
    row = graded_explain[student]
    assert float(row[f"{EXPLAIN}/total"]) == pytest.approx(expected, abs=0.011), row
    if note:
        assert note in row["notes"], row["notes"]


EX_FORBIDDEN = assignments.load_spec(EXPLAIN).FORBIDDEN_MODULES
EX_OWN = "def targeted_pgd(model, images, targets, eps, alpha, steps):\n    return helper(images)\n" \
         "def helper(x):\n    with tf.GradientTape() as tape:\n        pass\n    return keras.ops.convert_to_numpy(x)\n"


@pytest.mark.parametrize("cells, reason", [
    ([EX_OWN], None),                                        # TensorFlow and Keras are allowed here
    ([EX_ALIAS], "用 def"),
    ([EX_WRAPPER_PGD], "explain"),
    (["import cnnbook.explain as e\n" + EX_OWN.replace("return helper(images)", "return e.fgsm(images)")], "e"),
    (["import alibi\n", EX_OWN.replace("return keras.ops", "alibi\n    return keras.ops")], "通过 helper"),
    ([EX_OWN.replace("    return helper(images)", "    from foolbox import attacks\n    return helper(images)")],
     "foolbox"),
    ([EX_DYNAMIC], "__import__"),
])
def test_explain_provenance_is_judged_from_the_source(cells, reason):
    problems = assignments.provenance_problems(cells, ["targeted_pgd"], EX_FORBIDDEN)
    if reason is None:
        assert problems == {}
    else:
        assert reason in problems["targeted_pgd"], problems


def test_explain_spec_builds_the_setup_cells_model():
    """The grader builds the models with the spec's small_cnn: the same code as the notebook's setup cell (the
    spec imports Keras inside the function, so that loading the spec does not import TensorFlow)."""
    import inspect
    spec = assignments.load_spec(EXPLAIN)
    source = nbformat.read(assignments.source_path(EXPLAIN), as_version=4)
    setup = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    body = [line for line in inspect.getsource(spec.small_cnn).splitlines() if line.strip() and "import" not in line]
    setup_lines = [line for line in setup.splitlines() if line.strip()]
    start = setup_lines.index(body[0])
    assert setup_lines[start:start + len(body)] == body


def test_sandbox_book_has_no_explain(tmp_path):
    assignments._book_copy(assignments.load_spec(EXPLAIN), tmp_path)
    text = (tmp_path / "cnnbook" / "explain.py").read_text(encoding="utf-8")
    assert "GradientTape" not in text and "GENERATED" not in text
    for name in ("saliency_map", "grad_cam", "conv_layer", "upsample", "occlusion_map", "fgsm"):
        assert f"def {name}(*args, **kwargs):\n    raise NotImplementedError(" in text, name


def test_outliers_let_a_few_elements_exceed_the_tolerance():
    import numpy as np
    question = {"rtol": 1e-5, "atol": 1e-5, "outliers": 0.01}
    reference = np.zeros(250)
    two, four = reference.copy(), reference.copy()
    two[:3], four[:4] = 0.1, 0.1
    assert assignments._compare({"value": reference}, {"value": two}, question) is None      # 3 <= ceil(2.5)
    assert "最多允许 3 个" in assignments._compare({"value": reference}, {"value": four}, question)
    assert "不符" in assignments._compare({"value": reference}, {"value": two}, {"rtol": 1e-5, "atol": 1e-5})
    assert "nan" in assignments._compare({"value": reference}, {"value": reference + np.nan}, question)
