"""Grading spec of 02_pool_softmax (format: see 01_conv_padding.py)."""

import numpy as np

BOOK_KEEP = []
BOOK_REMOVE = []
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]
FORBIDDEN_MODULES = ["cnnbook", "scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]

_X = np.array([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 6, 7], [9, 1, 3, 4]], dtype=float)[:, :, np.newaxis]


def split_run(ns, case, out):
    return {"value": ns["maxpool2_backprop_split"](case["x"].copy(), case["d_out"].copy())}


def split_hidden(rng):
    cases = []
    for _ in range(30):
        h, w, c = int(rng.integers(2, 13)), int(rng.integers(2, 13)), int(rng.integers(1, 5))
        x = rng.integers(0, 3, size=(h, w, c)).astype(float)        # few values: many equal maxima
        cases.append({"x": x, "d_out": rng.standard_normal((h // 2, w // 2, c))})
    return cases


def log_softmax_run(ns, case, out):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        return {"value": ns["log_softmax"](case["logits"].copy())}


def _logits(rng):
    n, c = int(rng.integers(1, 9)), int(rng.integers(2, 12))
    return rng.standard_normal((n, c)) * float(rng.choice([1.0, 30.0, 800.0]))


def sce_run(ns, case, out):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grad = ns["softmax_cross_entropy"](case["logits"].copy(), case["labels"].copy(),
                                                 smoothing=case["smoothing"])
    return {"loss": float(loss), "grad": grad}


def sce_hidden(rng):
    cases = []
    for _ in range(40):
        logits = _logits(rng)
        cases.append({"logits": logits, "labels": rng.integers(0, logits.shape[1], size=logits.shape[0]),
                      "smoothing": float(rng.choice([0.05, 0.1, 0.2, 0.3]))})      # always label smoothing
    return cases


def pool2d_run(ns, case, out):
    return {"value": ns["pool2d"](case["x"].copy(), case["k"], case["s"], mode=case["mode"])}


def _pool_case(rng):
    k, s, c = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = int(rng.integers(k, 13)), int(rng.integers(k, 13))
    mode = str(rng.choice(["max", "avg"]))
    x = rng.integers(0, 4, size=(h, w, c)).astype(float) if mode == "max" else rng.standard_normal((h, w, c))
    return {"x": x, "k": k, "s": s, "mode": mode}


def pool2d_backprop_run(ns, case, out):
    return {"value": ns["pool2d_backprop"](case["x"].copy(), case["d_out"].copy(), case["k"], case["s"], mode=case["mode"])}


def pool2d_backprop_hidden(rng):
    cases = []
    for _ in range(40):
        case = _pool_case(rng)
        h, w, c = case["x"].shape
        case["d_out"] = rng.standard_normal(((h - case["k"]) // case["s"] + 1, (w - case["k"]) // case["s"] + 1, c))
        cases.append(case)
    return cases


QUESTIONS = [
    {"id": "maxpool2_backprop_split", "run": split_run, "rtol": 1e-6, "atol": 1e-7, "own": ["maxpool2_backprop_split"],
     "public": lambda: [{"x": _X, "d_out": np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, np.newaxis]},
                        {"x": np.array([[7.0, 7.0], [0.0, 7.0]])[:, :, np.newaxis], "d_out": np.array([[[6.0]]])},
                        {"x": np.zeros((5, 7, 2)), "d_out": np.ones((2, 3, 2))}],
     "hidden": split_hidden},
    {"id": "log_softmax", "run": log_softmax_run, "rtol": 1e-6, "atol": 1e-9, "own": ["log_softmax"],
     "public": lambda: [{"logits": np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0]])},
                        {"logits": np.array([[0.0, -1000.0]])}],
     "hidden": lambda rng: [{"logits": _logits(rng)} for _ in range(40)]},
    {"id": "softmax_cross_entropy", "run": sce_run, "rtol": 1e-6, "atol": 1e-9, "own": ["softmax_cross_entropy"],
     "public": lambda: [{"logits": np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]]), "labels": np.array([2, 1]),
                         "smoothing": 0.0},
                        {"logits": np.zeros((4, 10)), "labels": np.array([0, 3, 3, 9]), "smoothing": 0.0},
                        {"logits": np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]), "labels": np.array([2, 0]),
                         "smoothing": 0.1}],
     "hidden": sce_hidden},
    {"id": "pool2d", "run": pool2d_run, "rtol": 1e-6, "atol": 1e-9, "own": ["pool2d"],
     "public": lambda: [{"x": _X, "k": 2, "s": 2, "mode": "max"}, {"x": _X, "k": 3, "s": 1, "mode": "max"},
                        {"x": _X, "k": 2, "s": 2, "mode": "avg"}, {"x": np.zeros((7, 9, 3)), "k": 3, "s": 2, "mode": "max"}],
     "hidden": lambda rng: [_pool_case(rng) for _ in range(40)]},
    {"id": "pool2d_backprop", "run": pool2d_backprop_run, "rtol": 1e-6, "atol": 1e-9, "own": ["pool2d_backprop"],
     "public": lambda: [{"x": _X, "d_out": np.ones((3, 3, 1)), "k": 2, "s": 1, "mode": "max"},
                        {"x": _X, "d_out": np.ones((2, 2, 1)), "k": 2, "s": 2, "mode": "avg"},
                        {"x": _X, "d_out": np.ones((2, 2, 1)), "k": 3, "s": 1, "mode": "avg"}],
     "hidden": pool2d_backprop_hidden},
]
