"""cnnbook.numpy_layers (chapter 6): stackable NumPy layers, im2col, momentum SGD, weights on disk."""

import os

import numpy as np
import pytest
from scipy.special import log_softmax

from cnnbook.numpy_cnn import conv2d
from cnnbook.numpy_layers import (Conv2D, Dense, MaxPool2D, ReLU, SGDMomentum, SoftmaxCrossEntropy, accuracy,
                                  backprop, col2im, forward, im2col, load_weights, save_weights, train_step)
from gradcheck import numerical_gradient, relative_error


def check_layer_gradients(layer, x, seed=0, tol=1e-7):
    R = np.random.default_rng(seed).standard_normal(layer.forward(x).shape)
    loss = lambda: float(np.sum(layer.forward(x) * R))
    d_x = layer.backprop(R)
    assert d_x.shape == x.shape
    assert relative_error(d_x, numerical_gradient(loss, x)) < tol
    for name, param in layer.params().items():
        assert layer.grads[name].shape == param.shape
        assert relative_error(layer.grads[name], numerical_gradient(loss, param)) < tol, name


def conv_with_bias(seed, c_in, filters, k, padding):
    rng = np.random.default_rng(seed)
    conv = Conv2D(c_in, filters, k, padding, rng)
    conv.biases[:] = rng.standard_normal(filters)
    return conv, rng


# ---------------------------------------------------------------- im2col / col2im


def test_im2col_rows_are_windows_in_row_column_channel_order():
    x = np.arange(2 * 4 * 5 * 3, dtype=float).reshape(2, 4, 5, 3)
    cols = im2col(x, 3)
    assert cols.shape == (2, 2, 3, 27)
    np.testing.assert_array_equal(cols[1, 1, 2], x[1, 1:4, 2:5, :].ravel())
    np.testing.assert_array_equal(cols[0, 0, 0], x[0, 0:3, 0:3, :].ravel())


def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((2, 3, 4, 27))
    assert np.isclose(np.sum(im2col(x, 3) * y), np.sum(x * col2im(y, x.shape, 3)))
    counts = col2im(np.ones((1, 3, 3, 4)), (1, 4, 4, 1), 2)[0, :, :, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


# ---------------------------------------------------------------- Conv2D


@pytest.mark.parametrize("padding, k, shape", [("valid", 3, (2, 6, 7, 3)), ("same", 3, (2, 6, 7, 3)),
                                               ("same", 4, (1, 5, 6, 2)), ("valid", 2, (2, 4, 3, 2)),
                                               ("same", 5, (1, 4, 5, 1)), ("SAME", 1, (2, 3, 3, 2))])
def test_conv_forward_equals_the_direct_conv2d_plus_bias(padding, k, shape):
    conv, rng = conv_with_bias(1, shape[3], 4, k, padding)
    x = rng.standard_normal(shape)
    out = conv.forward(x)
    expected = np.stack([conv2d(image, conv.kernels, padding=padding.lower()) for image in x]) + conv.biases
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding, k, shape", [("valid", 3, (2, 6, 7, 3)), ("same", 3, (2, 5, 7, 3)),
                                               ("same", 4, (2, 5, 6, 2)), ("valid", 2, (1, 4, 5, 2))])
def test_conv_gradients_match_finite_differences(padding, k, shape):
    conv, rng = conv_with_bias(2, shape[3], 3, k, padding)
    check_layer_gradients(conv, rng.standard_normal(shape))


def test_conv_init_is_he_normal_with_zero_biases_and_repeatable():
    conv = Conv2D(8, 64, 3, rng=0)
    assert conv.kernels.shape == (3, 3, 8, 64) and conv.kernels.dtype == np.float64
    np.testing.assert_array_equal(conv.biases, np.zeros(64))
    assert abs(conv.kernels.std() - np.sqrt(2 / 72)) < 0.01
    np.testing.assert_array_equal(Conv2D(8, 64, 3, rng=0).kernels, conv.kernels)
    assert Conv2D(1, 2, dtype=np.float32).kernels.dtype == np.float32
    assert Conv2D(1, 2).padding == "valid" and Conv2D(1, 2).k == 3


def test_conv_keeps_float32_and_its_gradients_are_float32():
    conv = Conv2D(2, 3, 3, "same", rng=0, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 2)).astype(np.float32)
    out = conv.forward(x)
    assert out.dtype == np.float32
    d_x = conv.backprop(np.ones(out.shape, dtype=np.float32))
    assert d_x.dtype == np.float32 and conv.grads["kernels"].dtype == np.float32
    np.testing.assert_allclose(out, Conv2D(2, 3, 3, "same", rng=0).forward(x.astype(float)), rtol=1e-5, atol=1e-5)


def test_conv_bias_gradient_is_the_sum_of_the_output_gradient():
    conv, rng = conv_with_bias(3, 2, 3, 3, "valid")
    x = rng.standard_normal((3, 5, 5, 2))
    d_out = rng.standard_normal(conv.forward(x).shape)
    conv.backprop(d_out)
    np.testing.assert_allclose(conv.grads["biases"], d_out.sum(axis=(0, 1, 2)))


# ---------------------------------------------------------------- ReLU and MaxPool2D


def test_relu_forward_backward_and_zero_at_the_kink():
    relu = ReLU()
    x = np.array([[-1.0, 0.0, 2.0, 3.5]])
    np.testing.assert_array_equal(relu.forward(x), [[0, 0, 2, 3.5]])
    np.testing.assert_array_equal(relu.backprop(np.array([[1.0, 2.0, 3.0, 4.0]])), [[0, 0, 3, 4]])
    assert relu.params() == {}
    check_layer_gradients(ReLU(), np.random.default_rng(0).standard_normal((2, 3, 4, 2)))


def test_maxpool_values_shapes_and_odd_sizes():
    x = np.random.default_rng(0).standard_normal((2, 5, 7, 3))
    out = MaxPool2D().forward(x)
    assert out.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(out, x[:, :4, :6].reshape(2, 2, 2, 3, 2, 3).max(axis=(2, 4)))
    check_layer_gradients(MaxPool2D(), x)


def test_maxpool_gives_a_tie_to_the_first_maximum_only():
    x = np.array([[1, 9, 5, 5], [3, 2, 5, 5], [7, 0, 8, 1], [7, 6, 2, 4]], dtype=float)[None, :, :, None]
    pool = MaxPool2D()
    np.testing.assert_array_equal(pool.forward(x)[0, :, :, 0], [[9, 5], [7, 8]])
    d_x = pool.backprop(np.array([[1.0, 2.0], [3.0, 4.0]])[None, :, :, None])[0, :, :, 0]
    np.testing.assert_array_equal(d_x, [[0, 1, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])


# ---------------------------------------------------------------- Dense, loss


def test_dense_flattens_in_row_column_channel_order_and_checks_gradients():
    rng = np.random.default_rng(4)
    dense = Dense(2 * 3 * 4, 5, rng)
    dense.biases[:] = rng.standard_normal(5)
    x = rng.standard_normal((3, 2, 3, 4))
    np.testing.assert_allclose(dense.forward(x), x.reshape(3, -1) @ dense.weights + dense.biases)
    check_layer_gradients(dense, x)
    assert abs(Dense(400, 300, rng=0).weights.std() - np.sqrt(2 / 400)) < 0.005
    np.testing.assert_array_equal(Dense(4, 3).biases, np.zeros(3))


def test_loss_equals_log_softmax_and_its_gradient_is_p_minus_y_over_n():
    rng = np.random.default_rng(5)
    logits, labels = rng.standard_normal((4, 6)) * 3, np.array([0, 5, 2, 2])
    layer = SoftmaxCrossEntropy()
    value = layer.forward(logits, labels)
    assert isinstance(value, float)
    assert np.isclose(value, -log_softmax(logits, axis=1)[np.arange(4), labels].mean(), rtol=1e-14)
    expected = np.exp(log_softmax(logits, axis=1))
    expected[np.arange(4), labels] -= 1
    np.testing.assert_allclose(layer.backprop(), expected / 4, rtol=1e-12, atol=1e-15)
    numeric = numerical_gradient(lambda: layer.forward(logits, labels), logits)
    layer.forward(logits, labels)
    assert relative_error(layer.backprop(), numeric) < 1e-7


def test_loss_is_stable_for_huge_logits():
    layer = SoftmaxCrossEntropy()
    assert np.isclose(layer.forward(np.array([[1000.0, 0.0, -1000.0]]), [1]), 1000.0)
    np.testing.assert_allclose(layer.backprop(), [[1.0, -1.0, 0.0]], atol=1e-300)


# ---------------------------------------------------------------- SGD with momentum


def test_momentum_follows_the_formula():
    class One:
        def __init__(self):
            self.value = np.array([1.0, -2.0])

        def params(self):
            return {"value": self.value}

    layer, sgd = One(), SGDMomentum(learn_rate=0.1, momentum=0.5)
    layer.grads = {"value": np.array([1.0, 2.0])}
    sgd.step([layer])                                    # v = -0.1 g
    np.testing.assert_allclose(layer.value, [0.9, -2.2])
    sgd.step([layer])                                    # v = 0.5 * (-0.1 g) - 0.1 g = -0.15 g
    np.testing.assert_allclose(layer.value, [0.75, -2.5])
    plain = One()
    plain.grads = {"value": np.array([1.0, 2.0])}
    SGDMomentum(0.1, 0.0).step([plain])
    np.testing.assert_allclose(plain.value, [0.9, -2.2])
    assert SGDMomentum().learn_rate == 0.01 and SGDMomentum().momentum == 0.9


def test_momentum_keeps_one_velocity_per_layer_and_parameter():
    a, b = Dense(2, 1, rng=0), Dense(2, 1, rng=1)
    start_a, start_b = a.weights.copy(), b.weights.copy()
    sgd = SGDMomentum(1.0, 0.9)
    a.grads = {"weights": np.ones((2, 1)), "biases": np.zeros(1)}
    b.grads = {"weights": np.zeros((2, 1)), "biases": np.zeros(1)}
    sgd.step([a, b])
    sgd.step([a, b])
    np.testing.assert_allclose(a.weights, start_a - 2.9)   # -1, then -0.9 - 1
    np.testing.assert_allclose(b.weights, start_b)


# ---------------------------------------------------------------- the network


def small_network(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [Conv2D(1, 3, 3, "same", rng, dtype), ReLU(), MaxPool2D(), Conv2D(3, 4, 3, "valid", rng, dtype),
            ReLU(), MaxPool2D(), Dense(4, 3, rng, dtype)]


def test_whole_network_gradient_check():
    layers = small_network()
    for layer in layers:
        if hasattr(layer, "biases"):
            layer.biases[:] = 0.1
    x = np.random.default_rng(1).standard_normal((2, 8, 9, 1))
    labels = np.array([2, 0])
    loss = SoftmaxCrossEntropy()
    loss.forward(forward(layers, x), labels)
    d_x = backprop(layers, loss.backprop())
    value = lambda: loss.forward(forward(layers, x), labels)
    assert relative_error(d_x, numerical_gradient(value, x)) < 1e-6
    for layer in (layers[0], layers[3], layers[6]):
        for name, param in layer.params().items():
            assert relative_error(layer.grads[name], numerical_gradient(value, param)) < 1e-6


def test_train_step_lowers_the_loss_and_counts_correct():
    rng = np.random.default_rng(0)
    layers, loss, sgd = small_network(), SoftmaxCrossEntropy(), SGDMomentum(0.05, 0.9)
    x, labels = rng.standard_normal((6, 8, 9, 1)), np.array([0, 1, 2, 0, 1, 2])
    first, correct = train_step(layers, loss, sgd, x, labels)
    assert correct == int(np.sum(forward(small_network(), x).argmax(axis=1) == labels))
    for _ in range(30):
        last, correct = train_step(layers, loss, sgd, x, labels)
    assert last < first / 5 and correct == 6
    assert accuracy(layers, x, labels, batch_size=4) == 1.0


def test_accuracy_counts_matches_across_batches():
    layers = small_network()
    x = np.random.default_rng(2).standard_normal((7, 8, 9, 1))
    predicted = forward(layers, x).argmax(axis=1)
    labels = predicted.copy()
    labels[:3] = (labels[:3] + 1) % 3
    assert accuracy(layers, x, labels, batch_size=2) == pytest.approx(4 / 7)
    assert accuracy(layers, x, labels) == pytest.approx(4 / 7)


def test_save_and_load_round_trip(tmp_path):
    trained, fresh = small_network(0, np.float32), small_network(7, np.float32)
    path = tmp_path / "w.npz"
    save_weights(path, trained)
    with np.load(path) as saved:
        assert sorted(saved.files) == ["0/biases", "0/kernels", "3/biases", "3/kernels", "6/biases", "6/weights"]
    load_weights(path, fresh)
    x = np.random.default_rng(3).standard_normal((2, 8, 9, 1)).astype(np.float32)
    np.testing.assert_array_equal(forward(fresh, x), forward(trained, x))
    with pytest.raises(ValueError, match="load_weights.*不一致"):
        load_weights(path, small_network()[:3])
    wrong = [Conv2D(1, 5, 3, "same", 0), ReLU(), MaxPool2D(), Conv2D(5, 4, 3), ReLU(), MaxPool2D(), Dense(4, 3)]
    with pytest.raises(ValueError, match="load_weights.*0/kernels.*形状"):
        load_weights(path, wrong)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("make, pattern", [
    (lambda: Conv2D(0, 4), "Conv2D: in_channels"),
    (lambda: Conv2D(1, 2.5), "Conv2D: filters"),
    (lambda: Conv2D(1, 2, kernel_size=True), "Conv2D: kernel_size"),
    (lambda: Conv2D(1, 2, padding="full"), "Conv2D: padding"),
    (lambda: Conv2D(1, 2, padding=1), "Conv2D: padding"),
    (lambda: Conv2D(1, 2, dtype=np.int32), "Conv2D: dtype"),
    (lambda: Conv2D(1, 2, dtype="float16"), "Conv2D: dtype"),
    (lambda: Conv2D(1, 2, dtype="no such type"), "Conv2D: dtype"),
    (lambda: Conv2D(1, 2, rng=-1), "Conv2D: rng"),
    (lambda: Dense(0, 3), "Dense: input_len"),
    (lambda: Dense(3, -1), "Dense: nodes"),
    (lambda: Dense(3, 2, dtype=complex), "Dense: dtype"),
    (lambda: SGDMomentum(-0.1), "SGDMomentum: learn_rate"),
    (lambda: SGDMomentum(float("nan")), "SGDMomentum: learn_rate"),
    (lambda: SGDMomentum(0.1, 1.0), "SGDMomentum: momentum"),
    (lambda: SGDMomentum(0.1, -0.5), "SGDMomentum: momentum"),
    (lambda: SGDMomentum(True), "SGDMomentum: learn_rate"),
])
def test_bad_constructor_arguments_are_named(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_edge_values_are_accepted():
    assert SGDMomentum(0, 0).momentum == 0.0
    assert SGDMomentum(0.1, 0.99).momentum == 0.99
    assert Conv2D(1, 1, kernel_size=1).k == 1 and Conv2D(np.int64(2), 3).in_channels == 2


def test_bad_forward_input_is_explained():
    conv = Conv2D(2, 3)
    with pytest.raises(ValueError, match="Conv2D.forward: x 应有 2 个通道"):
        conv.forward(np.zeros((1, 5, 5, 3)))
    with pytest.raises(ValueError, match="Conv2D.forward.*4 维"):
        conv.forward(np.zeros((5, 5, 2)))
    with pytest.raises(ValueError, match="Conv2D.forward.*至少要是 3"):
        conv.forward(np.zeros((1, 2, 5, 2)))
    Conv2D(2, 3, padding="same").forward(np.zeros((1, 2, 2, 2)))          # same padding: any size
    with pytest.raises(ValueError, match="Conv2D.forward.*NaN"):
        conv.forward(np.full((1, 5, 5, 2), np.nan))
    with pytest.raises(ValueError, match="Conv2D.forward.*NaN"):
        conv.forward(np.full((1, 5, 5, 2), np.inf, dtype=np.float32))
    with pytest.raises(ValueError, match="Conv2D.forward.*4 维"):
        conv.forward(np.zeros((5, 5, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="Conv2D.forward.*至少要是 3"):
        conv.forward(np.zeros((1, 2, 5, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="Conv2D.forward.*空的"):
        conv.forward(np.zeros((0, 5, 5, 2)))
    with pytest.raises(ValueError, match="Conv2D.forward.*空的"):
        conv.forward(np.zeros((0, 5, 5, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="MaxPool2D.forward.*至少要是 2"):
        MaxPool2D().forward(np.zeros((1, 1, 4, 2)))
    with pytest.raises(ValueError, match="ReLU.forward: x 应是 2 维 或 3 维 或 4 维数组"):
        ReLU().forward(np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="ReLU.forward"):
        ReLU().forward(np.zeros(3))
    with pytest.raises(ValueError, match="Dense.forward: 每个样本需要 8 个值"):
        Dense(8, 2).forward(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="softmax_cross_entropy.*labels"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="softmax_cross_entropy.*labels"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), [0.0, 1.0])


def test_low_dimensional_inputs_are_accepted():
    out = ReLU().forward(np.array([[-1.0, 2.0]], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 2]])
    np.testing.assert_array_equal(ReLU().forward([[-1, 2]]), [[0, 2]])
    assert Dense(6, 2).forward(np.zeros((4, 2, 3))).shape == (4, 2)
    assert Dense(6, 2).forward(np.zeros((4, 6))).shape == (4, 2)


@pytest.mark.parametrize("layer, x", [
    (Conv2D(1, 2), np.zeros((1, 5, 5, 1))), (ReLU(), np.zeros((1, 4, 4, 2))),
    (MaxPool2D(), np.zeros((1, 4, 4, 2))), (Dense(4, 2), np.zeros((3, 4))),
])
def test_backprop_before_forward_and_wrong_gradient_shapes_are_explained(layer, x):
    name = type(layer).__name__
    with pytest.raises(ValueError, match=f"{name}.backprop: 还没有调用 forward"):
        layer.backprop(np.zeros(1))
    out = layer.forward(x)
    for wrong in (np.zeros(out.shape[:-1] + (out.shape[-1] + 1,)), np.zeros(out.shape, dtype=np.float32)[..., :1]):
        with pytest.raises(ValueError, match=f"{name}.backprop: d_L_d_out 的形状"):
            layer.backprop(wrong)
    assert layer.backprop(np.zeros(out.shape)).shape == x.shape


def test_loss_backprop_before_forward_and_optimizer_without_gradients():
    with pytest.raises(ValueError, match="SoftmaxCrossEntropy.backprop: 还没有调用 forward"):
        SoftmaxCrossEntropy().backprop()
    with pytest.raises(ValueError, match=r"SGDMomentum.step \(Dense\): 还没有调用 forward"):
        SGDMomentum().step([Dense(2, 2)])


def test_accuracy_checks_its_arguments():
    with pytest.raises(ValueError, match="accuracy.*labels"):
        accuracy(small_network(), np.zeros((3, 8, 9, 1)), [0, 1])
    with pytest.raises(ValueError, match="accuracy: batch_size"):
        accuracy(small_network(), np.zeros((2, 8, 9, 1)), [0, 1], batch_size=0)


# ---------------------------------------------------------------- Keras, layer by layer


@pytest.fixture(scope="module")
def tf_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    import keras
    return tf, keras


def test_network_equals_keras_layer_by_layer_in_float64(tf_keras):
    tf, keras = tf_keras
    rng = np.random.default_rng(0)
    layers = [Conv2D(2, 4, 3, "same", rng), ReLU(), MaxPool2D(), Conv2D(4, 5, 3, "valid", rng), ReLU(),
              MaxPool2D(), Dense(2 * 2 * 5, 3, rng)]
    for layer in (layers[0], layers[3], layers[6]):
        layer.biases[:] = rng.standard_normal(layer.biases.shape) * 0.1
    x = rng.standard_normal((4, 12, 13, 2))
    x[0, :4, :4] = -1.0                                                   # ties after ReLU
    labels = np.array([0, 2, 1, 2])
    model = keras.Sequential([
        keras.Input(shape=(12, 13, 2), dtype="float64"),
        keras.layers.Conv2D(4, 3, padding="same", dtype="float64"), keras.layers.ReLU(dtype="float64"),
        keras.layers.MaxPool2D(2, dtype="float64"),
        keras.layers.Conv2D(5, 3, padding="valid", dtype="float64"), keras.layers.ReLU(dtype="float64"),
        keras.layers.MaxPool2D(2, dtype="float64"),
        keras.layers.Flatten(dtype="float64"), keras.layers.Dense(3, dtype="float64"),
    ])
    model.set_weights([p for layer in layers for p in layer.params().values()])

    outputs, out = [], x
    for layer in layers:
        out = layer.forward(out)
        outputs.append(out)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(out, labels)
    d_outs, gradient = [None] * 7, loss.backprop()
    for i in reversed(range(7)):
        d_outs[i] = gradient
        gradient = layers[i].backprop(gradient)

    x_tf = tf.Variable(x)
    with tf.GradientTape() as tape:
        tf_outs, out = [], x_tf
        for keras_layer in model.layers:
            out = keras_layer(out)
            tf_outs.append(out)
        tf_value = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(labels, out)
    del tf_outs[6]
    grads = tape.gradient(tf_value, tf_outs + [x_tf] + model.trainable_variables)

    def close(a, b):
        b = np.asarray(b)
        assert np.abs(a - b).max() <= 1e-10 * np.abs(b).max()

    assert abs(value - float(tf_value)) < 1e-12
    for a, b in zip(outputs, tf_outs):
        close(a, b)
    for a, b in zip(d_outs, grads[:7]):
        close(a, b)
    close(gradient, grads[7])
    for a, b in zip([layer.grads[n] for layer in layers for n in layer.params()], grads[8:]):
        close(a, b)


def test_momentum_equals_keras_sgd(tf_keras):
    tf, keras = tf_keras
    dense = Dense(3, 2, rng=0)
    variable = tf.Variable(dense.weights.copy())
    # Keras keeps the learning rate and the momentum as float32 numbers: use the same rounded values
    ours = SGDMomentum(float(np.float32(0.1)), float(np.float32(0.9)))
    theirs = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    for g in np.random.default_rng(1).standard_normal((4, 3, 2)):
        dense.grads = {"weights": g, "biases": np.zeros(2)}
        ours.step([dense])
        theirs.apply_gradients([(tf.constant(g), variable)])
    np.testing.assert_allclose(dense.weights, variable.numpy(), rtol=1e-12)


def test_im2col_checks_its_arguments():
    with pytest.raises(ValueError, match="im2col: k"):
        im2col(np.zeros((1, 4, 4, 1)), 0)
    with pytest.raises(ValueError, match="im2col.*至少要是 5"):
        im2col(np.zeros((1, 4, 6, 1)), 5)
    with pytest.raises(ValueError, match="im2col.*4 维"):
        im2col(np.zeros((4, 4, 1)), 3)
    assert im2col(np.zeros((1, 4, 4, 1), dtype=np.float32), 4).dtype == np.float32


def test_conv_init_uses_the_rng_draws_in_order():
    expected = np.random.default_rng(0).standard_normal((3, 3, 2, 4)) * np.sqrt(2 / 18)
    np.testing.assert_array_equal(Conv2D(2, 4, 3, rng=0).kernels, expected)


def test_same_padding_accepts_a_1x1_image_and_refuses_an_empty_one():
    conv = Conv2D(2, 3, 3, "same", rng=0)
    x = np.random.default_rng(1).standard_normal((2, 1, 1, 2))
    out = conv.forward(x)
    np.testing.assert_allclose(out[:, 0, 0], x[:, 0, 0] @ conv.kernels[1, 1] + conv.biases)   # only the centre tap
    with pytest.raises(ValueError, match="Conv2D.forward.*至少要是 1"):
        conv.forward(np.zeros((1, 0, 4, 2)))


def test_maxpool_backprop_keeps_float32():
    pool = MaxPool2D()
    out = pool.forward(np.random.default_rng(0).standard_normal((1, 4, 4, 2)).astype(np.float32))
    assert out.dtype == np.float32
    assert pool.backprop(np.ones(out.shape, dtype=np.float32)).dtype == np.float32


# ---------------------------------------------------------------- found by mutation testing (2026-12-02)


def test_float64_and_float32_inputs_are_checked_alike():
    """Every axis of a 4-D batch is checked, with the argument named, whatever the dtype."""
    conv = Conv2D(2, 3)
    for dtype in (np.float64, np.float32):
        with pytest.raises(ValueError, match="Conv2D.forward: x 应是 4 维"):
            conv.forward(np.zeros((5, 5, 2), dtype=dtype))
        with pytest.raises(ValueError, match="Conv2D.forward: x 的高和宽至少要是 3"):
            conv.forward(np.zeros((1, 5, 2, 2), dtype=dtype))           # the width is too small
        with pytest.raises(ValueError, match="ReLU.forward: x 的高和宽至少要是 1"):
            ReLU().forward(np.zeros((1, 0, 4, 2), dtype=dtype))          # an image without rows
        assert ReLU().forward(np.zeros((3, 0), dtype=dtype)).shape == (3, 0)   # 2-D: no image axes
        with pytest.raises(ValueError, match="ReLU.forward: x 的高和宽至少要是 1"):
            ReLU().forward(np.zeros((2, 0, 5), dtype=dtype))             # 3-D: axes 1 and 2 as well
    with pytest.raises(ValueError, match="Conv2D.forward: x 不能是复数"):
        conv.forward(np.zeros((1, 5, 5, 2), dtype=complex))
    out = ReLU().forward(np.array([[-1, 2]]))                         # integers become float64
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match="Dense.forward: x 里有 NaN"):
        Dense(2, 1).forward(np.array([[1.0, np.nan]]))


def test_backprop_accepts_lists_and_refuses_bad_gradients_of_either_float_dtype():
    relu = ReLU()
    relu.forward(np.array([[-1.0, 2.0]]))
    np.testing.assert_array_equal(relu.backprop([[5.0, 6.0]]), [[0.0, 6.0]])
    for dtype in (np.float64, np.float32):
        with pytest.raises(ValueError, match="ReLU.backprop: d_L_d_out 里有 NaN"):
            relu.backprop(np.array([[np.nan, 1.0]], dtype=dtype))
    conv = Conv2D(1, 2)
    conv.forward(np.zeros((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="Conv2D.backprop: d_L_d_out 应是 4 维"):
        conv.backprop(np.zeros((3, 3, 2)))


def test_bad_rates_are_explained_with_their_bounds():
    for value in ("0.1", None, [0.1]):
        with pytest.raises(ValueError, match="SGDMomentum: learn_rate 必须是不小于 0 的有限实数"):
            SGDMomentum(value)
    with pytest.raises(ValueError, match="SGDMomentum: momentum 必须是不小于 0、小于 1 的有限实数"):
        SGDMomentum(0.1, 1.5)


def test_dense_keeps_float32():
    dense = Dense(4, 3, rng=0, dtype=np.float32)
    assert dense.weights.dtype == np.float32 and dense.biases.dtype == np.float32
    out = dense.forward(np.ones((2, 4), dtype=np.float32))
    assert out.dtype == np.float32


def test_loss_is_stable_when_the_rows_have_very_different_scales():
    logits = np.array([[1000.0, 999.0], [0.0, -1.0]])      # one shift for all rows would underflow row 2
    layer = SoftmaxCrossEntropy()
    value = layer.forward(logits, [0, 1])
    expected = -(log_softmax(logits, axis=1)[[0, 1], [0, 1]]).mean()
    assert np.isclose(value, expected)
    gradient = layer.backprop()
    assert np.all(np.isfinite(gradient))
    np.testing.assert_allclose(gradient.sum(axis=1), 0, atol=1e-15)


def test_loss_backprop_can_be_called_twice():
    layer = SoftmaxCrossEntropy()
    layer.forward(np.array([[1.0, 2.0, 0.5]]), [1])
    first = layer.backprop()
    np.testing.assert_array_equal(layer.backprop(), first)


def test_accuracy_when_the_batch_size_divides_the_number_of_images():
    layers = small_network()
    x = np.random.default_rng(5).standard_normal((6, 8, 9, 1))
    labels = forward(layers, x).argmax(axis=1)
    assert accuracy(layers, x, labels, batch_size=3) == 1.0
    assert accuracy(layers, x, labels, batch_size=6) == 1.0


def test_dtype_error_shows_the_dtype_received():
    with pytest.raises(ValueError, match=r"Conv2D: dtype 只能是 float32 或 float64，收到的是 dtype\('int32'\)"):
        Conv2D(1, 2, dtype=np.int32)
