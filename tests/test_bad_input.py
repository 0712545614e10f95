"""Bad input to what the book exports: a ValueError in plain Chinese that names the argument.

Each case here once gave a silent wrong result or an unhelpful error (issue 10): a wrong number of
labels, an empty set, float labels, a bad batch size, ragged lists, a bad seed, scores passed as
probabilities, an empty digit grid, a damaged MNIST cache.
"""

import numpy as np
import pytest

from cnnbook import data
from cnnbook.checks import check_array, check_images_labels, check_labels, check_probabilities, make_rng
from cnnbook.numpy_cnn import (
    Conv3x3,
    Conv3x3Batch,
    MaxPool2,
    MaxPool2Batch,
    Softmax,
    SoftmaxBatch,
    cross_entropy,
    cross_entropy_batch,
    evaluate,
    evaluate_batch,
    train_step_batch,
)
from cnnbook.plotting import show_digits

IMAGES = np.random.default_rng(0).integers(0, 256, size=(10, 8, 8)).astype(np.uint8)
LABELS = np.arange(10) % 4


def loop_net():
    return [Conv3x3(2, rng=0), MaxPool2(), Softmax(3 * 3 * 2, 4, rng=0)]


def batch_net():
    return [Conv3x3Batch(2, rng=0), MaxPool2Batch(), SoftmaxBatch(3 * 3 * 2, 4, rng=0)]


@pytest.mark.parametrize("evaluate_fn, net", [(evaluate, loop_net), (evaluate_batch, batch_net)])
class TestEvaluate:
    def test_fewer_labels_than_images(self, evaluate_fn, net):
        with pytest.raises(ValueError, match=r"images 有 10 张，labels 却有 5 个"):
            evaluate_fn(net(), IMAGES, LABELS[:5])

    def test_more_labels_than_images(self, evaluate_fn, net):
        with pytest.raises(ValueError, match=r"images 有 5 张，labels 却有 10 个"):
            evaluate_fn(net(), IMAGES[:5], LABELS)

    def test_empty_set(self, evaluate_fn, net):
        with pytest.raises(ValueError, match="images"):
            evaluate_fn(net(), [], [])
        with pytest.raises(ValueError, match="空的"):
            evaluate_fn(net(), np.zeros((0, 8, 8)), np.zeros(0, dtype=int))

    @pytest.mark.parametrize("labels", [LABELS + 0.5, LABELS.astype(float), LABELS.astype(bool)])
    def test_float_or_bool_labels_are_refused_not_truncated(self, evaluate_fn, net, labels):
        with pytest.raises(ValueError, match="labels 必须是整数"):
            evaluate_fn(net(), IMAGES, labels)

    def test_negative_label(self, evaluate_fn, net):
        with pytest.raises(ValueError, match="labels 必须在 0 到"):
            evaluate_fn(net(), IMAGES, LABELS - 1)

    def test_label_beyond_the_classes(self, evaluate_fn, net):
        with pytest.raises(ValueError, match="label"):
            evaluate_fn(net(), IMAGES, LABELS + 4)

    def test_ragged_images(self, evaluate_fn, net):
        with pytest.raises(ValueError, match="长度不一致"):
            evaluate_fn(net(), [np.zeros((8, 8)), np.zeros((8, 7))], [0, 1])

    def test_ragged_labels(self, evaluate_fn, net):
        with pytest.raises(ValueError, match="labels .*长度不一致|labels 应是一维"):
            evaluate_fn(net(), IMAGES[:2], [[0], [1, 2]])

    def test_a_single_image_is_not_a_set(self, evaluate_fn, net):
        with pytest.raises(ValueError, match="images 应是 3 维"):
            evaluate_fn(net(), IMAGES[0], LABELS[:1])

    def test_good_input_still_works_with_lists(self, evaluate_fn, net):
        loss, accuracy = evaluate_fn(net(), IMAGES.tolist(), LABELS.tolist())
        assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "32", None, True])
def test_evaluate_batch_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size 必须是正整数"):
        evaluate_batch(batch_net(), IMAGES, LABELS, batch_size=batch_size)


def test_train_step_batch_labels_must_match_the_batch():
    with pytest.raises(ValueError, match="labels 应有 10 个"):
        train_step_batch(batch_net(), IMAGES, LABELS[:9], 0.01)
    with pytest.raises(ValueError, match="labels 必须是整数"):
        train_step_batch(batch_net(), IMAGES, LABELS.astype(float), 0.01)


@pytest.mark.parametrize(
    "probs, match",
    [
        (np.array([0.5, 0.7, -0.2]), "0 到 1 之间"),           # sums to 1, but one is negative
        (np.array([0.2, 0.2, 0.2]), "之和必须是 1"),
        (np.array([1.0, 2.0, 3.0]), "softmax 之前的分数"),     # scores, not probabilities
        (np.array([]), "空的"),
    ],
)
def test_cross_entropy_wants_probabilities(probs, match):
    with pytest.raises(ValueError, match=match):
        cross_entropy(probs, 0)


def test_cross_entropy_minus_one_half_is_not_called_divergence():
    with pytest.raises(ValueError) as caught:
        cross_entropy(np.array([-0.5, 1.5]), 0)
    assert "发散" not in str(caught.value) and "0 到 1 之间" in str(caught.value)


def test_cross_entropy_batch_wants_probability_rows():
    probs = np.array([[0.5, 0.5], [0.9, 0.3]])
    with pytest.raises(ValueError, match="之和必须是 1"):
        cross_entropy_batch(probs, [0, 1])
    with pytest.raises(ValueError, match="labels 必须在 0 到 1 之间"):
        cross_entropy_batch(np.full((2, 2), 0.5), [0, -1])


@pytest.mark.parametrize("rng", [-1, 1.5, "seed", [1, "a"], True])
def test_bad_seeds(rng):
    with pytest.raises(ValueError, match="rng 必须是"):
        make_rng(rng, "Conv3x3")


@pytest.mark.parametrize("layer", [lambda rng: Conv3x3(2, rng=rng), lambda rng: Softmax(4, 2, rng=rng)],
                         ids=["Conv3x3", "Softmax"])
def test_layers_name_a_bad_seed(layer):
    with pytest.raises(ValueError, match=r"(Conv3x3|Softmax): rng 必须是"):
        layer(-5)
    with pytest.raises(ValueError, match="rng 必须是"):
        layer("0")


def test_good_seeds():
    assert make_rng(3, "f").integers(1000) == np.random.default_rng(3).integers(1000)
    generator = np.random.default_rng(1)
    assert make_rng(generator, "f") is generator
    assert isinstance(make_rng(None, "f"), np.random.Generator)


def test_check_array_names_the_argument_and_rejects_ragged_lists():
    with pytest.raises(ValueError, match="f: images 长度不一致|f: images 的各行长度不一致"):
        check_array([[1, 2], [3]], 2, "f", argument="images")
    with pytest.raises(ValueError, match="f: 输入里有 NaN 或无穷大"):
        check_array([[1.0, np.inf]], 2, "f")


def test_check_labels_and_images_labels_return_clean_arrays():
    images, labels = check_images_labels(IMAGES.tolist(), LABELS.tolist(), "f")
    assert images.dtype == np.float64 and images.shape == (10, 8, 8)
    assert labels.dtype == np.int64 and labels.tolist() == LABELS.tolist()
    assert check_labels(np.array([2, 0], dtype=np.uint8), "f", num_classes=3).dtype == np.int64
    with pytest.raises(ValueError, match="labels 必须在 0 到 2 之间"):
        check_labels([0, 3], "f", num_classes=3)


def test_check_probabilities_accepts_rows_within_tolerance():
    probs = np.full((3, 4), 0.25)
    probs[0, 0] += 1e-9
    assert check_probabilities(probs, 2, "f").shape == (3, 4)


class TestShowDigits:
    def test_empty(self):
        with pytest.raises(ValueError, match="n ≥ 1"):
            show_digits(np.zeros((0, 28, 28)), [])

    @pytest.mark.parametrize("ncols", [0, -2, 2.5, None])
    def test_bad_ncols(self, ncols):
        with pytest.raises(ValueError, match="ncols"):
            show_digits(np.zeros((3, 28, 28)), [0, 1, 2], ncols=ncols)

    @pytest.mark.parametrize("size", [0, -1.0, float("nan"), "1"])
    def test_bad_size(self, size):
        with pytest.raises(ValueError, match="size"):
            show_digits(np.zeros((3, 28, 28)), [0, 1, 2], size=size)

    def test_no_labels_means_no_titles(self):
        import matplotlib.pyplot as plt

        fig = show_digits(np.zeros((3, 28, 28)), ncols=2)
        assert [ax.get_title() for ax in fig.axes] == ["", "", "", ""]
        assert sum(bool(ax.images) for ax in fig.axes) == 3
        plt.close(fig)


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04 truncated", None],
    ids=["empty file", "truncated zip", "missing arrays"],
)
def test_damaged_mnist_cache_names_the_file_and_the_remedy(tmp_path, monkeypatch, content):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = tmp_path / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    if content is None:
        np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError) as caught:
        data.load_mnist("full", verbose=False)
    message = str(caught.value)
    assert str(path) in message and "删除" in message


def test_mnist_cache_with_wrong_shapes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = tmp_path / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(3, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match="形状不对"):
        data.load_mnist("full", verbose=False)
