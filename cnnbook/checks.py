"""Input checks with plain-language errors, shared by the code exported from the chapters.

Every function here either returns its input in a clean form (a NumPy array of a known dtype, a
Python int, a random generator) or raises ``ValueError`` with a Chinese message that names the
caller and the argument, so that the teaching cells in the chapters stay short.
"""

import numpy as np


def _as_array(x, name, argument="输入"):
    """``np.asarray(x)``, with NumPy's English error for ragged nested lists turned into a plain one."""
    try:
        return np.asarray(x)
    except ValueError:
        raise ValueError(
            f"{name}: {argument}的各行长度不一致（不规则的嵌套列表），无法组成数组。"
        ) from None


def check_array(x, ndim, name, min_size=1, spatial_axes=(0, 1), argument=None, keep_float32=False):
    """Return ``x`` as a float64 array, or raise ``ValueError`` saying what is wrong.

    ``ndim`` is the number of dimensions the caller expects (an int, or a tuple of
    allowed ints); ``name`` names the caller in the message (e.g. ``"Conv3x3.forward"``)
    and ``argument`` the argument (e.g. ``"images"``; by default the message says 输入);
    ``min_size`` is the smallest allowed height and width, which sit on ``spatial_axes``
    (the first two axes by default; ``(1, 2)`` for a batch of images).
    With ``keep_float32=True`` a float32 array is checked the same way and returned as it is.
    """
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    what = "输入" if argument is None else f"{argument} "
    array = _as_array(x, name, what)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name}: {what}必须是数值数组，收到的 dtype 是 {array.dtype}。")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{name}: {what}不能是复数数组（dtype {array.dtype}）。")
    if array.ndim not in allowed:
        wanted = " 或 ".join(f"{d} 维" for d in allowed)
        raise ValueError(f"{name}: {what}应是 {wanted}数组，收到的形状是 {array.shape}（{array.ndim} 维）。")
    if array.ndim > max(spatial_axes) and min(array.shape[a] for a in spatial_axes) < min_size:
        raise ValueError(
            f"{name}: {what}的高和宽至少要是 {min_size}，收到的形状是 {array.shape}。"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: {what}里有 NaN 或无穷大。")
    if keep_float32 and array.dtype == np.float32:
        return array
    return array.astype(np.float64, copy=False)


def check_label(label, num_classes, name):
    """Return one class index ``label`` as a Python int in 0 .. num_classes - 1, or raise ``ValueError``."""
    is_int = isinstance(label, (int, np.integer)) and not isinstance(label, (bool, np.bool_))
    if not is_int or not 0 <= label < num_classes:
        raise ValueError(f"{name}: label 必须是 0 到 {num_classes - 1} 的整数，收到的是 {label!r}。")
    return int(label)


def check_labels(labels, name, num_classes=None, size=None):
    """Return ``labels`` as a 1-D int64 array of class indices, or raise ``ValueError``.

    Labels must be integers (a float label such as 3.7 is refused, never truncated), at least 0,
    and below ``num_classes`` when it is given; there must be ``size`` of them when it is given.
    """
    array = _as_array(labels, name, "labels ")
    if array.ndim != 1:
        raise ValueError(f"{name}: labels 应是一维数组，收到的形状是 {array.shape}。")
    if size is not None and array.size != size:
        raise ValueError(f"{name}: labels 应有 {size} 个（每个样本一个），收到的是 {array.size} 个。")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"{name}: labels 必须是整数类别编号，收到的 dtype 是 {array.dtype}"
            "（浮点数标签不会被悄悄截断成整数）。"
        )
    upper = f"{num_classes - 1}" if num_classes is not None else "类别数 - 1"
    if array.size and (array.min() < 0 or (num_classes is not None and array.max() >= num_classes)):
        raise ValueError(
            f"{name}: labels 必须在 0 到 {upper} 之间，收到的范围是 {array.min()} 到 {array.max()}。"
        )
    return array.astype(np.int64, copy=False)


def check_images_labels(images, labels, name, image_ndim=2, num_classes=None):
    """Return ``(images, labels)`` as (float64 array (n, ...), int64 array (n,)), or raise ``ValueError``.

    ``images`` holds ``n >= 1`` images of ``image_ndim`` dimensions each (2 for grey (h, w));
    ``labels`` holds exactly one class index per image.
    """
    images = check_array(images, image_ndim + 1, name, spatial_axes=(1, 2), argument="images")
    labels = check_labels(labels, name, num_classes)
    if len(images) == 0:
        raise ValueError(f"{name}: images 是空的，至少需要一张图。")
    if len(images) != len(labels):
        raise ValueError(
            f"{name}: images 有 {len(images)} 张，labels 却有 {len(labels)} 个，数量必须相同。"
        )
    return images, labels


def check_positive_int(value, argument, name):
    """Return ``value`` as a Python int >= 1, or raise ``ValueError`` naming ``argument``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: {argument} 必须是正整数，收到的是 {value!r}。")
    return int(value)


def make_rng(rng, name):
    """``numpy.random.default_rng(rng)``, or a plain ``ValueError`` for a value that is not a seed.

    A seed is ``None``, a non-negative integer, or a ``numpy.random.Generator``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    is_seed = rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)))
    if not is_seed or (rng is not None and rng < 0):
        raise ValueError(
            f"{name}: rng 必须是 None、非负整数种子或 numpy.random.Generator，收到的是 {rng!r}。"
        )
    return np.random.default_rng(rng)


def check_probabilities(probs, ndim, name, atol=1e-6):
    """Return ``probs`` as float64, or raise ``ValueError`` unless every row is a probability vector.

    A probability vector (along the last axis) has entries in [0, 1] that sum to 1 within ``atol``.
    """
    probs = check_array(probs, ndim, name, argument="probs")
    if probs.size == 0:
        raise ValueError(f"{name}: 概率数组是空的，形状 {probs.shape}。")
    if np.any(probs < 0) or np.any(probs > 1):
        raise ValueError(
            f"{name}: 概率必须在 0 到 1 之间，收到的最小值 {probs.min():.4g}、最大值 {probs.max():.4g}"
            "（传入的是不是 softmax 之前的分数？）。"
        )
    sums = probs.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=atol):
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"{name}: 每组概率之和必须是 1，收到的和为 {worst:.6g}。")
    return probs


def check_classifier_batch(model, images, labels, name):
    """Return ``(images, labels)`` for a Keras classifier: ``(n, h, w, c)`` and int64 ``(n,)``.

    The images come back in the model's input dtype (float64 for a float64 model, else float32).

    ``model`` must be a built Keras model whose input is a batch of images and whose output is one
    score per class; ``images`` must match its input shape and lie in [0, 1]; ``labels`` holds one
    class index per image.
    """
    input_shape = getattr(model, "input_shape", None)
    output_shape = getattr(model, "output_shape", None)
    if not callable(model) or input_shape is None or output_shape is None:
        raise ValueError(f"{name}: model 必须是建好的 Keras 模型，收到的是 {type(model).__name__}。")
    if len(input_shape) != 4 or len(output_shape) != 2:
        raise ValueError(
            f"{name}: model 的输入应是一批图 (n, 高, 宽, 通道)、输出应是每类一个分数 (n, 类别数)，"
            f"它的输入形状是 {input_shape}，输出形状是 {output_shape}。"
        )
    images = check_array(images, 4, name, spatial_axes=(1, 2), argument="images")
    if len(images) == 0:
        raise ValueError(f"{name}: images 是空的，至少需要一张图。")
    if any(want is not None and want != got for want, got in zip(input_shape[1:], images.shape[1:])):
        raise ValueError(
            f"{name}: images 的形状 {images.shape} 与模型的输入 {tuple(input_shape)} 不符。"
        )
    if images.min() < 0 or images.max() > 1:
        raise ValueError(
            f"{name}: images 的像素应在 0 到 1 之间，收到的范围是 {images.min():.4g} 到 {images.max():.4g}"
            "（是不是忘了除以 255？）。"
        )
    labels = check_labels(labels, name, num_classes=output_shape[-1], size=len(images))
    dtype = str(getattr(getattr(model, "input", None), "dtype", "float32"))
    return images.astype(np.float64 if dtype == "float64" else np.float32), labels


def check_nonnegative_float(value, argument, name):
    """Return ``value`` as a Python float that is finite and >= 0, or raise ``ValueError``."""
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    if not is_number or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: {argument} 必须是不小于 0 的有限实数，收到的是 {value!r}。")
    return float(value)
