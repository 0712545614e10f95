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


# --------------------------------------------------------------------------- text size record
# The HTML book shows a figure on a phone no narrower than the width at which its smallest text is 9 px
# (see _ext/cnnbook_html.py); for that it reads the smallest font size, in pixels of the image, that the
# figure code records in the file: a PNG text chunk, or a GIF comment, both named MIN_TEXT_KEY.
MIN_TEXT_KEY = "cnnbook:min-text-px"


def min_text_px(fig, dpi=None):
    """Smallest font size (in pixels at ``dpi``, default the figure's) of the visible, non-empty texts of ``fig``.

    None if the figure has no text.
    """
    import matplotlib.text

    dpi = float(fig.dpi if dpi in (None, "figure") else dpi)
    sizes = [
        t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible())
    ]
    return min(sizes) * dpi / 72 if sizes else None


def add_gif_comment(path, text):
    """Insert a GIF comment extension (after the header and global colour table) into the file at ``path``."""
    path = Path(path)
    data = path.read_bytes()
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError(f"add_gif_comment: {path} 不是 GIF 文件。")
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    payload = text.encode("utf-8")
    blocks = b"".join(bytes([len(payload[i:i + 255])]) + payload[i:i + 255] for i in range(0, len(payload), 255))
    path.write_bytes(b"GIF89a" + data[6:pos] + b"\x21\xfe" + blocks + b"\x00" + data[pos:])


class record_text_size:
    """While active, every PNG written by ``Figure.savefig`` and every GIF written by matplotlib's
    ``PillowWriter`` records its smallest font size in pixels (key MIN_TEXT_KEY).

    Used by ``cnnbook.figures.make_all``, so the figure modules need no change.
    """

    def __enter__(self):
        import matplotlib.animation
        import matplotlib.figure

        self._savefig = matplotlib.figure.Figure.savefig
        self._finish = matplotlib.animation.PillowWriter.finish
        original_savefig, original_finish = self._savefig, self._finish

        def savefig(fig, fname, *args, **kwargs):
            fmt = kwargs.get("format") or (Path(str(fname)).suffix.lstrip(".") if isinstance(fname, (str, Path)) else "")
            if str(fmt).lower() == "png":
                dpi = kwargs.get("dpi", matplotlib.rcParams["savefig.dpi"])
                size = min_text_px(fig, dpi)
                if size is not None:
                    kwargs["metadata"] = {**(kwargs.get("metadata") or {}), MIN_TEXT_KEY: f"{size:.2f}"}
            return original_savefig(fig, fname, *args, **kwargs)

        def finish(writer):
            original_finish(writer)
            size = min_text_px(writer.fig, writer.dpi)
            if size is not None and str(writer.outfile).lower().endswith(".gif"):
                add_gif_comment(writer.outfile, f"{MIN_TEXT_KEY}={size:.2f}")

        matplotlib.figure.Figure.savefig = savefig
        matplotlib.animation.PillowWriter.finish = finish
        return self

    def __exit__(self, *exc):
        import matplotlib.animation
        import matplotlib.figure

        matplotlib.figure.Figure.savefig = self._savefig
        matplotlib.animation.PillowWriter.finish = self._finish
        return False
