"""Grading spec of 05_batchnorm (format: see 01_conv_padding.py).

Chapter 10's ``BatchNorm`` normalizes channels-last input (the channels are the last axis) inside a class.
Here the student writes batch normalization for channels-first input ``(N, C, H, W)`` as functions
(training and inference mode, running statistics with a momentum argument), its backward pass, and
layer normalization (each sample over ``(C, H, W)``, per-channel gamma/beta) forward and backward,
where the book's formula no longer applies as it stands (gamma varies inside a normalized group).
The backward questions take ``x`` (not a cache from the student's forward), so each question is graded
on its own.
"""

import numpy as np

BOOK_KEEP = []
BOOK_REMOVE = []
HIDE_PACKAGES = ["scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]
FORBIDDEN_MODULES = ["cnnbook", "scipy", "tensorflow", "keras", "sklearn", "torch", "jax", "mlxtend"]

RTOL, ATOL = 1e-4, 1e-4      # float32 answers pass with a margin (largest float32 error seen: about 1.5e-5)


def _shape(rng, single, kind):
    """(N, C, H, W) with small random sizes, C >= 2 (per-channel gamma and beta matter) and at least 4 values per
    normalized group (``kind`` "bn": N*H*W, "ln": C*H*W; with fewer, float32 cancellation makes a tiny d_x
    inexact); ``single``: exactly 1 value per group (variance 0)."""
    while True:
        n, c, h, w = (int(v) for v in rng.integers(1, 6, size=4))
        if single and kind == "bn":
            n, h, w = 1, 1, 1
        elif single:
            c, h, w = 1, 1, 1
        if single and (kind == "ln" or c >= 2):
            return n, c, h, w
        if not single and c >= 2 and (n * h * w if kind == "bn" else c * h * w) >= 4:
            return n, c, h, w


def _case(rng, kind, extra=None, single=False):
    n, c, h, w = _shape(rng, single, kind)
    loc = rng.uniform(-3, 3, size=(1, c, 1, 1))
    scale = rng.uniform(0.5, 3, size=(1, c, 1, 1))
    case = {"x": loc + scale * rng.standard_normal((n, c, h, w)), "gamma": rng.standard_normal(c)}
    if extra == "grad":
        case["d_out"] = rng.standard_normal((n, c, h, w))
    else:
        case["beta"] = rng.standard_normal(c)
    if extra == "running":
        case.update(running_mean=rng.standard_normal(c), running_var=rng.uniform(0.3, 3, size=c),
                    momentum=float(rng.choice([0.0, 0.5, 0.9, 0.99])), training=bool(rng.integers(0, 2)))
    case["eps"] = float(rng.choice([1e-5, 1e-3]))
    return case


def _hidden(kind, extra):
    def hidden(rng):
        cases = [_case(rng, kind, extra) for _ in range(27)]
        cases += [_case(rng, kind, extra, single=True) for _ in range(3)]   # one value per group: variance 0
        return cases
    return hidden


def bn_forward_run(ns, case, out):
    out_, mean, var = ns["batchnorm_forward"](case["x"].copy(), case["gamma"].copy(), case["beta"].copy(),
                                              case["running_mean"].copy(), case["running_var"].copy(),
                                              momentum=case["momentum"], eps=case["eps"], training=case["training"])
    return {"out": out_, "running_mean": mean, "running_var": var}


def bn_backward_run(ns, case, out):
    d_x, d_gamma, d_beta = ns["batchnorm_backward"](case["d_out"].copy(), case["x"].copy(), case["gamma"].copy(),
                                                    eps=case["eps"])
    return {"d_x": d_x, "d_gamma": d_gamma, "d_beta": d_beta}


def ln_forward_run(ns, case, out):
    return {"out": ns["layernorm_forward"](case["x"].copy(), case["gamma"].copy(), case["beta"].copy(),
                                           eps=case["eps"])}


def ln_backward_run(ns, case, out):
    d_x, d_gamma, d_beta = ns["layernorm_backward"](case["d_out"].copy(), case["x"].copy(), case["gamma"].copy(),
                                                    eps=case["eps"])
    return {"d_x": d_x, "d_gamma": d_gamma, "d_beta": d_beta}


# The public tests' inputs (the notebook's public test cells use the same ones).
_ONE_CHANNEL = np.array([1.0, 3.0, 5.0, 7.0]).reshape(2, 1, 1, 2)      # mean 4, variance 5


def _public_rng(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=(4, 3, 5, 2))
    return rng, x


def bn_forward_public():
    rng, x = _public_rng(0)
    gamma, beta = np.array([1.0, 2.0, -0.5]), np.array([0.0, 1.0, 3.0])
    mean, var = np.array([0.5, -1.0, 2.0]), np.array([1.0, 4.0, 0.25])
    return [{"x": _ONE_CHANNEL, "gamma": np.ones(1), "beta": np.zeros(1), "running_mean": np.zeros(1),
             "running_var": np.ones(1), "momentum": 0.9, "eps": 1e-5, "training": True},
            {"x": x, "gamma": gamma, "beta": beta, "running_mean": mean, "running_var": var, "momentum": 0.9,
             "eps": 1e-5, "training": True},
            {"x": x, "gamma": gamma, "beta": beta, "running_mean": mean, "running_var": var, "momentum": 0.9,
             "eps": 1e-5, "training": False},
            {"x": np.array([2.0, -1.0, 5.0]).reshape(1, 3, 1, 1), "gamma": gamma, "beta": beta,
             "running_mean": mean, "running_var": var, "momentum": 0.5, "eps": 1e-3, "training": True}]


def bn_backward_public():
    rng, x = _public_rng(1)
    return [{"d_out": np.ones((2, 1, 1, 2)), "x": _ONE_CHANNEL, "gamma": np.ones(1), "eps": 1e-5},
            {"d_out": rng.standard_normal(x.shape), "x": x, "gamma": np.array([1.0, 2.0, -0.5]), "eps": 1e-5}]


def ln_forward_public():
    rng, x = _public_rng(2)
    return [{"x": _ONE_CHANNEL.reshape(1, 2, 1, 2), "gamma": np.ones(2), "beta": np.zeros(2), "eps": 1e-5},
            {"x": x, "gamma": np.array([1.0, 2.0, -0.5]), "beta": np.array([0.0, 1.0, 3.0]), "eps": 1e-5}]


def ln_backward_public():
    rng, x = _public_rng(3)
    return [{"d_out": rng.standard_normal(x.shape), "x": x, "gamma": np.array([1.0, 2.0, -0.5]), "eps": 1e-5}]


QUESTIONS = [
    {"id": "batchnorm_forward", "run": bn_forward_run, "rtol": RTOL, "atol": ATOL, "own": ["batchnorm_forward"],
     "public": bn_forward_public, "hidden": _hidden("bn", "running")},
    {"id": "batchnorm_backward", "run": bn_backward_run, "rtol": RTOL, "atol": ATOL, "own": ["batchnorm_backward"],
     "public": bn_backward_public, "hidden": _hidden("bn", "grad")},
    {"id": "layernorm_forward", "run": ln_forward_run, "rtol": RTOL, "atol": ATOL, "own": ["layernorm_forward"],
     "public": ln_forward_public, "hidden": _hidden("ln", None)},
    {"id": "layernorm_backward", "run": ln_backward_run, "rtol": RTOL, "atol": ATOL, "own": ["layernorm_backward"],
     "public": ln_backward_public, "hidden": _hidden("ln", "grad")},
]
