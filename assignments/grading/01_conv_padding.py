"""Grading spec of 01_conv_padding (read by scripts/assignments.py; ``run`` functions also run in the sandbox).

Every question: ``public()`` the cases of the public test (the examples in the notebook), ``hidden(rng)``
fresh random cases (a new seed every grading run), ``run(ns, case, out)`` how to call the student's code
(``ns``: the notebook's names) and what to record, ``own``: the names the student must define with ``def``
in the answer cells (checked outside the sandbox from the submitted source, and at run time); ``calls``: student
functions that the ``def`` must call, as the task text asks; ``no_loops``: no Python loop (``for``, ``while``,
comprehensions, ``map``, ``np.vectorize``, recursion, ...) in the ``def`` nor in the student's functions it calls,
except ``calls`` and the other questions' graded functions; ``matmul_of``: the ``def`` computes a matrix product
with the result of calling this function as a factor.  A question that breaks them scores 0.  The grader
runs the teacher's solution on the same cases and compares; ``exact`` or ``rtol``/``atol`` (``atol``
relative to max(1, the largest reference value)), as stated in the task text.
"""

import numpy as np

# The sandbox's copy of cnnbook.numpy_cnn keeps only these names (the rest raise); no setup import needs the book.
BOOK_KEEP = []
BOOK_REMOVE = []
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]
# Modules a graded function (and the student's helpers it calls) may not use.
FORBIDDEN_MODULES = ["cnnbook", "scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]


def _int_run(name):
    def run(ns, case, out):
        got = ns[name](*case["args"])
        return {"value": got, "is_int": isinstance(got, (int, np.integer)) and not isinstance(got, bool)}
    return run


def conv_output_size_hidden(rng):
    """k >= 2 and d >= 2: the book's formula (no dilation) is right here only when the floor hides the difference."""
    cases = []
    for _ in range(200):
        k, p, s, d = int(rng.integers(2, 8)), int(rng.integers(0, 4)), int(rng.integers(1, 6)), int(rng.integers(2, 5))
        span = d * (k - 1) + 1
        n = int(rng.integers(max(span - 2 * p, 1), 60))
        cases.append({"args": [n, k, p, s, d]})
    return cases


def same_padding_run(ns, case, out):
    return {"value": [int(v) for v in ns["same_padding"](*case["args"])]}


def same_padding_hidden(rng):
    return [{"args": [int(rng.integers(1, 60)), int(rng.integers(2, 9)), int(rng.integers(1, 7)), int(rng.integers(2, 5))]}
            for _ in range(200)]


def im2col_run(ns, case, out):
    return {"value": ns["im2col"](case["x"].copy(), case["kh"], case["kw"], stride=case["stride"])}


def _window_case(rng):
    kh, kw, s, c = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {"x": rng.standard_normal((int(rng.integers(kh, 12)), int(rng.integers(kw, 12)), c)),
            "kh": kh, "kw": kw, "stride": s}


def conv2d_run(ns, case, out):
    return {"value": ns["conv2d_im2col"](case["x"].copy(), case["kernels"].copy(), stride=case["stride"],
                                         padding=case["padding"])}


_IMAGE = np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]], dtype=float)[:, :, None]
_SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)[:, :, None, None]
_ROW = np.arange(1.0, 14.0).reshape(1, 13, 1)
_PRIMES = np.array([2.0, 3, 5, 7, 11, 13]).reshape(1, 6, 1, 1)


def conv2d_public():
    return [{"x": _IMAGE, "kernels": _SOBEL, "stride": 1, "padding": "valid"},
            {"x": _ROW, "kernels": _PRIMES, "stride": 5, "padding": "valid"},
            {"x": _ROW, "kernels": _PRIMES, "stride": 5, "padding": "same"},
            {"x": np.ones((5, 5, 3)), "kernels": np.ones((3, 3, 3, 4)), "stride": 1, "padding": "valid"},
            {"x": np.zeros((28, 28, 2)), "kernels": np.ones((3, 3, 2, 5)), "stride": 1, "padding": 1}]


def conv2d_hidden(rng):
    cases = []
    for _ in range(10):
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        h, w = int(rng.integers(kh, 14)), int(rng.integers(kw, 14))
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        x, kernels = rng.standard_normal((h, w, c_in)), rng.standard_normal((kh, kw, c_in, c_out))
        s = int(rng.integers(1, 4))
        for padding in ("valid", "same", "SAME", int(rng.integers(1, 3))):
            cases.append({"x": x, "kernels": kernels, "stride": s, "padding": padding})
    return cases


QUESTIONS = [
    {"id": "conv_output_size", "run": _int_run("conv_output_size"), "exact": True, "own": ["conv_output_size"],
     "public": lambda: [{"args": a} for a in ([28, 3], [28, 3, 1], [13, 6, 0, 5], [28, 3, 0, 1, 2], [10, 3, 0, 2, 3])],
     "hidden": conv_output_size_hidden},
    {"id": "same_padding", "run": same_padding_run, "exact": True, "own": ["same_padding"],
     "public": lambda: [{"args": a} for a in ([13, 6, 5], [28, 3], [4, 2], [28, 3, 1, 2], [10, 3, 2, 2])],
     "hidden": same_padding_hidden},
    {"id": "im2col", "run": im2col_run, "rtol": 1e-6, "atol": 1e-7, "own": ["im2col"],
     "public": lambda: [{"x": np.arange(18.0).reshape(3, 3, 2), "kh": 2, "kw": 2, "stride": 1},
                        {"x": np.zeros((7, 9, 3)), "kh": 3, "kw": 3, "stride": 2}],
     "hidden": lambda rng: [_window_case(rng) for _ in range(30)]},
    # "must use im2col", checked from the source before anything runs: conv2d_im2col calls im2col, has no Python
    # loop (nor do the student's functions it calls, other than those of questions 1-3), and one factor of its
    # matrix product (@, np.matmul, np.dot, np.tensordot, np.einsum) is im2col's result
    {"id": "conv2d_im2col", "run": conv2d_run, "rtol": 1e-5, "atol": 1e-6, "own": ["conv2d_im2col"], "calls": ["im2col"],
     "no_loops": True, "matmul_of": "im2col", "public": conv2d_public, "hidden": conv2d_hidden},
]
