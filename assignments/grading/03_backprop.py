"""Grading spec of 03_backprop (format: see 01_conv_padding.py)."""

import numpy as np

BOOK_KEEP = []
BOOK_REMOVE = []
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]
FORBIDDEN_MODULES = ["cnnbook", "scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]


def conv2d_backprop_run(ns, case, out):
    d_x, d_kernels = ns["conv2d_backprop"](case["x"].copy(), case["kernels"].copy(), case["d_out"].copy(),
                                           stride=case["stride"])
    return {"d_x": d_x, "d_kernels": d_kernels}


def _conv_case(rng):
    kh, kw, s = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
    c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = int(rng.integers(kh, 12)), int(rng.integers(kw, 12))
    h_out, w_out = (h - kh) // s + 1, (w - kw) // s + 1
    return {"x": rng.standard_normal((h, w, c_in)), "kernels": rng.standard_normal((kh, kw, c_in, c_out)),
            "d_out": rng.standard_normal((h_out, w_out, c_out)), "stride": s}


def conv2d_backprop_public():
    image = np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]], dtype=float)[:, :, None]
    sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])[:, :, None, None]
    rng = np.random.default_rng(0)
    x, kernels = rng.standard_normal((8, 8, 3)), rng.standard_normal((3, 2, 3, 4))
    return [{"x": image, "kernels": sobel, "d_out": np.array([[1.0, 0.0], [0.0, -1.0]])[:, :, None], "stride": 1},
            {"x": x, "kernels": kernels, "d_out": rng.standard_normal((3, 4, 4)), "stride": 2}]


def numerical_gradient_run(ns, case, out):
    v, a = case["v"].copy(), case["a"]
    grad = ns["numerical_gradient"](lambda: float(np.sum(a * v ** 3)), v)
    return {"grad": grad, "v_after": v}


def numerical_gradient_hidden(rng):
    cases = []
    for _ in range(12):
        shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        cases.append({"v": rng.standard_normal(shape), "a": rng.standard_normal(shape)})
    return cases


def relative_error_run(ns, case, out):
    return {"value": float(ns["relative_error"](case["a"].copy(), case["b"].copy()))}


def relative_error_hidden(rng):
    cases = []
    for index in range(30):
        shape = tuple(int(n) for n in rng.integers(2, 5, size=int(rng.integers(1, 4))))   # 1 element: always 0 or 1
        a = rng.standard_normal(shape)
        cases.append({"a": a, "b": 2 * a if index % 5 == 0 else rng.standard_normal(shape)})
    return cases


QUESTIONS = [
    {"id": "conv2d_backprop", "run": conv2d_backprop_run, "rtol": 1e-5, "atol": 1e-6, "own": ["conv2d_backprop"],
     "public": conv2d_backprop_public, "hidden": lambda rng: [_conv_case(rng) for _ in range(30)]},
    {"id": "numerical_gradient", "run": numerical_gradient_run, "rtol": 1e-5, "atol": 1e-6, "own": ["numerical_gradient"],
     "public": lambda: [{"v": np.array([1.0, -2.0, 0.5]), "a": np.ones(3)}], "hidden": numerical_gradient_hidden},
    {"id": "relative_error", "run": relative_error_run, "rtol": 1e-9, "atol": 1e-12, "own": ["relative_error"],
     "public": lambda: [{"a": np.array([1.0, 2.0]), "b": np.array([1.0, 2.0])},
                        {"a": np.array([3.0, 4.0]), "b": np.array([-3.0, -4.0])}],
     "hidden": relative_error_hidden},
]
