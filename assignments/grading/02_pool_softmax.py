"""Grading spec of 02_pool_softmax (format: see 01_conv_padding.py)."""

import numpy as np

BOOK_KEEP = ["MaxPool2", "cached_input", "check_backprop_args"]
BOOK_REMOVE = ["MaxPool2.forward", "MaxPool2.backprop"]
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]

_X = np.array([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 6, 7], [9, 1, 3, 4]], dtype=float)[:, :, np.newaxis]


def maxpool_forward_run(ns, case, out):
    pool = ns["MyMaxPool2"]()
    output = pool.forward(case["x"])
    return {"out": output, "last_input": pool.last_input}


def maxpool_forward_hidden(rng):
    return [{"x": rng.standard_normal((int(rng.integers(2, 15)), int(rng.integers(2, 15)), int(rng.integers(1, 5))))}
            for _ in range(30)]


def maxpool_backprop_run(ns, case, out):
    pool = ns["MyMaxPool2"]()
    pool.last_input = case["x"].copy()
    return {"value": pool.backprop(case["d_out"].copy())}


def maxpool_backprop_public():
    return [{"x": _X, "d_out": np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, np.newaxis]},
            {"x": np.array([[7.0, 7.0], [0.0, 7.0]])[:, :, np.newaxis], "d_out": np.array([[[5.0]]])}]


def maxpool_backprop_hidden(rng):
    cases = []
    for _ in range(30):
        h, w, c = int(rng.integers(2, 13)), int(rng.integers(2, 13)), int(rng.integers(1, 5))
        x = rng.integers(0, 4, size=(h, w, c)).astype(float)        # few values: many equal maxima
        cases.append({"x": x, "d_out": rng.standard_normal((h // 2, w // 2, c))})
    return cases


def softmax_run(ns, case, out):
    with np.errstate(over="raise", invalid="raise"):
        return {"value": ns["softmax"](case["scores"].copy())}


def softmax_hidden(rng):
    return [{"scores": rng.standard_normal(int(rng.integers(2, 12))) * float(rng.choice([1.0, 30.0, 800.0]))}
            for _ in range(100)]


def cross_entropy_run(ns, case, out):
    loss, grad = ns["cross_entropy"](case["probs"].copy(), case["label"])
    return {"loss": float(loss), "grad": grad}


def cross_entropy_hidden(rng):
    cases = []
    for _ in range(100):
        probs = rng.dirichlet(np.ones(int(rng.integers(2, 12))))
        cases.append({"probs": probs, "label": int(rng.integers(len(probs)))})
    return cases


def gradient_run(ns, case, out):
    return {"value": ns["softmax_cross_entropy_gradient"](case["scores"].copy(), case["label"])}


def gradient_hidden(rng):
    cases = []
    for _ in range(60):
        scores = rng.standard_normal(int(rng.integers(2, 12))) * 3
        cases.append({"scores": scores, "label": int(rng.integers(len(scores)))})
    return cases


QUESTIONS = [
    {"id": "maxpool_forward", "run": maxpool_forward_run, "exact": True, "own": ["MyMaxPool2.forward"],
     "public": lambda: [{"x": _X}, {"x": np.zeros((26, 26, 8))}, {"x": np.zeros((5, 7, 2))}],
     "hidden": maxpool_forward_hidden},
    {"id": "maxpool_backprop", "run": maxpool_backprop_run, "exact": True, "own": ["MyMaxPool2.backprop"],
     "public": maxpool_backprop_public, "hidden": maxpool_backprop_hidden},
    {"id": "softmax", "run": softmax_run, "rtol": 1e-6, "atol": 1e-12, "own": ["softmax"],
     "public": lambda: [{"scores": np.array([1.0, 2.0, 3.0])}, {"scores": np.array([1000.0, 1001.0, 1002.0])}],
     "hidden": softmax_hidden},
    {"id": "cross_entropy", "run": cross_entropy_run, "rtol": 1e-6, "atol": 1e-12, "own": ["cross_entropy"],
     "public": lambda: [{"probs": np.array([0.1, 0.2, 0.7]), "label": 2}, {"probs": np.full(10, 0.1), "label": 3}],
     "hidden": cross_entropy_hidden},
    {"id": "softmax_cross_entropy_gradient", "run": gradient_run, "rtol": 1e-6, "atol": 1e-9,
     "own": ["softmax_cross_entropy_gradient"],
     "public": lambda: [{"scores": np.array([1.0, 2.0, 3.0]), "label": 0}], "hidden": gradient_hidden},
]


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


QUESTIONS += [
    {"id": "pool2d", "run": pool2d_run, "rtol": 1e-9, "atol": 1e-12, "own": ["pool2d"],
     "public": lambda: [{"x": _X, "k": 2, "s": 2, "mode": "max"}, {"x": _X, "k": 3, "s": 1, "mode": "max"},
                        {"x": _X, "k": 2, "s": 2, "mode": "avg"}, {"x": np.zeros((7, 9, 3)), "k": 3, "s": 2, "mode": "max"}],
     "hidden": lambda rng: [_pool_case(rng) for _ in range(40)]},
    {"id": "pool2d_backprop", "run": pool2d_backprop_run, "rtol": 1e-9, "atol": 1e-12, "own": ["pool2d_backprop"],
     "public": lambda: [{"x": _X, "d_out": np.ones((3, 3, 1)), "k": 2, "s": 1, "mode": "max"},
                        {"x": _X, "d_out": np.ones((2, 2, 1)), "k": 2, "s": 2, "mode": "avg"},
                        {"x": _X, "d_out": np.ones((2, 2, 1)), "k": 3, "s": 1, "mode": "avg"}],
     "hidden": pool2d_backprop_hidden},
]
