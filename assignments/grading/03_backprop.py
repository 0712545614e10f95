"""Grading spec of 03_backprop (format: see 01_conv_padding.py)."""

import numpy as np

BOOK_KEEP = ["Conv3x3", "MaxPool2", "Softmax", "cross_entropy", "cached_input", "check_backprop_args"]
BOOK_REMOVE = ["Conv3x3.backprop", "Softmax.backprop", "MaxPool2.backprop"]
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]


def softmax_backprop_run(ns, case, out):
    weights, biases = case["weights"], case["biases"]
    layer = ns["MySoftmax"](weights.shape[0], weights.shape[1])
    layer.weights, layer.biases = weights.copy(), biases.copy()
    layer.forward(case["x"].copy())
    d_input = layer.backprop(case["d_out"].copy(), case["learn_rate"])
    return {"d_input": d_input, "grad_weights": layer.last_grads["weights"], "grad_biases": layer.last_grads["biases"],
            "weights": layer.weights, "biases": layer.biases}


def softmax_backprop_public():
    return [{"x": np.array([1.0, 2.0, 3.0]), "weights": np.array([[0.5, -0.5], [0.25, 0.0], [-1.0, 1.0]]),
             "biases": np.array([0.1, -0.1]), "d_out": np.array([-1 / p, 0.0]), "learn_rate": lr}
            for p, lr in ((0.0133869223, 0.0), (0.0133869223, 0.1))]


def softmax_backprop_hidden(rng):
    cases = []
    for shape in [(5,), (2, 4), (3, 3, 2), (4, 2, 3), (7,), (6,), (2, 2, 2)]:
        nodes = int(rng.integers(2, 7))
        cases.append({"x": rng.standard_normal(shape), "weights": rng.standard_normal((int(np.prod(shape)), nodes)) / 3,
                      "biases": rng.standard_normal(nodes), "d_out": rng.standard_normal(nodes),
                      "learn_rate": float(rng.uniform(0, 0.5))})
    return cases


def conv3x3_backprop_run(ns, case, out):
    layer = ns["MyConv3x3"](len(case["filters"]))
    layer.filters = case["filters"].copy()
    layer.forward(case["image"].copy())
    d_input = layer.backprop(case["d_out"].copy(), case["learn_rate"])
    return {"d_input": d_input, "grad_filters": layer.last_grads["filters"], "filters": layer.filters}


def conv3x3_backprop_public():
    image = np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]], dtype=float)
    sobel = np.array([[[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]])
    d_out = np.array([[1.0, 0.0], [0.0, -1.0]])[:, :, np.newaxis]
    return [{"image": image, "filters": sobel, "d_out": d_out, "learn_rate": lr} for lr in (0.0, 0.01)]


def conv3x3_backprop_hidden(rng):
    cases = []
    for _ in range(8):
        h, w, f = int(rng.integers(3, 11)), int(rng.integers(3, 11)), int(rng.integers(1, 5))
        cases.append({"image": rng.standard_normal((h, w)), "filters": rng.standard_normal((f, 3, 3)) / 9,
                      "d_out": rng.standard_normal((h - 2, w - 2, f)), "learn_rate": float(rng.uniform(0, 0.5))})
    return cases


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


class _Scale:
    """A layer of the grader (not the book's): out = input * scale, elementwise, learnable scale."""

    def __init__(self, scale):
        self.scale = scale

    def forward(self, input):
        self.last_input = input
        return input * self.scale

    def backprop(self, d_L_d_out, learn_rate):
        d_input = d_L_d_out * self.scale
        self.scale = self.scale - learn_rate * d_L_d_out * self.last_input
        return d_input


class _Dense:
    """Flatten, affine, softmax (the grader's own code)."""

    def __init__(self, weights, biases):
        self.weights, self.biases = weights, biases

    def forward(self, input):
        self.shape, self.x = input.shape, input.ravel()
        t = self.x @ self.weights + self.biases
        exp = np.exp(t - t.max())
        self.p = exp / exp.sum()
        return self.p

    def backprop(self, d_L_d_out, learn_rate):
        d_t = self.p * (d_L_d_out - d_L_d_out @ self.p)
        d_x = self.weights @ d_t
        self.weights = self.weights - learn_rate * np.outer(self.x, d_t)
        self.biases = self.biases - learn_rate * d_t
        return d_x.reshape(self.shape)


def train_step_run(ns, case, out):
    layers = [_Scale(case["scale"].copy()), _Dense(case["weights"].copy(), case["biases"].copy())]
    losses, correct = [], []
    for image, label in zip(case["images"], case["labels"]):
        loss, right = ns["train_step"](layers, image.copy(), int(label), case["learn_rate"])
        losses.append(float(loss))
        correct.append(int(right))
    return {"losses": losses, "correct": correct, "scale": layers[0].scale, "weights": layers[1].weights,
            "biases": layers[1].biases}


def _train_case(rng, steps, size, classes):
    return {"images": rng.random((steps, size, size)) - 0.5, "labels": rng.integers(0, classes, size=steps),
            "scale": 1 + rng.standard_normal((size, size)) / 10,
            "weights": rng.standard_normal((size * size, classes)) / size, "biases": np.zeros(classes),
            "learn_rate": float(rng.uniform(0.01, 0.2))}


QUESTIONS = [
    {"id": "softmax_backprop", "run": softmax_backprop_run, "rtol": 1e-6, "atol": 1e-9, "own": ["MySoftmax.backprop"],
     "public": softmax_backprop_public, "hidden": softmax_backprop_hidden},
    {"id": "conv3x3_backprop", "run": conv3x3_backprop_run, "rtol": 1e-6, "atol": 1e-9, "own": ["MyConv3x3.backprop"],
     "public": conv3x3_backprop_public, "hidden": conv3x3_backprop_hidden},
    {"id": "numerical_gradient", "run": numerical_gradient_run, "rtol": 1e-5, "atol": 1e-6, "own": ["numerical_gradient"],
     "public": lambda: [{"v": np.array([1.0, -2.0, 0.5]), "a": np.ones(3)}], "hidden": numerical_gradient_hidden},
    {"id": "relative_error", "run": relative_error_run, "rtol": 1e-9, "atol": 1e-12, "own": ["relative_error"],
     "public": lambda: [{"a": np.array([1.0, 2.0]), "b": np.array([1.0, 2.0])},
                        {"a": np.array([3.0, 4.0]), "b": np.array([-3.0, -4.0])}],
     "hidden": relative_error_hidden},
    {"id": "train_step", "run": train_step_run, "rtol": 1e-6, "atol": 1e-9, "own": ["train_step"],
     "public": lambda: [_train_case(np.random.default_rng(0), 11, 6, 4)],
     "hidden": lambda rng: [_train_case(rng, 8, int(rng.integers(3, 7)), int(rng.integers(2, 6))) for _ in range(5)]},
]


def batch_run(ns, case, out):
    loss, grad = ns["softmax_cross_entropy_batch"](case["scores"].copy(), case["labels"].copy())
    return {"loss": float(loss), "grad": grad}


def batch_hidden(rng):
    cases = []
    for _ in range(40):
        n, c = int(rng.integers(1, 9)), int(rng.integers(2, 12))
        scale = float(rng.choice([1.0, 30.0, 800.0]))
        cases.append({"scores": rng.standard_normal((n, c)) * scale, "labels": rng.integers(0, c, size=n)})
    return cases


QUESTIONS += [
    {"id": "softmax_cross_entropy_batch", "run": batch_run, "rtol": 1e-6, "atol": 1e-9,
     "own": ["softmax_cross_entropy_batch"],
     "public": lambda: [{"scores": np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]]), "labels": np.array([2, 1])}],
     "hidden": batch_hidden},
]


def im2col_run(ns, case, out):
    return {"value": ns["im2col"](case["x"].copy(), case["kh"], case["kw"], stride=case["stride"])}


def _window_case(rng):
    kh, kw, s, c = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {"x": rng.standard_normal((int(rng.integers(kh, 12)), int(rng.integers(kw, 12)), c)),
            "kh": kh, "kw": kw, "stride": s}


def conv2d_im2col_run(ns, case, out):
    return {"value": ns["conv2d_im2col"](case["x"].copy(), case["kernels"].copy(), stride=case["stride"])}


def conv2d_im2col_hidden(rng):
    cases = []
    for _ in range(30):
        case = _window_case(rng)
        case["kernels"] = rng.standard_normal((case.pop("kh"), case.pop("kw"), case["x"].shape[2], int(rng.integers(1, 4))))
        cases.append(case)
    return cases


QUESTIONS += [
    {"id": "im2col", "run": im2col_run, "rtol": 1e-5, "atol": 1e-6, "own": ["im2col"],
     "public": lambda: [{"x": np.arange(18.0).reshape(3, 3, 2), "kh": 2, "kw": 2, "stride": 1},
                        {"x": np.zeros((7, 9, 3)), "kh": 3, "kw": 3, "stride": 2}],
     "hidden": lambda rng: [_window_case(rng) for _ in range(30)]},
    {"id": "conv2d_im2col", "run": conv2d_im2col_run, "rtol": 1e-5, "atol": 1e-6, "own": ["conv2d_im2col"],
     "public": lambda: [
         {"x": np.array([[0, 50, 0, 29], [0, 80, 31, 2], [33, 90, 0, 75], [0, 9, 0, 95]], dtype=float)[:, :, None],
          "kernels": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)[:, :, None, None], "stride": 1},
         {"x": np.ones((5, 5, 3)), "kernels": np.ones((3, 3, 3, 4)), "stride": 1},
         {"x": np.zeros((9, 9, 2)), "kernels": np.zeros((3, 3, 2, 5)), "stride": 2}],
     "hidden": conv2d_im2col_hidden},
]
