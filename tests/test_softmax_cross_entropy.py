"""Tests of cnnbook.numpy_cnn.softmax_cross_entropy (chapter 4): the stable, batched loss from logits."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from cnnbook.numpy_cnn import softmax_cross_entropy


def reference(logits, labels):
    """Mean of logsumexp(row) - row[label], with SciPy."""
    logits = np.asarray(logits, dtype=float)
    rows = np.arange(len(logits))
    return float(np.mean(logsumexp(logits, axis=1) - logits[rows, labels]))


def test_one_example_is_minus_log_softmax_of_the_label():
    z = np.array([[2.0, 1.0, 0.1, -1.0]])
    for c in range(4):
        assert softmax_cross_entropy(z, [c]) == pytest.approx(-np.log(softmax(z[0])[c]), rel=1e-12)


def test_random_batches_match_scipy():
    rng = np.random.default_rng(0)
    for n, k in [(1, 2), (5, 3), (64, 10), (7, 1)]:
        logits = 5 * rng.standard_normal((n, k))
        labels = rng.integers(0, k, size=n)
        result = softmax_cross_entropy(logits, labels)
        assert isinstance(result, float)
        assert result == pytest.approx(reference(logits, labels), rel=1e-12, abs=1e-15)


def test_the_batch_loss_is_the_mean_not_the_sum():
    z = np.array([[0.0, 3.0, -1.0], [2.0, 2.0, 0.5], [1.0, -4.0, 0.0]])
    labels = np.array([0, 1, 2])
    singles = [softmax_cross_entropy(z[i:i + 1], labels[i:i + 1]) for i in range(3)]
    assert softmax_cross_entropy(z, labels) == pytest.approx(np.mean(singles), rel=1e-12)
    # the same row twice gives the loss of one row
    assert softmax_cross_entropy(np.vstack([z[:1], z[:1]]), [0, 0]) == pytest.approx(singles[0], rel=1e-12)


def test_each_row_uses_its_own_label():
    z = np.array([[5.0, 0.0], [0.0, 5.0]])
    assert softmax_cross_entropy(z, [0, 1]) == pytest.approx(np.log1p(np.exp(-5.0)), rel=1e-12)
    assert softmax_cross_entropy(z, [1, 0]) == pytest.approx(5.0 + np.log1p(np.exp(-5.0)), rel=1e-12)


def test_large_logits_stay_finite_and_exact():
    z = np.array([[1000.0, 1001.0, 1002.0], [1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
    labels = [0, 0, 2]
    expected = np.mean([reference([[0.0, 1.0, 2.0]], [0]), np.log1p(np.exp(-1000.0) + np.exp(-2000.0)), 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow of exp(-2000) to 0 is fine
        result = softmax_cross_entropy(z, labels)
    assert np.isfinite(result)
    assert result == pytest.approx(expected, rel=1e-12)
    # a row's maximum is subtracted for EACH row: rows with very different scales in one batch
    assert softmax_cross_entropy([[1000.0, 0.0], [0.0, 1.0]], [1, 1]) == pytest.approx(
        (1000.0 + reference([[0.0, 1.0]], [1])) / 2, rel=1e-12)


def test_adding_a_constant_to_a_row_changes_nothing():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, size=6)
    shifts = rng.uniform(-500, 500, size=(6, 1))
    assert softmax_cross_entropy(z + shifts, labels) == pytest.approx(softmax_cross_entropy(z, labels), rel=1e-10)


def test_equal_scores_give_log_k_and_a_sure_answer_gives_zero():
    assert softmax_cross_entropy(np.zeros((3, 10)), [0, 4, 9]) == pytest.approx(np.log(10), rel=1e-12)
    assert softmax_cross_entropy([[0.0, 800.0]], [1]) == 0.0
    assert softmax_cross_entropy([[3.0]], [0]) == 0.0  # one class: always right


def test_lists_and_integer_logits_are_accepted():
    assert softmax_cross_entropy([[1, 2, 3]], [2]) == pytest.approx(reference([[1, 2, 3]], [2]), rel=1e-12)
    assert softmax_cross_entropy(np.array([[1, 2]], dtype=np.float32), np.array([0], dtype=np.int32)) == \
        pytest.approx(reference([[1, 2]], [0]), rel=1e-6)


def test_the_inputs_are_not_modified():
    z = np.array([[1.0, 2.0, 3.0]])
    labels = np.array([1])
    softmax_cross_entropy(z, labels)
    np.testing.assert_array_equal(z, [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(labels, [1])


@pytest.mark.parametrize("logits, labels, words", [
    (np.array([1.0, 2.0, 3.0]), [0], ["logits", "2 维"]),                 # one example without its batch axis
    (np.zeros((2, 3, 4)), [0, 0], ["logits", "2 维"]),
    (np.zeros((0, 10)), [], ["logits", "至少要有一行"]),
    (np.zeros((3, 0)), [0, 0, 0], ["logits", "至少要有一行"]),
    (np.array([[0.0, np.nan]]), [0], ["logits", "NaN"]),
    (np.array([[0.0, np.inf]]), [0], ["logits", "NaN 或无穷大"]),
    (np.array([["a", "b"]]), [0], ["logits", "数值"]),
    ([[1.0, 2.0], [3.0]], [0, 0], ["logits", "不一致"]),
    (np.zeros((2, 3)), [0], ["labels", "2 个"]),
    (np.zeros((2, 3)), [0, 0, 0], ["labels", "2 个"]),
    (np.zeros((1, 3)), [1.0], ["labels", "整数"]),
    (np.zeros((1, 3)), [True], ["labels", "整数"]),
    (np.zeros((1, 3)), [3], ["labels", "0 到 2"]),
    (np.zeros((1, 3)), [-1], ["labels", "0 到 2"]),
    (np.zeros((1, 3)), [[0]], ["labels", "一维"]),
])
def test_bad_input_gets_a_plain_chinese_error_naming_the_argument(logits, labels, words):
    with pytest.raises(ValueError) as info:
        softmax_cross_entropy(logits, labels)
    message = str(info.value)
    assert message.startswith("softmax_cross_entropy:")
    for word in words:
        assert word in message, message
