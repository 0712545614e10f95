"""cnnbook.batchnorm (chapter 10): batch normalization from scratch, forward in both modes and backward.

The references are independent: statistics written out per channel with loops, finite differences in
float64, and keras.layers.BatchNormalization (float32) on the same input and parameters.
"""

import os

import numpy as np
import pytest

from cnnbook.batchnorm import BatchNorm
from gradcheck import numerical_gradient


def make_layer(channels, rng, momentum=0.99, epsilon=1e-3):
    layer = BatchNorm(channels, momentum=momentum, epsilon=epsilon)
    layer.gamma = rng.normal(size=channels)
    layer.beta = rng.normal(size=channels)
    layer.running_mean = rng.normal(size=channels)
    layer.running_var = rng.uniform(0.5, 2.0, size=channels)
    return layer


def per_channel_reference(x, gamma, beta, mean=None, var=None, epsilon=1e-3):
    """Forward written channel by channel, with the statistics of that channel's values only."""
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        values = x[..., c]
        mu = values.mean() if mean is None else mean[c]
        sigma2 = ((values - values.mean()) ** 2).mean() if var is None else var[c]
        out[..., c] = gamma[c] * (values - mu) / np.sqrt(sigma2 + epsilon) + beta[c]
    return out


@pytest.mark.parametrize("shape", [(7, 3), (4, 5, 6, 3), (2, 1, 1, 3)])
def test_training_forward_matches_per_channel_statistics(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=shape)
    layer = make_layer(3, rng)
    expected = per_channel_reference(x, layer.gamma, layer.beta)
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)


def test_channels_are_normalized_separately():
    # Channel 1 is channel 0 scaled by 100 and shifted: after BN (gamma 1, beta 0) both are the same
    # up to epsilon; normalizing over all channels together would keep them 100 times apart.
    rng = np.random.default_rng(1)
    a = rng.normal(size=(8, 4, 4))
    x = np.stack([a, 100 * a + 7], axis=-1)
    out = BatchNorm(2, epsilon=1e-12).forward(x, training=True)
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=1e-6)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-6)


def test_inference_forward_uses_running_statistics_and_does_not_update_them():
    rng = np.random.default_rng(2)
    x = rng.normal(3.0, 2.0, size=(4, 3, 3, 2))
    layer = make_layer(2, rng, epsilon=0.01)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    expected = per_channel_reference(x, layer.gamma, layer.beta, mean, var, epsilon=0.01)
    np.testing.assert_allclose(layer.forward(x, training=False), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, mean)
    np.testing.assert_array_equal(layer.running_var, var)


def test_running_averages_follow_the_momentum_rule_with_the_biased_variance():
    rng = np.random.default_rng(3)
    layer = make_layer(3, rng, momentum=0.7)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    for _ in range(3):
        x = rng.normal(5.0, 3.0, size=(6, 2, 2, 3))
        layer.forward(x, training=True)
        flat = x.reshape(-1, 3)
        mean = 0.7 * mean + 0.3 * flat.mean(axis=0)
        var = 0.7 * var + 0.3 * flat.var(axis=0, ddof=0)
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)


def test_defaults_are_keras_defaults():
    layer = BatchNorm(4)
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    np.testing.assert_array_equal(layer.gamma, np.ones(4))
    np.testing.assert_array_equal(layer.beta, np.zeros(4))
    np.testing.assert_array_equal(layer.running_mean, np.zeros(4))
    np.testing.assert_array_equal(layer.running_var, np.ones(4))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 3, 2)])
def test_backward_matches_finite_differences(training, shape):
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=shape)
    channels = shape[-1]
    gamma, beta = rng.normal(size=channels), rng.normal(size=channels)
    running = (rng.normal(size=channels), rng.uniform(0.5, 2.0, size=channels))
    weights = rng.normal(size=shape)

    def loss():
        layer = BatchNorm(channels)
        layer.gamma, layer.beta = gamma, beta
        layer.running_mean, layer.running_var = running
        return np.sum(layer.forward(x, training) * weights)

    layer = BatchNorm(channels)
    layer.gamma, layer.beta = gamma, beta
    layer.running_mean, layer.running_var = running
    layer.forward(x, training)
    d_x = layer.backward(weights)
    np.testing.assert_allclose(d_x, numerical_gradient(loss, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(layer.d_gamma, numerical_gradient(loss, gamma), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(layer.d_beta, numerical_gradient(loss, beta), rtol=1e-6, atol=1e-7)


def test_backward_uses_the_mode_of_the_last_forward():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 2))
    layer = make_layer(2, rng)
    d_out = rng.normal(size=x.shape)
    layer.forward(x, training=True)
    d_train = layer.backward(d_out)
    layer.forward(x, training=False)
    d_infer = layer.backward(d_out)
    np.testing.assert_allclose(d_infer, d_out * layer.gamma / np.sqrt(layer.running_var + layer.epsilon))
    # In training mode the gradient of each channel sums to zero (the mean is subtracted).
    np.testing.assert_allclose(d_train.sum(axis=0), 0, atol=1e-12)
    assert not np.allclose(d_train, d_infer)


@pytest.fixture(scope="module")
def keras_layers():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras = pytest.importorskip("keras")
    return keras


@pytest.mark.parametrize("momentum", [0.99, 0.5])
def test_equals_keras_in_both_modes(keras_layers, momentum):
    import tensorflow as tf

    keras = keras_layers
    rng = np.random.default_rng(6)
    x = rng.normal(1.0, 2.0, size=(6, 4, 4, 3))
    ours = make_layer(3, rng, momentum=momentum)
    theirs = keras.layers.BatchNormalization(momentum=momentum, epsilon=1e-3)
    theirs.build(x.shape)
    theirs.set_weights([ours.gamma, ours.beta, ours.running_mean, ours.running_var])
    x_tensor = tf.constant(x, dtype=tf.float32)
    d_out = rng.normal(size=x.shape)
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        y = theirs(x_tensor, training=True)
        loss = tf.reduce_sum(y * tf.constant(d_out, dtype=tf.float32))
    np.testing.assert_allclose(y.numpy(), ours.forward(x, training=True), atol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, x_tensor).numpy(), ours.backward(d_out), atol=1e-5)
    np.testing.assert_allclose(theirs.moving_mean.numpy(), ours.running_mean, atol=1e-6)
    np.testing.assert_allclose(theirs.moving_variance.numpy(), ours.running_var, atol=1e-6)
    np.testing.assert_allclose(theirs(x_tensor, training=False).numpy(), ours.forward(x, training=False), atol=1e-5)


# ------------------------------------------------------------------------------------------------
# Bad input: ValueError in plain Chinese naming the argument
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [0, -2, 2.0, True, "3", None])
def test_bad_channels(channels):
    with pytest.raises(ValueError, match="BatchNorm: channels 必须是正整数"):
        BatchNorm(channels)


@pytest.mark.parametrize("momentum", [1, 1.0, -0.1, 2, "0.9", True, None])
def test_bad_momentum(momentum):
    with pytest.raises(ValueError, match="BatchNorm: momentum"):
        BatchNorm(3, momentum=momentum)


def test_momentum_zero_is_allowed_and_copies_the_batch_statistics():
    layer = BatchNorm(1, momentum=0)
    x = np.array([[1.0], [3.0]])
    layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.running_mean, [2.0])
    np.testing.assert_array_equal(layer.running_var, [1.0])


@pytest.mark.parametrize("epsilon", [0, -1e-3, float("nan"), "1e-3", False])
def test_bad_epsilon(epsilon):
    with pytest.raises(ValueError, match="BatchNorm: epsilon"):
        BatchNorm(3, epsilon=epsilon)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((2, 3, 3)), "x 应是 2 维 或 4 维数组"),
        (np.zeros(3), "x 应是 2 维 或 4 维数组"),
        (np.zeros((4, 2)), r"x 的最后一维是通道，应有 3 个，收到的形状是 \(4, 2\)"),
        (np.array([[1.0, np.nan, 0.0]]), "x 里有 NaN"),
        ([["a", "b", "c"]], "x 必须是数值数组"),
    ],
)
def test_bad_x(x, message):
    with pytest.raises(ValueError, match=message):
        BatchNorm(3).forward(x, training=True)


@pytest.mark.parametrize("training", [1, 0, "train", None])
def test_training_must_be_a_bool(training):
    with pytest.raises(ValueError, match="training 必须是 True 或 False"):
        BatchNorm(2).forward(np.zeros((3, 2)), training=training)


def test_backward_before_forward():
    with pytest.raises(ValueError, match="还没有调用过 forward"):
        BatchNorm(2).backward(np.zeros((3, 2)))


def test_backward_with_the_wrong_shape():
    layer = BatchNorm(2)
    layer.forward(np.ones((3, 2)), training=True)
    with pytest.raises(ValueError, match=r"d_out 的形状应与上一次 forward 的输出相同 \(3, 2\)"):
        layer.backward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="d_out 应是 2 维"):
        layer.backward(np.zeros((3, 2, 1)))


@pytest.mark.parametrize("argument, value", [("momentum", False), ("momentum", np.False_), ("epsilon", True)])
def test_bools_are_not_numbers(argument, value):
    # False would be a valid momentum 0.0 and True a valid epsilon 1.0 if bools counted as numbers
    with pytest.raises(ValueError, match=f"BatchNorm: {argument} 必须是一个实数"):
        BatchNorm(3, **{argument: value})
