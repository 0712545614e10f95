"""Matplotlib set-up for Chinese labels, and small plotting helpers used by several chapters."""

from pathlib import Path

import matplotlib
import matplotlib.font_manager
import matplotlib.pyplot as plt
import numpy as np

CJK_FONT_NAME = "Noto Sans CJK SC"
_CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def cjk_font_file():
    """Path of the Noto Sans CJK SC font file inside the installed ``mplfonts`` package."""
    import mplfonts

    font_file = Path(mplfonts.__file__).parent / "fonts" / _CJK_FONT_FILE
    if not font_file.exists():
        raise FileNotFoundError(
            f"找不到中文字体文件 {font_file}。请重新安装 mplfonts：pip install -r requirements.txt"
        )
    return font_file


def setup_chinese_fonts():
    """Make matplotlib draw Chinese text with a real CJK font.

    The font (Noto Sans CJK SC) ships inside the ``mplfonts`` wheel, so this
    works on a fresh machine without a system font or a network.  Where the
    system has its own copy of the same family (Debian's ``fonts-noto-cjk``),
    matplotlib may pick that copy instead: either draws every Chinese glyph.
    """
    import mplfonts

    matplotlib.font_manager.fontManager.addfont(str(cjk_font_file()))
    mplfonts.use_font(CJK_FONT_NAME)


def show_digits(images, labels=None, ncols=10, title=None, size=1.0):
    """Draw a grid of 28x28 digits, with their labels as titles; return the figure.

    ``images`` has shape (n, 28, 28) with n >= 1 and ``labels`` shape (n,), or is None for
    no titles; labels may be ints or short strings.  ``ncols`` (a positive int) is the number
    of columns and ``size`` (a positive number) the width of one digit in inches.
    """
    images = np.asarray(images)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"show_digits: images 应是形状为 (n, 高, 宽) 且 n ≥ 1 的数组，收到的形状是 {images.shape}。")
    if labels is not None and len(images) != len(labels):
        raise ValueError(f"show_digits: images 有 {len(images)} 张，labels 却有 {len(labels)} 个，数量必须相同。")
    if isinstance(ncols, (bool, np.bool_)) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"show_digits: ncols（列数）必须是正整数，收到的是 {ncols!r}。")
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, float, np.number)) or not 0 < size < np.inf:
        raise ValueError(f"show_digits: size（每张图的宽度，英寸）必须是正数，收到的是 {size!r}。")
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.35), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, image) in enumerate(zip(axes.flat, images)):
        ax.imshow(image, cmap="gray_r")
        if labels is not None:
            ax.set_title(str(labels[k]), fontsize=14)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
