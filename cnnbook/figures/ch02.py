"""Chapter 2 figures: the vertical Sobel filter, an animation of it sliding over a 4x4 image,
and still pictures of padding, stride, a multi-channel input and several kernels.

``make(outdir)`` writes ``ch02_sobel.png``, ``ch02_convolve.gif``, ``ch02_padding.png``,
``ch02_stride.png``, ``ch02_channels.png`` and ``ch02_filters.png`` and returns their paths.
Every number shown is computed here (``padding_example``, ``stride_example``, ``channels_example``);
chapter 2 checks the same numbers against ``tf.nn.conv2d``.  ``draw_convolve_still`` draws one frame
of the animation as a PNG, for media that cannot show a GIF.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

from cnnbook.plotting import setup_chinese_fonts

# The 4x4 example image of the chapter and the vertical Sobel filter.
IMAGE = np.array([[0, 50, 0, 29],
                  [0, 80, 31, 2],
                  [33, 90, 0, 75],
                  [0, 9, 0, 95]])
SOBEL_VERTICAL = np.array([[-1, 0, 1],
                           [-2, 0, 2],
                           [-1, 0, 1]])

FILTER_COLOR = "#e76f51"
OUTPUT_COLOR = "#2a9d8f"
SECONDS_PER_STEP = 2


def correlate_valid(image, kernel):
    """Slide ``kernel`` (k, k) over ``image`` (h, w): output (h - k + 1, w - k + 1), no padding."""
    k = kernel.shape[0]
    rows, cols = image.shape[0] - k + 1, image.shape[1] - k + 1
    out = np.zeros((rows, cols), dtype=image.dtype)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)
    return out


def _number(value):
    """Format an integer, with parentheses around negative numbers inside a product."""
    return f"({value})" if value < 0 else f"{value}"


def _cell(ax, row, col, nrows, facecolor, text, fontsize=14, color="black"):
    y = nrows - 1 - row
    ax.add_patch(Rectangle((col, y), 1, 1, facecolor=facecolor, edgecolor="#495057", lw=1))
    ax.text(col + 0.5, y + 0.5, text, ha="center", va="center", fontsize=fontsize, color=color)


def _frame_axes(ax, n, title):
    ax.set_xlim(-0.1, n + 0.1)
    ax.set_ylim(-0.1, n + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=13)


def draw_sobel(outdir):
    """ch02_sobel.png: the vertical Sobel filter as a 3x3 grid of numbers, coloured by sign."""
    fig, ax = plt.subplots(figsize=(4.2, 4.4))
    norm = TwoSlopeNorm(vmin=-2, vcenter=0, vmax=2)
    cmap = plt.get_cmap("RdBu_r")
    for row in range(3):
        for col in range(3):
            value = int(SOBEL_VERTICAL[row, col])
            face = cmap(0.15 + 0.7 * norm(value))
            _cell(ax, row, col, 3, face, str(value), fontsize=24)
    _frame_axes(ax, 3, "垂直 Sobel 卷积核（3×3）")
    ax.text(1.5, -0.35, "左列为负、右列为正：\n检测左右亮度不同的竖直边缘", ha="center", va="top", fontsize=11)
    ax.set_ylim(-1.3, 3.1)
    path = outdir / "ch02_sobel.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def _draw_step(fig, axes, step, output, positions):
    """Draw one frame: ``step`` output cells are done; the filter sits on the last of them."""
    ax_img, ax_ker, ax_out, ax_sum = axes
    for ax in axes:
        ax.clear()
    n, k = IMAGE.shape[0], SOBEL_VERTICAL.shape[0]
    m = output.shape[0]
    current = positions[step - 1] if step > 0 else None

    # Input image: gray level shows the pixel value; the covered cells are tinted.
    for row in range(n):
        for col in range(n):
            inside = current is not None and current[0] <= row < current[0] + k and current[1] <= col < current[1] + k
            shade = 1 - 0.35 * IMAGE[row, col] / IMAGE.max()
            face = "#fbd5c8" if inside else (shade, shade, shade)
            _cell(ax_img, row, col, n, face, str(IMAGE[row, col]))
            if inside:
                weight = SOBEL_VERTICAL[row - current[0], col - current[1]]
                ax_img.text(col + 0.95, n - 1 - row + 0.06, f"×{_number(weight)}", ha="right", va="bottom",
                            fontsize=10, color=FILTER_COLOR)
    if current is not None:
        ax_img.add_patch(Rectangle((current[1], n - current[0] - k), k, k, fill=False,
                                   edgecolor=FILTER_COLOR, lw=4))
    _frame_axes(ax_img, n, "输入图像（4×4）")

    for row in range(k):
        for col in range(k):
            _cell(ax_ker, row, col, k, "#fde8e1", str(SOBEL_VERTICAL[row, col]), color=FILTER_COLOR)
    ax_ker.add_patch(Rectangle((0, 0), k, k, fill=False, edgecolor=FILTER_COLOR, lw=4))
    _frame_axes(ax_ker, k, "卷积核（3×3）")

    for row in range(m):
        for col in range(m):
            index = row * m + col
            if index < step:
                face = "#b7e4dd" if index == step - 1 else "white"
                _cell(ax_out, row, col, m, face, str(output[row, col]), fontsize=16 if index == step - 1 else 14)
            else:
                _cell(ax_out, row, col, m, "#f1f3f5", "?", color="#adb5bd")
    if current is not None:
        ax_out.add_patch(Rectangle((current[1], m - 1 - current[0]), 1, 1, fill=False, edgecolor=OUTPUT_COLOR, lw=4))
    _frame_axes(ax_out, m, "输出（2×2）")

    ax_sum.axis("off")
    ax_sum.set_xlim(0, 1)
    ax_sum.set_ylim(0, 1)
    if current is None:
        ax_sum.text(0.5, 0.55, "把卷积核放在图像的每个 3×3 位置上：对应元素相乘，再把 9 个乘积相加。",
                    ha="center", va="center", fontsize=12)
        return
    i, j = current
    region = IMAGE[i:i + k, j:j + k]
    lines = []
    for r in range(k):
        terms = " + ".join(f"{region[r, c]}×{_number(SOBEL_VERTICAL[r, c])}" for c in range(k))
        lines.append(f"第 {r + 1} 行：{terms} = {int(np.sum(region[r] * SOBEL_VERTICAL[r]))}")
    lines.append(f"输出[{i}, {j}] = 三行之和 = {output[i, j]}")
    for line_no, line in enumerate(lines):
        ax_sum.text(0.5, 0.9 - line_no * 0.25, line, ha="center", va="center", fontsize=12,
                    color=OUTPUT_COLOR if line_no == k else "black")


def draw_convolve(outdir):
    """ch02_convolve.gif: the filter visits the 4 positions and fills the 2x2 output cell by cell."""
    output = correlate_valid(IMAGE, SOBEL_VERTICAL)
    m = output.shape[0]
    positions = [(i, j) for i in range(m) for j in range(m)]
    fig, axes = _convolve_axes()
    # One frame per step, held for SECONDS_PER_STEP seconds (the last one twice as long).
    steps = [step for step in range(len(positions) + 1) for _ in range(SECONDS_PER_STEP)]
    steps += [len(positions)] * SECONDS_PER_STEP
    animation = FuncAnimation(fig, lambda step: _draw_step(fig, axes, step, output, positions), frames=steps)
    path = outdir / "ch02_convolve.gif"
    animation.save(path, writer=PillowWriter(fps=1), dpi=100)
    plt.close(fig)
    return path


def _convolve_axes():
    fig = plt.figure(figsize=(9, 5.2))
    grid = fig.add_gridspec(2, 3, height_ratios=[3, 1.45], width_ratios=[4, 3, 2.4], hspace=0.05, wspace=0.25)
    axes = (fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[0, 2]),
            fig.add_subplot(grid[1, :]))
    fig.subplots_adjust(left=0.02, right=0.98, top=0.93, bottom=0.02)
    return fig, axes


def draw_convolve_still(outdir, step=1):
    """ch02_convolve_still.png: frame ``step`` (1..4) of ch02_convolve.gif, as a still picture."""
    output = correlate_valid(IMAGE, SOBEL_VERTICAL)
    m = output.shape[0]
    positions = [(i, j) for i in range(m) for j in range(m)]
    fig, axes = _convolve_axes()
    _draw_step(fig, axes, step, output, positions)
    path = outdir / "ch02_convolve_still.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# --- Still pictures of padding, stride and channels (few cells, large numbers: legible on a phone) ---

# A 5x5 image for the stride picture (small numbers so that every product is easy to check).
STRIDE_IMAGE = np.array([[1, 0, 2, 3, 1],
                         [0, 4, 1, 0, 2],
                         [3, 1, 0, 2, 4],
                         [2, 0, 3, 1, 0],
                         [1, 2, 0, 4, 3]])
STRIDE = 2
# A 3x3 image with 3 channels (last axis) and a 2x2 kernel with 3 channels, for the channel picture.
CHANNEL_IMAGE = np.stack([np.array([[1, 2, 0], [0, 1, 3], [2, 1, 1]]),
                          np.array([[0, 1, 1], [2, 0, 1], [1, 3, 0]]),
                          np.array([[3, 0, 1], [1, 2, 0], [0, 1, 2]])], axis=-1)
CHANNEL_KERNEL = np.stack([np.array([[1, 0], [0, -1]]),
                           np.array([[0, 2], [1, 0]]),
                           np.array([[-1, 1], [0, 1]])], axis=-1)
CHANNEL_NAMES = ["红", "绿", "蓝"]
_CHANNEL_TINTS = ["#f8d7da", "#d8f0d8", "#d6e4f5"]
_WINDOW_COLOURS = ["#3d85c6", "#e69138", "#6aa84f", "#a64d79"]
_BIG = 17       # numbers in the cells
_LABEL = 15     # titles and captions


def padding_example():
    """(padded image (6, 6), SAME output (4, 4)): IMAGE with one zero on every side, filtered by Sobel."""
    padded = np.pad(IMAGE, 1)
    return padded, correlate_valid(padded, SOBEL_VERTICAL)


def stride_example():
    """(stride-1 output (3, 3), stride-2 output (2, 2)) of STRIDE_IMAGE filtered by Sobel, no padding."""
    full = correlate_valid(STRIDE_IMAGE, SOBEL_VERTICAL)
    return full, full[::STRIDE, ::STRIDE]


def channels_example():
    """(per-channel outputs (2, 2, 3), their sum (2, 2)) for CHANNEL_IMAGE and CHANNEL_KERNEL."""
    partial = np.stack([correlate_valid(CHANNEL_IMAGE[:, :, c], CHANNEL_KERNEL[:, :, c]) for c in range(3)],
                       axis=-1)
    return partial, partial.sum(axis=-1)


def _grid(ax, x0, y0, values, faces, fontsize=_BIG, colours=None, width=1.0):
    """Draw ``values`` (rows, cols) as cells (``width`` wide, 1 high), top-left corner at (x0, y0), y up."""
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            face = faces if isinstance(faces, str) else faces[r][c]
            colour = "black" if colours is None else colours[r][c]
            ax.add_patch(Rectangle((x0 + c * width, y0 - r - 1), width, 1, facecolor=face, edgecolor="#495057",
                                   lw=1))
            ax.text(x0 + (c + 0.5) * width, y0 - r - 0.5, str(values[r, c]), ha="center", va="center",
                    fontsize=fontsize, color=colour)


def _finish(fig, ax, path):
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def draw_padding(outdir):
    """ch02_padding.png: the 4x4 image inside a border of zeros, the kernel on the top-left corner, 4x4 output."""
    padded, output = padding_example()
    n = padded.shape[0]
    fig, ax = plt.subplots(figsize=(7, 4.6))
    faces = [["#e9ecef" if r in (0, n - 1) or c in (0, n - 1) else "white" for c in range(n)] for r in range(n)]
    colours = [["#868e96" if r in (0, n - 1) or c in (0, n - 1) else "black" for c in range(n)] for r in range(n)]
    _grid(ax, 0, n, padded, faces, colours=colours)
    ax.add_patch(Rectangle((0, n - 3), 3, 3, fill=False, edgecolor=FILTER_COLOR, lw=4))
    ax.text(n / 2, -0.25, "补一圈 0 后：6×6", ha="center", va="top", fontsize=_LABEL)
    x_out = n + 1.6
    m = output.shape[0]
    out_top = n - 1.2
    out_faces = [["#b7e4dd" if (r, c) == (0, 0) else "white" for c in range(m)] for r in range(m)]
    cell_w = 1.35
    _grid(ax, x_out, out_top, output, out_faces, fontsize=_BIG - 2, width=cell_w)
    ax.add_patch(Rectangle((x_out, out_top - 1), cell_w, 1, fill=False, edgecolor=OUTPUT_COLOR, lw=4))
    ax.text(x_out + m * cell_w / 2, out_top - m - 0.25, "输出：4×4", ha="center", va="top", fontsize=_LABEL)
    ax.annotate("", xy=(x_out + cell_w / 2, out_top + 0.05), xytext=(1.5, n + 0.05),
                arrowprops=dict(arrowstyle="-|>", color=FILTER_COLOR, lw=2, connectionstyle="arc3,rad=-0.3"))
    ax.text((x_out + m * cell_w) / 2, -1.2, "灰色的 0 是填充；卷积核（橙框）可以放在角上，\n输出与输入一样大",
            ha="center", va="top", fontsize=_LABEL - 1, linespacing=1.4)
    ax.set_xlim(-0.2, x_out + m * cell_w + 0.2)
    ax.set_ylim(-2.9, n + 1.9)
    return _finish(fig, ax, outdir / "ch02_padding.png")


def draw_stride(outdir):
    """ch02_stride.png: a 3x3 kernel with stride 2 on a 5x5 image: 4 windows kept, 5 positions skipped."""
    full, strided = stride_example()
    n, m, k = STRIDE_IMAGE.shape[0], full.shape[0], SOBEL_VERTICAL.shape[0]
    fig, ax = plt.subplots(figsize=(7.4, 4.4))
    _grid(ax, 0, n, STRIDE_IMAGE, "white")
    kept = [(i, j) for i in range(0, m, STRIDE) for j in range(0, m, STRIDE)]
    for colour, (i, j), inset in zip(_WINDOW_COLOURS, kept, (0.04, 0.12, 0.2, 0.28)):
        ax.add_patch(Rectangle((j + inset, n - i - k + inset), k - 2 * inset, k - 2 * inset, fill=False,
                               edgecolor=colour, lw=3))
    ax.text(n / 2, n + 0.3, "输入 5×5", ha="center", va="bottom", fontsize=_LABEL)

    x_full = n + 1.0
    faces = [["#f1f3f5"] * m for _ in range(m)]
    colours = [["#adb5bd"] * m for _ in range(m)]
    for colour, (i, j) in zip(_WINDOW_COLOURS, kept):
        faces[i][j] = "white"
        colours[i][j] = colour
    y_full = n - 1
    _grid(ax, x_full, y_full, full, faces, fontsize=_BIG - 3, colours=colours)
    for i in range(m):
        for j in range(m):
            if (i, j) not in kept:  # a skipped position: crossed out
                ax.plot([x_full + j + 0.12, x_full + j + 0.88], [y_full - i - 0.88, y_full - i - 0.12],
                        color="#868e96", lw=1.5)
    ax.text(x_full + m / 2, y_full + 0.3, "步幅 1：3×3", ha="center", va="bottom", fontsize=_LABEL)

    x_out = x_full + m + 1.3
    out_faces = [[_WINDOW_COLOURS[r * strided.shape[1] + c] for c in range(strided.shape[1])]
                 for r in range(strided.shape[0])]
    white = [["white"] * strided.shape[1] for _ in range(strided.shape[0])]
    _grid(ax, x_out, y_full - 0.5, strided, out_faces, fontsize=_BIG - 2, colours=white)
    ax.text(x_out + 1, y_full + 0.3 - 0.5, "步幅 2：2×2", ha="center", va="bottom", fontsize=_LABEL)
    ax.annotate("", xy=(x_out - 0.1, y_full - 1.5), xytext=(x_full + m + 0.1, y_full - 1.5),
                arrowprops=dict(arrowstyle="-|>", color="#495057", lw=2))
    ax.text((x_full + x_out + m) / 2, -0.3, "卷积核每次移 2 格：只算 4 个\n彩色的位置，划掉的 5 个跳过",
            ha="center", va="top", fontsize=_LABEL - 1, linespacing=1.4)
    ax.set_xlim(-0.2, x_out + 2.2)
    ax.set_ylim(-1.9, n + 1.0)
    return _finish(fig, ax, outdir / "ch02_stride.png")


def draw_channels(outdir):
    """ch02_channels.png: each of 3 channels filtered by its own kernel slice; the 3 results are added."""
    partial, total = channels_example()
    fig, ax = plt.subplots(figsize=(7.2, 6.6))
    row_height = 3.9
    x_ker, x_part, x_sum = 4.0, 7.1, 10.6
    for c in range(3):
        top = 3 * row_height - c * row_height
        tint = _CHANNEL_TINTS[c]
        _grid(ax, 0, top, CHANNEL_IMAGE[:, :, c], tint)
        ax.text(3.5, top - 1.5, "*", ha="center", va="center", fontsize=24)
        _grid(ax, x_ker, top - 0.5, CHANNEL_KERNEL[:, :, c], tint, colours=[[FILTER_COLOR] * 2] * 2)
        ax.text(6.55, top - 1.5, "=", ha="center", va="center", fontsize=22)
        _grid(ax, x_part, top - 0.5, partial[:, :, c], tint)
        ax.text(-0.25, top - 1.5, f"{CHANNEL_NAMES[c]}\n通道", ha="right", va="center", fontsize=_LABEL,
                linespacing=1.3)
        ax.annotate("", xy=(x_sum - 0.15, 1.5 * row_height - 1.0), xytext=(x_part + 2.1, top - 1.5),
                    arrowprops=dict(arrowstyle="-|>", color="#868e96", lw=1.5))
    heads = [(1.5, "输入 3×3"), (x_ker + 1, "卷积核 2×2"), (x_part + 1, "各通道结果")]
    for x, text in heads:
        ax.text(x, 3 * row_height + 0.3, text, ha="center", va="bottom", fontsize=_LABEL)
    _grid(ax, x_sum, 1.5 * row_height, total, "#b7e4dd")
    ax.text(x_sum + 1, 1.5 * row_height + 0.3, "三者相加\n= 输出", ha="center", va="bottom", fontsize=_LABEL,
            linespacing=1.3)
    ax.set_xlim(-1.6, x_sum + 2.2)
    ax.set_ylim(-0.3, 3 * row_height + 1.3)
    return _finish(fig, ax, outdir / "ch02_channels.png")


def _stack(ax, x, y, size, depth, colour, cells=True):
    """A stack of ``depth`` square sheets of ``size`` cells, front sheet's lower-left corner at (x, y)."""
    offset = 0.35
    for d in reversed(range(depth)):
        ox, oy = d * offset, d * offset
        ax.add_patch(Rectangle((x + ox, y + oy), size, size, facecolor=colour, edgecolor="#343a40", lw=1.2))
        if cells and d == 0:
            for t in range(1, size):
                ax.plot([x + t, x + t], [y, y + size], color="#343a40", lw=0.5)
                ax.plot([x, x + size], [y + t, y + t], color="#343a40", lw=0.5)
    return x + size + (depth - 1) * offset


def draw_filters(outdir):
    """ch02_filters.png: F = 2 kernels of 3x3x3 on a 5x5x3 input give 2 feature maps, stacked 3x3x2."""
    fig, ax = plt.subplots(figsize=(7.2, 5.0))
    _stack(ax, 0, 2.4, 5, 3, "#e9ecef")
    ax.text(2.9, 1.9, "输入\n5×5×3", ha="center", va="top", fontsize=_LABEL, linespacing=1.3)
    kernel_colours = ["#f4a582", "#b2abd2"]
    for f, colour in enumerate(kernel_colours):
        y = 6.6 - 5.4 * f
        right = _stack(ax, 7.2, y, 3, 3, colour)
        ax.text(8.4, y - 0.25, f"卷积核 {f + 1}：3×3×3", ha="center", va="top", fontsize=_LABEL)
        ax.annotate("", xy=(12.4, y + 1.5), xytext=(right + 0.2, y + 1.5),
                    arrowprops=dict(arrowstyle="-|>", color="#343a40", lw=1.8))
        _stack(ax, 12.6, y, 3, 1, colour)
        ax.text(14.1, y - 0.25, f"特征图 {f + 1}", ha="center", va="top", fontsize=_LABEL)
    ax.text(14.1, 10.4, "输出 3×3×2", ha="center", va="bottom", fontsize=_LABEL)
    ax.text(7.5, -0.4, "每个卷积核盖住全部 3 个通道，得到一张特征图；\nF 个卷积核得到 F 张，叠成 F 个输出通道",
            ha="center", va="top", fontsize=_LABEL - 1, linespacing=1.4)
    ax.set_xlim(-0.3, 16.0)
    ax.set_ylim(-2.2, 11.3)
    return _finish(fig, ax, outdir / "ch02_filters.png")


def make(outdir):
    """Write the chapter 2 figures into ``outdir``; return their paths."""
    setup_chinese_fonts()
    return [draw_sobel(outdir), draw_convolve(outdir), draw_convolve_still(outdir), draw_padding(outdir),
            draw_stride(outdir), draw_channels(outdir), draw_filters(outdir)]
