"""Tests of cnnbook.figures.ch02: the numbers in the padding, stride and channel pictures, and their legibility."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from scipy.signal import correlate2d  # noqa: E402

from cnnbook.figures import ch02  # noqa: E402
from cnnbook.plotting import setup_chinese_fonts  # noqa: E402

PHONE_PX = 390          # CSS width of a phone screen
SHOWN_FRACTION = 0.75   # the chapter shows these figures at 75 % to 85 % of the text width
MIN_TEXT_PX = 9


def test_padding_example_is_the_same_convolution_of_the_4x4_image():
    padded, output = ch02.padding_example()
    assert padded.shape == (6, 6) and output.shape == (4, 4)
    np.testing.assert_array_equal(padded[1:-1, 1:-1], ch02.IMAGE)
    assert not padded[[0, -1], :].any() and not padded[:, [0, -1]].any()
    np.testing.assert_array_equal(output, correlate2d(ch02.IMAGE, ch02.SOBEL_VERTICAL, mode="same"))
    np.testing.assert_array_equal(output[1:3, 1:3], ch02.correlate_valid(ch02.IMAGE, ch02.SOBEL_VERTICAL))


def test_stride_example_keeps_every_second_position():
    full, strided = ch02.stride_example()
    assert ch02.STRIDE == 2 and full.shape == (3, 3) and strided.shape == (2, 2)
    np.testing.assert_array_equal(full, correlate2d(ch02.STRIDE_IMAGE, ch02.SOBEL_VERTICAL, mode="valid"))
    np.testing.assert_array_equal(strided, full[[0, 2]][:, [0, 2]])


def test_channels_example_sums_the_per_channel_correlations():
    partial, total = ch02.channels_example()
    assert ch02.CHANNEL_IMAGE.shape == (3, 3, 3) and ch02.CHANNEL_KERNEL.shape == (2, 2, 3)
    for c in range(3):
        np.testing.assert_array_equal(
            partial[:, :, c], correlate2d(ch02.CHANNEL_IMAGE[:, :, c], ch02.CHANNEL_KERNEL[:, :, c], mode="valid"))
    np.testing.assert_array_equal(total, partial.sum(axis=2))
    # the same number as one 3-D window times the 3-D kernel
    assert total[0, 0] == np.sum(ch02.CHANNEL_IMAGE[:2, :2] * ch02.CHANNEL_KERNEL)


def png_width(path):
    """Width in pixels, read from the PNG header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big")


@pytest.mark.parametrize("draw", ["draw_padding", "draw_stride", "draw_channels", "draw_filters"])
def test_still_figures_are_legible_at_phone_width(draw, tmp_path, monkeypatch):
    """Smallest text >= 9 px when the saved PNG (150 dpi, tightly cropped) is shown 75 % of 390 px wide."""
    setup_chinese_fonts()
    sizes = []
    finish = ch02._finish

    def spy(fig, ax, path):
        sizes.append(min(t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()))
        return finish(fig, ax, path)

    monkeypatch.setattr(ch02, "_finish", spy)
    path = getattr(ch02, draw)(tmp_path)
    (smallest_pt,) = sizes
    text_px_in_png = smallest_pt / 72 * 150
    shown_px = text_px_in_png * PHONE_PX * SHOWN_FRACTION / png_width(path)
    assert shown_px >= MIN_TEXT_PX, f"{draw}: smallest text {shown_px:.1f} px on a phone"


def test_still_frame_of_the_animation(tmp_path):
    setup_chinese_fonts()
    path = ch02.draw_convolve_still(tmp_path, step=2)
    assert path.name == "ch02_convolve_still.png" and path.stat().st_size > 10_000
