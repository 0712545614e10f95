"""Results of cnnbook.numpy_cnn on inputs whose answers are known in advance.

Accuracy and loss of ``evaluate`` / ``evaluate_batch`` / ``train_step`` / ``train_step_batch`` on a
net whose predictions are set by hand, numerically hard softmax inputs, and layer outputs compared
with independent references (scipy, plain loops written here).  Each test here was written to
catch a real single-point bug that the other tests missed (scripts/mutation_test.py).
"""

import numpy as np
import pytest
from scipy.special import log_softmax
from scipy.special import softmax as scipy_softmax

from cnnbook.numpy_cnn import (
    Conv3x3,
    Conv3x3Batch,
    Conv3x3Fast,
    MaxPool2,
    MaxPool2Batch,
    MaxPool2Fast,
    Softmax,
    SoftmaxBatch,
    cross_entropy,
    cross_entropy_batch,
    evaluate,
    evaluate_batch,
    train_step,
    train_step_batch,
)

# --- a "net" whose predictions are known ----------------------------------------------------------
# Images are 2x2; image k is dark except one pixel of brightness BRIGHT[k] at position PIXEL[k].
# The only layer is a softmax layer whose weight from pixel p to class p is 10, so the scores of
# image k are 10 * BRIGHT[k] for class PIXEL[k] and 0 for the three others: it predicts PIXEL[k].
PIXEL = np.array([0, 1, 2, 3, 0])
BRIGHT = np.array([1.0, 0.5, 0.8, 0.3, 0.6])
LABELS = np.array([0, 1, 3, 2, 0])          # right for images 0, 1 and 4: accuracy 3 / 5
RIGHT = PIXEL == LABELS


def known_images():
    images = np.zeros((5, 2, 2))
    images.reshape(5, 4)[np.arange(5), PIXEL] = BRIGHT
    return images


def known_net(softmax_cls):
    layer = softmax_cls(4, 4, rng=0)
    layer.weights[:] = 10 * np.eye(4)
    layer.biases[:] = 0
    return [layer]


def reference_losses():
    scores = np.zeros((5, 4))
    scores[np.arange(5), PIXEL] = 10 * BRIGHT
    return -log_softmax(scores, axis=1)[np.arange(5), LABELS]


def test_the_known_net_predicts_what_it_should():
    probs = known_net(SoftmaxBatch)[0].forward(known_images())
    np.testing.assert_array_equal(np.argmax(probs, axis=1), PIXEL)
    assert RIGHT.tolist() == [True, True, False, False, True]


def test_evaluate_accuracy_and_loss_of_known_predictions():
    loss, accuracy = evaluate(known_net(Softmax), known_images(), LABELS)
    assert accuracy == pytest.approx(0.6, abs=1e-15)
    assert loss == pytest.approx(reference_losses().mean(), rel=1e-12)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 4, 5, 250])
def test_evaluate_batch_accuracy_and_loss_of_known_predictions(batch_size):
    # batch_size 2 and 4 leave a last batch of ONE image, which is one of the right ones
    loss, accuracy = evaluate_batch(known_net(SoftmaxBatch), known_images(), LABELS, batch_size=batch_size)
    assert accuracy == pytest.approx(0.6, abs=1e-15)
    assert loss == pytest.approx(reference_losses().mean(), rel=1e-12)


def test_evaluate_batch_default_batch_size_covers_every_image():
    images = np.tile(known_images(), (60, 1, 1))             # 300 images: more than one default batch
    labels = np.tile(LABELS, 60)
    loss, accuracy = evaluate_batch(known_net(SoftmaxBatch), images, labels)
    assert accuracy == pytest.approx(0.6, abs=1e-15)
    assert loss == pytest.approx(reference_losses().mean(), rel=1e-12)


def test_evaluate_accepts_python_lists():
    loss, accuracy = evaluate(known_net(Softmax), known_images().tolist(), LABELS.tolist())
    assert (loss, accuracy) == pytest.approx((reference_losses().mean(), 0.6), rel=1e-12)


def test_train_step_reports_right_and_wrong_predictions():
    net, images = known_net(Softmax), known_images()
    for k in range(5):
        loss, correct = train_step(net, images[k], int(LABELS[k]), 0.0)
        assert correct == int(RIGHT[k]) and type(correct) is int
        assert loss == pytest.approx(reference_losses()[k], rel=1e-12)


def test_train_step_batch_counts_right_predictions():
    loss, correct = train_step_batch(known_net(SoftmaxBatch), known_images(), LABELS, 0.0)
    assert correct == 3 and type(correct) is int
    assert loss == pytest.approx(reference_losses().mean(), rel=1e-12)
    loss, correct = train_step_batch(known_net(SoftmaxBatch), known_images()[2:4], LABELS[2:4], 0.0)
    assert correct == 0


def test_train_step_loss_and_correct_are_measured_before_the_update():
    net, images = known_net(Softmax), known_images()
    loss, correct = train_step(net, images[2], 3, 10.0)       # a huge step: the net changes a lot
    assert correct == 0 and loss == pytest.approx(reference_losses()[2], rel=1e-12)
    assert np.argmax(net[0].forward(images[2])) == 3          # ... and now predicts the label


def test_train_step_batch_takes_one_sgd_step_on_the_mean_loss():
    net, images = known_net(SoftmaxBatch), known_images()
    weights = net[0].weights.copy()
    train_step_batch(net, images, LABELS, 0.5)
    probs = scipy_softmax(images.reshape(5, 4) @ weights, axis=1)
    expected = weights - 0.5 * images.reshape(5, 4).T @ (probs - np.eye(4)[LABELS]) / 5
    np.testing.assert_allclose(net[0].weights, expected, rtol=1e-12, atol=1e-15)


# --- softmax with large scores ---------------------------------------------------------------------

def big_scores_layer(softmax_cls, scores):
    """A layer whose input is the identity, so that its scores (totals) are exactly ``scores``."""
    nodes = scores.shape[-1]
    layer = softmax_cls(nodes, nodes, rng=0)
    layer.weights[:] = np.eye(nodes)
    layer.biases[:] = 0
    return layer


# Rows far apart: subtracting one global maximum would underflow the second row to 0 / 0.
SCORES = np.array([[1000.0, 999.0, 990.0], [-1000.0, -1001.0, -1003.0], [0.5, 0.0, -0.5]])


def test_softmax_batch_is_stable_row_by_row():
    layer = big_scores_layer(SoftmaxBatch, SCORES)
    probs = layer.forward(SCORES)
    np.testing.assert_allclose(probs, scipy_softmax(SCORES, axis=1), rtol=1e-12)
    np.testing.assert_allclose(layer.last_totals, SCORES, rtol=1e-15)


@pytest.mark.parametrize("row", range(3))
def test_softmax_single_is_stable(row):
    layer = big_scores_layer(Softmax, SCORES[row])
    np.testing.assert_allclose(layer.forward(SCORES[row]), scipy_softmax(SCORES[row]), rtol=1e-12)


def test_softmax_batch_backprop_with_large_scores_is_p_minus_y():
    layer = big_scores_layer(SoftmaxBatch, SCORES)
    labels = np.array([1, 0, 2])
    probs = layer.forward(SCORES)
    d_input = layer.backprop(cross_entropy_batch(probs, labels)[1], 0.0)
    expected = (scipy_softmax(SCORES, axis=1) - np.eye(3)[labels]) / 3
    np.testing.assert_allclose(layer.last_grads["biases"], expected.sum(axis=0), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(d_input, expected, rtol=1e-9, atol=1e-15)       # weights are the identity
    np.testing.assert_allclose(layer.last_grads["weights"], SCORES.T @ expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("row", range(3))
def test_softmax_single_backprop_with_large_scores_is_p_minus_y(row):
    layer = big_scores_layer(Softmax, SCORES[row])
    probs = layer.forward(SCORES[row])
    d_input = layer.backprop(cross_entropy(probs, 1)[1], 0.0)
    expected = scipy_softmax(SCORES[row]) - np.eye(3)[1]
    np.testing.assert_allclose(layer.last_grads["biases"], expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(d_input, expected, rtol=1e-9, atol=1e-15)


def test_softmax_backprop_returns_the_input_shape_and_uses_the_old_weights():
    rng = np.random.default_rng(3)
    layer = Softmax(12, 4, rng=rng)
    x = rng.standard_normal((2, 3, 2))
    weights = layer.weights.copy()
    probs = layer.forward(x)
    d_probs = rng.standard_normal(4)
    d_input = layer.backprop(d_probs, 0.7)
    d_totals = probs * (d_probs - d_probs @ probs)
    assert d_input.shape == (2, 3, 2)
    np.testing.assert_allclose(d_input.ravel(), weights @ d_totals, rtol=1e-12)
    np.testing.assert_allclose(layer.weights, weights - 0.7 * np.outer(x.ravel(), d_totals), rtol=1e-12)
    np.testing.assert_allclose(layer.biases, -0.7 * d_totals, rtol=1e-12)


# --- cross-entropy ---------------------------------------------------------------------------------

def test_cross_entropy_batch_refuses_label_minus_one():
    with pytest.raises(ValueError, match="labels"):
        cross_entropy_batch(np.full((2, 10), 0.1), np.array([-1, 3]))


def test_cross_entropy_refuses_label_minus_one():
    with pytest.raises(ValueError, match="label"):
        cross_entropy(np.full(10, 0.1), -1)


def test_cross_entropy_batch_values_and_gradient():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.25, 0.5, 0.25], [0.3, 0.3, 0.4]])
    labels = np.array([0, 1, 2, 1])
    loss, gradient = cross_entropy_batch(probs, labels)
    picked = probs[np.arange(4), labels]
    assert type(loss) is float and loss == pytest.approx(-np.mean(np.log(picked)), rel=1e-14)
    expected = np.zeros((4, 3))
    expected[np.arange(4), labels] = -1 / (4 * picked)
    np.testing.assert_allclose(gradient, expected, rtol=1e-14)


def test_cross_entropy_values_and_gradient():
    probs = np.array([0.1, 0.6, 0.3])
    loss, gradient = cross_entropy(probs, 2)
    assert type(loss) is float and loss == pytest.approx(-np.log(0.3), rel=1e-14)
    np.testing.assert_allclose(gradient, [0, 0, -1 / 0.3], rtol=1e-14)


def test_cross_entropy_accepts_a_tiny_but_positive_probability():
    probs = np.array([1e-300, 1 - 1e-300])
    assert cross_entropy(probs, 0)[0] == pytest.approx(300 * np.log(10), rel=1e-12)
    assert cross_entropy_batch(probs[None], [0])[0] == pytest.approx(300 * np.log(10), rel=1e-12)


# --- layers against plain references ---------------------------------------------------------------

def reference_conv(image, filters):
    h, w = image.shape
    out = np.zeros((h - 2, w - 2, len(filters)))
    for i in range(h - 2):
        for j in range(w - 2):
            for f in range(len(filters)):
                out[i, j, f] = np.sum(image[i:i + 3, j:j + 3] * filters[f])
    return out


def reference_pool(x):
    h, w, c = x.shape
    return np.array([[x[2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(0, 1)) for j in range(w // 2)]
                     for i in range(h // 2)]).reshape(h // 2, w // 2, c)


@pytest.mark.parametrize("conv_cls", [Conv3x3, Conv3x3Fast])
@pytest.mark.parametrize("shape", [(3, 3), (3, 7), (6, 4), (9, 8)])
def test_conv_forward_and_backprop_on_non_square_images(conv_cls, shape):
    rng = np.random.default_rng(sum(shape))
    conv = conv_cls(3, rng=1)
    image = rng.standard_normal(shape)
    out = conv.forward(image)
    np.testing.assert_allclose(out, reference_conv(image, conv.filters), rtol=1e-12, atol=1e-14)
    d_out = rng.standard_normal(out.shape)
    filters = conv.filters.copy()
    d_input = conv.backprop(d_out, 0.1)
    # the gradient of sum(out * d_out): with respect to the filters and to the image
    d_filters = np.zeros(filters.shape)
    d_image = np.zeros(shape)
    for i in range(shape[0] - 2):
        for j in range(shape[1] - 2):
            for f in range(3):
                d_filters[f] += d_out[i, j, f] * image[i:i + 3, j:j + 3]
                d_image[i:i + 3, j:j + 3] += d_out[i, j, f] * filters[f]
    np.testing.assert_allclose(conv.last_grads["filters"], d_filters, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d_input, d_image, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(conv.filters, filters - 0.1 * d_filters, rtol=1e-12, atol=1e-14)


def test_conv_batch_equals_fast_per_image():
    rng = np.random.default_rng(5)
    images = rng.standard_normal((3, 7, 6))
    batch, fast = Conv3x3Batch(2, rng=4), Conv3x3Fast(2, rng=4)
    out = batch.forward(images)
    d_out = rng.standard_normal(out.shape)
    d_images = batch.backprop(d_out, 0.0)
    total = np.zeros((2, 3, 3))
    for k in range(3):
        np.testing.assert_allclose(out[k], fast.forward(images[k]), rtol=1e-12)
        np.testing.assert_allclose(d_images[k], fast.backprop(d_out[k], 0.0), rtol=1e-12, atol=1e-14)
        total += fast.last_grads["filters"]
    np.testing.assert_allclose(batch.last_grads["filters"], total, rtol=1e-12)


@pytest.mark.parametrize("pool_cls", [MaxPool2, MaxPool2Fast])
@pytest.mark.parametrize("shape", [(2, 2, 1), (4, 6, 2), (5, 7, 3), (7, 4, 1)])
def test_pool_forward_and_backprop_on_non_square_inputs(pool_cls, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)          # no ties
    pool = pool_cls()
    out = pool.forward(x)
    np.testing.assert_array_equal(out, reference_pool(x))
    d_out = rng.standard_normal(out.shape)
    d_x = pool.backprop(d_out, 0.0)
    expected = np.zeros(shape)
    h, w, c = shape
    for i in range(h // 2):
        for j in range(w // 2):
            for f in range(c):
                window = x[2 * i:2 * i + 2, 2 * j:2 * j + 2, f]
                a, b = np.unravel_index(np.argmax(window), (2, 2))
                expected[2 * i + a, 2 * j + b, f] = d_out[i, j, f]
    np.testing.assert_array_equal(d_x, expected)


def test_pool_batch_equals_fast_per_image():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 5, 6, 2))
    batch, fast = MaxPool2Batch(), MaxPool2Fast()
    out = batch.forward(x)
    d_out = rng.standard_normal(out.shape)
    d_x = batch.backprop(d_out, 0.0)
    for k in range(3):
        np.testing.assert_array_equal(out[k], fast.forward(x[k]))
        np.testing.assert_array_equal(d_x[k], fast.backprop(d_out[k], 0.0))


# --- initial parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize("conv_cls", [Conv3x3, Conv3x3Fast, Conv3x3Batch])
@pytest.mark.parametrize("num_filters", [1, 4, np.int64(2)])
def test_initial_filters_are_standard_normal_over_nine(conv_cls, num_filters):
    conv = conv_cls(num_filters, rng=7)
    expected = np.random.default_rng(7).standard_normal((int(num_filters), 3, 3)) / 9
    np.testing.assert_array_equal(conv.filters, expected)
    assert conv.num_filters == num_filters and type(conv.num_filters) is int


@pytest.mark.parametrize("softmax_cls", [Softmax, SoftmaxBatch])
@pytest.mark.parametrize("input_len, nodes", [(1, 1), (6, 3), (np.int64(5), 2)])
def test_initial_softmax_weights_are_standard_normal_over_input_len(softmax_cls, input_len, nodes):
    layer = softmax_cls(input_len, nodes, rng=np.random.default_rng(8))
    expected = np.random.default_rng(8).standard_normal((int(input_len), nodes)) / int(input_len)
    np.testing.assert_array_equal(layer.weights, expected)
    np.testing.assert_array_equal(layer.biases, np.zeros(nodes))


def test_methods_added_by_add_to_class_are_named_after_their_class():
    for cls in (Conv3x3, MaxPool2, Softmax):
        assert cls.backprop.__qualname__ == f"{cls.__name__}.backprop"


# --- more survivors: far-apart scores, min_size on both axes, argument checks ------------------------

# Scores more than 710 apart: exp(score - min) overflows, only exp(score - max) is safe.
FAR = np.array([[800.0, 0.0, -800.0], [0.0, -800.0, 800.0]])
FAR_LABELS = np.array([0, 2])


def test_softmax_batch_subtracts_the_row_maximum_not_the_minimum():
    layer = big_scores_layer(SoftmaxBatch, FAR)
    probs = layer.forward(FAR)
    np.testing.assert_allclose(probs, scipy_softmax(FAR, axis=1), rtol=1e-12, atol=1e-300)
    layer.backprop(cross_entropy_batch(probs, FAR_LABELS)[1], 0.0)
    expected = (scipy_softmax(FAR, axis=1) - np.eye(3)[FAR_LABELS]) / 2
    np.testing.assert_allclose(layer.last_grads["biases"], expected.sum(axis=0), atol=1e-12)


def test_softmax_single_subtracts_the_maximum_not_the_minimum():
    layer = big_scores_layer(Softmax, FAR[0])
    probs = layer.forward(FAR[0])
    np.testing.assert_allclose(probs, scipy_softmax(FAR[0]), rtol=1e-12, atol=1e-300)
    layer.backprop(cross_entropy(probs, 0)[1], 0.0)
    np.testing.assert_allclose(layer.last_grads["biases"], scipy_softmax(FAR[0]) - [1, 0, 0], atol=1e-12)


@pytest.mark.parametrize("layer, shape", [
    (Conv3x3Fast(2), (5, 2)), (Conv3x3Fast(2), (2, 5)),
    (Conv3x3Batch(2), (1, 5, 2)), (Conv3x3Batch(2), (1, 2, 5)),
    (Conv3x3(2), (5, 2)), (Conv3x3(2), (2, 5)),
])
def test_conv_refuses_a_too_small_height_or_width(layer, shape):
    with pytest.raises(ValueError, match="高和宽至少要是 3"):
        layer.forward(np.zeros(shape))


@pytest.mark.parametrize("layer, shape", [
    (MaxPool2Fast(), (1, 4, 2)), (MaxPool2Fast(), (4, 1, 2)),
    (MaxPool2Batch(), (3, 1, 4, 2)), (MaxPool2Batch(), (3, 4, 1, 2)),
    (MaxPool2(), (1, 4, 2)), (MaxPool2(), (4, 1, 2)),
])
def test_pool_refuses_a_too_small_height_or_width(layer, shape):
    with pytest.raises(ValueError, match="高和宽至少要是 2"):
        layer.forward(np.zeros(shape))


def test_softmax_batch_checks_its_input():
    layer = SoftmaxBatch(4, 3, rng=0)
    x = np.arange(8.0).reshape(2, 2, 2) / 10
    np.testing.assert_array_equal(layer.forward(x.tolist()), layer.forward(x))
    with pytest.raises(ValueError, match="SoftmaxBatch.forward.*NaN"):
        layer.forward(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="每个样本需要 4 个输入值"):
        layer.forward(np.zeros((4, 2)))       # 8 values = 2 x 4, but 2 per example


def test_softmax_batch_backprop_checks_its_arguments():
    layer = SoftmaxBatch(4, 3, rng=0)
    layer.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="SoftmaxBatch.backprop.*形状"):
        layer.backprop(np.zeros((2, 4)), 0.1)
    with pytest.raises(ValueError, match="SoftmaxBatch.backprop.*learn_rate"):
        layer.backprop(np.zeros((2, 3)), -0.1)


def test_check_backprop_args_accepts_a_shape_given_as_a_list():
    from cnnbook.numpy_cnn import check_backprop_args

    out = check_backprop_args([[1, 2, 3], [4, 5, 6]], [2, 3], 0.5, "f")
    assert out.dtype == np.float64 and out.shape == (2, 3)


# --- conv_output_size, same_padding, conv2d argument checks ----------------------------------------

def test_conv_output_size_bounds():
    from cnnbook.numpy_cnn import conv_output_size

    with pytest.raises(ValueError, match="n（输入边长） 不能小于 1"):
        conv_output_size(0, 1, 1)
    with pytest.raises(ValueError, match="放不下"):
        conv_output_size(1, 4, 1)            # 1 + 2 * 1 = 3 < 4
    assert conv_output_size(2, 4, 1) == 1    # 2 + 2 * 1 = 4: fits exactly once


def test_same_padding_defaults_and_checks():
    from cnnbook.numpy_cnn import same_padding

    assert same_padding(4, 3) == (1, 1) and same_padding(4, 3, 2) == (0, 1)
    for n, k in [(0, 3), (4, 0), (4, 2.5)]:
        with pytest.raises(ValueError, match="same_padding"):
            same_padding(n, k)


@pytest.mark.parametrize("stride", [0, -1, 1.5, True])
def test_conv2d_names_a_bad_stride(stride):
    from cnnbook.numpy_cnn import conv2d

    with pytest.raises(ValueError, match="conv2d: stride"):
        conv2d(np.zeros((5, 5)), np.ones((3, 3)), stride=stride)


@pytest.mark.parametrize("padding", [True, 2.5, None, "full"])
def test_conv2d_names_a_bad_padding(padding):
    from cnnbook.numpy_cnn import conv2d

    with pytest.raises(ValueError, match="padding 只能是"):
        conv2d(np.zeros((5, 5)), np.ones((3, 3)), padding=padding)
