"""cnnbook.robustness (chapter 10): the harder test set, digits shifted and rotated by code."""

import numpy as np
import pytest

from cnnbook.robustness import move_image, shift_rotate


def l_shape(size=28):
    image = np.zeros((size, size))
    image[3, 20] = 1.0
    image[5:12, 10] = 1.0
    image[11, 10:15] = 0.5
    return image


def test_no_move_is_the_identity():
    image = l_shape()
    np.testing.assert_array_equal(move_image(image, 0, 0, 0), image)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_quarter_turns_are_counter_clockwise_like_rot90(turns):
    image = l_shape()
    np.testing.assert_allclose(move_image(image, 0, 0, 90 * turns), np.rot90(image, turns), atol=1e-12)
    np.testing.assert_allclose(move_image(image, 0, 0, -90 * turns), np.rot90(image, -turns), atol=1e-12)


@pytest.mark.parametrize("dx, dy", [(2, -3), (-4, 1), (0, 5), (6, 6)])
def test_whole_pixel_shifts_move_right_and_down_and_fill_with_zero(dx, dy):
    image = l_shape() + 0.1  # a non-zero background shows what is filled in
    expected = np.zeros_like(image)
    h, w = image.shape
    expected[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    np.testing.assert_allclose(move_image(image, dx, dy, 0), expected, atol=1e-12)


def test_rotation_comes_first_then_the_shift():
    image = l_shape()
    moved = move_image(image, 3, 0, 90)
    expected = move_image(np.rot90(image), 3, 0, 0)
    np.testing.assert_allclose(moved, expected, atol=1e-12)
    assert not np.allclose(moved, np.rot90(move_image(image, 3, 0, 0)), atol=1e-6)


def test_small_rotation_keeps_the_centre_of_a_symmetric_blob():
    y, x = np.mgrid[0:28, 0:28]
    blob = np.exp(-((y - 13.5) ** 2 + (x - 13.5) ** 2) / 50)
    inner = slice(6, 22)  # away from the border, where zeros come in from outside
    np.testing.assert_allclose(move_image(blob, 0, 0, 17)[inner, inner], blob[inner, inner], atol=1e-2)


def test_shift_rotate_is_reproducible_and_within_bounds():
    images = np.random.default_rng(0).integers(0, 256, size=(50, 12, 12)).astype(np.uint8)
    moved, shifts, angles = shift_rotate(images, max_shift=3, max_degrees=20, rng=7)
    again, shifts2, angles2 = shift_rotate(images, max_shift=3, max_degrees=20, rng=7)
    np.testing.assert_array_equal(moved, again)
    np.testing.assert_array_equal(shifts, shifts2)
    np.testing.assert_array_equal(angles, angles2)
    assert moved.shape == images.shape and moved.dtype == np.float64
    assert shifts.shape == (50, 2) and angles.shape == (50,)
    assert np.abs(shifts).max() <= 3 and np.abs(angles).max() <= 20
    # both ends of the shift range occur, and the angles are spread over the range
    assert shifts.min() == -3 and shifts.max() == 3
    assert angles.min() < -10 and angles.max() > 10
    other, _, _ = shift_rotate(images, max_shift=3, max_degrees=20, rng=8)
    assert not np.array_equal(moved, other)


def test_shift_rotate_applies_each_image_its_own_move():
    images = np.stack([l_shape(), np.rot90(l_shape()), l_shape().T])
    moved, shifts, angles = shift_rotate(images, max_shift=5, max_degrees=25, rng=1)
    for image, out, (dx, dy), angle in zip(images, moved, shifts, angles):
        np.testing.assert_allclose(out, move_image(image, dx, dy, angle), atol=1e-12)


def test_zero_ranges_give_the_images_back():
    images = np.random.default_rng(2).random((4, 9, 9))
    moved, shifts, angles = shift_rotate(images, max_shift=0, max_degrees=0, rng=0)
    np.testing.assert_allclose(moved, images, atol=1e-12)
    assert not shifts.any() and not angles.any()


def test_the_default_harder_test_set_of_the_chapter():
    images = np.zeros((200, 28, 28))
    images[:, 10:18, 12:16] = 255
    moved, shifts, angles = shift_rotate(images)  # max_shift 6, max_degrees 25, seed 0
    assert np.abs(shifts).max() == 6 and np.abs(angles).max() <= 25 and np.abs(angles).max() > 20
    ink = moved.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert 0.9 < ink.min() and ink.max() < 1.1  # this small block never leaves the picture
    assert np.array_equal(shift_rotate(images, rng=0)[1], shifts)


# ------------------------------------------------------------------------------------------------
# Bad input: ValueError in plain Chinese naming the argument
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("image, message", [(np.zeros((2, 3, 3)), "image 应是 2 维数组"), ([[1, np.inf]], "image 里有 NaN")])
def test_move_image_bad_image(image, message):
    with pytest.raises(ValueError, match=f"move_image: {message}"):
        move_image(image, 0, 0, 0)


@pytest.mark.parametrize("argument", ["dx", "dy", "degrees"])
@pytest.mark.parametrize("value", [None, "3", True, float("nan"), float("inf"), [1]])
def test_move_image_bad_numbers(argument, value):
    kwargs = {"dx": 0, "dy": 0, "degrees": 0, argument: value}
    with pytest.raises(ValueError, match=f"move_image: {argument} 必须是"):
        move_image(l_shape(), **kwargs)


def test_shift_rotate_bad_images():
    with pytest.raises(ValueError, match="shift_rotate: images 应是 3 维数组"):
        shift_rotate(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="shift_rotate: images 是空的"):
        shift_rotate(np.zeros((0, 28, 28)))


@pytest.mark.parametrize("max_shift", [-1, 2.5, 3.0, True, None])
def test_shift_rotate_bad_max_shift(max_shift):
    with pytest.raises(ValueError, match="shift_rotate: max_shift 必须是非负整数"):
        shift_rotate(np.zeros((2, 8, 8)), max_shift=max_shift)


@pytest.mark.parametrize("max_degrees, message", [(-5, "0 到 180"), (181, "0 到 180"), (float("nan"), "有限"), ("25", "实数")])
def test_shift_rotate_bad_max_degrees(max_degrees, message):
    with pytest.raises(ValueError, match=f"shift_rotate: max_degrees .*{message}"):
        shift_rotate(np.zeros((2, 8, 8)), max_degrees=max_degrees)


def test_shift_rotate_bad_rng():
    with pytest.raises(ValueError, match="shift_rotate: rng"):
        shift_rotate(np.zeros((2, 8, 8)), rng=-1)


# ------------------------------------------------------------------------------------------------
# Found by mutation testing (2026-12-02)
# ------------------------------------------------------------------------------------------------


def test_the_defaults_are_6_pixels_and_25_degrees():
    images = np.random.default_rng(3).random((30, 10, 10))
    default = shift_rotate(images)
    explicit = shift_rotate(images, max_shift=6, max_degrees=25, rng=0)
    for a, b in zip(default, explicit):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(2, 0, 8), (2, 8, 0)])
def test_shift_rotate_refuses_images_without_rows_or_columns(shape):
    with pytest.raises(ValueError, match="shift_rotate: images 的高和宽至少要是 1"):
        shift_rotate(np.zeros(shape))


def test_max_degrees_range_ends():
    images = np.random.default_rng(4).random((3, 8, 8))
    moved, _, angles = shift_rotate(images, max_degrees=180, rng=1)  # 180 is allowed
    assert moved.shape == images.shape and np.abs(angles).max() <= 180
    with pytest.raises(ValueError, match="shift_rotate: max_degrees 必须在 0 到 180 之间"):
        shift_rotate(images, max_degrees=-0.5)
