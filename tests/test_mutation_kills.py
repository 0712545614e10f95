"""cnnbook.checks and cnnbook.plotting: the edge cases that single-point bugs slip through.

Each test was written against a mutant that survived the other tests (scripts/mutation_test.py):
a bound off by one, a dropped condition, a check applied to the height but not the width, a
missing copy or a needless one, a figure drawn with the wrong layout.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnnbook import checks, plotting  # noqa: E402
from cnnbook.checks import (  # noqa: E402
    check_array,
    check_images_labels,
    check_label,
    check_labels,
    check_positive_int,
    check_probabilities,
    make_rng,
)

# --- check_array ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_empty_height_or_width_is_refused_by_default(shape):
    with pytest.raises(ValueError, match="高和宽至少要是 1"):
        check_array(np.ones(shape), 2, "f")


@pytest.mark.parametrize("shape", [(2, 3), (3, 2)])
def test_min_size_applies_to_height_and_width(shape):
    with pytest.raises(ValueError, match=r"f: 输入的高和宽至少要是 3，收到的形状是 \(%d, %d\)" % shape):
        check_array(np.ones(shape), 2, "f", min_size=3)
    assert check_array(np.ones((3, 3)), 2, "f", min_size=3).shape == (3, 3)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_infinite_values_are_refused(value):
    with pytest.raises(ValueError, match="NaN 或无穷大"):
        check_array(np.array([[0.0, value]]), 2, "f")


@pytest.mark.parametrize("value", [3.0, np.float64(2), 7])
def test_a_0d_input_is_refused(value):
    with pytest.raises(ValueError, match=r"应是 2 维数组，收到的形状是 \(\)（0 维）"):
        check_array(value, 2, "f")


def test_spatial_axes_are_the_ones_given():
    check_array(np.ones((5, 3, 3)), 3, "f", min_size=3, spatial_axes=(1, 2))
    for shape in [(5, 2, 3), (5, 3, 2)]:
        with pytest.raises(ValueError, match="至少"):
            check_array(np.ones(shape), 3, "f", min_size=3, spatial_axes=(1, 2))
    # a batch of 1 is fine: axis 0 is not spatial
    assert check_array(np.ones((1, 3, 3)), 3, "f", min_size=3, spatial_axes=(1, 2)).shape == (1, 3, 3)


def test_float64_input_is_returned_without_a_copy():
    x = np.arange(6.0).reshape(2, 3)
    assert check_array(x, 2, "f") is x


def test_other_dtypes_become_float64():
    for x in (np.array([[1, 2]], dtype=np.int32), np.array([[True, False]]), [[1, 2]]):
        out = check_array(x, 2, "f")
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, np.asarray(x, dtype=float))


def test_object_and_string_arrays_are_refused():
    for x in (np.array([[1, 2]], dtype=object), np.array([["1", "2"]])):
        with pytest.raises(ValueError, match="数值数组"):
            check_array(x, 2, "f")


def test_the_argument_is_named():
    with pytest.raises(ValueError, match="f: images 里有 NaN"):
        check_array([[np.nan]], 2, "f", argument="images")
    with pytest.raises(ValueError, match="f: 输入里有 NaN"):
        check_array([[np.nan]], 2, "f")


# --- labels -----------------------------------------------------------------------------------------

def test_check_label_bounds():
    assert check_label(0, 3, "f") == 0 and check_label(np.int64(2), 3, "f") == 2
    assert type(check_label(np.int64(2), 3, "f")) is int
    for bad in (-1, 3, 1.0, True, np.bool_(False), "1"):
        with pytest.raises(ValueError, match="label 必须是 0 到 2 的整数"):
            check_label(bad, 3, "f")


def test_check_labels_wants_one_dimension():
    with pytest.raises(ValueError, match="一维"):
        check_labels([[0, 1]], "f")
    with pytest.raises(ValueError, match="一维"):
        check_labels(3, "f")


def test_check_labels_refuses_bool_and_float_labels():
    for bad in (np.array([True, False]), np.array([1.0, 2.0])):
        with pytest.raises(ValueError, match="整数类别编号"):
            check_labels(bad, "f")


def test_check_labels_bounds_and_size():
    np.testing.assert_array_equal(check_labels([0, 2], "f", num_classes=3, size=2), [0, 2])
    with pytest.raises(ValueError, match="0 到 2 之间"):
        check_labels([0, 3], "f", num_classes=3)
    with pytest.raises(ValueError, match="之间"):
        check_labels([-1, 0], "f")
    assert check_labels([5, 99], "f").tolist() == [5, 99]          # no num_classes: no upper bound
    assert check_labels(np.array([], dtype=int), "f", num_classes=3).size == 0
    with pytest.raises(ValueError, match="应有 3 个"):
        check_labels([0, 1], "f", size=3)


def test_int64_labels_are_returned_without_a_copy():
    labels = np.array([0, 1, 2])
    assert check_labels(labels, "f") is labels


@pytest.mark.parametrize("shape", [(2, 0, 5), (2, 5, 0)])
def test_images_with_an_empty_height_or_width_are_refused(shape):
    with pytest.raises(ValueError, match="images 的高和宽至少要是 1"):
        check_images_labels(np.zeros(shape), [0, 1], "f")


def test_check_images_labels_counts_and_ndim():
    images, labels = check_images_labels(np.zeros((2, 4, 4)), [0, 1], "f")
    assert images.shape == (2, 4, 4) and labels.tolist() == [0, 1]
    with pytest.raises(ValueError, match="数量必须相同"):
        check_images_labels(np.zeros((2, 4, 4)), [0, 1, 2], "f")
    with pytest.raises(ValueError, match="images 是空的"):
        check_images_labels(np.zeros((0, 4, 4)), np.array([], dtype=int), "f")
    assert check_images_labels(np.zeros((2, 4, 4, 3)), [0, 1], "f", image_ndim=3)[0].shape == (2, 4, 4, 3)
    with pytest.raises(ValueError, match="labels 必须在 0 到 1 之间"):
        check_images_labels(np.zeros((2, 4, 4)), [0, 2], "f", num_classes=2)


# --- ints, seeds, probabilities ----------------------------------------------------------------------

def test_check_positive_int_accepts_one():
    assert check_positive_int(1, "n", "f") == 1 and type(check_positive_int(np.int32(4), "n", "f")) is int
    for bad in (0, -3, 1.0, True):
        with pytest.raises(ValueError, match="n 必须是正整数"):
            check_positive_int(bad, "n", "f")


def test_make_rng_accepts_seed_zero():
    assert make_rng(0, "f").integers(10**9) == np.random.default_rng(0).integers(10**9)
    assert make_rng(np.int64(5), "f").integers(10**9) == np.random.default_rng(5).integers(10**9)
    with pytest.raises(ValueError, match="rng"):
        make_rng(-1, "f")


def test_check_probabilities_converts_lists():
    probs = check_probabilities([0.25, 0.75], 1, "f")
    assert probs.dtype == np.float64 and probs.tolist() == [0.25, 0.75]


def test_check_probabilities_names_probs():
    with pytest.raises(ValueError, match="f: probs 里有 NaN"):
        check_probabilities([np.nan, 1.0], 1, "f")
    with pytest.raises(ValueError, match="概率数组是空的"):
        check_probabilities(np.zeros(0), 1, "f")


def test_probabilities_above_one_are_named_as_such():
    with pytest.raises(ValueError, match="0 到 1 之间"):
        check_probabilities([1.5, 0.0], 1, "f")
    with pytest.raises(ValueError, match="0 到 1 之间"):
        check_probabilities([1.5, -0.5], 1, "f")
    assert check_probabilities([1.0, 0.0], 1, "f").tolist() == [1.0, 0.0]


def test_probability_sums_use_the_absolute_tolerance_only():
    assert check_probabilities([0.5, 0.5 + 5e-7], 1, "f") is not None       # within atol 1e-6
    with pytest.raises(ValueError, match="之和必须是 1"):
        check_probabilities([0.5, 0.5 + 5e-6], 1, "f")                     # rtol would let it pass
    with pytest.raises(ValueError, match="之和必须是 1"):
        check_probabilities([0.5, 0.5 + 5e-7], 1, "f", atol=1e-8)


@pytest.mark.parametrize("sums, worst", [([1.0, 1.2, 0.7], "0.7"), ([1.0, 1.4, 0.8], "1.4")])
def test_the_message_reports_the_worst_sum(sums, worst):
    probs = np.array([[s / 2, s / 2] for s in sums])
    with pytest.raises(ValueError, match=rf"收到的和为 {worst}。"):
        check_probabilities(probs, 2, "f")


# --- plotting ---------------------------------------------------------------------------------------

def test_missing_font_file_says_how_to_fix_it(monkeypatch):
    monkeypatch.setattr(plotting, "_CJK_FONT_FILE", "NoSuchFont.otf")
    with pytest.raises(FileNotFoundError, match="mplfonts"):
        plotting.cjk_font_file()


def test_setup_registers_the_bundled_font():
    plotting.setup_chinese_fonts()
    files = {font.fname for font in matplotlib.font_manager.fontManager.ttflist}
    assert str(plotting.cjk_font_file()) in files
    assert matplotlib.rcParams["font.sans-serif"][0] == plotting.CJK_FONT_NAME


@pytest.mark.parametrize("n, ncols, rows", [(10, 5, 2), (11, 5, 3), (1, 10, 1), (1, 1, 1), (3, 3, 1), (7, 2, 4)])
def test_show_digits_grid_and_size(n, ncols, rows):
    fig = plotting.show_digits(np.zeros((n, 28, 28)), list(range(n)), ncols=ncols, size=2.0)
    try:
        assert len(fig.axes) == rows * ncols
        np.testing.assert_allclose(fig.get_size_inches(), [ncols * 2.0, rows * 2.0 * 1.35])
        assert all(not ax.axison for ax in fig.axes)
        assert [ax.get_title() for ax in fig.axes[:n]] == [str(k) for k in range(n)]
        assert all(ax.images for ax in fig.axes[:n]) and not any(ax.images for ax in fig.axes[n:])
    finally:
        plt.close(fig)


def test_show_digits_draws_each_image_in_grey_with_readable_titles():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28))
    fig = plotting.show_digits(images, ["a", "b", "c"], ncols=3, title="标题")
    try:
        for ax, image in zip(fig.axes, images):
            np.testing.assert_array_equal(ax.images[0].get_array(), image)
            assert ax.images[0].get_cmap().name == "gray_r"
            assert ax.title.get_fontsize() == 14
        assert fig._suptitle is not None and fig._suptitle.get_text() == "标题"
        # tight_layout: the grid uses the figure's edges, not matplotlib's default 12.5 % margin
        assert fig.axes[0].get_position().x0 < 0.1
    finally:
        plt.close(fig)


def test_show_digits_defaults_ten_columns_one_inch_wide():
    fig = plotting.show_digits(np.zeros((20, 28, 28)), list(range(20)))
    try:
        assert len(fig.axes) == 20 and all(ax.images for ax in fig.axes)
        np.testing.assert_allclose(fig.get_size_inches(), [10.0, 2 * 1.35])
    finally:
        plt.close(fig)


def test_show_digits_without_title_has_no_suptitle():
    fig = plotting.show_digits(np.zeros((2, 28, 28)), [0, 1])
    try:
        assert fig._suptitle is None
    finally:
        plt.close(fig)


def test_show_digits_accepts_lists_and_numpy_ints():
    fig = plotting.show_digits(np.zeros((2, 28, 28)).tolist(), np.array([3, 4]), ncols=np.int64(2), size=1)
    try:
        assert [ax.get_title() for ax in fig.axes] == ["3", "4"]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("size", [np.inf, True, None])
def test_show_digits_refuses_bad_sizes(size):
    with pytest.raises(ValueError, match="show_digits: size"):
        plotting.show_digits(np.zeros((2, 28, 28)), [0, 1], size=size)


@pytest.mark.parametrize("ncols", [True, np.bool_(True)])
def test_show_digits_refuses_bool_ncols(ncols):
    with pytest.raises(ValueError, match="show_digits: ncols"):
        plotting.show_digits(np.zeros((2, 28, 28)), [0, 1], ncols=ncols)


def test_show_digits_refuses_a_single_image():
    with pytest.raises(ValueError, match="images"):
        plotting.show_digits(np.zeros((28, 28)), [0])


def test_checks_module_exports():
    assert callable(checks.check_array)
