"""Chapter 11 figures: what a trained network looks at.

Every picture of chapter 11 is drawn from the network the chapter trains (with fixed seeds), so there is
no static file to write: ``make(outdir)`` writes nothing.  The chapter computes the kernels, feature
maps, saliency / Grad-CAM / occlusion maps and FGSM accuracies, and calls these functions to draw them:

- ``draw_first_layer``: the first layer's kernels above the feature maps they give for one digit;
- ``draw_maps``: digits above their explanation maps (saliency, Grad-CAM, occlusion, ...);
- ``draw_attack_curve``: test accuracy against eps, for FGSM and for random sign noise;
- ``draw_adversarial``: a digit, the change FGSM made to it, and the adversarial example.

Each returns the matplotlib Figure (the chapter shows it with ``plt.show()``).  Sizes: 5.0-5.4 inches
wide, text at least 10 pt, so that on a phone (the figure shown about 350 px wide) no text is below 9 px.
"""

import matplotlib.pyplot as plt
import numpy as np

from cnnbook.plotting import setup_chinese_fonts

TITLE_PT = 12   # figure titles
LABEL_PT = 11   # panel titles, axis labels, legends
TICK_PT = 10    # tick labels
WIDTH_IN = 5.4  # figure width in inches


def _array(value, ndims, argument, name):
    """``value`` as a float array with one of ``ndims`` dimensions, else ValueError in plain words."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {argument} 必须是数字组成的数组，收到的是 {type(value).__name__}。") from None
    if array.ndim not in ndims:
        wanted = " 或 ".join(f"{n} 维" for n in ndims)
        raise ValueError(f"{name}: {argument} 应是 {wanted} 数组，收到的形状是 {array.shape}。")
    if array.size == 0:
        raise ValueError(f"{name}: {argument} 是空的。")
    return array


def _gray(images, argument, name):
    """Digits (n, h, w) or (n, h, w, 1) -> (n, h, w)."""
    images = _array(images, (3, 4), argument, name)
    if images.ndim == 4:
        if images.shape[-1] != 1:
            raise ValueError(f"{name}: {argument} 应是灰度图 (n, 高, 宽, 1)，收到的形状是 {images.shape}。")
        images = images[..., 0]
    return images


def _no_ticks(axes):
    for ax in np.ravel(axes):
        ax.set_xticks([])
        ax.set_yticks([])


def draw_first_layer(kernels, feature_maps, label, ncols=8):
    """The first layer's kernels (red positive, blue negative, each on its own symmetric scale) in one row
    and, below each, the feature map it gives for a digit of class ``label``.

    kernels: (k, k, n) one input channel; feature_maps: (h, w, n).  Rows come in pairs (kernels, maps),
    ``ncols`` kernels per pair.
    """
    name = "draw_first_layer"
    kernels = _array(kernels, (3,), "kernels", name)
    feature_maps = _array(feature_maps, (3,), "feature_maps", name)
    n = kernels.shape[-1]
    if feature_maps.shape[-1] != n:
        raise ValueError(f"{name}: kernels 有 {n} 个卷积核，feature_maps 却有 {feature_maps.shape[-1]} 张特征图，必须一样多。")
    if isinstance(ncols, (bool, np.bool_)) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"{name}: ncols（每行几个）必须是正整数，收到的是 {ncols!r}。")
    setup_chinese_fonts()
    pairs = -(-n // ncols)
    fig, axes = plt.subplots(2 * pairs, ncols, figsize=(WIDTH_IN, 1.6 * pairs), squeeze=False)
    for k in range(n):
        row, col = 2 * (k // ncols), k % ncols
        limit = np.abs(kernels[:, :, k]).max() or 1.0
        axes[row, col].imshow(kernels[:, :, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[row + 1, col].imshow(feature_maps[:, :, k], cmap="magma")
        axes[row, col].set_title(str(k), fontsize=LABEL_PT)
    for k in range(n, pairs * ncols):  # empty places in the last pair of rows
        axes[2 * (k // ncols), k % ncols].set_visible(False)
        axes[2 * (k // ncols) + 1, k % ncols].set_visible(False)
    _no_ticks(axes)
    for pair in range(pairs):
        axes[2 * pair, 0].set_ylabel("卷积核", fontsize=LABEL_PT)
        axes[2 * pair + 1, 0].set_ylabel("特征图", fontsize=LABEL_PT)
    fig.suptitle(f"第一层：{n} 个卷积核和它们对数字 {label} 的特征图", fontsize=TITLE_PT)
    fig.tight_layout()
    return fig


def draw_maps(images, maps, title, cmap="magma", overlay=False):
    """Digits in the top row, explanation maps below them; ``overlay=True`` lays each map, half
    transparent, over its digit.

    images: (n, h, w) or (n, h, w, 1); maps: (n, h, w), the same n.
    """
    name = "draw_maps"
    images = _gray(images, "images", name)
    maps = _array(maps, (3,), "maps", name)
    if len(maps) != len(images):
        raise ValueError(f"{name}: images 有 {len(images)} 张，maps 却有 {len(maps)} 张，必须一样多。")
    if not isinstance(title, str):
        raise ValueError(f"{name}: title 必须是字符串，收到的是 {title!r}。")
    setup_chinese_fonts()
    fig, axes = plt.subplots(2, len(images), figsize=(WIDTH_IN, 2.2), squeeze=False)
    h, w = images.shape[1:]
    for col, (image, heat) in enumerate(zip(images, maps)):
        axes[0, col].imshow(image, cmap="gray_r")
        if overlay:
            axes[1, col].imshow(image, cmap="gray_r")
            axes[1, col].imshow(heat, cmap=cmap, alpha=0.6, extent=(-0.5, w - 0.5, h - 0.5, -0.5))
        else:
            axes[1, col].imshow(heat, cmap=cmap)
    _no_ticks(axes)
    fig.suptitle(title, fontsize=TITLE_PT)
    fig.tight_layout()
    return fig


def draw_attack_curve(epsilons, fgsm_accuracy, noise_accuracy):
    """Test accuracy (%) against eps: FGSM and random sign noise of the same size.

    All three are sequences of the same length; the accuracies are fractions in [0, 1].
    """
    name = "draw_attack_curve"
    epsilons = _array(epsilons, (1,), "epsilons", name)
    curves = {}
    for argument, values in (("fgsm_accuracy", fgsm_accuracy), ("noise_accuracy", noise_accuracy)):
        values = _array(values, (1,), argument, name)
        if values.shape != epsilons.shape:
            raise ValueError(f"{name}: {argument} 有 {len(values)} 个值，epsilons 却有 {len(epsilons)} 个，必须一样多。")
        if np.any((values < 0) | (values > 1)):
            raise ValueError(f"{name}: {argument} 是准确率，必须在 0 到 1 之间。")
        curves[argument] = values
    setup_chinese_fonts()
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    ax.plot(epsilons, 100 * curves["fgsm_accuracy"], "o-", label="FGSM")
    ax.plot(epsilons, 100 * curves["noise_accuracy"], "s--", label="随机符号噪声")
    ax.set_xlabel("ε（每个像素最多改变多少）", fontsize=LABEL_PT)
    ax.set_ylabel("测试准确率（%）", fontsize=LABEL_PT)
    ax.tick_params(labelsize=TICK_PT)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=LABEL_PT)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def draw_adversarial(image, adversarial, eps, before, after):
    """Three panels: the digit (judged ``before``), the change (red +, blue -, scale +-eps) and the
    adversarial example (judged ``after``).  image, adversarial: (h, w) or (h, w, 1) in [0, 1]; eps > 0."""
    name = "draw_adversarial"
    image = _array(image, (2, 3), "image", name)
    adversarial = _array(adversarial, (2, 3), "adversarial", name)
    image = image[..., 0] if image.ndim == 3 else image
    adversarial = adversarial[..., 0] if adversarial.ndim == 3 else adversarial
    if image.shape != adversarial.shape:
        raise ValueError(f"{name}: image 的形状 {image.shape} 与 adversarial 的形状 {adversarial.shape} 必须相同。")
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (int, float, np.integer, np.floating)) or not eps > 0:
        raise ValueError(f"{name}: eps 必须是正数，收到的是 {eps!r}。")
    setup_chinese_fonts()
    fig, axes = plt.subplots(1, 3, figsize=(WIDTH_IN, 2.3))
    axes[0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
    axes[0].set_title(f"原图：判为 {before}", fontsize=LABEL_PT)
    axes[1].imshow(adversarial - image, cmap="RdBu_r", vmin=-eps, vmax=eps)
    axes[1].set_title(f"改动（±{eps:g}）", fontsize=LABEL_PT)
    axes[2].imshow(adversarial, cmap="gray_r", vmin=0, vmax=1)
    axes[2].set_title(f"对抗样本：判为 {after}", fontsize=LABEL_PT)
    _no_ticks(axes)
    fig.tight_layout()
    return fig


def make(outdir):
    """Chapter 11 draws its figures from the network it trains; there is no static file to write."""
    return []
