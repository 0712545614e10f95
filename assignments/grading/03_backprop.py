"""Grading spec of 03_backprop (format: see 01_conv_padding.py).

Question 1 is the backprop of a multi-channel, strided convolution; question 2 a numerical Jacobian of an
array-valued function (array argument, any shapes, integer or float32 inputs, a given eps); question 3 the
backprop of a zero-padded convolution, which must call the student's question-1 function.  Chapter 5's
``numerical_gradient`` (a loss with no argument, one number) and chapter 4's ``column_stack`` of a 1-D
Jacobian solve the public examples of question 2 that have one number or 1-D arrays, no hidden case.
"""

import numpy as np

BOOK_KEEP = []
BOOK_REMOVE = []
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]
FORBIDDEN_MODULES = ["cnnbook", "scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]


def _conv_forward(x, kernels, stride):
    """The setup cell's conv_forward (the student's copy of it may have been changed)."""
    kh, kw, c_in, c_out = kernels.shape
    h_out, w_out = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((h_out, w_out, c_out))
    for i in range(h_out):
        for j in range(w_out):
            out[i, j] = np.tensordot(x[i * stride:i * stride + kh, j * stride:j * stride + kw, :], kernels, axes=3)
    return out


# --- question 1: conv2d_backprop --------------------------------------------------------------------

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


# --- question 2: numerical_jacobian ------------------------------------------------------------------

def _jacobian_fn(case):
    """The function whose Jacobian is asked for (built here, so that the student sees only a callable)."""
    kind = case["kind"]
    if kind == "softmax":
        return lambda x: np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)))
    if kind == "sum_cubes":                       # one number: the Jacobian is the gradient, shaped like x
        return lambda x: float(np.sum(x ** 3))
    if kind == "matmul":                          # (m, h) @ (h, w): J[k, l, i, j] = A[k, i] if l == j
        return lambda x: case["A"] @ x
    if kind == "linear":                          # J = A exactly
        return lambda x: np.tensordot(case["A"], x, axes=np.ndim(x))
    if kind == "smooth":                          # curved: a one-sided difference is off by about eps
        def smooth(x):
            t = np.tensordot(case["A"], x, axes=np.ndim(x)) / np.sqrt(np.size(x))
            return np.sin(2 * t) + 0.5 * t ** 3
        return smooth
    if kind == "cubes":                           # element by element: J is "diagonal"
        return lambda x: case["A"] * x ** 3 + np.cos(x)
    if kind == "conv":                            # the convolution of question 1, as a function of its input
        return lambda x: _conv_forward(x, case["kernels"], case["stride"])
    if kind == "conv_tanh":                       # a convolution layer with an activation
        return lambda x: np.tanh(_conv_forward(x, case["kernels"], case["stride"]))
    raise ValueError(kind)


def numerical_jacobian_run(ns, case, out):
    x = case["x"].copy()
    args = (_jacobian_fn(case), x) + ((case["eps"],) if "eps" in case else ())
    return {"jacobian": ns["numerical_jacobian"](*args), "x_after": x}


def numerical_jacobian_public():
    return [{"kind": "softmax", "x": np.array([1.0, 2.0, 3.0])},
            {"kind": "sum_cubes", "x": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])},
            {"kind": "matmul", "A": np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]]), "x": np.arange(6).reshape(2, 3)}]


def numerical_jacobian_hidden(rng):
    """Array-valued functions of 1-3-D arrays; never a 1-D function of a 1-D array (chapter 4 has that one).
    About a third of the inputs are integers and a third float32 (the task text says to work on a float64
    copy); eps is 1e-3, 1e-4 or the default (a one-sided difference fails the curved functions at the
    first two)."""
    def shape(low, high, dims):
        return tuple(int(n) for n in rng.integers(low, high, size=dims))

    cases = []
    for index in range(18):
        kind = ["smooth", "cubes", "conv_tanh", "linear", "smooth", "conv"][index % 6]
        if kind in ("conv", "conv_tanh"):
            kh, kw, s = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
            x_shape = (int(rng.integers(kh, 7)), int(rng.integers(kw, 7)), int(rng.integers(1, 3)))
            case = {"kernels": rng.standard_normal((kh, kw, x_shape[2], int(rng.integers(1, 3)))) / np.sqrt(kh * kw),
                    "stride": s}
        elif kind == "cubes":
            x_shape = shape(2, 5, int(rng.integers(2, 4)))
            case = {"A": rng.standard_normal(x_shape)}
        else:
            x_dims = int(rng.integers(1, 4))
            out_dims = int(rng.integers(2 if x_dims == 1 else 1, 3))
            x_shape = shape(2, 5, x_dims)
            case = {"A": rng.standard_normal(shape(2, 4, out_dims) + x_shape)}
        dtype = str(rng.choice(["float64", "int", "float32"]))
        if dtype == "int":
            x = rng.integers(-3, 4, size=x_shape)
        else:
            x = rng.standard_normal(x_shape).astype(dtype)
        case.update({"kind": kind, "x": x})
        eps = [1e-3, 1e-4, None][int(rng.integers(0, 3))]
        if eps is not None:
            case["eps"] = eps
        cases.append(case)
    return cases


# --- question 3: conv2d_backprop_padded --------------------------------------------------------------

def conv2d_backprop_padded_run(ns, case, out):
    padding = case["padding"]
    if not isinstance(padding, int):
        padding = tuple(tuple(int(p) for p in pair) for pair in padding)
    d_x, d_kernels = ns["conv2d_backprop_padded"](case["x"].copy(), case["kernels"].copy(), case["d_out"].copy(),
                                                  stride=case["stride"], padding=padding)
    return {"d_x": d_x, "d_kernels": d_kernels}


def _padded_case(x, kernels, stride, padding, rng):
    (top, bottom), (left, right) = ((padding, padding),) * 2 if isinstance(padding, int) else padding
    h_out = (x.shape[0] + top + bottom - kernels.shape[0]) // stride + 1
    w_out = (x.shape[1] + left + right - kernels.shape[1]) // stride + 1
    return {"x": x, "kernels": kernels, "stride": stride, "padding": padding,
            "d_out": rng.standard_normal((h_out, w_out, kernels.shape[3]))}


def conv2d_backprop_padded_public():
    image = np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]], dtype=float)[:, :, None]
    sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])[:, :, None, None]
    rng = np.random.default_rng(2)
    x, kernels = rng.standard_normal((5, 6, 2)), rng.standard_normal((3, 2, 2, 3))
    first = {"x": image, "kernels": sobel, "stride": 1, "padding": 1, "d_out": np.ones((4, 4, 1))}
    return [first, _padded_case(x, kernels, 2, ((0, 1), (2, 0)), rng)]


def conv2d_backprop_padded_hidden(rng):
    cases = []
    for index in range(20):
        kh, kw, s = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        if index % 2:
            padding = int(rng.integers(1, 3))
        else:
            padding = tuple(tuple(int(p) for p in rng.integers(0, 3, size=2)) for _ in range(2))
            if sum(map(sum, padding)) == 0:
                padding = ((0, 1), (1, 0))
        x = rng.standard_normal((int(rng.integers(max(kh - 2, 1), 10)), int(rng.integers(max(kw - 2, 1), 10)), c_in))
        padded = np.array(x.shape[:2]) + (2 * padding if isinstance(padding, int) else np.array(padding).sum(axis=1))
        if padded[0] < kh or padded[1] < kw:
            x = rng.standard_normal((kh, kw, c_in))
        cases.append(_padded_case(x, rng.standard_normal((kh, kw, c_in, c_out)), s, padding, rng))
    return cases


QUESTIONS = [
    {"id": "conv2d_backprop", "run": conv2d_backprop_run, "rtol": 1e-5, "atol": 1e-6, "own": ["conv2d_backprop"],
     "public": conv2d_backprop_public, "hidden": lambda rng: [_conv_case(rng) for _ in range(30)]},
    {"id": "numerical_jacobian", "run": numerical_jacobian_run, "rtol": 1e-5, "atol": 1e-6,
     "own": ["numerical_jacobian"], "public": numerical_jacobian_public, "hidden": numerical_jacobian_hidden},
    {"id": "conv2d_backprop_padded", "run": conv2d_backprop_padded_run, "rtol": 1e-5, "atol": 1e-6,
     "own": ["conv2d_backprop_padded"], "calls": ["conv2d_backprop"],
     "public": conv2d_backprop_padded_public, "hidden": conv2d_backprop_padded_hidden},
]
