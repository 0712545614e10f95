"""Tests of cnnbook.three_apis: one network in a TF1 session, with GradientTape and in Keras."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cnnbook import three_apis  # noqa: E402
from cnnbook.three_apis import THREE_API_SHAPES  # noqa: E402

STEPS, BATCH = 3, 10


@pytest.fixture(scope="module")
def data():
    return three_apis.three_api_data(STEPS, BATCH, n_eval=20)


@pytest.fixture(scope="module")
def runs(data, tmp_path_factory):
    images, labels, eval_images = data
    weights = three_apis.three_api_weights(seed=0)
    folder = tmp_path_factory.mktemp("three_apis")
    tf1 = three_apis.tf1_train(weights, images, labels, BATCH, eval_images=eval_images,
                               checkpoint=str(folder / "ckpt"), logdir=str(folder / "tf1"))
    tf2 = three_apis.tf2_train(weights, images, labels, BATCH, eval_images=eval_images,
                               logdir=str(folder / "tf2"))
    keras_run = three_apis.keras_train(weights, images, labels, BATCH, eval_images=eval_images)
    return {"tf1": tf1, "tf2": tf2, "keras": keras_run, "folder": folder, "weights": weights}


def test_data_shapes_and_order(data):
    images, labels, eval_images = data
    assert images.shape == (STEPS * BATCH, 28, 28, 1) and images.dtype == np.float32
    assert labels.shape == (STEPS * BATCH,) and labels.dtype == np.int64
    assert eval_images.shape == (20, 28, 28, 1)
    assert 0 <= images.min() and images.max() <= 1 and images.max() > 0.9
    from cnnbook.data import load_mnist
    (x_train, y_train), (x_test, _) = load_mnist(verbose=False)
    np.testing.assert_array_equal(labels, y_train[:STEPS * BATCH])  # in order, not shuffled
    np.testing.assert_allclose(images[..., 0], x_train[:STEPS * BATCH] / 255, rtol=1e-6)
    np.testing.assert_allclose(eval_images[..., 0], x_test[:20] / 255, rtol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(n_steps=0), dict(batch_size=-1), dict(n_eval=0),
                                    dict(n_steps=2.5), dict(batch_size=True),
                                    dict(n_steps=100, batch_size=100), dict(n_eval=5000)])
def test_data_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        three_apis.three_api_data(**kwargs)


def test_data_error_names_argument():
    with pytest.raises(ValueError, match="batch_size"):
        three_apis.three_api_data(batch_size=0)


def test_weights_shapes_scale_and_seed():
    weights = three_apis.three_api_weights(seed=0)
    assert list(weights) == list(THREE_API_SHAPES)
    for name, shape in THREE_API_SHAPES.items():
        assert weights[name].shape == shape and weights[name].dtype == np.float32
        if name.endswith("/b"):
            assert not weights[name].any()
        else:  # He normal: standard deviation sqrt(2 / fan_in)
            expected = np.sqrt(2 / np.prod(shape[:-1]))
            assert abs(weights[name].std() / expected - 1) < 0.1
            assert abs(weights[name].mean()) < 0.1 * expected
    again = three_apis.three_api_weights(seed=0)
    other = three_apis.three_api_weights(seed=1)
    assert all(np.array_equal(weights[n], again[n]) for n in weights)
    assert not np.array_equal(weights["fc1/W"], other["fc1/W"])


def test_check_weights():
    weights = three_apis.three_api_weights()
    three_apis.check_three_api_weights(weights)
    with pytest.raises(ValueError, match="weights"):
        three_apis.check_three_api_weights([1, 2])
    missing = dict(weights)
    del missing["output/b"]
    with pytest.raises(ValueError, match="output/b"):
        three_apis.check_three_api_weights(missing)
    wrong = dict(weights, **{"conv1/W": np.zeros((3, 3, 1, 32), np.float32)})
    with pytest.raises(ValueError, match="conv1/W"):
        three_apis.check_three_api_weights(wrong)


@pytest.mark.parametrize("train", ["tf1_train", "tf2_train", "keras_train"])
def test_batch_size_must_divide(train, data):
    images, labels, _ = data
    with pytest.raises(ValueError, match="batch_size"):
        getattr(three_apis, train)(three_apis.three_api_weights(), images, labels, 7)


def test_three_loss_curves_agree(runs):
    tf1, tf2, keras_run = (runs[k]["loss"] for k in ("tf1", "tf2", "keras"))
    assert tf1.shape == tf2.shape == keras_run.shape == (STEPS,)
    np.testing.assert_allclose(tf2, tf1, atol=1e-4)
    np.testing.assert_allclose(keras_run, tf2, atol=1e-5)
    assert abs(tf1[0] - np.log(10)) < 0.5  # an untrained net guesses
    assert not np.allclose(tf1[0], tf1[1])  # the weights changed between steps


def test_trained_logits_agree(runs):
    for key in ("tf2", "keras"):
        assert runs[key]["logits"].shape == (20, 10)
        np.testing.assert_allclose(runs[key]["logits"], runs["tf1"]["logits"], atol=1e-3)


def test_checkpoint_by_name_and_events(runs, data):
    import tensorflow as tf
    reader = tf.train.load_checkpoint(str(runs["folder"] / "ckpt"))
    names = reader.get_variable_to_shape_map()
    for name, shape in THREE_API_SHAPES.items():
        assert tuple(names[name]) == shape
    eval_images = data[2]
    params = three_apis.tf2_params({n: reader.get_tensor(n) for n in THREE_API_SHAPES})
    logits = three_apis.tf2_forward(params, tf.constant(eval_images)).numpy()
    np.testing.assert_allclose(logits, runs["tf1"]["logits"], atol=1e-5)
    model = three_apis.keras_model({n: reader.get_tensor(n) for n in THREE_API_SHAPES})
    np.testing.assert_allclose(model.predict(eval_images, verbose=0),
                               runs["tf1"]["logits"], atol=1e-5)
    for key, tag in (("tf1", "train/loss"), ("tf2", "train/loss")):
        scalars, graphs = three_apis.read_events(str(runs["folder"] / key))
        steps, values = np.array(scalars[tag]).T
        np.testing.assert_array_equal(steps, np.arange(STEPS))
        np.testing.assert_allclose(values, runs[key]["loss"], rtol=1e-6)
    assert len(three_apis.read_events(str(runs["folder"] / "tf1"))[1]) == 1


def test_batch_losses_from_running_means():
    record = three_apis.BatchLosses()
    record.on_train_begin()
    for mean in (2.0, 1.5, 1.0):  # batch losses 2, 1, 0
        record.on_train_batch_end(0, {"loss": mean})
    np.testing.assert_allclose(record.losses(), [2.0, 1.0, 0.0])


def test_keras_model_layers():
    model = three_apis.keras_model()
    assert [layer.name for layer in model.layers] == [
        "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "dropout", "output"]
    assert model.count_params() == sum(int(np.prod(s)) for s in THREE_API_SHAPES.values())
    assert model.get_layer("dropout").rate == 0.0
    assert three_apis.keras_model(dropout_rate=0.5).get_layer("dropout").rate == 0.5


def test_tfrecords_reads_what_tensorflow_writes(tmp_path):
    import tensorflow as tf
    path = str(tmp_path / "records")
    payloads = [b"", b"a", b"hello" * 1000]
    with tf.io.TFRecordWriter(path) as writer:
        for payload in payloads:
            writer.write(payload)
    assert list(three_apis.tfrecords(path)) == payloads


# ---------------------------------------------------------------- found by mutation testing (2026-12-02)


def test_data_defaults_are_30_batches_of_50_and_200_test_images(capsys):
    images, labels, eval_images = three_apis.three_api_data()
    assert images.shape == (1500, 28, 28, 1) and labels.shape == (1500,) and eval_images.shape == (200, 28, 28, 1)
    assert capsys.readouterr().out == ""          # load_mnist is asked to stay quiet


def test_data_limits_are_the_whole_offline_split():
    from cnnbook.data import load_mnist
    (x_train, _), (x_test, _) = load_mnist(verbose=False)
    images, labels, eval_images = three_apis.three_api_data(1, len(x_train), len(x_test))   # everything fits
    assert len(images) == len(labels) == len(x_train) and len(eval_images) == len(x_test)
    small = three_apis.three_api_data(1, 1, 1)                                             # 1 is allowed
    assert small[0].shape == (1, 28, 28, 1) and small[2].shape == (1, 28, 28, 1)
    with pytest.raises(ValueError, match="超过了"):
        three_apis.three_api_data(1, len(x_train) + 1, 1)
    with pytest.raises(ValueError, match="超过了"):
        three_apis.three_api_data(1, 1, len(x_test) + 1)


def test_weights_are_the_seed_0_draws_in_order():
    weights = three_apis.three_api_weights()
    rng = np.random.default_rng(0)
    expected = rng.normal(0.0, np.sqrt(2 / 25), (5, 5, 1, 32)).astype(np.float32)   # conv1/W is drawn first
    np.testing.assert_array_equal(weights["conv1/W"], expected)
    expected = rng.normal(0.0, np.sqrt(2 / 800), (5, 5, 32, 64)).astype(np.float32)
    np.testing.assert_array_equal(weights["conv2/W"], expected)


def test_check_weights_explains_a_non_dict():
    with pytest.raises(ValueError, match="weights 必须是从变量名到数组的字典，收到的是 list"):
        three_apis.check_three_api_weights([1, 2])


def test_tf1_graph_has_the_names_tensorboard_shows(runs):
    graph = three_apis.read_events(str(runs["folder"] / "tf1"))[1][0]
    names = {node.name for node in graph.node}
    for name in ("inputs/x", "inputs/y", "inputs/dropout_rate", "output/logits", "train/mean", "train/step"):
        assert name in names, name
    assert any(name.startswith("fc1/dropout/") for name in names)      # the dropout layer is in the graph


def test_tf2_forward_applies_dropout_only_when_asked():
    import tensorflow as tf
    params = three_apis.tf2_params(three_apis.three_api_weights())
    x = tf.constant(np.random.default_rng(0).uniform(0, 1, (2, 28, 28, 1)).astype(np.float32))
    plain = three_apis.tf2_forward(params, x).numpy()
    np.testing.assert_array_equal(three_apis.tf2_forward(params, x, dropout_rate=0.0).numpy(), plain)
    assert not np.allclose(three_apis.tf2_forward(params, x, dropout_rate=0.5).numpy(), plain)
    assert params["conv1/W"].name.startswith("conv1_W") and params["output/b"].name.startswith("output_b")


def test_every_entry_point_checks_the_weights():
    weights = three_apis.three_api_weights()
    del weights["fc1/b"]
    for call in (lambda: three_apis.tf2_params(weights), lambda: three_apis.keras_model(weights)):
        with pytest.raises(ValueError, match="weights 里缺少 'fc1/b'"):
            call()
    images = np.zeros((2, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match="weights 里缺少 'fc1/b'"):
        three_apis.tf1_train(weights, images, np.zeros(2, np.int64), 2)


def test_keras_model_input_and_names_whatever_was_built_before():
    three_apis.keras_model()                       # a second model must not get "flatten_1"
    model = three_apis.keras_model()
    assert model.input_shape == (None, 28, 28, 1)
    assert model.get_layer("flatten").name == "flatten"


def test_batch_losses_in_float64():
    record = three_apis.BatchLosses()
    record.on_train_begin()
    means = [2.3025851249694824, 2.1999999999, 2.0123456789]
    for mean in means:
        record.on_train_batch_end(0, {"loss": mean})
    expected = [means[0], 2 * means[1] - means[0], 3 * means[2] - 2 * means[1]]
    np.testing.assert_allclose(record.losses(), expected, rtol=1e-13)
