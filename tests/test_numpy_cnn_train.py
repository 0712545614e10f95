"""Backprop, training steps and the fast / mini-batch layers of chapter 5 (cnnbook.numpy_cnn)."""

import numpy as np
import pytest

from cnnbook.numpy_cnn import (
    Conv3x3,
    Conv3x3Batch,
    Conv3x3Fast,
    MaxPool2,
    MaxPool2Batch,
    MaxPool2Fast,
    Softmax,
    SoftmaxBatch,
    add_to_class,
    cross_entropy,
    cross_entropy_batch,
    evaluate,
    evaluate_batch,
    train_step,
    train_step_batch,
)
from gradcheck import numerical_gradient, relative_error

LOOP = (Conv3x3, MaxPool2, Softmax)
FAST = (Conv3x3Fast, MaxPool2Fast, Softmax)
BATCH = (Conv3x3Batch, MaxPool2Batch, SoftmaxBatch)


def network(kinds, h=28, w=28, num_filters=8, nodes=10, seed=0):
    conv_cls, pool_cls, softmax_cls = kinds
    rng = np.random.default_rng(seed)
    return [conv_cls(num_filters, rng), pool_cls(),
            softmax_cls(((h - 2) // 2) * ((w - 2) // 2) * num_filters, nodes, rng)]


def digit_like(n, h=28, w=28, seed=0):
    """Images in [-0.5, 0.5] with a constant -0.5 background (so max pooling has exact ties)."""
    rng = np.random.default_rng(seed)
    images = np.full((n, h, w), -0.5)
    images[:, h // 4:3 * h // 4, w // 4:3 * w // 4] = rng.uniform(-0.5, 0.5, (n, h // 2, w // 2))
    return images


def forward_backward(layers, image, label):
    out = image
    for layer in layers:
        out = layer.forward(out)
    loss, gradient = cross_entropy(out, label)
    for layer in reversed(layers):
        gradient = layer.backprop(gradient, 0)
    return out, loss, gradient


# --- shapes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kinds", [LOOP, FAST], ids=["loop", "fast"])
@pytest.mark.parametrize("h, w", [(28, 28), (9, 8), (7, 11)])
def test_backprop_shapes(kinds, h, w):
    layers = network(kinds, h, w, num_filters=3, nodes=4)
    image = np.random.default_rng(1).standard_normal((h, w))
    conv, pool, softmax = layers
    feature_maps = conv.forward(image)
    pooled = pool.forward(feature_maps)
    probs = softmax.forward(pooled)
    assert probs.shape == (4,)
    d_pooled = softmax.backprop(cross_entropy(probs, 1)[1], 0)
    assert d_pooled.shape == pooled.shape == ((h - 2) // 2, (w - 2) // 2, 3)
    d_maps = pool.backprop(d_pooled, 0)
    assert d_maps.shape == feature_maps.shape == (h - 2, w - 2, 3)
    assert conv.backprop(d_maps, 0).shape == (h, w)
    assert conv.last_grads["filters"].shape == (3, 3, 3)
    assert softmax.last_grads["weights"].shape == softmax.weights.shape
    assert softmax.last_grads["biases"].shape == (4,)
    assert pool.last_grads == {}


def test_batch_backprop_shapes():
    conv, pool, softmax = network(BATCH, 12, 13, num_filters=2, nodes=3)
    images = np.random.default_rng(0).standard_normal((4, 12, 13))
    probs = softmax.forward(pool.forward(conv.forward(images)))
    assert probs.shape == (4, 3)
    _, gradient = cross_entropy_batch(probs, np.array([0, 1, 2, 0]))
    gradient = softmax.backprop(gradient, 0)
    assert gradient.shape == (4, 5, 5, 2)
    gradient = pool.backprop(gradient, 0)
    assert gradient.shape == (4, 10, 11, 2)
    assert conv.backprop(gradient, 0).shape == (4, 12, 13)
    assert conv.last_grads["filters"].shape == (2, 3, 3)


def test_softmax_gradient_of_cross_entropy_is_p_minus_y():
    layers = network(LOOP)
    probs, _, _ = forward_backward(layers, digit_like(1)[0], 3)
    np.testing.assert_allclose(layers[2].last_grads["biases"], probs - np.eye(10)[3], atol=1e-15)


# --- gradient checks --------------------------------------------------------------------------

@pytest.mark.parametrize("kinds", [LOOP, FAST], ids=["loop", "fast"])
def test_gradient_check(kinds):
    rng = np.random.default_rng(1)
    image, label = rng.standard_normal((8, 9)), 2     # odd width: the dropped column gets 0
    layers = network(kinds, 8, 9, num_filters=2, nodes=4, seed=3)
    layers[2].weights[:] = rng.standard_normal(layers[2].weights.shape)
    layers[2].biases[:] = rng.standard_normal(4)
    _, _, image_gradient = forward_backward(layers, image, label)

    def loss():
        out = image
        for layer in layers:
            out = layer.forward(out)
        return cross_entropy(out, label)[0]

    for analytic, array in [(layers[0].last_grads["filters"], layers[0].filters),
                            (layers[2].last_grads["weights"], layers[2].weights),
                            (layers[2].last_grads["biases"], layers[2].biases),
                            (image_gradient, image)]:
        assert relative_error(analytic, numerical_gradient(loss, array)) < 1e-5
    # input column 8 feeds only conv column 6, which the pooling drops: its gradient is exactly 0
    assert np.all(image_gradient[:, 8] == 0) and np.any(image_gradient[:, 7] != 0)


def test_gradient_check_batch():
    rng = np.random.default_rng(2)
    images, labels = rng.standard_normal((3, 7, 8)), np.array([0, 2, 1])
    layers = network(BATCH, 7, 8, num_filters=2, nodes=3, seed=4)
    layers[2].weights[:] = rng.standard_normal(layers[2].weights.shape)

    def loss():
        out = images
        for layer in layers:
            out = layer.forward(out)
        return cross_entropy_batch(out, labels)[0]

    out = images
    for layer in layers:
        out = layer.forward(out)
    gradient = cross_entropy_batch(out, labels)[1]
    for layer in reversed(layers):
        gradient = layer.backprop(gradient, 0)
    assert relative_error(layers[0].last_grads["filters"], numerical_gradient(loss, layers[0].filters)) < 1e-5
    assert relative_error(layers[2].last_grads["weights"], numerical_gradient(loss, layers[2].weights)) < 1e-5
    assert relative_error(gradient, numerical_gradient(loss, images)) < 1e-5


def test_filter_gradient_is_right_with_tied_pooling_windows():
    # A constant background makes whole 2x2 windows of conv outputs exactly equal; moving a filter
    # weight moves all of them together, so the numerical filter gradient is well defined.
    image = digit_like(1, 20, 20)[0]
    layers = network(LOOP, 20, 20, num_filters=2, nodes=3)
    feature_maps = layers[0].forward(image).reshape(9, 2, 9, 2, 2)
    assert np.any((feature_maps == feature_maps.max(axis=(1, 3), keepdims=True)).sum(axis=(1, 3)) == 4)

    def loss():
        out = image
        for layer in layers:
            out = layer.forward(out)
        return cross_entropy(out, 1)[0]

    forward_backward(layers, image, 1)
    assert relative_error(layers[0].last_grads["filters"], numerical_gradient(loss, layers[0].filters)) < 1e-5


@pytest.mark.parametrize("pool_cls", [MaxPool2, MaxPool2Fast], ids=["loop", "fast"])
def test_tie_rule_first_maximum_only(pool_cls):
    x = np.array([[1, 9, 5, 5, 0],
                  [3, 2, 5, 5, 0],
                  [7, 0, 8, 1, 0],
                  [7, 6, 2, 4, 0],
                  [9, 9, 9, 9, 9]], dtype=float)[:, :, None]
    pool = pool_cls()
    np.testing.assert_array_equal(pool.forward(x)[:, :, 0], [[9, 5], [7, 8]])
    grad = pool.backprop(np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None], 0)[:, :, 0]
    np.testing.assert_array_equal(grad, [[0, 1, 2, 0, 0],
                                         [0, 0, 0, 0, 0],
                                         [3, 0, 4, 0, 0],
                                         [0, 0, 0, 0, 0],
                                         [0, 0, 0, 0, 0]])


def test_tie_rule_batch_matches_fast():
    x = np.round(np.random.default_rng(0).uniform(0, 2, (3, 6, 7, 2)))   # values 0, 1, 2: many ties
    g = np.random.default_rng(1).standard_normal((3, 3, 3, 2))
    batch, fast = MaxPool2Batch(), MaxPool2Fast()
    batch.forward(x)
    d_batch = batch.backprop(g, 0)
    for k in range(3):
        fast.forward(x[k])
        np.testing.assert_array_equal(d_batch[k], fast.backprop(g[k], 0))


# --- vectorised == loop -----------------------------------------------------------------------

def test_fast_forward_and_backprop_equal_loop():
    image = digit_like(1, seed=5)[0]
    loop, fast = network(LOOP), network(FAST)
    out_loop, out_fast = image, image
    for loop_layer, fast_layer in zip(loop, fast):
        out_loop, out_fast = loop_layer.forward(out_loop), fast_layer.forward(out_fast)
        np.testing.assert_allclose(out_fast, out_loop, rtol=1e-12, atol=1e-14)
    _, _, grad_loop = forward_backward(loop, image, 7)
    _, _, grad_fast = forward_backward(fast, image, 7)
    np.testing.assert_allclose(grad_fast, grad_loop, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast[0].last_grads["filters"], loop[0].last_grads["filters"], rtol=1e-12)


def test_fast_sgd_steps_equal_loop():
    images, labels = digit_like(4, seed=6), [3, 1, 4, 1]
    loop, fast = network(LOOP), network(FAST)
    for image, label in zip(images, labels):
        assert train_step(loop, image, label, 0.005) == pytest.approx(train_step(fast, image, label, 0.005), rel=1e-12)
    np.testing.assert_allclose(fast[0].filters, loop[0].filters, rtol=1e-12)
    np.testing.assert_allclose(fast[2].weights, loop[2].weights, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(fast[2].biases, loop[2].biases, rtol=1e-12, atol=1e-18)


def test_same_seed_same_initial_weights():
    for kinds in (FAST, BATCH):
        layers = network(kinds)
        reference = network(LOOP)
        np.testing.assert_array_equal(layers[0].filters, reference[0].filters)
        np.testing.assert_array_equal(layers[2].weights, reference[2].weights)


# --- mini-batch ---------------------------------------------------------------------------------

def test_batch_forward_equals_stacked_single_forward():
    images = digit_like(5, seed=7)
    batch, fast = network(BATCH), network(FAST)
    out = images
    for layer in batch:
        out = layer.forward(out)
    stacked = []
    for image in images:
        single = image
        for layer in fast:
            single = layer.forward(single)
        stacked.append(single)
    np.testing.assert_allclose(out, np.stack(stacked), rtol=1e-12)


def test_batch_gradient_is_mean_of_single_gradients():
    images, labels = digit_like(4, seed=8), np.array([0, 5, 9, 5])
    batch, fast = network(BATCH), network(FAST)
    loss, correct = train_step_batch(batch, images, labels, 0)
    totals = {"filters": 0, "weights": 0, "biases": 0}
    losses = []
    for image, label in zip(images, labels):
        losses.append(train_step(fast, image, int(label), 0)[0])
        for key, layer in [("filters", fast[0]), ("weights", fast[2]), ("biases", fast[2])]:
            totals[key] = totals[key] + layer.last_grads[key]
    assert loss == pytest.approx(np.mean(losses), rel=1e-12)
    for key, layer in [("filters", batch[0]), ("weights", batch[2]), ("biases", batch[2])]:
        np.testing.assert_allclose(layer.last_grads[key] * len(images), totals[key], rtol=1e-10, atol=1e-15)


def test_batch_of_one_sgd_equals_fast_sgd():
    images, labels = digit_like(3, seed=9), np.array([2, 7, 2])
    batch, fast = network(BATCH), network(FAST)
    for image, label in zip(images, labels):
        batch_loss, _ = train_step_batch(batch, image[None], label[None], 0.01)
        single_loss, _ = train_step(fast, image, int(label), 0.01)
        assert batch_loss == pytest.approx(single_loss, rel=1e-12)
    np.testing.assert_allclose(batch[0].filters, fast[0].filters, rtol=1e-12)


def test_evaluate_and_evaluate_batch_agree():
    images, labels = digit_like(6, seed=10), np.array([0, 1, 2, 3, 4, 5])
    single = evaluate(network(FAST), images, labels)
    batched = evaluate_batch(network(BATCH), images, labels, batch_size=4)
    assert single[0] == pytest.approx(batched[0], rel=1e-12)
    assert single[1] == batched[1]


# --- SGD ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kinds", [LOOP, FAST], ids=["loop", "fast"])
def test_backprop_takes_one_sgd_step(kinds):
    layers = network(kinds)
    image = digit_like(1, seed=11)[0]
    filters, weights, biases = layers[0].filters.copy(), layers[2].weights.copy(), layers[2].biases.copy()
    train_step(layers, image, 4, 0.1)
    np.testing.assert_allclose(layers[0].filters, filters - 0.1 * layers[0].last_grads["filters"], rtol=1e-12)
    np.testing.assert_allclose(layers[2].weights, weights - 0.1 * layers[2].last_grads["weights"], rtol=1e-12)
    np.testing.assert_allclose(layers[2].biases, biases - 0.1 * layers[2].last_grads["biases"], rtol=1e-12)


def test_training_on_one_image_lowers_its_loss():
    layers = network(FAST)
    image = digit_like(1, seed=12)[0]
    losses = [train_step(layers, image, 6, 0.05)[0] for _ in range(20)]
    assert losses[-1] < 0.5 * losses[0]


def test_learn_rate_zero_changes_nothing():
    layers = network(LOOP)
    filters = layers[0].filters.copy()
    train_step(layers, digit_like(1)[0], 0, 0)
    np.testing.assert_array_equal(layers[0].filters, filters)


# --- add_to_class and errors --------------------------------------------------------------------

def test_add_to_class_attaches_a_method():
    class Layer:
        pass

    @add_to_class(Layer)
    def double(self, x):
        return 2 * x

    assert Layer().double(3) == 6
    assert double is None


@pytest.mark.parametrize("layer_cls, d_out", [
    (Conv3x3, np.zeros((26, 26, 8))),
    (MaxPool2, np.zeros((13, 13, 8))),
    (MaxPool2Fast, np.zeros((13, 13, 8))),
    (Conv3x3Batch, np.zeros((2, 26, 26, 8))),
])
def test_backprop_before_forward_is_a_clear_error(layer_cls, d_out):
    layer = layer_cls(8) if "Conv" in layer_cls.__name__ else layer_cls()
    with pytest.raises(ValueError, match="forward"):
        layer.backprop(d_out, 0.005)


def test_softmax_backprop_before_forward_is_a_clear_error():
    with pytest.raises(ValueError, match="forward"):
        Softmax(1352, 10).backprop(np.zeros(10), 0.005)


@pytest.mark.parametrize("kinds", [LOOP, FAST], ids=["loop", "fast"])
def test_wrong_gradient_shape_is_a_clear_error(kinds):
    conv, pool, softmax = network(kinds)
    pooled = pool.forward(conv.forward(np.zeros((28, 28))))
    softmax.forward(pooled)
    with pytest.raises(ValueError, match=r"\(10,\)"):
        softmax.backprop(np.zeros(9), 0.005)
    with pytest.raises(ValueError, match=r"\(13, 13, 8\)"):
        pool.backprop(np.zeros((26, 26, 8)), 0.005)
    with pytest.raises(ValueError, match=r"\(26, 26, 8\)"):
        conv.backprop(np.zeros((13, 13, 8)), 0.005)
    with pytest.raises(ValueError, match="3 维"):
        conv.backprop(np.zeros((26, 26)), 0.005)


@pytest.mark.parametrize("bad", [np.array([["a"] * 10]).ravel(), np.full(10, np.nan)])
def test_bad_gradient_values_are_clear_errors(bad):
    layers = network(FAST)
    forward_backward(layers, np.zeros((28, 28)), 0)
    with pytest.raises(ValueError, match="Softmax.backprop"):
        layers[2].backprop(bad, 0.005)


@pytest.mark.parametrize("learn_rate", [-0.1, np.inf, "0.005", None, True])
def test_bad_learn_rate_is_a_clear_error(learn_rate):
    layers = network(LOOP)
    probs, _, _ = forward_backward(layers, np.zeros((28, 28)), 0)
    with pytest.raises(ValueError, match="learn_rate"):
        layers[2].backprop(cross_entropy(probs, 0)[1], learn_rate)


def test_bad_input_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="Conv3x3Fast.forward"):
        Conv3x3Fast(8).forward(np.zeros((2, 28)))
    with pytest.raises(ValueError, match="Conv3x3Batch.forward"):
        Conv3x3Batch(8).forward(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="MaxPool2Batch.forward"):
        MaxPool2Batch().forward(np.zeros((26, 26, 8)))
    with pytest.raises(ValueError, match="1352"):
        SoftmaxBatch(1352, 10).forward(np.zeros((4, 13, 13, 7)))
    with pytest.raises(ValueError, match="数值"):
        Conv3x3Fast(8).forward(np.full((28, 28), "x"))


def test_bad_labels_and_diverged_training_are_clear_errors():
    probs = np.full(10, 0.1)
    for label in (10, -1, 2.0, True):
        with pytest.raises(ValueError, match="label"):
            cross_entropy(probs, label)
    with pytest.raises(ValueError, match="labels"):
        cross_entropy_batch(np.full((2, 10), 0.1), np.array([1, 10]))
    with pytest.raises(ValueError, match="labels"):
        cross_entropy_batch(np.full((2, 10), 0.1), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="发散"):
        cross_entropy(np.eye(10)[0], 3)
    with pytest.raises(ValueError, match="发散"):
        cross_entropy_batch(np.eye(10)[:2], np.array([0, 3]))
