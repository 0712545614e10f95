"""Tests of cnnbook.figures.ch11: each figure function draws what it is given, the right panels, text legible on a phone."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnnbook.figures import ch11  # noqa: E402
from cnnbook.plotting import min_text_px  # noqa: E402

PHONE_COLUMN_PX = 350   # a chapter's output image fills the text column: about 350 px on a 390 px phone
MIN_TEXT_PX = 9

rng = np.random.default_rng(0)
DIGITS = rng.uniform(0, 1, size=(6, 28, 28, 1))
MAPS = rng.uniform(0, 1, size=(6, 28, 28))


def first_layer():
    return ch11.draw_first_layer(rng.normal(size=(3, 3, 16)), rng.uniform(size=(28, 28, 16)), label=6)


def maps_plain():
    return ch11.draw_maps(DIGITS, MAPS, "测试图（上）和显著图（下）")


def maps_overlay():
    return ch11.draw_maps(DIGITS, MAPS[:, ::4, ::4], "Grad-CAM", cmap="jet", overlay=True)


def attack_curve():
    return ch11.draw_attack_curve([0.0, 0.05, 0.1, 0.2], [0.95, 0.6, 0.3, 0.05], [0.95, 0.94, 0.9, 0.8])


def adversarial():
    image = DIGITS[0]
    return ch11.draw_adversarial(image, np.clip(image + 0.05 * np.sign(rng.normal(size=image.shape)), 0, 1),
                                 0.05, 7, 3)


# figure function, number of axes, number of visible axes
FIGURES = {
    "draw_first_layer": (first_layer, 32, 32),
    "draw_maps": (maps_plain, 12, 12),
    "draw_maps overlay": (maps_overlay, 12, 12),
    "draw_attack_curve": (attack_curve, 1, 1),
    "draw_adversarial": (adversarial, 3, 3),
}


@pytest.mark.parametrize("name", FIGURES)
def test_returns_a_figure_with_the_right_panels(name):
    draw, n_axes, n_visible = FIGURES[name]
    fig = draw()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes
    assert sum(ax.get_visible() for ax in fig.axes) == n_visible
    plt.close(fig)


@pytest.mark.parametrize("name", FIGURES)
def test_text_is_legible_at_phone_width(name):
    """Smallest text >= 9 px when the figure fills a phone's text column (about 350 px)."""
    fig = FIGURES[name][0]()
    fig.canvas.draw()  # tick labels get their text when drawn
    width_px = fig.get_figwidth() * fig.dpi
    shown_px = min_text_px(fig) * PHONE_COLUMN_PX / width_px
    assert shown_px >= MIN_TEXT_PX, f"{name}: smallest text {shown_px:.1f} px on a phone"
    plt.close(fig)


def test_first_layer_pairs_kernels_with_their_maps_and_hides_empty_places():
    kernels = rng.normal(size=(3, 3, 10))
    maps = rng.uniform(size=(28, 28, 10))
    fig = ch11.draw_first_layer(kernels, maps, label=4)
    axes = np.array(fig.axes).reshape(4, 8)
    # kernel k sits above its own feature map, on a symmetric colour scale
    k = 9
    top, bottom = axes[2, k % 8], axes[3, k % 8]
    np.testing.assert_array_equal(top.images[0].get_array(), kernels[:, :, k])
    np.testing.assert_array_equal(bottom.images[0].get_array(), maps[:, :, k])
    low, high = top.images[0].get_clim()
    assert low == -high == -np.abs(kernels[:, :, k]).max()
    assert top.get_title() == "9"
    # 10 kernels in rows of 8: the last 6 places of the second pair are hidden
    assert sum(ax.get_visible() for ax in fig.axes) == 20
    assert "10 个卷积核" in fig._suptitle.get_text() and "数字 4" in fig._suptitle.get_text()
    assert [axes[r, 0].get_ylabel() for r in range(4)] == ["卷积核", "特征图", "卷积核", "特征图"]
    plt.close(fig)


def test_maps_go_under_their_digits_and_overlays_cover_the_same_pixels():
    fig = ch11.draw_maps(DIGITS, MAPS[:, ::4, ::4], "Grad-CAM", cmap="jet", overlay=True)
    axes = np.array(fig.axes).reshape(2, 6)
    np.testing.assert_array_equal(axes[0, 2].images[0].get_array(), DIGITS[2, :, :, 0])
    digit, heat = axes[1, 2].images
    np.testing.assert_array_equal(digit.get_array(), DIGITS[2, :, :, 0])
    np.testing.assert_array_equal(heat.get_array(), MAPS[2, ::4, ::4])
    # a 7x7 map stretched over the 28x28 digit, half transparent
    assert tuple(heat.get_extent()) == (-0.5, 27.5, 27.5, -0.5) and heat.get_alpha() == 0.6
    assert fig._suptitle.get_text() == "Grad-CAM"
    plt.close(fig)

    fig = ch11.draw_maps(DIGITS[..., 0], MAPS, "显著图")  # (n, h, w) digits work too, no overlay
    assert all(len(ax.images) == 1 for ax in fig.axes)
    plt.close(fig)


def test_attack_curve_plots_percentages():
    fig = attack_curve()
    (ax,) = fig.axes
    fgsm, noise = ax.get_lines()
    np.testing.assert_allclose(fgsm.get_ydata(), [95, 60, 30, 5])
    np.testing.assert_allclose(noise.get_xdata(), [0.0, 0.05, 0.1, 0.2])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["FGSM", "随机符号噪声"]
    assert ax.get_ylim() == (0, 100)
    plt.close(fig)


def test_adversarial_shows_the_change_on_a_plus_minus_eps_scale():
    image = DIGITS[1, :, :, 0]
    changed = np.clip(image + 0.1 * np.sign(rng.normal(size=image.shape)), 0, 1)
    fig = ch11.draw_adversarial(image, changed, 0.1, 2, 8)
    left, middle, right = fig.axes
    np.testing.assert_allclose(middle.images[0].get_array(), changed - image)
    assert middle.images[0].get_clim() == (-0.1, 0.1)
    assert left.get_title() == "原图：判为 2" and right.get_title() == "对抗样本：判为 8"
    plt.close(fig)


@pytest.mark.parametrize("call, argument", [
    (lambda: ch11.draw_first_layer(np.zeros((3, 3, 4)), np.zeros((28, 28, 5)), 1), "feature_maps"),
    (lambda: ch11.draw_first_layer(np.zeros((3, 3)), np.zeros((28, 28, 5)), 1), "kernels"),
    (lambda: ch11.draw_first_layer(np.zeros((3, 3, 4)), np.zeros((28, 28, 4)), 1, ncols=0), "ncols"),
    (lambda: ch11.draw_maps(DIGITS, MAPS[:5], "t"), "maps"),
    (lambda: ch11.draw_maps(np.zeros((6, 28, 28, 3)), MAPS, "t"), "images"),
    (lambda: ch11.draw_maps(DIGITS, MAPS, None), "title"),
    (lambda: ch11.draw_attack_curve([0, 0.1], [0.9], [0.9, 0.8]), "fgsm_accuracy"),
    (lambda: ch11.draw_attack_curve([0, 0.1], [0.9, 0.5], [90, 80]), "noise_accuracy"),
    (lambda: ch11.draw_adversarial(np.zeros((28, 28)), np.zeros((27, 28)), 0.1, 1, 2), "adversarial"),
    (lambda: ch11.draw_adversarial(np.zeros((28, 28)), np.zeros((28, 28)), 0, 1, 2), "eps"),
])
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
    plt.close("all")


def test_make_writes_nothing():
    assert ch11.make(None) == []
