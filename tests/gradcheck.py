"""Finite-difference helpers shared by the gradient-check tests (written here, independently of cnnbook)."""

import numpy as np


def numerical_gradient(loss_fn, array, eps=1e-6):
    """Central differences of the scalar ``loss_fn()`` with respect to every entry of ``array`` (changed in place and restored)."""
    grad = np.zeros(array.shape)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        plus = loss_fn()
        array[index] = saved - eps
        minus = loss_fn()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
