"""Grading spec of 01_conv_padding (read by scripts/assignments.py; ``run`` functions also run in the sandbox).

Every question: ``public()`` the cases of the public test (the examples in the notebook), ``hidden(rng)``
fresh random cases (a new seed every grading run), ``run(ns, case, out)`` how to call the student's code
(``ns``: the notebook's names) and what to record.  The grader runs the teacher's solution on the same
cases and compares; ``exact`` or ``rtol``/``atol`` (relative to the largest reference value) as stated in
the task text.
"""

import numpy as np

# What the sandbox's copy of the book keeps (everything else in cnnbook.numpy_cnn is removed) and which
# of the kept classes' methods are removed: the student writes them.
BOOK_KEEP = ["Conv3x3", "_conv_int_arg"]
BOOK_REMOVE = ["Conv3x3.forward"]
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]


def _int_run(name):
    def run(ns, case, out):
        got = ns[name](*case["args"])
        return {"value": got, "is_int": isinstance(got, (int, np.integer)) and not isinstance(got, bool)}
    return run


def conv_output_size_hidden(rng):
    cases = []
    for _ in range(200):
        k, p, s = int(rng.integers(1, 8)), int(rng.integers(0, 4)), int(rng.integers(1, 6))
        n = int(rng.integers(max(k - 2 * p, 1), 60))
        cases.append({"args": [n, k, p, s]})
    return cases


def same_padding_run(ns, case, out):
    return {"value": [int(v) for v in ns["same_padding"](*case["args"])]}


def same_padding_hidden(rng):
    return [{"args": [int(rng.integers(1, 60)), int(rng.integers(1, 9)), int(rng.integers(1, 7))]} for _ in range(200)]


def conv2d_run(ns, case, out):
    return {"value": ns["conv2d"](case["x"], case["kernels"], stride=case["stride"], padding=case["padding"])}


def conv2d_public():
    image = np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]])
    sobel_v = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    x = np.arange(1, 14).reshape(1, 13)
    primes = np.array([[2, 3, 5, 7, 11, 13]])
    return [
        {"x": image, "kernels": sobel_v, "stride": 1, "padding": "valid"},
        {"x": x, "kernels": primes, "stride": 5, "padding": "valid"},
        {"x": x, "kernels": primes, "stride": 5, "padding": "same"},
        {"x": np.zeros((28, 28)), "kernels": np.ones((3, 3)), "stride": 1, "padding": 1},
        {"x": np.ones((5, 5, 3)), "kernels": np.ones((3, 3, 3, 4)), "stride": 1, "padding": "valid"},
    ]


def conv2d_hidden(rng):
    cases = []
    for index in range(30):
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        h, w = int(rng.integers(kh, 14)), int(rng.integers(kw, 14))
        s = int(rng.integers(1, 4))
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        multi = index % 2 == 1
        x = rng.standard_normal((h, w, c_in) if multi else (h, w))
        kernels = rng.standard_normal((kh, kw, c_in, c_out) if multi else (kh, kw))
        for padding in ("valid", "same", "SAME", int(rng.integers(0, 3))):
            cases.append({"x": x, "kernels": kernels, "stride": s, "padding": padding})
    return cases


def conv3x3_forward_run(ns, case, out):
    layer = ns["MyConv3x3"](len(case["filters"]))
    layer.filters = case["filters"].copy()
    output = layer.forward(case["image"])
    return {"out": output, "last_input": layer.last_input}


def conv3x3_forward_public():
    image = np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]])
    sobel = np.array([[[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]])
    return [{"image": np.zeros((28, 28)), "filters": np.random.default_rng(0).standard_normal((8, 3, 3)) / 9},
            {"image": image, "filters": sobel}]


def conv3x3_forward_hidden(rng):
    cases = [{"image": rng.standard_normal((int(rng.integers(3, 14)), int(rng.integers(3, 14)))),
              "filters": rng.standard_normal((int(rng.integers(1, 6)), 3, 3))} for _ in range(20)]
    cases.append({"image": rng.integers(0, 256, size=(28, 28)).astype(np.uint8),
                  "filters": rng.standard_normal((4, 3, 3)) / 9})
    return cases


QUESTIONS = [
    {"id": "conv_output_size", "run": _int_run("conv_output_size"), "exact": True, "own": ["conv_output_size"],
     "public": lambda: [{"args": a} for a in ([28, 3, 0, 1], [4, 3, 0, 1], [28, 3, 1, 1], [13, 6, 0, 5])],
     "hidden": conv_output_size_hidden},
    {"id": "same_padding", "run": same_padding_run, "exact": True, "own": ["same_padding"],
     "public": lambda: [{"args": a} for a in ([13, 6, 5], [28, 3, 1], [4, 2, 1], [10, 1, 2])],
     "hidden": same_padding_hidden},
    {"id": "conv2d", "run": conv2d_run, "rtol": 1e-5, "atol": 1e-6, "own": ["conv2d"],
     "public": conv2d_public, "hidden": conv2d_hidden},
    {"id": "conv3x3_forward", "run": conv3x3_forward_run, "rtol": 1e-5, "atol": 1e-6, "own": ["MyConv3x3.forward"],
     "public": conv3x3_forward_public, "hidden": conv3x3_forward_hidden},
]
