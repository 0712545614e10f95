"""Chapter 9 figure: the chapter's Keras CNN drawn as a stack of boxes.

``keras.utils.plot_model`` would need pydot and the Graphviz ``dot`` program (an
apt package the book's setup cannot install), so the diagram is drawn here with
matplotlib from the model's own layer list: one box per layer with its name, its
kind, its output shape and its parameter count.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from cnnbook.plotting import setup_chinese_fonts

INPUT_SHAPE = (28, 28, 1)

# Chinese name and box colour for each layer class in the diagram.
KIND_LABELS = {
    "Conv2D": "卷积层",
    "MaxPooling2D": "池化层",
    "Flatten": "展平层",
    "Dense": "全连接层",
}
KIND_COLORS = {
    "Input": "#e9ecef",
    "Conv2D": "#a8dadc",
    "MaxPooling2D": "#f1faee",
    "Flatten": "#ffe8cc",
    "Dense": "#f4a261",
}

ACTIVATION_LABELS = {"relu": "ReLU", "softmax": "softmax", "linear": "无激活"}

BOX_WIDTH = 10.0
BOX_HEIGHT = 1.0
GAP = 0.55


def build_model():
    """Chollet's MNIST CNN with the layer names used in chapter 9 (input (28, 28, 1), output (10,))."""
    import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),
            layers.MaxPooling2D((2, 2), name="pool1"),
            layers.Conv2D(64, (3, 3), activation="relu", name="conv2"),
            layers.MaxPooling2D((2, 2), name="pool2"),
            layers.Conv2D(64, (3, 3), activation="relu", name="conv3"),
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="dense1"),
            layers.Dense(10, activation="softmax", name="dense2"),
        ],
        name="chollet_cnn",
    )


def _activation(config):
    return ACTIVATION_LABELS.get(config["activation"], config["activation"])


def _detail(layer):
    """A short Chinese description of a layer's settings, read from its config."""
    config = layer.get_config()
    kind = type(layer).__name__
    if kind == "Conv2D":
        height, width = config["kernel_size"]
        return f"{config['filters']} 个 {height}×{width} 卷积核，{_activation(config)}"
    if kind == "MaxPooling2D":
        height, width = config["pool_size"]
        return f"{height}×{width} 最大池化"
    if kind == "Dense":
        return f"{config['units']} 个神经元，{_activation(config)}"
    if kind == "Flatten":
        return "拉平成向量"
    return ""


def layer_rows(model):
    """One tuple per layer of a built model: (name, class name, detail, output shape, parameters).

    The output shape leaves out the batch axis, e.g. (26, 26, 32).
    """
    return [
        (
            layer.name,
            type(layer).__name__,
            _detail(layer),
            tuple(layer.output.shape[1:]),
            int(layer.count_params()),
        )
        for layer in model.layers
    ]


def _shape_text(shape):
    return "×".join(str(n) for n in shape)


def draw_model(rows, input_shape, path):
    """Draw ``rows`` (from :func:`layer_rows`) below an input box and save the figure to ``path``."""
    setup_chinese_fonts()
    boxes = [("输入", "Input", "一张灰度图", tuple(input_shape), None)] + list(rows)
    step = BOX_HEIGHT + GAP
    total_height = len(boxes) * step + 0.6
    fig, ax = plt.subplots(figsize=(6.4, 0.55 * total_height + 0.4))
    for index, (name, kind, detail, shape, params) in enumerate(boxes):
        top = total_height - index * step
        bottom = top - BOX_HEIGHT
        ax.add_patch(
            FancyBboxPatch(
                (0, bottom),
                BOX_WIDTH,
                BOX_HEIGHT,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                facecolor=KIND_COLORS.get(kind, "#dee2e6"),
                edgecolor="#1d3557",
                lw=1.0,
            )
        )
        middle = bottom + BOX_HEIGHT / 2
        title = name if kind == "Input" else f"{name}：{KIND_LABELS.get(kind, kind)}"
        ax.text(0.25, middle + 0.17, title, ha="left", va="center", fontsize=13)
        ax.text(0.25, middle - 0.22, detail, ha="left", va="center", fontsize=10.5, color="#343a40")
        ax.text(6.0, middle, f"输出 {_shape_text(shape)}", ha="left", va="center", fontsize=12)
        if params is not None:
            ax.text(BOX_WIDTH - 0.2, middle - 0.27, f"{params:,} 参数", ha="right", va="center",
                    fontsize=10.5, color="#343a40")
        if index > 0:
            ax.add_patch(
                FancyArrowPatch(
                    (BOX_WIDTH / 2, top + GAP - 0.02),
                    (BOX_WIDTH / 2, top + 0.02),
                    arrowstyle="-|>",
                    mutation_scale=12,
                    color="#1d3557",
                    lw=1.0,
                )
            )
    total = sum(row[4] for row in rows)
    ax.text(BOX_WIDTH / 2, 0.6, f"共 {total:,} 个参数", ha="center", va="center", fontsize=13)
    ax.set_xlim(-0.2, BOX_WIDTH + 0.2)
    ax.set_ylim(0.3, total_height + 0.1)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def make(outdir):
    path = outdir / "ch09_model.png"
    draw_model(layer_rows(build_model()), INPUT_SHAPE, path)
    return [path]
